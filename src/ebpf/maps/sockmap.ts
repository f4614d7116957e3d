/**
 * BPF_MAP_TYPE_SOCKMAP and BPF_MAP_TYPE_SOCKHASH, the socket tables of sk_skb/sk_msg programs;
 * models net/core/sock_map.c: sock_map_alloc(), sock_hash_alloc(), sock_map_update_elem_sys(),
 * sock_map_update_common(), sock_hash_update_common(), __sock_map_delete(),
 * sock_hash_delete_elem(), sock_map_lookup_sys(), and both get_next_key functions.
 *
 * Entries hold socket objects from the host. User space reads a socket as its 8-byte cookie
 * (4-byte values: -ENOSPC, as the kernel). SOCKHASH buckets use jhash with seed 0, exactly as
 * the kernel, so its iteration order is the kernel's.
 */
import type { Memory } from '../vm/memory.ts';
import { BaseMap, u32Bytes, u32Key } from './base.ts';
import { arrayNextKey } from './array.ts';
import { BucketTable, roundupPowOfTwo } from './buckets.ts';
import { extraFlags, fail } from './check.ts';
import { BPF_EXIST, BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_WRONLY, BPF_NOEXIST } from './constants.ts';
import { E2BIG, EBADF, EEXIST, EINVAL, ENOENT, ENOSPC, ENOTSOCK, EOPNOTSUPP } from './errno.ts';
import { jhash } from './jhash.ts';
import { sockCookie } from './objects.ts';
import { sockPointer, slotAddr } from './xskmap.ts';
import type { CreateOptions, MapDef, MapEntry, MapResult, MapValue } from './types.ts';
import type { Region } from '../vm/memory.ts';

const SOCK_CREATE_FLAG_MASK = BPF_F_NUMA_NODE | BPF_F_RDONLY | BPF_F_WRONLY;
const MAX_BPF_STACK = 512;

export function checkSockmap(def: MapDef): void {
  const hash = def.type === 'BPF_MAP_TYPE_SOCKHASH';
  if (def.maxEntries === 0 || (hash ? def.keySize === 0 : def.keySize !== 4) || (def.valueSize !== 4 && def.valueSize !== 8)) {
    fail(-EINVAL, def, `key_size must be ${hash ? 'non-zero' : '4'}, value_size 4 or 8 (an fd), max_entries non-zero`);
  }
  if (def.flags & ~SOCK_CREATE_FLAG_MASK) fail(-EINVAL, def, `unknown flags ${extraFlags(def.flags, SOCK_CREATE_FLAG_MASK)}`);
  if (hash && def.keySize > MAX_BPF_STACK) fail(-E2BIG, def, `key_size above ${MAX_BPF_STACK}`);
}

interface SockEntry {
  readonly key: Uint8Array;
  readonly sock: unknown;
  readonly region?: Region;
  /** Fallback cookie when the host gives the socket none. */
  readonly cookie: bigint;
}

export class SockMap extends BaseMap {
  readonly hashed: boolean;
  private readonly slots: (SockEntry | undefined)[] = [];
  private readonly table: BucketTable<SockEntry>;
  private nextCookie = 1n;

  constructor(def: MapDef, mem: Memory, opts: CreateOptions) {
    super(def, mem, opts);
    this.hashed = def.type === 'BPF_MAP_TYPE_SOCKHASH';
    if (!this.hashed) this.slots = new Array<SockEntry | undefined>(def.maxEntries).fill(undefined);
    this.table = new BucketTable<SockEntry>(roundupPowOfTwo(def.maxEntries), (k) => jhash(k, 0));
  }

  /** The socket under `key` (bpf_sk_redirect_map/hash, bpf_msg_redirect_map/hash). */
  target(key: Uint8Array | number): unknown {
    return this.find(typeof key === 'number' ? u32Bytes(key) : key)?.sock;
  }

