/**
 * What a scenario needs to know of its BPF objects before anything runs: the programs and maps
 * they declare (read with the object layer, src/ebpf/elf), and map keys and values written as
 * numbers or structs turned into the bytes the map stores, laid out by the map's BTF.
 */
import { existsSync, statSync } from 'node:fs';
import { loadObjectFile, type MapSpec, type ObjectSpec } from '../ebpf/elf/index.ts';
import { resolveType, typeById, type Btf } from '../ebpf/btf/index.ts';
import { parseIp, parseMacText } from './addr.ts';
import type { ObjectInfo } from './model.ts';

export type Inspected = { ok: true; spec: ObjectSpec; info: ObjectInfo } | { ok: false; error: string };

export function fileProblem(abs: string, shown: string, what: string): string | undefined {
  if (!existsSync(abs)) return `${what} ${JSON.stringify(shown)} does not exist (looked for ${abs})`;
  if (!statSync(abs).isFile()) return `${what} ${JSON.stringify(shown)} is not a file (${abs})`;
  return undefined;
}

export function inspectObject(abs: string, shown: string): Inspected {
  const missing = fileProblem(abs, shown, 'object');
  if (missing) return { ok: false, error: missing };
  let spec: ObjectSpec;
  try {
    spec = loadObjectFile(abs);
  } catch (e) {
    return { ok: false, error: `cannot read object ${JSON.stringify(shown)}: ${e instanceof Error ? e.message : String(e)}` };
  }
  return {
    ok: true,
    spec,
    info: {
      programs: spec.programs.map((p) => ({ name: p.name, section: p.section, type: p.progType })),
      maps: spec.maps.map((m) => ({
        name: m.name,
        type: m.type,
        keySize: m.keySize,
        valueSize: m.valueSize,
        maxEntries: m.maxEntries,
        staticSlots: (m.initialSlots?.length ?? 0) > 0,
        ...(m.pinning === 'by_name' ? { pinByName: true } : {}),
      })),
    },
  };
}

/** Map key/value bytes as written in YAML, before the map's sizes and BTF are known. */
export type RawBytes =
  | { hex: string }
  | { int: number }
  | { list: number[] }
  | { struct: Record<string, unknown> }
  | { ifindex: { host: string; dev: string }; program?: RawProgramRef }
  | { qsize: number; program: RawProgramRef };

/** A devmap/cpumap entry's program as written: its name and, if not the map's, its object. */
export interface RawProgramRef {
  program: string;
  programObject?: string;
}

