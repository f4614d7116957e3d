/**
 * BPF_MAP_TYPE_ARRAY and BPF_MAP_TYPE_PERCPU_ARRAY; models kernel/bpf/arraymap.c:
 * array_map_alloc_check(), array_map_update_elem(), bpf_percpu_array_update(),
 * array_map_delete_elem(), array_map_get_next_key(), array_map_direct_value_addr().
 *
 * Elements live in one zeroed buffer per CPU, as the kernel preallocates them; a program gets a
 * region per element (made on first use), so an access past one value faults even when the
 * next element follows in the buffer. Global data (.data/.bss/.rodata) are one-element arrays:
 * `valueAddr()` gives BPF_PSEUDO_MAP_VALUE's address, BPF_F_RDONLY_PROG makes the value
 * read-only for programs, `freeze()` makes it read-only for user space.
 */
import { Memory, type Region } from '../vm/memory.ts';
import { BaseMap, roundUp8, u32Bytes, u32Key } from './base.ts';
import { accessOk, extraFlags, fail } from './check.ts';
import {
  BPF_EXIST, BPF_F_ACCESS_MASK, BPF_F_INNER_MAP, BPF_F_LOCK, BPF_F_MMAPABLE, BPF_F_NUMA_NODE, BPF_F_PRESERVE_ELEMS,
  BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG, BPF_NOEXIST, PCPU_MIN_UNIT_SIZE,
} from './constants.ts';
import { E2BIG, EEXIST, EINVAL, ENOENT, ENOMEM, ENOTSUPP } from './errno.ts';
import { MapError, type CreateOptions, type MapDef, type MapEntry, type MapResult, type MapValue } from './types.ts';

export const ARRAY_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_MMAPABLE | BPF_F_ACCESS_MASK | BPF_F_PRESERVE_ELEMS | BPF_F_INNER_MAP;
/** chainlab's own cap on preallocated memory per map; the kernel would fail the allocation. */
export const MAX_MAP_BYTES = 1 << 30;

/** array_map_alloc_check() and the size checks of array_map_alloc(). */
export function checkArray(def: MapDef, nCpus: number): void {
  const percpu = def.type === 'BPF_MAP_TYPE_PERCPU_ARRAY';
  if (def.maxEntries === 0 || def.keySize !== 4 || def.valueSize === 0) fail(-EINVAL, def, 'key_size must be 4, value_size and max_entries non-zero');
  if (def.flags & ~ARRAY_CREATE_FLAG_MASK || !accessOk(def.flags)) fail(-EINVAL, def, `unknown flags ${extraFlags(def.flags, ARRAY_CREATE_FLAG_MASK)}`);
  if (def.type !== 'BPF_MAP_TYPE_ARRAY' && def.flags & (BPF_F_MMAPABLE | BPF_F_INNER_MAP)) fail(-EINVAL, def, 'BPF_F_MMAPABLE and BPF_F_INNER_MAP are for ARRAY only');
  if (def.type !== 'BPF_MAP_TYPE_PERF_EVENT_ARRAY' && def.flags & BPF_F_PRESERVE_ELEMS) fail(-EINVAL, def, 'BPF_F_PRESERVE_ELEMS is for PERF_EVENT_ARRAY only');
  if (def.valueSize > 0x7fff_ffff) fail(-E2BIG, def, 'value_size too large');
  if (percpu && roundUp8(def.valueSize) > PCPU_MIN_UNIT_SIZE) fail(-E2BIG, def, `per-CPU value_size above ${PCPU_MIN_UNIT_SIZE}`);
  // The kernel rounds max_entries up to a power of two (index masking against speculation).
  if (def.maxEntries > 2 ** 31) fail(-E2BIG, def, 'max_entries too large');
  if (def.maxEntries * roundUp8(def.valueSize) * (percpu ? nCpus : 1) > MAX_MAP_BYTES) fail(-ENOMEM, def, 'map does not fit chainlab\'s 1 GiB limit');
}

export class ArrayMap extends BaseMap {
  readonly percpu: boolean;
  /** Element storage, one buffer per CPU (one for a plain array). */
  private readonly data: Uint8Array[];
  /** Regions handed to programs, made on first use: per CPU, by index. */
  private readonly regions: Map<number, Region>[];

  constructor(def: MapDef, mem: Memory, opts: CreateOptions) {
    super(def, mem, opts);
    this.percpu = def.type === 'BPF_MAP_TYPE_PERCPU_ARRAY';
    const copies = this.percpu ? opts.nCpus : 1;
    this.data = Array.from({ length: copies }, () => new Uint8Array(def.maxEntries * def.valueSize));
    this.regions = Array.from({ length: copies }, () => new Map<number, Region>());
  }

  /** Address of element `index` (BPF_PSEUDO_MAP_VALUE, global data). */
  valueAddr(index = 0, cpu = 0): bigint {
    if (index >= this.def.maxEntries || cpu >= this.data.length) {
      throw new MapError(-EINVAL, `map '${this.def.name}': no element ${index}${this.percpu ? ` on cpu ${cpu}` : ''}`);
    }
    return Memory.addr(this.elemRegion(cpu, index), 0);
  }

