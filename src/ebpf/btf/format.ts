/**
 * Map keys and values formatted by their BTF, as bpftool's btf_dumper prints them (`map dump`,
 * `map lookup`): structs and unions as objects of named members, arrays as lists (a NUL-ended
 * printable `char` array as a string), enums by name, pointers and bitfields as hex in plain
 * text, DATASECs as `{"<section>": [{"<var>": …}, …]}`. bpftool writes through its own JSON
 * writer; {@link JsonWriter} reproduces its spacing (plain mode is its pretty output) and lets
 * 64-bit numbers through unrounded. Kinds bpftool cannot print (FLOAT, TYPE_TAG, …) give its
 * "(unsupported-kind" marker and stop the enclosing aggregate, as bpftool does.
 */
import { sizeOf, typeById } from './query.ts';
import type { Btf } from './types.ts';

const EINVAL = 22;

/** bpftool's json_writer: `pretty` is the layout of its plain-text map output and of `-p`. */
export class JsonWriter {
  private out = '';
  private depth = 0;
  private sep = '';

  constructor(readonly pretty: boolean) {}

  private eor(): void {
    if (this.sep) this.out += this.sep;
    this.sep = ',';
  }

  private eol(): void {
    if (this.pretty) this.out += '\n' + '    '.repeat(this.depth);
  }

  private begin(c: string): void {
    this.eor();
    this.out += c;
    this.depth++;
    this.sep = '';
  }

  private end(c: string): void {
    this.depth--;
    if (this.sep) this.eol();
    this.out += c;
    this.sep = ',';
  }

  startObject(): void {
    this.begin('{');
  }
  endObject(): void {
    this.end('}');
  }
  startArray(): void {
    this.begin('[');
  }
  endArray(): void {
    this.end(']');
  }
  name(n: string): void {
    this.eor();
    this.eol();
    this.sep = '';
    this.out += quote(n) + (this.pretty ? ': ' : ':');
  }
  /** Text written as is (jsonw_printf): numbers, or bpftool's unquoted markers. */
  raw(text: string): void {
    this.eor();
    this.out += text;
  }
  string(s: string): void {
    this.eor();
    this.out += quote(s);
  }
  /** bytes as bpftool's print_hex_data_json: ["0x0a","0x00",…]. */
  hexBytes(bytes: Uint8Array): void {
    this.startArray();
    for (const b of bytes) this.raw(`"0x${b.toString(16).padStart(2, '0')}"`);
    this.endArray();
  }
  text(): string {
    return this.out;
  }
}

/**
 * jsonw_puts: only these characters are escaped, the rest goes out as is. bpftool writes a
 * backslash as `\n` (a slip in its json_writer, Linux 6.x and bpftool 7.1 alike); we follow it.
 */
function quote(s: string): string {
  const esc: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r', '\f': '\\f', '\b': '\\b', '\\': '\\n', '"': '\\"' };
  return `"${s.replace(/[\t\n\r\f\b\\"]/g, (c) => esc[c])}"`;
}

/** Little-endian unsigned integer of `n` bytes at `data` (missing bytes read as 0). */
function readUint(data: Uint8Array, n: number): bigint {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(data[i] ?? 0);
  return v;
}

/** A 128-bit number as btf_int128_print writes it: hex, quoted in JSON. */
function int128(w: JsonWriter, v: bigint, plain: boolean): void {
  const hex = `0x${v.toString(16)}`;
  w.raw(plain ? hex : `"${hex}"`);
}

/** btf_dumper_bitfield: `nrBits` bits from `bitOffset` (< 8) into `data`. */
function bitfield(w: JsonWriter, nrBits: number, bitOffset: number, data: Uint8Array, plain: boolean): void {
  const v = readUint(data, Math.ceil((bitOffset + nrBits) / 8)) >> BigInt(bitOffset);
  int128(w, v & ((1n << BigInt(nrBits)) - 1n), plain);
}

const isPrint = (b: number): boolean => b >= 0x20 && b <= 0x7e;

/** Options of a dump: `plain` is bpftool's is_plain_text (its text output, not `-j`). */
export interface BtfDumpOptions {
  plain: boolean;
}

/**
 * Write the value of BTF type `typeId` held in `data`, as btf_dumper_type() does.
 * Returns 0, or -EINVAL where bpftool gives up (its output so far stays, as in bpftool).
 */
export function dumpBtfValue(w: JsonWriter, btf: Btf, typeId: number, data: Uint8Array, opts: BtfDumpOptions): number {
  return doType(w, btf, typeId, 0, data, opts.plain);
}