  /** Add a socket: the user-space form once the fd is resolved, and bpf_map_update_elem() from sock_ops programs. */
  setSocket(key: Uint8Array | number, sock: unknown, flags = 0n): number {
    const k = typeof key === 'number' ? u32Bytes(key) : key;
    if (this.host.sockAllowed?.(sock) === false) return -EOPNOTSUPP;
    if (flags > BPF_EXIST) return -EINVAL;
    if (!this.hashed && u32Key(k) >= this.def.maxEntries) return -E2BIG;
    const old = this.find(k);
    if (old !== undefined && flags === BPF_NOEXIST) return -EEXIST;
    if (old === undefined && flags === BPF_EXIST) return -ENOENT;
    if (this.hashed && old === undefined && this.table.size >= this.def.maxEntries) return -E2BIG;
    const ptr = sockPointer(this.mem, this.def.name, sock);
    const e: SockEntry = { key: k.slice(), sock, region: ptr.region, cookie: this.nextCookie++ };
    this.drop(this.hashed ? this.table.addHead(e) : old);
    if (!this.hashed) this.slots[u32Key(k)] = e;
    return 0;
  }

  /** Program side: a pointer standing for the socket (bpf_map_lookup_elem returns a socket). */
  override lookupElemAddr(key: Uint8Array, _cpu: number): bigint {
    const e = this.find(key);
    return e === undefined ? 0n : slotAddr({ sock: e.sock, region: e.region });
  }

  override deleteElem(key: Uint8Array, _cpu: number): number {
    if (this.hashed) {
      const e = this.table.remove(key);
      if (e === undefined) return -ENOENT;
      this.drop(e);
      return 0;
    }
    const i = u32Key(key);
    // __sock_map_delete(): out of range and empty slots are both -EINVAL.
    if (i >= this.def.maxEntries || this.slots[i] === undefined) return -EINVAL;
    this.drop(this.slots[i]);
    this.slots[i] = undefined;
    return 0;
  }

  protected sysLookup(key: Uint8Array): MapResult<MapValue> {
    if (this.def.valueSize !== 8) return { err: -ENOSPC };
    const e = this.find(key);
    if (e === undefined) return { err: -ENOENT };
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, sockCookie(e.sock) ?? e.cookie, true);
    return { err: 0, data: out };
  }

  /** sock_map_update_elem_sys(): the value is a socket fd. */
  protected sysUpdate(key: Uint8Array, value: MapValue, flags: bigint): number {
    const v = this.single(value);
    const view = new DataView(v.buffer, v.byteOffset, v.length);
    const ufd = v.length === 8 ? view.getBigUint64(0, true) : BigInt(view.getUint32(0, true));
    if (ufd > 0x7fff_ffffn) return -EINVAL;
    const entry = this.host.fd?.(Number(ufd));
    if (entry === undefined) return -EBADF;
    if (entry.kind !== 'socket') return -ENOTSOCK;
    return this.setSocket(key, entry.obj, flags);
  }

  protected sysNextKey(key?: Uint8Array): MapResult<Uint8Array> {
    if (!this.hashed) return arrayNextKey(key, this.def.maxEntries);
    const e = this.table.next(key);
    return e === undefined ? { err: -ENOENT } : { err: 0, data: e.key.slice() };
  }

  entries(): MapEntry[] {
    const list = this.hashed ? this.table.sorted() : this.slots.filter((e): e is SockEntry => e !== undefined);
    return list.map((e) => {
      const r = this.valueSizeOk() ? this.sysLookup(e.key).data : undefined;
      return r instanceof Uint8Array ? { key: e.key.slice(), value: r } : { key: e.key.slice() };
    });
  }

  protected releaseValues(): void {
    for (const e of this.hashed ? [...this.table.inOrder()] : this.slots) this.drop(e);
    this.slots.fill(undefined);
    this.table.clear();
  }

  private valueSizeOk(): boolean {
    return this.def.valueSize === 8;
  }

  private find(key: Uint8Array): SockEntry | undefined {
    return this.hashed ? this.table.get(key) : this.slots[u32Key(key)];
  }

  private drop(e: SockEntry | undefined): void {
    if (e?.region !== undefined) this.mem.remove(e.region);
  }
}
