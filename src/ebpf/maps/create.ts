/**
 * Making live maps from definitions, as kernel/bpf/syscall.c: map_create() does: the checks
 * common to all maps (access flags, known type, sizes as u32, the object name), then the
 * family's own map_alloc_check(), then the map. Also the reverse of a map handle.
 */
import { BaseMap } from './base.ts';
import { ArrayMap, checkArray, checkFdArray } from './array.ts';
import { CpuMap, checkCpumap } from './cpumap.ts';
import { DevMap, checkDevmap } from './devmap.ts';
import { BPF_F_RDONLY, BPF_F_WRONLY, MAP_TYPE_IDS } from './constants.ts';
import { EINVAL } from './errno.ts';
import { fail } from './check.ts';
import { HashMap, checkHash, isLruHash } from './hash.ts';
import { LpmTrieMap, checkLpmTrie } from './lpm-trie.ts';
import { LruHashMap } from './lru-hash.ts';
import { MapInMap, checkMapInMap } from './map-in-map.ts';
import { PerfEventArrayMap } from './perf-event-array.ts';
import { ProgArrayMap } from './prog-array.ts';
import { QueueStackMap, checkQueueStack } from './queue-stack.ts';
import { RingBufMap, checkRingbuf } from './ringbuf.ts';
import { SockMap, checkSockmap } from './sockmap.ts';
import { XskMap, checkXskmap } from './xskmap.ts';
import type { BpfMap, CreateOptions, MapDef } from './types.ts';
import type { Memory } from '../vm/memory.ts';

type Family = {
  check(def: MapDef, opts: CreateOptions): void;
  make(def: MapDef, mem: Memory, opts: CreateOptions): BaseMap;
};

const hash: Family = {
  check: (def) => checkHash(def),
  make: (def, mem, opts) => (isLruHash(def.type) ? new LruHashMap(def, mem, opts) : new HashMap(def, mem, opts)),
};
const array: Family = { check: (def, o) => checkArray(def, o.nCpus), make: (d, m, o) => new ArrayMap(d, m, o) };
const devmap: Family = { check: checkDevmap, make: (d, m, o) => new DevMap(d, m, o) };
const sockmap: Family = { check: checkSockmap, make: (d, m, o) => new SockMap(d, m, o) };
const mapInMap: Family = {
  check: (def, o) => checkMapInMap(def, o.nCpus, (inner) => checkDef(inner, o)),
  make: (d, m, o) => new MapInMap(d, m, o),
};
const queueStack: Family = { check: checkQueueStack, make: (d, m, o) => new QueueStackMap(d, m, o) };

/** The map types chainlab models. */
const FAMILIES: Readonly<Record<string, Family>> = {
  BPF_MAP_TYPE_HASH: hash,
  BPF_MAP_TYPE_PERCPU_HASH: hash,
  BPF_MAP_TYPE_LRU_HASH: hash,
  BPF_MAP_TYPE_LRU_PERCPU_HASH: hash,
  BPF_MAP_TYPE_ARRAY: array,
  BPF_MAP_TYPE_PERCPU_ARRAY: array,
  BPF_MAP_TYPE_LPM_TRIE: { check: checkLpmTrie, make: (d, m, o) => new LpmTrieMap(d, m, o) },
  BPF_MAP_TYPE_PROG_ARRAY: { check: (d, o) => checkFdArray(d, o.nCpus), make: (d, m, o) => new ProgArrayMap(d, m, o) },
  BPF_MAP_TYPE_PERF_EVENT_ARRAY: { check: (d, o) => checkFdArray(d, o.nCpus), make: (d, m, o) => new PerfEventArrayMap(d, m, o) },
  BPF_MAP_TYPE_DEVMAP: devmap,
  BPF_MAP_TYPE_DEVMAP_HASH: devmap,
  BPF_MAP_TYPE_CPUMAP: { check: checkCpumap, make: (d, m, o) => new CpuMap(d, m, o) },
  BPF_MAP_TYPE_XSKMAP: { check: checkXskmap, make: (d, m, o) => new XskMap(d, m, o) },
  BPF_MAP_TYPE_SOCKMAP: sockmap,
  BPF_MAP_TYPE_SOCKHASH: sockmap,
  BPF_MAP_TYPE_RINGBUF: { check: checkRingbuf, make: (d, m, o) => new RingBufMap(d, m, o) },
  BPF_MAP_TYPE_QUEUE: queueStack,
  BPF_MAP_TYPE_STACK: queueStack,
  BPF_MAP_TYPE_ARRAY_OF_MAPS: mapInMap,
  BPF_MAP_TYPE_HASH_OF_MAPS: mapInMap,
};

export const SUPPORTED_MAP_TYPES: readonly string[] = Object.keys(FAMILIES);

const isU32 = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff;

/** bpf_obj_name_cpy(): up to 15 characters of [A-Za-z0-9_.]. */
const NAME_RE = /^[A-Za-z0-9_.]{0,15}$/;

/** Validate a definition as map_create() would, throwing a MapError with the kernel's errno. */
export function checkDef(def: MapDef, opts: CreateOptions): void {
  if (def.flags & BPF_F_RDONLY && def.flags & BPF_F_WRONLY) fail(-EINVAL, def, 'BPF_F_RDONLY and BPF_F_WRONLY together');
  if (!(def.type in MAP_TYPE_IDS)) fail(-EINVAL, def, 'unknown map type');
  const family = FAMILIES[def.type];
  if (family === undefined) fail(-EINVAL, def, `chainlab does not model this map type (supported: ${SUPPORTED_MAP_TYPES.join(', ')})`);
  if (![def.keySize, def.valueSize, def.maxEntries].every(isU32) || !isU32(def.flags)) fail(-EINVAL, def, 'sizes and flags must be 32-bit unsigned integers');
  family.check(def, opts);
  if (!NAME_RE.test(def.name)) fail(-EINVAL, def, 'name must be at most 15 characters of letters, digits, _ and .');
}

/**
 * Create a live map in `mem`. Throws MapError (with the kernel's errno and a message naming the
 * map) for a definition the kernel would refuse.
 */
export function createMap(def: MapDef, mem: Memory, opts: CreateOptions): BpfMap {
  if (!Number.isInteger(opts.nCpus) || opts.nCpus < 1) fail(-EINVAL, def, `nCpus must be a positive integer, got ${opts.nCpus}`);
  checkDef(def, opts);
  return (FAMILIES[def.type] as Family).make(def, mem, opts);
}

/** The live map behind a map handle (what LD_IMM64 BPF_PSEUDO_MAP_FD loaded), if `addr` is one. */
export function mapFromHandle(mem: Memory, addr: bigint): BpfMap | undefined {
  const r = mem.regionOf(addr);
  if (r === undefined || r.kind !== 'map' || (addr & 0xffff_ffffn) !== 0n) return undefined;
  return r.owner instanceof BaseMap ? r.owner : undefined;
}