  /** array_map_direct_value_addr(): only one-element arrays, offset inside the value. */
  directValueAddr(off: number): bigint | number {
    if (this.def.maxEntries !== 1 || this.percpu) return -ENOTSUPP;
    if (off >= this.def.valueSize) return -EINVAL;
    return this.valueAddr(0) + BigInt(off);
  }

  // ---- program side ----

  override lookupElemAddr(key: Uint8Array, cpu: number): bigint {
    const r = this.lookupElemRegion(key, cpu);
    return r === undefined ? 0n : Memory.addr(r, 0);
  }

  lookupElemRegion(key: Uint8Array, cpu: number): Region | undefined {
    const index = u32Key(key);
    const copy = this.percpu ? cpu : 0;
    if (index >= this.def.maxEntries || copy >= this.data.length) return undefined;
    return this.elemRegion(copy, index);
  }

  /** array_map_update_elem(): a per-CPU array updated by a program changes only that CPU. */
  override updateElem(key: Uint8Array, value: Uint8Array, flags: bigint, cpu: number): number {
    const index = u32Key(key);
    if ((flags & ~BPF_F_LOCK) > BPF_EXIST) return -EINVAL;
    if (index >= this.def.maxEntries) return -E2BIG;
    if (flags & BPF_NOEXIST) return -EEXIST;
    if (flags & BPF_F_LOCK && this.def.spinLockOff === undefined) return -EINVAL;
    const copy = this.percpu ? cpu : 0;
    if (copy < this.data.length) this.copyValue(this.elem(copy, index), value);
    return 0;
  }

  override deleteElem(_key: Uint8Array, _cpu: number): number {
    return -EINVAL;
  }

  // ---- user side ----

  protected sysLookup(key: Uint8Array): MapResult<MapValue> {
    const index = u32Key(key);
    if (index >= this.def.maxEntries) return { err: -ENOENT };
    return { err: 0, data: this.valueOf(index) };
  }

  protected sysUpdate(key: Uint8Array, value: MapValue, flags: bigint): number {
    if (!this.percpu) return this.updateElem(key, this.single(value), flags, 0);
    // bpf_percpu_array_update(): every CPU, and no BPF_F_LOCK.
    const index = u32Key(key);
    if (flags > BPF_EXIST) return -EINVAL;
    if (index >= this.def.maxEntries) return -E2BIG;
    if (flags === BPF_NOEXIST) return -EEXIST;
    this.perCpu(value).forEach((v, c) => this.copyValue(this.elem(c, index), v));
    return 0;
  }

  protected sysNextKey(key?: Uint8Array): MapResult<Uint8Array> {
    return arrayNextKey(key, this.def.maxEntries);
  }

  entries(): MapEntry[] {
    return Array.from({ length: this.def.maxEntries }, (_, i) => {
      const v = this.valueOf(i);
      return Array.isArray(v) ? { key: u32Bytes(i), values: v } : { key: u32Bytes(i), value: v };
    });
  }

  protected releaseValues(): void {
    for (const m of this.regions) {
      for (const r of m.values()) this.freeRegion(r);
      m.clear();
    }
  }

  private override valueOf(index: number): MapValue {
    return this.percpu ? this.data.map((_, c) => this.readValue(this.elem(c, index))) : this.readValue(this.elem(0, index));
  }

  private elem(copy: number, index: number): Uint8Array {
    const size = this.def.valueSize;
    return this.data[copy].subarray(index * size, (index + 1) * size);
  }

  private elemRegion(copy: number, index: number): Region {
    let r = this.regions[copy].get(index);
    if (r === undefined) {
      r = this.newValueRegion(this.elem(copy, index), this.percpu ? copy : undefined);
      if (this.def.maxEntries > 1) r.name += ` [${index}]`;
      this.regions[copy].set(index, r);
    }
    return r;
  }
}

/** array_map_get_next_key(): by index; an absent or out-of-range key starts over at 0. */
export function arrayNextKey(key: Uint8Array | undefined, maxEntries: number): MapResult<Uint8Array> {
  const index = key === undefined ? 0xffff_ffff : u32Key(key);
  if (index >= maxEntries) return { err: 0, data: u32Bytes(0) };
  if (index === maxEntries - 1) return { err: -ENOENT };
  return { err: 0, data: u32Bytes(index + 1) };
}

/** fd_array_map_alloc_check(): PROG_ARRAY, PERF_EVENT_ARRAY and ARRAY_OF_MAPS store fds. */
export function checkFdArray(def: MapDef, nCpus: number): void {
  if (def.valueSize !== 4) fail(-EINVAL, def, 'value_size must be 4 (an fd)');
  if (def.flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) fail(-EINVAL, def, 'BPF_F_RDONLY_PROG/BPF_F_WRONLY_PROG are not supported here');
  checkArray(def, nCpus);
}
