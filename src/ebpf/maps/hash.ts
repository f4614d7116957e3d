/**
 * BPF_MAP_TYPE_HASH and BPF_MAP_TYPE_PERCPU_HASH; models kernel/bpf/hashtab.c:
 * htab_map_alloc_check(), htab_map_update_elem(), __htab_percpu_map_update_elem(),
 * htab_map_delete_elem(), htab_map_get_next_key().
 *
 * Iteration follows the kernel's bucket order computed with hash seed 0, which is exactly the
 * kernel's order for maps created with BPF_F_ZERO_SEED (the kernel seeds other maps randomly).
 * Each value is its own region; replacing an element (non-per-CPU update of an existing key)
 * allocates a new one, as the kernel does, so a pointer a program kept to the old value no
 * longer reaches the map: the old region is freed, so the pointer faults, or reaches whichever
 * element later reuses the region's tag (as the kernel reuses element memory).
 */
import { Memory, type Region } from '../vm/memory.ts';
import { BaseMap } from './base.ts';
import { BucketTable, roundupPowOfTwo } from './buckets.ts';
import { fail, accessOk, extraFlags } from './check.ts';
import {
  BPF_EXIST, BPF_F_ACCESS_MASK, BPF_F_LOCK, BPF_F_NO_COMMON_LRU, BPF_F_NO_PREALLOC, BPF_F_NUMA_NODE, BPF_F_ZERO_SEED,
  BPF_NOEXIST, KMALLOC_MAX_SIZE, PCPU_MIN_UNIT_SIZE,
} from './constants.ts';
import { E2BIG, EEXIST, EINVAL, ENOENT, ENOTSUPP } from './errno.ts';
import { htabHash } from './jhash.ts';
import { roundUp8 } from './base.ts';
import type { CreateOptions, MapDef, MapEntry, MapResult, MapValue } from './types.ts';

export interface HashElem {
  readonly key: Uint8Array;
  /** One region, or one per CPU. */
  readonly values: Region[];
  /** LRU list the element belongs to (BPF_F_NO_COMMON_LRU keeps one list per CPU). */
  lru: number;
}

const HTAB_CREATE_FLAG_MASK = BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE | BPF_F_ACCESS_MASK | BPF_F_ZERO_SEED;
/** sizeof(struct htab_elem) on x86-64. */
const HTAB_ELEM_SIZE = 48;

export const isPercpuHash = (type: string): boolean => type === 'BPF_MAP_TYPE_PERCPU_HASH' || type === 'BPF_MAP_TYPE_LRU_PERCPU_HASH';
export const isLruHash = (type: string): boolean => type === 'BPF_MAP_TYPE_LRU_HASH' || type === 'BPF_MAP_TYPE_LRU_PERCPU_HASH';

/** htab_map_alloc_check(). */
export function checkHash(def: MapDef): void {
  const percpu = isPercpuHash(def.type);
  const lru = isLruHash(def.type);
  if (def.flags & ~HTAB_CREATE_FLAG_MASK || !accessOk(def.flags)) fail(-EINVAL, def, `unknown flags ${extraFlags(def.flags, HTAB_CREATE_FLAG_MASK)}`);
  if (!lru && def.flags & BPF_F_NO_COMMON_LRU) fail(-EINVAL, def, 'BPF_F_NO_COMMON_LRU needs an LRU map');
  if (lru && def.flags & BPF_F_NO_PREALLOC) fail(-ENOTSUPP, def, 'LRU maps are always preallocated (BPF_F_NO_PREALLOC)');
  if (def.maxEntries === 0 || def.keySize === 0 || def.valueSize === 0) fail(-EINVAL, def, 'key_size, value_size and max_entries must be non-zero');
  if (def.keySize + def.valueSize >= KMALLOC_MAX_SIZE - HTAB_ELEM_SIZE) fail(-E2BIG, def, 'key_size + value_size too large');
  if (percpu && roundUp8(def.valueSize) > PCPU_MIN_UNIT_SIZE) fail(-E2BIG, def, `per-CPU value_size above ${PCPU_MIN_UNIT_SIZE}`);
}

export class HashMap extends BaseMap {
  readonly percpu: boolean;
  protected readonly table: BucketTable<HashElem>;

  constructor(def: MapDef, mem: Memory, opts: CreateOptions) {
    super(def, mem, opts);
    this.percpu = isPercpuHash(def.type);
    this.table = new BucketTable<HashElem>(roundupPowOfTwo(def.maxEntries), (k) => htabHash(k, 0));
  }

  /** Number of elements. */
  get count(): number {
    return this.table.size;
  }

  // ---- program side ----

  override lookupElemAddr(key: Uint8Array, cpu: number): bigint {
    const r = this.lookupElemRegion(key, cpu);
    return r === undefined ? 0n : Memory.addr(r, 0);
  }

  lookupElemRegion(key: Uint8Array, cpu: number): Region | undefined {
    const e = this.progLookup(key);
    return e === undefined ? undefined : e.values[this.percpu ? cpu : 0];
  }

  override updateElem(key: Uint8Array, value: Uint8Array, flags: bigint, cpu: number): number {
    return this.doUpdate(key, [value], flags, cpu, false);
  }

  override deleteElem(key: Uint8Array, _cpu: number): number {
    const e = this.table.remove(key);
    if (e === undefined) return -ENOENT;
    this.dropElem(e);
    return 0;
  }

