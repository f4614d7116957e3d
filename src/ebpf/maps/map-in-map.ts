/**
 * BPF_MAP_TYPE_ARRAY_OF_MAPS and BPF_MAP_TYPE_HASH_OF_MAPS; models kernel/bpf/map_in_map.c
 * (bpf_map_meta_alloc(), bpf_map_meta_equal(), bpf_map_fd_get_ptr()) with the fd maps of
 * kernel/bpf/arraymap.c and kernel/bpf/hashtab.c.
 *
 * The definition's `innerMap` is the template (libbpf's inner map): every map stored must match
 * its type, key and value sizes and flags, and for ARRAY also max_entries unless the template
 * has BPF_F_INNER_MAP. A program's lookup returns the inner map's handle, which it passes on to
 * bpf_map_lookup_elem(); user space sees inner maps by id.
 */
import type { Memory } from '../vm/memory.ts';
import { BaseMap, u32Bytes, u32Key } from './base.ts';
import { arrayNextKey, checkFdArray } from './array.ts';
import { BucketTable, roundupPowOfTwo } from './buckets.ts';
import { fail } from './check.ts';
import { BPF_ANY, BPF_EXIST, BPF_F_INNER_MAP, BPF_F_LOCK } from './constants.ts';
import { E2BIG, EBADF, EINVAL, ENOENT, ENOTSUPP } from './errno.ts';
import { checkFlags, checkHash } from './hash.ts';
import { htabHash } from './jhash.ts';
import type { BpfMap, CreateOptions, MapDef, MapEntry, MapResult, MapValue } from './types.ts';

/** Types without map_meta_equal in the kernel cannot be inner maps. */
const NOT_INNER = new Set(['BPF_MAP_TYPE_PROG_ARRAY', 'BPF_MAP_TYPE_CGROUP_STORAGE', 'BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE', 'BPF_MAP_TYPE_STRUCT_OPS']);
const MAP_IN_MAP = new Set(['BPF_MAP_TYPE_ARRAY_OF_MAPS', 'BPF_MAP_TYPE_HASH_OF_MAPS']);

/** fd_array/fd_htab alloc checks and bpf_map_meta_alloc(). `checkInner` validates the template as a map. */
export function checkMapInMap(def: MapDef, nCpus: number, checkInner: (inner: MapDef) => void): void {
  if (def.type === 'BPF_MAP_TYPE_ARRAY_OF_MAPS') checkFdArray(def, nCpus);
  else {
    if (def.valueSize !== 4) fail(-EINVAL, def, 'value_size must be 4 (an fd)');
    checkHash(def);
  }
  const inner = def.innerMap;
  if (inner === undefined) fail(-EBADF, def, 'needs an inner map (innerMap template)');
  if (MAP_IN_MAP.has(inner.type)) fail(-EINVAL, def, 'inner maps cannot hold maps themselves');
  if (NOT_INNER.has(inner.type)) fail(-ENOTSUPP, def, `${inner.type} cannot be an inner map`);
  checkInner(inner);
}

/** bpf_map_meta_equal(), with array_map_meta_equal()'s max_entries rule. */
export function innerCompatible(meta: MapDef, m: MapDef): boolean {
  if (meta.type !== m.type || meta.keySize !== m.keySize || meta.valueSize !== m.valueSize || meta.flags !== m.flags) return false;
  if (meta.spinLockOff !== m.spinLockOff) return false;
  if (meta.type === 'BPF_MAP_TYPE_ARRAY' && !(meta.flags & BPF_F_INNER_MAP)) return meta.maxEntries === m.maxEntries;
  return true;
}

interface InnerEntry {
  readonly key: Uint8Array;
  readonly map: BpfMap;
}

export class MapInMap extends BaseMap {
  readonly hashed: boolean;
  private readonly slots: (BpfMap | undefined)[] = [];
  private readonly table: BucketTable<InnerEntry>;