function doType(w: JsonWriter, btf: Btf, id: number, bitOffset: number, data: Uint8Array, plain: boolean): number {
  const t = typeById(btf, id);
  switch (t.kind) {
    case 'INT': {
      if (bitOffset || t.bitOffset || t.bits % 8) {
        const total = bitOffset + t.bitOffset;
        bitfield(w, t.bits, total % 8, data.subarray(total >> 3), plain);
        return 0;
      }
      if (t.bits === 128) {
        int128(w, readUint(data, 16), plain);
        return 0;
      }
      const whole = [8, 16, 32, 64].includes(t.bits);
      const u = readUint(data, t.bits / 8);
      switch (t.encoding) {
        case 'none':
        case 'signed':
          // Odd widths (24, 40…) go out as bitfields, like bpftool's btf_dumper_int_bits().
          if (!whole) bitfield(w, t.bits, 0, data, plain);
          else w.raw((t.encoding === 'signed' ? BigInt.asIntN(t.bits, u) : u).toString());
          return 0;
        case 'char': {
          const b = data[0] ?? 0;
          if (isPrint(b)) w.raw(`"${String.fromCharCode(b)}"`);
          else w.raw(plain ? `0x${b.toString(16)}` : `"\\u00${b.toString(16).padStart(2, '0')}"`);
          return 0;
        }
        case 'bool':
          // bpftool reads an int there, whatever the size of the bool.
          w.raw(readUint(data, 4) !== 0n ? 'true' : 'false');
          return 0;
      }
      return -EINVAL;
    }
    case 'STRUCT':
    case 'UNION': {
      w.startObject();
      let ret = 0;
      for (const m of t.members) {
        w.name(m.name);
        const at = data.subarray(m.bitOffset >> 3);
        if (m.bitfieldSize) bitfield(w, m.bitfieldSize, m.bitOffset % 8, at, plain);
        else {
          ret = doType(w, btf, m.type, m.bitOffset % 8, at, plain);
          if (ret) break;
        }
      }
      w.endObject();
      return ret;
    }
    case 'ARRAY': {
      if (isStrArray(btf, t.type, t.nelems, data)) {
        const end = data.indexOf(0);
        w.string(String.fromCharCode(...data.subarray(0, end)));
        return 0;
      }
      const elem = sizeOf(btf, t.type);
      w.startArray();
      let ret = 0;
      for (let i = 0; i < t.nelems; i++) {
        ret = doType(w, btf, t.type, 0, data.subarray(i * elem), plain);
        if (ret) break;
      }
      w.endArray();
      return ret;
    }
    case 'ENUM': {
      if (![1, 2, 4, 8].includes(t.size)) return -EINVAL;
      const v = BigInt.asIntN(t.size * 8, readUint(data, t.size));
      // The values are compared as the s32 BTF stores them.
      const hit = t.values.find((e) => BigInt(e.value | 0) === v);
      if (hit) w.string(hit.name);
      else w.raw(v.toString());
      return 0;
    }
    case 'ENUM64': {
      const v = readUint(data, 8);
      const hit = t.values.find((e) => BigInt.asUintN(64, BigInt(e.value)) === v);
      if (hit) w.string(hit.name);
      else w.raw(BigInt.asIntN(64, v).toString());
      return 0;
    }
    case 'PTR': {
      // printf's %p in plain text (glibc: "(nil)" for NULL), %lu in JSON.
      const v = readUint(data, 8);
      w.raw(plain ? (v === 0n ? '(nil)' : `0x${v.toString(16)}`) : v.toString());
      return 0;
    }
    case 'VOID':
      w.raw('(unknown)');
      return 0;
    case 'FWD':
      w.raw('(fwd-kind-invalid)');
      return -EINVAL;
    case 'TYPEDEF':
    case 'VOLATILE':
    case 'CONST':
    case 'RESTRICT':
      return doType(w, btf, skipModifiers(btf, t.type), bitOffset, data, plain);
    case 'VAR': {
      w.startObject();
      w.name(t.name);
      const ret = doType(w, btf, t.type, bitOffset, data, plain);
      w.endObject();
      return ret;
    }
    case 'DATASEC': {
      w.startObject();
      w.name(t.name);
      w.startArray();
      let ret = 0;
      for (const v of t.vars) {
        ret = doType(w, btf, v.type, 0, data.subarray(v.offset), plain);
        if (ret) break;
      }
      w.endArray();
      w.endObject();
      return ret;
    }
    default:
      // FLOAT, TYPE_TAG, FUNC…: bpftool prints this marker, unbalanced parenthesis included.
      w.raw('(unsupported-kind');
      return -EINVAL;
  }
}

/** btf__resolve_type: through typedefs and every modifier (TYPE_TAG included). */
function skipModifiers(btf: Btf, id: number): number {
  let t = typeById(btf, id);
  for (let i = 0; i < 32; i++) {
    if (t.kind !== 'TYPEDEF' && t.kind !== 'VOLATILE' && t.kind !== 'CONST' && t.kind !== 'RESTRICT' && t.kind !== 'TYPE_TAG') return t.id;
    t = typeById(btf, t.type);
  }
  return t.id;
}

/**
 * is_str_array: elements are (modifiers of, not typedefs of) a 1-byte `char` or CHAR-encoded int,
 * and the bytes are printable up to a NUL within the array (bytes ≥ 0x80 are negative chars).
 */
function isStrArray(btf: Btf, elemId: number, nelems: number, data: Uint8Array): boolean {
  if (!nelems) return false;
  let t = typeById(btf, elemId);
  while (t.kind === 'CONST' || t.kind === 'VOLATILE' || t.kind === 'RESTRICT' || t.kind === 'TYPE_TAG') t = typeById(btf, t.type);
  if (t.kind !== 'INT' || t.size !== 1) return false;
  if (t.encoding !== 'char' && t.name !== 'char') return false;
  for (let i = 0; i < nelems; i++) {
    const b = data[i] ?? 0;
    if (b === 0) return true;
    if (b <= 0x1f || b >= 0x7f) return false;
  }
  return false;
}