  // ---- user side ----

  protected sysLookup(key: Uint8Array): MapResult<MapValue> {
    const e = this.table.get(key);
    if (e === undefined) return { err: -ENOENT };
    return { err: 0, data: this.percpu ? e.values.map((r) => this.readValue(r.bytes)) : this.readValue(e.values[0].bytes) };
  }

  protected sysUpdate(key: Uint8Array, value: MapValue, flags: bigint): number {
    return this.doUpdate(key, this.percpu ? this.perCpu(value) : [this.single(value)], flags, 0, true);
  }

  protected sysNextKey(key?: Uint8Array): MapResult<Uint8Array> {
    const e = this.table.next(key);
    return e === undefined ? { err: -ENOENT } : { err: 0, data: e.key.slice() };
  }

  entries(): MapEntry[] {
    return this.table.sorted().map((e) =>
      this.percpu
        ? { key: e.key.slice(), values: e.values.map((r) => this.readValue(r.bytes)) }
        : { key: e.key.slice(), value: this.readValue(e.values[0].bytes) },
    );
  }

  protected releaseValues(): void {
    for (const e of this.table.inOrder()) for (const r of e.values) this.freeRegion(r);
    this.table.clear();
  }

  // ---- the kernel's update paths ----

  /** The element a program's lookup sees (LRU maps also mark it used). */
  protected progLookup(key: Uint8Array): HashElem | undefined {
    return this.table.get(key);
  }

  /**
   * `values` holds one value (program side, or a non-per-CPU map) or one per CPU (user side of a
   * per-CPU map, `onAllCpus`). A program's update of a per-CPU map writes only its own CPU.
   */
  protected doUpdate(key: Uint8Array, values: Uint8Array[], flags: bigint, cpu: number, onAllCpus: boolean): number {
    if (this.percpu) return this.percpuUpdate(key, values, flags, cpu, onAllCpus);
    if ((flags & ~BPF_F_LOCK) > BPF_EXIST) return -EINVAL;
    if (flags & BPF_F_LOCK && this.def.spinLockOff === undefined) return -EINVAL;
    const old = this.table.get(key);
    const err = checkFlags(old, flags);
    if (err !== 0) return err;
    if (old !== undefined && flags & BPF_F_LOCK) {
      // copy_map_value_locked(): in place, under the element's lock.
      this.copyValue(old.values[0].bytes, values[0]);
      return 0;
    }
    // Preallocated maps keep spare elements for replacing an existing key, so only a new key can fail.
    if (old === undefined && this.table.size >= this.def.maxEntries) return -E2BIG;
    this.insert(key, [this.freshValue(values[0])], 0);
    return 0;
  }

  private percpuUpdate(key: Uint8Array, values: Uint8Array[], flags: bigint, cpu: number, onAllCpus: boolean): number {
    if (flags > BPF_EXIST) return -EINVAL;
    const old = this.table.get(key);
    const err = checkFlags(old, flags);
    if (err !== 0) return err;
    if (old !== undefined) {
      this.writePercpu(old, values, cpu, onAllCpus);
      return 0;
    }
    if (this.table.size >= this.def.maxEntries) return -E2BIG;
    this.insert(key, this.initPercpu(values, cpu, onAllCpus), 0);
    return 0;
  }

  /** pcpu_copy_value(): every CPU from the user side, only the running CPU from a program. */
  protected writePercpu(e: HashElem, values: Uint8Array[], cpu: number, onAllCpus: boolean): void {
    if (onAllCpus) e.values.forEach((r, c) => this.copyValue(r.bytes, values[c]));
    else if (e.values[cpu] !== undefined) this.copyValue(e.values[cpu].bytes, values[0]);
  }

  /** pcpu_init_value(): a new element from a program starts at zero on the other CPUs. */
  protected initPercpu(values: Uint8Array[], cpu: number, onAllCpus: boolean): Region[] {
    return Array.from({ length: this.nCpus }, (_, c) => {
      const bytes = new Uint8Array(this.def.valueSize);
      if (onAllCpus) this.copyValue(bytes, values[c]);
      else if (c === cpu) this.copyValue(bytes, values[0]);
      return this.newValueRegion(bytes, c);
    });
  }

  protected freshValue(value: Uint8Array): Region {
    const bytes = new Uint8Array(this.def.valueSize);
    this.copyValue(bytes, value);
    return this.newValueRegion(bytes);
  }

  /** Add at the head of the bucket; an element with the same key is unlinked and freed. */
  protected insert(key: Uint8Array, values: Region[], lru: number): HashElem {
    const e: HashElem = { key: key.slice(), values, lru };
    const old = this.table.addHead(e);
    if (old !== undefined) this.dropElem(old);
    return e;
  }

  protected dropElem(e: HashElem): void {
    for (const r of e.values) this.freeRegion(r);
  }
}

/** check_flags(): BPF_NOEXIST on a present key, BPF_EXIST on an absent one. */
export function checkFlags(old: unknown, flags: bigint): number {
  const f = flags & ~BPF_F_LOCK;
  if (old !== undefined && f === BPF_NOEXIST) return -EEXIST;
  if (old === undefined && f === BPF_EXIST) return -ENOENT;
  return 0;
}
