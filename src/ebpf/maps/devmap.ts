/**
 * BPF_MAP_TYPE_DEVMAP and BPF_MAP_TYPE_DEVMAP_HASH, the targets of bpf_redirect_map() for XDP;
 * models kernel/bpf/devmap.c: dev_map_init_map(), __dev_map_update_elem(),
 * __dev_map_hash_update_elem(), dev_map_delete_elem(), dev_map_hash_delete_elem(),
 * __dev_map_alloc_node() and both get_next_key functions.
 *
 * A value is `struct bpf_devmap_val`: the ifindex, and (8-byte values) a program fd to run on
 * the redirected frame. Lookups see the ifindex and the program's id, read-only (the kernel
 * sets BPF_F_RDONLY_PROG on these maps). Devices come from MapHost.netdev; without it every
 * non-zero ifindex is taken as a device.
 */
import { Memory, type Region } from '../vm/memory.ts';
import { BaseMap, u32Bytes, u32Key } from './base.ts';
import { arrayNextKey } from './array.ts';
import { BucketTable, roundupPowOfTwo } from './buckets.ts';
import { extraFlags, fail } from './check.ts';
import { BPF_EXIST, BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY, BPF_NOEXIST } from './constants.ts';
import { E2BIG, EEXIST, EINVAL, ENOENT } from './errno.ts';
import { objectId, progAttachType, progType } from './objects.ts';
import type { CreateOptions, MapDef, MapEntry, MapResult, MapValue } from './types.ts';

const DEV_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY;

/** dev_map_init_map()'s checks. */
export function checkDevmap(def: MapDef): void {
  if (def.maxEntries === 0 || def.keySize !== 4 || (def.valueSize !== 4 && def.valueSize !== 8)) {
    fail(-EINVAL, def, 'key_size must be 4, value_size 4 (ifindex) or 8 (ifindex + prog fd), max_entries non-zero');
  }
  if (def.flags & ~DEV_CREATE_FLAG_MASK) fail(-EINVAL, def, `unknown flags ${extraFlags(def.flags, DEV_CREATE_FLAG_MASK)}`);
}

/** Where a devmap entry sends frames. */
export interface DevTarget {
  readonly ifindex: number;
  /** The host's device object (MapHost.netdev), or the ifindex when there is no resolver. */
  readonly dev: unknown;
  /** Program run on each redirected frame (BPF_XDP_DEVMAP), if any. */
  readonly prog?: unknown;
}

interface DevEntry extends DevTarget {
  readonly key: Uint8Array;
  readonly value: Region;
}

export class DevMap extends BaseMap {
  readonly hashed: boolean;
  private readonly slots: (DevEntry | undefined)[] = [];
  private readonly table: BucketTable<DevEntry>;

  constructor(def: MapDef, mem: Memory, opts: CreateOptions) {
    // The value is a pointer into the kernel's device entry: programs may only read it.
    super({ ...def, flags: def.flags | BPF_F_RDONLY_PROG }, mem, opts);
    this.hashed = def.type === 'BPF_MAP_TYPE_DEVMAP_HASH';
    if (!this.hashed) this.slots = new Array<DevEntry | undefined>(def.maxEntries).fill(undefined);
    // dev_map_index_hash(): the bucket is the key's low bits.
    this.table = new BucketTable<DevEntry>(roundupPowOfTwo(def.maxEntries), (k) => u32Key(k));
  }

  /** The redirect target stored under `key`. */
  target(key: number): DevTarget | undefined {
    return this.find(key >>> 0);
  }

  /**
   * Every entry, in the order dev_map_enqueue_multi() walks them for BPF_F_BROADCAST: DEVMAP
   * slots by index, DEVMAP_HASH bucket by bucket (newest first within a bucket).
   */
  *targets(): IterableIterator<DevTarget> {
    if (this.hashed) yield* this.table.inOrder();
    else for (const e of this.slots) if (e !== undefined) yield e;
  }

  /** Store a target without going through fds: the typed form of an update. */
  setTarget(key: number, ifindex: number, prog?: unknown, flags = 0n): number {
    return this.store(u32Bytes(key), ifindex, prog === undefined ? undefined : { prog }, flags);
  }

  // ---- program side: lookup only (the verifier allows nothing else but redirect_map) ----

  override lookupElemAddr(key: Uint8Array, _cpu: number): bigint {
    const e = this.find(u32Key(key));
    return e === undefined ? 0n : Memory.addr(e.value, 0);
  }

  // ---- user side ----

  protected sysLookup(key: Uint8Array): MapResult<MapValue> {
    const e = this.find(u32Key(key));
    return e === undefined ? { err: -ENOENT } : { err: 0, data: e.value.bytes.slice() };
  }

