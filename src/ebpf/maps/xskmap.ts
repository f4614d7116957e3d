/**
 * BPF_MAP_TYPE_XSKMAP, AF_XDP sockets as bpf_redirect_map() targets; models net/xdp/xskmap.c:
 * xsk_map_alloc(), xsk_map_update_elem(), xsk_map_delete_elem(), xsk_map_lookup_elem_sys_only().
 *
 * Slots hold socket objects from the host. A program's lookup returns a pointer standing for the
 * socket (the object's own `addr`, or an opaque region owned by it); user space cannot read the
 * map (-EOPNOTSUPP), as in the kernel.
 */
import { Memory, type Region } from '../vm/memory.ts';
import { BaseMap, u32Bytes, u32Key } from './base.ts';
import { arrayNextKey } from './array.ts';
import { extraFlags, fail } from './check.ts';
import { BPF_EXIST, BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_WRONLY, BPF_NOEXIST } from './constants.ts';
import { E2BIG, EBADF, EEXIST, EINVAL, ENOENT, ENOTSOCK, EOPNOTSUPP } from './errno.ts';
import { objectAddr } from './objects.ts';
import type { CreateOptions, MapDef, MapEntry, MapResult, MapValue } from './types.ts';

const XSK_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY;

export function checkXskmap(def: MapDef): void {
  if (def.maxEntries === 0 || def.keySize !== 4 || def.valueSize !== 4) fail(-EINVAL, def, 'key_size and value_size must be 4, max_entries non-zero');
  if (def.flags & ~XSK_CREATE_FLAG_MASK) fail(-EINVAL, def, `unknown flags ${extraFlags(def.flags, XSK_CREATE_FLAG_MASK)}`);
}

interface Slot {
  readonly sock: unknown;
  readonly region?: Region;
}

/** A pointer for a host socket: the host's own address for it, or a fresh opaque region. */
export function sockPointer(mem: Memory, mapName: string, sock: unknown): Slot {
  if (objectAddr(sock) !== undefined) return { sock };
  return { sock, region: mem.add('sock', `socket in map '${mapName}'`, new Uint8Array(0), { readable: false, writable: false, owner: sock }) };
}

export const slotAddr = (s: Slot): bigint => objectAddr(s.sock) ?? Memory.addr(s.region as Region, 0);

export class XskMap extends BaseMap {
  private readonly slots: (Slot | undefined)[];

  constructor(def: MapDef, mem: Memory, opts: CreateOptions) {
    super(def, mem, opts);
    this.slots = new Array<Slot | undefined>(def.maxEntries).fill(undefined);
  }

  target(key: number): unknown {
    return this.slots[key >>> 0]?.sock;
  }

  /** The typed form of an update with an AF_XDP socket's fd. */
  setSocket(index: number, xsk: unknown, flags = 0n): number {
    if (flags > BPF_EXIST) return -EINVAL;
    const i = index >>> 0;
    if (i >= this.def.maxEntries) return -E2BIG;
    const old = this.slots[i];
    if (old?.sock === xsk) return 0;
    if (old !== undefined && flags === BPF_NOEXIST) return -EEXIST;
    if (old === undefined && flags === BPF_EXIST) return -ENOENT;
    this.replace(i, sockPointer(this.mem, this.def.name, xsk));
    return 0;
  }

  override lookupElemAddr(key: Uint8Array, _cpu: number): bigint {
    const s = this.slots[u32Key(key)];
    return s === undefined ? 0n : slotAddr(s);
  }

  protected sysLookup(): MapResult<MapValue> {
    return { err: -EOPNOTSUPP };
  }

  protected sysUpdate(key: Uint8Array, value: MapValue, flags: bigint): number {
    const v = this.single(value);
    if (flags > BPF_EXIST) return -EINVAL;
    if (u32Key(key) >= this.def.maxEntries) return -E2BIG;
    const entry = this.host.fd?.(u32Key(v));
    if (entry === undefined) return -EBADF;
    if (entry.kind === 'socket') return -EOPNOTSUPP;
    if (entry.kind !== 'xsk') return -ENOTSOCK;
    return this.setSocket(u32Key(key), entry.obj, flags);
  }

  /** xsk_map_delete_elem(): an empty slot deletes fine. */
  protected override sysDelete(key: Uint8Array): number {
    const k = u32Key(key);
    if (k >= this.def.maxEntries) return -EINVAL;
    this.replace(k, undefined);
    return 0;
  }

  protected sysNextKey(key?: Uint8Array): MapResult<Uint8Array> {
    return arrayNextKey(key, this.def.maxEntries);
  }

  entries(): MapEntry[] {
    const out: MapEntry[] = [];
    this.slots.forEach((s, i) => {
      if (s !== undefined) out.push({ key: u32Bytes(i) });
    });
    return out;
  }

  protected releaseValues(): void {
    this.slots.forEach((_, i) => this.replace(i, undefined));
  }

  private replace(i: number, s: Slot | undefined): void {
    const old = this.slots[i];
    if (old?.region !== undefined) this.mem.remove(old.region);
    this.slots[i] = s;
  }
}
