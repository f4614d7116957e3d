/** Shared helpers for the map tests: a fresh memory, byte builders, key walks. */
import { Memory } from '../../../src/ebpf/vm/memory.ts';
import { createMap, type BpfMap, type CreateOptions, type MapDef } from '../../../src/ebpf/maps/index.ts';

export function setup(): Memory {
  return new Memory();
}

export function def(type: string, keySize: number, valueSize: number, maxEntries: number, flags = 0, extra: Partial<MapDef> = {}): MapDef {
  return { name: 'm', type: `BPF_MAP_TYPE_${type}`, keySize, valueSize, maxEntries, flags, ...extra };
}

export function make<T extends BpfMap = BpfMap>(d: MapDef, opts: Partial<CreateOptions> = {}, mem = setup()): { m: T; mem: Memory } {
  return { m: createMap(d, mem, { nCpus: 2, ...opts }) as T, mem };
}

/** Little-endian u32. */
export function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
}

/** Little-endian u64. */
export function u64(n: number | bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n), true);
  return b;
}

export const readU32 = (b: Uint8Array): number => new DataView(b.buffer, b.byteOffset, b.length).getUint32(0, true);
export const readU64 = (b: Uint8Array): bigint => new DataView(b.buffer, b.byteOffset, b.length).getBigUint64(0, true);

/** Every key in get_next_key order, starting from no key, as bpftool's dump walks a map. */
export function walk(m: BpfMap): Uint8Array[] {
  const out: Uint8Array[] = [];
  let k: Uint8Array | undefined;
  while ((k = m.nextKey(k)) !== undefined) {
    out.push(k);
    if (out.length > 100_000) throw new Error('get_next_key loops');
  }
  return out;
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