  protected sysUpdate(key: Uint8Array, value: MapValue, flags: bigint): number {
    const v = this.single(value);
    const view = new DataView(v.buffer, v.byteOffset, v.length);
    const ifindex = view.getUint32(0, true);
    const fd = v.length >= 8 ? view.getInt32(4, true) : 0;
    return this.store(key, ifindex, fd > 0 ? { fd } : undefined, flags);
  }

  protected override sysDelete(key: Uint8Array): number {
    const k = u32Key(key);
    if (this.hashed) {
      const e = this.table.remove(key);
      if (e === undefined) return -ENOENT;
      this.freeRegion(e.value);
      return 0;
    }
    // dev_map_delete_elem(): an empty slot deletes fine.
    if (k >= this.def.maxEntries) return -EINVAL;
    this.replaceSlot(k, undefined);
    return 0;
  }

  protected sysNextKey(key?: Uint8Array): MapResult<Uint8Array> {
    if (!this.hashed) return arrayNextKey(key, this.def.maxEntries);
    const e = this.table.next(key);
    return e === undefined ? { err: -ENOENT } : { err: 0, data: e.key.slice() };
  }

  entries(): MapEntry[] {
    const list = this.hashed ? this.table.sorted() : this.slots.filter((e): e is DevEntry => e !== undefined);
    return list.map((e) => ({ key: e.key.slice(), value: e.value.bytes.slice() }));
  }

  protected releaseValues(): void {
    for (const e of this.hashed ? [...this.table.inOrder()] : this.slots) if (e !== undefined) this.freeRegion(e.value);
    this.slots.fill(undefined);
    this.table.clear();
  }

  // ---- the kernel's update paths ----

  private store(key: Uint8Array, ifindex: number, prog: { fd?: number; prog?: unknown } | undefined, flags: bigint): number {
    const k = u32Key(key);
    if (this.hashed) {
      if (flags > BPF_EXIST || ifindex === 0) return -EINVAL;
      const old = this.table.get(key);
      // DEVMAP_HASH checks BPF_NOEXIST but, like the kernel, ignores BPF_EXIST.
      if (old !== undefined && flags & BPF_NOEXIST) return -EEXIST;
      const e = this.allocNode(key, ifindex, prog);
      if (typeof e === 'number') return e;
      if (old === undefined && this.table.size >= this.def.maxEntries) {
        this.freeRegion(e.value);
        return -E2BIG;
      }
      const replaced = this.table.addHead(e);
      if (replaced !== undefined) this.freeRegion(replaced.value);
      return 0;
    }
    if (flags > BPF_EXIST) return -EINVAL;
    if (k >= this.def.maxEntries) return -E2BIG;
    // Every slot always "exists" in an array.
    if (flags === BPF_NOEXIST) return -EEXIST;
    if (ifindex === 0) {
      // ifindex 0 empties the slot; a program fd with it is an error.
      if (prog !== undefined) return -EINVAL;
      this.replaceSlot(k, undefined);
      return 0;
    }
    const e = this.allocNode(key, ifindex, prog);
    if (typeof e === 'number') return e;
    this.replaceSlot(k, e);
    return 0;
  }

  /** __dev_map_alloc_node(): the device must exist; a program must be XDP for BPF_XDP_DEVMAP. */
  private allocNode(key: Uint8Array, ifindex: number, p: { fd?: number; prog?: unknown } | undefined): DevEntry | number {
    const dev = this.host.netdev === undefined ? ifindex : this.host.netdev(ifindex);
    if (dev === undefined) return -EINVAL;
    let prog: unknown;
    if (p !== undefined) {
      if (p.fd !== undefined) {
        const entry = this.host.fd?.(p.fd);
        if (entry === undefined || entry.kind !== 'prog') return -EINVAL;
        prog = entry.obj;
      } else {
        prog = p.prog;
      }
      // A program object that says nothing of its type is taken as fitting.
      const type = progType(prog);
      const attach = progAttachType(prog);
      if ((type !== undefined || attach !== undefined) && (type !== 'BPF_PROG_TYPE_XDP' || attach !== 'BPF_XDP_DEVMAP')) return -EINVAL;
    }
    const bytes = new Uint8Array(this.def.valueSize);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, ifindex, true);
    if (bytes.length >= 8) view.setUint32(4, prog === undefined ? 0 : objectId(prog), true);
    return { key: key.slice(), ifindex, dev, prog, value: this.newValueRegion(bytes) };
  }

  private replaceSlot(k: number, e: DevEntry | undefined): void {
    const old = this.slots[k];
    if (old !== undefined) this.freeRegion(old.value);
    this.slots[k] = e;
  }

  private find(k: number): DevEntry | undefined {
    return this.hashed ? this.table.get(u32Bytes(k)) : this.slots[k];
  }
}
