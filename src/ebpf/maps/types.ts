/**
 * The shape every live map shares: its definition, its handle in engine memory, the program
 * side (what helpers call) and the user side (what the bpf() syscall and bpftool do).
 */
import type { Region } from '../vm/memory.ts';
import { errnoName, strerror } from './errno.ts';

/** A map as an object file or a user describes it (struct bpf_map_def / BTF-defined map). */
export interface MapDef {
  readonly name: string;
  /** Kernel name of the type: 'BPF_MAP_TYPE_HASH'. */
  readonly type: string;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  /** map_flags (BPF_F_NO_PREALLOC, BPF_F_RDONLY_PROG, …). */
  readonly flags: number;
  /** Template of the inner maps, for ARRAY_OF_MAPS / HASH_OF_MAPS (libbpf's `__array(values, …)`). */
  readonly innerMap?: MapDef;
  /** Offset of `struct bpf_spin_lock` in the value (known from BTF); enables BPF_F_LOCK. */
  readonly spinLockOff?: number;
}

/** A failed map creation, with the errno the kernel's map_create would return. */
export class MapError extends Error {
  constructor(
    /** Negative errno, as the kernel returns it. */
    readonly errno: number,
    message: string,
  ) {
    super(`${message} (${errnoName(errno)}: ${strerror(errno)})`);
    this.name = 'MapError';
  }
}

/** Result of a user-side operation that returns data: err is 0 or a negative errno. */
export interface MapResult<T> {
  readonly err: number;
  readonly data?: T;
}

/** A value as user space sees it: one buffer, or one per CPU for per-CPU maps. */
export type MapValue = Uint8Array | Uint8Array[];

/** One entry of a dump, sorted by key bytes. */
export interface MapEntry {
  readonly key: Uint8Array;
  readonly value?: Uint8Array;
  readonly values?: Uint8Array[];
}

/** What an fd number stands for, when user-side updates pass fds (PROG_ARRAY, SOCKMAP, map-in-map…). */
export interface FdObject {
  readonly kind: 'prog' | 'map' | 'socket' | 'xsk' | 'perf_event';
  readonly obj: unknown;
}

/**
 * The small port through which maps reach the outside: net devices by ifindex (DEVMAP), objects
 * behind fd numbers, and whether a socket may join a sockmap. Everything is optional: without a
 * `netdev` resolver every non-zero ifindex is accepted.
 */
export interface MapHost {
  netdev?(ifindex: number): unknown;
  fd?(fd: number): FdObject | undefined;
  /** sock_map_sk_state_allowed(): false refuses the socket with -EOPNOTSUPP. */
  sockAllowed?(sock: unknown): boolean;
}

export interface CreateOptions {
  /** Simulated CPUs: per-CPU maps hold this many values; CPUMAP keys must be below it. */
  readonly nCpus: number;
  readonly host?: MapHost;
  /** Map id as `bpftool map show` prints it; defaults to the handle's region tag. */
  readonly id?: number;
  /** Unused by the built-in types (LRU eviction is deterministic); reserved for seeded policies. */
  readonly rng?: () => number;
}

/** The interface every live map implements. Type-specific operations live on the map classes. */
export interface BpfMap {
  readonly def: MapDef;
  readonly id: number;
  /** Address that LD_IMM64 with BPF_PSEUDO_MAP_FD loads; `mapFromHandle` resolves it back. */
  readonly handle: bigint;
  /** The map's own region (kind 'map', neither readable nor writable). */
  readonly region: Region;
  readonly nCpus: number;

  // Program side: what helpers call. `cpu` is the simulated CPU running the program.
  /** bpf_map_lookup_elem: address of the value, 0n when absent. */
  lookupElemAddr(key: Uint8Array, cpu: number): bigint;
  /**
   * The same lookup for maps whose values are whole regions (arrays, hashes): the value's region
   * (its address is offset 0), undefined when absent. `key` may be a view of program memory and
   * is not kept. Lets the helper return the pointer without a BigInt.
   */
  lookupElemRegion?(key: Uint8Array, cpu: number): Region | undefined;
  /** bpf_map_update_elem: 0 or a negative errno. */
  updateElem(key: Uint8Array, value: Uint8Array, flags: bigint, cpu: number): number;
  /** bpf_map_delete_elem: 0 or a negative errno. */
  deleteElem(key: Uint8Array, cpu: number): number;

  // User side: like the bpf() syscall.
  /** BPF_MAP_LOOKUP_ELEM with its error code. */
  tryLookup(key: Uint8Array, flags?: bigint): MapResult<MapValue>;
  /** Value (one per CPU for per-CPU maps), or undefined on any error. */
  lookup(key: Uint8Array): MapValue | undefined;
  /** BPF_MAP_UPDATE_ELEM; a single value given to a per-CPU map is set on every CPU. */
  update(key: Uint8Array, value: MapValue, flags?: bigint): number;
  /** BPF_MAP_DELETE_ELEM. */
  delete(key: Uint8Array): number;
  /** BPF_MAP_GET_NEXT_KEY with its error code. */
  tryNextKey(key?: Uint8Array): MapResult<Uint8Array>;
  nextKey(key?: Uint8Array): Uint8Array | undefined;
  /** BPF_MAP_FREEZE. */
  freeze(): number;
  readonly frozen: boolean;
  /** Every entry, sorted by key bytes (for dumps and comparisons). */
  entries(): MapEntry[];
  /** Release every region the map holds. */
  destroy(): void;
}
