/**
 * `.BTF` and `.BTF.ext` section parsers (models the layout that kernel/bpf/btf.c
 * btf_parse_hdr()/btf_check_all_metas() and libbpf's btf_ext__new() read). Every read is
 * bounds-checked: malformed input gives a `BtfError` naming the offset, never a RangeError.
 */
import {
  BTF_KINDS,
  BTF_MAGIC,
  BtfError,
  type Btf,
  type BtfExt,
  type BtfExtSection,
  type BtfMember,
  type BtfType,
  type CoreRelo,
  type FuncInfo,
  type Linkage,
  type LineInfo,
} from './types.ts';

/** The BTF string section: NUL-terminated strings addressed by byte offset. */
export class BtfStrings {
  private readonly cache = new Map<number, string>();
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });

  constructor(private readonly bytes: Uint8Array) {}

  get size(): number {
    return this.bytes.length;
  }

  get(off: number, what = 'string'): string {
    const hit = this.cache.get(off);
    if (hit !== undefined) return hit;
    if (off < 0 || off >= this.bytes.length) {
      throw new BtfError(`${what}: string offset ${off} is outside the string section (${this.bytes.length} bytes)`);
    }
    const end = this.bytes.indexOf(0, off);
    if (end < 0) throw new BtfError(`${what}: string at offset ${off} is not NUL-terminated`);
    const s = this.decoder.decode(this.bytes.subarray(off, end));
    this.cache.set(off, s);
    return s;
  }
}

export interface ParsedBtf {
  btf: Btf;
  strings: BtfStrings;
}

const LINKAGE: readonly Linkage[] = ['static', 'global', 'extern'];

class Reader {
  readonly dv: DataView;
  constructor(readonly bytes: Uint8Array) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(off: number, len: number, what: string): void {
    if (off < 0 || len < 0 || off + len > this.bytes.length) {
      throw new BtfError(`${what}: needs bytes [${off}, ${off + len}) but the data is ${this.bytes.length} bytes`);
    }
  }
  u8(off: number): number {
    return this.dv.getUint8(off);
  }
  u16(off: number): number {
    return this.dv.getUint16(off, true);
  }
  u32(off: number): number {
    return this.dv.getUint32(off, true);
  }
  i32(off: number): number {
    return this.dv.getInt32(off, true);
  }
}

