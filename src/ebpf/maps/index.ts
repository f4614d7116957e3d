/**
 * Live eBPF maps with the kernel's semantics and error codes. Values live in engine memory:
 * a program's lookup returns a real pointer it can read and write through.
 *
 *   const m = createMap({ name: 'counters', type: 'BPF_MAP_TYPE_HASH', keySize: 4, valueSize: 8,
 *                         maxEntries: 1024, flags: 0 }, mem, { nCpus: 4 });
 *   m.update(key, value, BPF_NOEXIST);     // user side, like bpf(BPF_MAP_UPDATE_ELEM)
 *   const p = m.lookupElemAddr(key, cpu);  // program side, like bpf_map_lookup_elem()
 */
export { createMap, checkDef, mapFromHandle, SUPPORTED_MAP_TYPES } from './create.ts';
export { BaseMap, compareBytes } from './base.ts';
export { HashMap } from './hash.ts';
export { LruHashMap } from './lru-hash.ts';
export { ArrayMap } from './array.ts';
export { LpmTrieMap } from './lpm-trie.ts';
export { ProgArrayMap } from './prog-array.ts';
export { DevMap, type DevTarget } from './devmap.ts';
export { CpuMap, type CpuTarget } from './cpumap.ts';
export { XskMap } from './xskmap.ts';
export { SockMap } from './sockmap.ts';
export { RingBufMap } from './ringbuf.ts';
export { PerfEventArrayMap, PerfBuffer, type PerfRecord } from './perf-event-array.ts';
export { QueueStackMap } from './queue-stack.ts';
export { MapInMap, innerCompatible } from './map-in-map.ts';
export { jhash, jhash2, htabHash } from './jhash.ts';
export * from './constants.ts';
export * from './errno.ts';
export {
  MapError,
  type BpfMap,
  type CreateOptions,
  type FdObject,
  type MapDef,
  type MapEntry,
  type MapHost,
  type MapResult,
  type MapValue,
} from './types.ts';