export const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** Hex text as scenarios write it: "0a 00 00 01", "0a000001", "0a:00:00:01". */
export function parseHexBytes(text: string): Uint8Array | undefined {
  const s = text.trim();
  const parts = /[\s:]/.test(s) ? s.split(/[\s:]+/) : s.match(/.{1,2}/g) ?? [];
  if (parts.length === 0 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) return undefined;
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

export type Encoded = { ok: true; hex: string } | { ok: false; error: string };

/**
 * Bytes for a key or value of `map` (`which`): hex must have the exact size; an integer is
 * little-endian (as the BPF program reads a u32/u64 on x86 and arm64); a mapping is laid out by
 * the map's BTF type (needs a BTF-defined map).
 */
export function encodeMapBytes(raw: Exclude<RawBytes, { ifindex: unknown } | { qsize: unknown; program: unknown }>, map: MapSpec | undefined, btf: Btf | undefined, which: 'key' | 'value'): Encoded {
  const size = map ? (which === 'key' ? map.keySize : map.valueSize) : undefined;
  const sizeNote = size === undefined ? '' : ` (the map's ${which}_size is ${size})`;
  if ('hex' in raw) {
    const b = parseHexBytes(raw.hex);
    if (!b) return { ok: false, error: `expected hex bytes like "0a 00 00 01", got ${JSON.stringify(raw.hex)}` };
    if (size !== undefined && b.length !== size) return { ok: false, error: `${which} has ${b.length} byte${b.length === 1 ? '' : 's'}${sizeNote}` };
    return { ok: true, hex: toHex(b) };
  }
  if ('list' in raw) {
    if (raw.list.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return { ok: false, error: `a byte list holds integers 0..255` };
    if (size !== undefined && raw.list.length !== size) return { ok: false, error: `${which} has ${raw.list.length} bytes${sizeNote}` };
    return { ok: true, hex: toHex(Uint8Array.from(raw.list)) };
  }
  if (size === undefined) {
    return { ok: false, error: `an integer or structured ${which} needs the map's layout, which a C source does not give before it is built: write hex bytes` };
  }
  if ('int' in raw) {
    const out = new Uint8Array(size);
    const err = writeInt(out, 0, size, raw.int, false);
    return err ? { ok: false, error: `${err}${sizeNote}` } : { ok: true, hex: toHex(out) };
  }
  const typeId = which === 'key' ? map!.btfKeyType : map!.btfValueType;
  if (!btf || typeId === undefined) return { ok: false, error: `map "${map!.name}" has no BTF ${which} type, so a structured ${which} cannot be laid out: write hex bytes` };
  const out = new Uint8Array(size);
  const err = encodeBtf(btf, typeId, raw.struct, out, 0, which);
  return err ? { ok: false, error: err } : { ok: true, hex: toHex(out) };
}

function writeInt(out: Uint8Array, off: number, size: number, v: number | bigint, bigEndian: boolean): string | undefined {
  let n = BigInt(v);
  const bits = BigInt(size * 8);
  const max = 1n << bits;
  if (n >= max || n < -(max >> 1n)) return `${v} does not fit in ${size} byte${size === 1 ? '' : 's'}`;
  if (n < 0n) n += max;
  for (let i = 0; i < size; i++) {
    out[off + (bigEndian ? size - 1 - i : i)] = Number(n & 0xffn);
    n >>= 8n;
  }
  return undefined;
}

/** A typedef chain naming a big-endian integer (__be16, __be32, __be64), as the uapi headers spell them. */
function isBigEndian(btf: Btf, id: number): boolean {
  let t = typeById(btf, id);
  for (let i = 0; i < 32; i++) {
    if (t.kind === 'TYPEDEF' && /^__be(16|32|64)$/.test(t.name)) return true;
    if (t.kind === 'TYPEDEF' || t.kind === 'CONST' || t.kind === 'VOLATILE' || t.kind === 'TYPE_TAG' || t.kind === 'RESTRICT') t = typeById(btf, t.type);
    else return false;
  }
  return false;
}

function encodeBtf(btf: Btf, id: number, v: unknown, out: Uint8Array, off: number, path: string): string | undefined {
  const t = resolveType(btf, id);
  switch (t.kind) {
    case 'INT':
    case 'ENUM': {
      const be = isBigEndian(btf, id);
      if (typeof v === 'boolean') return writeInt(out, off, t.size, v ? 1 : 0, be);
      if (typeof v === 'number' && Number.isSafeInteger(v)) return withPath(path, writeInt(out, off, t.size, v, be));
      if (typeof v === 'string') {
        const ip = parseIp(v);
        // An IPv4 address is network order whatever the field's declared endianness.
        if (ip?.family === 4 && t.size === 4) {
          out.set(ip.bytes, off);
          return undefined;
        }
        if (t.kind === 'ENUM') {
          const e = t.values.find((x) => x.name === v);
          if (e) return withPath(path, writeInt(out, off, t.size, e.value, be));
          return `${path}: expected one of ${t.values.map((x) => x.name).join(', ')} or a number, got ${JSON.stringify(v)}`;
        }
        if (/^0x[0-9a-f]+$/i.test(v)) return withPath(path, writeInt(out, off, t.size, BigInt(v), be));
      }
      return `${path}: expected an integer${t.size === 4 ? ' or an IPv4 address' : ''}, got ${JSON.stringify(v)}`;
    }
    case 'ARRAY': {
      const elem = resolveType(btf, t.type);
      const elemSize = t.nelems > 0 ? sizeOfResolved(btf, t.type) : 0;
      if (typeof v === 'string' && elemSize === 1) {
        const bytes = stringBytes(v, t.nelems);
        if (!bytes) return `${path}: expected ${t.nelems} bytes (hex, a MAC or an IPv6 address), got ${JSON.stringify(v)}`;
        out.set(bytes, off);
        return undefined;
      }
      if (!Array.isArray(v)) return `${path}: expected a list of ${t.nelems} ${elem.kind === 'INT' ? 'integers' : 'items'}`;
      if (v.length > t.nelems) return `${path}: ${v.length} items for an array of ${t.nelems}`;
      for (let i = 0; i < v.length; i++) {
        const e = encodeBtf(btf, t.type, v[i], out, off + i * elemSize, `${path}[${i}]`);
        if (e) return e;
      }
      return undefined;
    }
    case 'STRUCT': {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${path}: expected a mapping of the fields of struct ${t.name || '(anonymous)'}`;
      const names = t.members.map((m) => m.name);
      for (const k of Object.keys(v)) {
        if (!names.includes(k)) return `${path}: struct ${t.name || '(anonymous)'} has no field "${k}" (fields: ${names.join(', ')})`;
      }
      for (const m of t.members) {
        const fv = (v as Record<string, unknown>)[m.name];
        if (fv === undefined) continue; // unnamed fields and padding stay zero
        if (m.bitfieldSize !== 0 || m.bitOffset % 8 !== 0) return `${path}.${m.name}: bitfields cannot be written in a scenario; give the ${path} as hex`;
        const e = encodeBtf(btf, m.type, fv, out, off + m.bitOffset / 8, `${path}.${m.name}`);
        if (e) return e;
      }
      return undefined;
    }
    default:
      return `${path}: a ${t.kind.toLowerCase()} cannot be written in a scenario; give the bytes as hex`;
  }
}

function sizeOfResolved(btf: Btf, id: number): number {
  const t = resolveType(btf, id);
  if ('size' in t && typeof t.size === 'number') return t.size;
  if (t.kind === 'ARRAY') return t.nelems * sizeOfResolved(btf, t.type);
  if (t.kind === 'PTR') return 8;
  return 0;
}

function stringBytes(v: string, n: number): Uint8Array | undefined {
  if (n === 6) {
    const m = parseMacText(v);
    if (m) return Uint8Array.from(m.split(':').map((x) => parseInt(x, 16)));
  }
  const ip = parseIp(v);
  if (ip && ip.bytes.length === n) return ip.bytes;
  const b = parseHexBytes(v);
  return b && b.length === n ? b : undefined;
}

const withPath = (path: string, err: string | undefined): string | undefined => (err ? `${path}: ${err}` : undefined);