/** Parse a `.BTF` section. Little endian only, as the rest of chainlab. */
export function parseBtf(bytes: Uint8Array): ParsedBtf {
  const r = new Reader(bytes);
  r.need(0, 24, 'BTF header');
  const magic = r.u16(0);
  if (magic === 0x9feb) throw new BtfError('BTF is big endian; only little-endian BTF is supported');
  if (magic !== BTF_MAGIC) throw new BtfError(`bad BTF magic 0x${magic.toString(16)} (expected 0xeb9f)`);
  const version = r.u8(2);
  if (version !== 1) throw new BtfError(`unsupported BTF version ${version}`);
  const hdrLen = r.u32(4);
  r.need(0, hdrLen, 'BTF header');
  if (hdrLen < 24) throw new BtfError(`BTF header length ${hdrLen} is shorter than 24 bytes`);
  const typeOff = r.u32(8);
  const typeLen = r.u32(12);
  const strOff = r.u32(16);
  const strLen = r.u32(20);
  r.need(hdrLen + typeOff, typeLen, 'BTF type section');
  r.need(hdrLen + strOff, strLen, 'BTF string section');
  const strings = new BtfStrings(bytes.subarray(hdrLen + strOff, hdrLen + strOff + strLen));
  if (strLen === 0 || bytes[hdrLen + strOff] !== 0) throw new BtfError('BTF string section must start with an empty string');

  const types: BtfType[] = [{ id: 0, kind: 'VOID', name: '' }];
  const start = hdrLen + typeOff;
  const end = start + typeLen;
  let off = start;
  while (off < end) {
    const id = types.length;
    const where = `BTF type [${id}] at offset ${off - start}`;
    if (off + 12 > end) throw new BtfError(`${where}: truncated type header`);
    const nameOff = r.u32(off);
    const info = r.u32(off + 4);
    const sizeOrType = r.u32(off + 8);
    off += 12;
    const vlen = info & 0xffff;
    const kindNo = (info >>> 24) & 0x1f;
    const kflag = (info >>> 31) === 1;
    const kind = BTF_KINDS[kindNo];
    if (kind === undefined || kind === 'UNKN') throw new BtfError(`${where}: unknown kind ${kindNo}`);
    const name = strings.get(nameOff, where);
    const extra = (n: number): number => {
      if (off + n > end) throw new BtfError(`${where} (${kind}): truncated, needs ${n} more bytes`);
      const at = off;
      off += n;
      return at;
    };
    switch (kind) {
      case 'INT': {
        const a = extra(4);
        const v = r.u32(a);
        const enc = (v >>> 24) & 0x0f;
        types.push({
          id,
          kind,
          name,
          size: sizeOrType,
          encoding: enc & 4 ? 'bool' : enc & 2 ? 'char' : enc & 1 ? 'signed' : 'none',
          bitOffset: (v >>> 16) & 0xff,
          bits: v & 0xff,
        });
        break;
      }
      case 'PTR':
      case 'TYPEDEF':
      case 'VOLATILE':
      case 'CONST':
      case 'RESTRICT':
      case 'TYPE_TAG':
        types.push(kind === 'PTR' ? { id, kind, name, type: sizeOrType } : { id, kind, name, type: sizeOrType });
        break;
      case 'ARRAY': {
        const a = extra(12);
        types.push({ id, kind, name, type: r.u32(a), indexType: r.u32(a + 4), nelems: r.u32(a + 8) });
        break;
      }
      case 'STRUCT':
      case 'UNION': {
        const a = extra(12 * vlen);
        const members: BtfMember[] = [];
        for (let i = 0; i < vlen; i++) {
          const m = a + 12 * i;
          const moff = r.u32(m + 8);
          members.push({
            name: strings.get(r.u32(m), `${where} member ${i}`),
            type: r.u32(m + 4),
            bitOffset: kflag ? moff & 0xffffff : moff,
            bitfieldSize: kflag ? moff >>> 24 : 0,
          });
        }
        types.push({ id, kind, name, size: sizeOrType, members });
        break;
      }
      case 'ENUM': {
        const a = extra(8 * vlen);
        const values = [];
        for (let i = 0; i < vlen; i++) {
          const e = a + 8 * i;
          const raw = r.i32(e + 4);
          values.push({ name: strings.get(r.u32(e), `${where} value ${i}`), value: kflag ? raw : raw >>> 0 });
        }
        types.push({ id, kind, name, size: sizeOrType, signed: kflag, values });
        break;
      }
      case 'ENUM64': {
        const a = extra(12 * vlen);
        const values = [];
        for (let i = 0; i < vlen; i++) {
          const e = a + 12 * i;
          const v = (BigInt(r.u32(e + 8)) << 32n) | BigInt(r.u32(e + 4));
          values.push({ name: strings.get(r.u32(e), `${where} value ${i}`), value: (kflag ? BigInt.asIntN(64, v) : v).toString() });
        }
        types.push({ id, kind, name, size: sizeOrType, signed: kflag, values });
        break;
      }
      case 'FWD':
        types.push({ id, kind, name, fwdKind: kflag ? 'union' : 'struct' });
        break;
      case 'FUNC':
        types.push({ id, kind, name, type: sizeOrType, linkage: LINKAGE[vlen] ?? 'static' });
        if (vlen > 2) throw new BtfError(`${where}: FUNC '${name}' has unknown linkage ${vlen}`);
        break;
      case 'FUNC_PROTO': {
        const a = extra(8 * vlen);
        const params = [];
        for (let i = 0; i < vlen; i++) {
          params.push({ name: strings.get(r.u32(a + 8 * i), `${where} param ${i}`), type: r.u32(a + 8 * i + 4) });
        }
        types.push({ id, kind, name, returnType: sizeOrType, params });
        break;
      }
      case 'VAR': {
        const a = extra(4);
        const l = r.u32(a);
        if (l > 2) throw new BtfError(`${where}: VAR '${name}' has unknown linkage ${l}`);
        types.push({ id, kind, name, type: sizeOrType, linkage: LINKAGE[l] });
        break;
      }
      case 'DATASEC': {
        const a = extra(12 * vlen);
        const vars = [];
        for (let i = 0; i < vlen; i++) {
          const v = a + 12 * i;
          vars.push({ type: r.u32(v), offset: r.u32(v + 4), size: r.u32(v + 8) });
        }
        types.push({ id, kind, name, size: sizeOrType, vars });
        break;
      }
      case 'FLOAT':
        types.push({ id, kind, name, size: sizeOrType });
        break;
      case 'DECL_TAG': {
        const a = extra(4);
        types.push({ id, kind, name, type: sizeOrType, componentIdx: r.i32(a) });
        break;
      }
    }
  }
  const btf: Btf = { types };
  checkReferences(btf);
  return { btf, strings };
}