  constructor(def: MapDef, mem: Memory, opts: CreateOptions) {
    super(def, mem, opts);
    this.hashed = def.type === 'BPF_MAP_TYPE_HASH_OF_MAPS';
    if (!this.hashed) this.slots = new Array<BpfMap | undefined>(def.maxEntries).fill(undefined);
    this.table = new BucketTable<InnerEntry>(roundupPowOfTwo(def.maxEntries), (k) => htabHash(k, 0));
  }

  /** The inner map under `key`. */
  inner(key: Uint8Array | number): BpfMap | undefined {
    const k = typeof key === 'number' ? u32Bytes(key) : key;
    return this.hashed ? this.table.get(k)?.map : this.slots[u32Key(k)];
  }

  /** Store an inner map: the typed form of an update with a map fd. */
  setInner(key: Uint8Array | number, map: BpfMap, flags = BPF_ANY): number {
    const k = typeof key === 'number' ? u32Bytes(key) : key;
    if (!this.hashed) {
      if (flags !== BPF_ANY) return -EINVAL;
      if (u32Key(k) >= this.def.maxEntries) return -E2BIG;
    }
    if (!innerCompatible(this.def.innerMap as MapDef, map.def)) return -EINVAL;
    if (!this.hashed) {
      this.slots[u32Key(k)] = map;
      return 0;
    }
    // htab_map_update_elem() with the map pointer as the value.
    if ((flags & ~BPF_F_LOCK) > BPF_EXIST || flags & BPF_F_LOCK) return -EINVAL;
    const old = this.table.get(k);
    const err = checkFlags(old, flags);
    if (err !== 0) return err;
    if (old === undefined && this.table.size >= this.def.maxEntries) return -E2BIG;
    this.table.addHead({ key: k.slice(), map });
    return 0;
  }

  /** A program's lookup: the inner map's handle, which it can pass to the map helpers. */
  override lookupElemAddr(key: Uint8Array, _cpu: number): bigint {
    return this.inner(key)?.handle ?? 0n;
  }

  protected sysLookup(key: Uint8Array): MapResult<MapValue> {
    const m = this.inner(key);
    return m === undefined ? { err: -ENOENT } : { err: 0, data: u32Bytes(m.id) };
  }

  protected sysUpdate(key: Uint8Array, value: MapValue, flags: bigint): number {
    const v = this.single(value);
    if (!this.hashed) {
      // bpf_fd_array_map_update_elem() checks flags and index before the fd.
      if (flags !== BPF_ANY) return -EINVAL;
      if (u32Key(key) >= this.def.maxEntries) return -E2BIG;
    }
    const entry = this.host.fd?.(u32Key(v));
    if (entry === undefined) return -EBADF;
    if (entry.kind !== 'map' || !isMap(entry.obj)) return -EINVAL;
    return this.setInner(key, entry.obj, flags);
  }

  protected override sysDelete(key: Uint8Array): number {
    if (this.hashed) return this.table.remove(key) === undefined ? -ENOENT : 0;
    const i = u32Key(key);
    if (i >= this.def.maxEntries) return -E2BIG;
    if (this.slots[i] === undefined) return -ENOENT;
    this.slots[i] = undefined;
    return 0;
  }

  protected sysNextKey(key?: Uint8Array): MapResult<Uint8Array> {
    if (!this.hashed) return arrayNextKey(key, this.def.maxEntries);
    const e = this.table.next(key);
    return e === undefined ? { err: -ENOENT } : { err: 0, data: e.key.slice() };
  }

  entries(): MapEntry[] {
    if (this.hashed) return this.table.sorted().map((e) => ({ key: e.key.slice(), value: u32Bytes(e.map.id) }));
    const out: MapEntry[] = [];
    this.slots.forEach((m, i) => {
      if (m !== undefined) out.push({ key: u32Bytes(i), value: u32Bytes(m.id) });
    });
    return out;
  }

  /** Inner maps live on their own: the outer map only drops its references. */
  protected releaseValues(): void {
    this.slots.fill(undefined);
    this.table.clear();
  }
}

const isMap = (o: unknown): o is BpfMap => o instanceof BaseMap;