/** Every type id a type refers to must exist: later lookups can then index without checks. */
function checkReferences(btf: Btf): void {
  const n = btf.types.length;
  const check = (t: BtfType, ref: number, what: string): void => {
    if (ref >= n) throw new BtfError(`BTF type [${t.id}] ${t.kind} '${t.name}': ${what} refers to type [${ref}], but there are only ${n} types`);
  };
  for (const t of btf.types) {
    switch (t.kind) {
      case 'PTR':
      case 'TYPEDEF':
      case 'VOLATILE':
      case 'CONST':
      case 'RESTRICT':
      case 'TYPE_TAG':
      case 'FUNC':
      case 'VAR':
      case 'DECL_TAG':
        check(t, t.type, 'type');
        break;
      case 'ARRAY':
        check(t, t.type, 'element type');
        check(t, t.indexType, 'index type');
        break;
      case 'STRUCT':
      case 'UNION':
        for (const m of t.members) check(t, m.type, `member '${m.name}'`);
        break;
      case 'FUNC_PROTO':
        check(t, t.returnType, 'return type');
        for (const p of t.params) check(t, p.type, `parameter '${p.name}'`);
        break;
      case 'DATASEC':
        for (const v of t.vars) check(t, v.type, 'variable');
        break;
      default:
        break;
    }
  }
}

/**
 * Parse `.BTF.ext` (struct btf_ext_header): func_info, line_info and, when the header is
 * long enough, CO-RE relocations. Offsets (`insnOff`) stay in bytes from the start of the
 * ELF section, as clang writes them in an object file.
 */
export function parseBtfExt(bytes: Uint8Array, strings: BtfStrings): BtfExt {
  const r = new Reader(bytes);
  r.need(0, 8, 'BTF.ext header');
  const magic = r.u16(0);
  if (magic !== BTF_MAGIC) throw new BtfError(`bad BTF.ext magic 0x${magic.toString(16)} (expected 0xeb9f)`);
  const hdrLen = r.u32(4);
  if (hdrLen < 24) throw new BtfError(`BTF.ext header length ${hdrLen} is shorter than 24 bytes`);
  r.need(0, hdrLen, 'BTF.ext header');
  const funcOff = r.u32(8);
  const funcLen = r.u32(12);
  const lineOff = r.u32(16);
  const lineLen = r.u32(20);
  const hasCore = hdrLen >= 32;
  const coreOff = hasCore ? r.u32(24) : 0;
  const coreLen = hasCore ? r.u32(28) : 0;

  const funcInfo = readInfo<FuncInfo>(r, hdrLen + funcOff, funcLen, 8, 'func_info', strings, (a) => ({ insnOff: r.u32(a), typeId: r.u32(a + 4) }));
  const lineInfo = readInfo<LineInfo>(r, hdrLen + lineOff, lineLen, 16, 'line_info', strings, (a, what) => {
    const lineCol = r.u32(a + 12);
    return {
      insnOff: r.u32(a),
      file: strings.get(r.u32(a + 4), `${what} file name`),
      line: lineCol >>> 10,
      col: lineCol & 0x3ff,
      text: strings.get(r.u32(a + 8), `${what} line text`),
    };
  });
  const coreRelos = hasCore
    ? readInfo<CoreRelo>(r, hdrLen + coreOff, coreLen, 16, 'CO-RE relocation', strings, (a, what) => ({
        insnOff: r.u32(a),
        typeId: r.u32(a + 4),
        access: strings.get(r.u32(a + 8), `${what} access string`),
        kind: r.u32(a + 12),
      }))
    : [];
  return { funcInfo, lineInfo, coreRelos };
}

/**
 * One btf_ext info block: a u32 record size, then per ELF section a btf_ext_info_sec
 * header (section name offset, record count) followed by the records.
 */
function readInfo<T>(
  r: Reader,
  start: number,
  len: number,
  minRecord: number,
  what: string,
  strings: BtfStrings,
  read: (at: number, where: string) => T,
): BtfExtSection<T>[] {
  if (len === 0) return [];
  r.need(start, len, `BTF.ext ${what}`);
  if (len < 4) throw new BtfError(`BTF.ext ${what}: block of ${len} bytes has no record size`);
  const recSize = r.u32(start);
  if (recSize < minRecord) throw new BtfError(`BTF.ext ${what}: record size ${recSize} is smaller than ${minRecord}`);
  const end = start + len;
  let off = start + 4;
  const out: BtfExtSection<T>[] = [];
  while (off < end) {
    if (off + 8 > end) throw new BtfError(`BTF.ext ${what}: truncated section header at offset ${off - start}`);
    const section = strings.get(r.u32(off), `BTF.ext ${what} section name`);
    const n = r.u32(off + 4);
    off += 8;
    if (off + n * recSize > end) throw new BtfError(`BTF.ext ${what} for section '${section}': ${n} records of ${recSize} bytes overrun the block`);
    const records: T[] = [];
    for (let i = 0; i < n; i++) records.push(read(off + i * recSize, `BTF.ext ${what} '${section}' record ${i}`));
    off += n * recSize;
    out.push({ section, records });
  }
  return out;
}
