/**
 * Map types, creation flags and operation flags, spelled as in Linux include/uapi/linux/bpf.h.
 */

/** Map type ids (../shared/reference/map_types.tsv). */
export const MAP_TYPE_IDS: Readonly<Record<string, number>> = {
  BPF_MAP_TYPE_UNSPEC: 0,
  BPF_MAP_TYPE_HASH: 1,
  BPF_MAP_TYPE_ARRAY: 2,
  BPF_MAP_TYPE_PROG_ARRAY: 3,
  BPF_MAP_TYPE_PERF_EVENT_ARRAY: 4,
  BPF_MAP_TYPE_PERCPU_HASH: 5,
  BPF_MAP_TYPE_PERCPU_ARRAY: 6,
  BPF_MAP_TYPE_STACK_TRACE: 7,
  BPF_MAP_TYPE_CGROUP_ARRAY: 8,
  BPF_MAP_TYPE_LRU_HASH: 9,
  BPF_MAP_TYPE_LRU_PERCPU_HASH: 10,
  BPF_MAP_TYPE_LPM_TRIE: 11,
  BPF_MAP_TYPE_ARRAY_OF_MAPS: 12,
  BPF_MAP_TYPE_HASH_OF_MAPS: 13,
  BPF_MAP_TYPE_DEVMAP: 14,
  BPF_MAP_TYPE_SOCKMAP: 15,
  BPF_MAP_TYPE_CPUMAP: 16,
  BPF_MAP_TYPE_XSKMAP: 17,
  BPF_MAP_TYPE_SOCKHASH: 18,
  BPF_MAP_TYPE_CGROUP_STORAGE: 19,
  BPF_MAP_TYPE_REUSEPORT_SOCKARRAY: 20,
  BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE: 21,
  BPF_MAP_TYPE_QUEUE: 22,
  BPF_MAP_TYPE_STACK: 23,
  BPF_MAP_TYPE_SK_STORAGE: 24,
  BPF_MAP_TYPE_DEVMAP_HASH: 25,
  BPF_MAP_TYPE_STRUCT_OPS: 26,
  BPF_MAP_TYPE_RINGBUF: 27,
  BPF_MAP_TYPE_INODE_STORAGE: 28,
  BPF_MAP_TYPE_TASK_STORAGE: 29,
  BPF_MAP_TYPE_BLOOM_FILTER: 30,
  BPF_MAP_TYPE_USER_RINGBUF: 31,
  BPF_MAP_TYPE_CGRP_STORAGE: 32,
  BPF_MAP_TYPE_ARENA: 33,
};

/** The map type name for a kernel id ("BPF_MAP_TYPE_HASH" for 1). */
export function mapTypeName(id: number): string | undefined {
  return Object.keys(MAP_TYPE_IDS).find((k) => MAP_TYPE_IDS[k] === id);
}

// Update flags (bpf_map_update_elem's `flags`).
export const BPF_ANY = 0n;
export const BPF_NOEXIST = 1n;
export const BPF_EXIST = 2n;
export const BPF_F_LOCK = 4n;

// Map creation flags (map_flags).
export const BPF_F_NO_PREALLOC = 1 << 0;
export const BPF_F_NO_COMMON_LRU = 1 << 1;
export const BPF_F_NUMA_NODE = 1 << 2;
export const BPF_F_RDONLY = 1 << 3;
export const BPF_F_WRONLY = 1 << 4;
export const BPF_F_STACK_BUILD_ID = 1 << 5;
export const BPF_F_ZERO_SEED = 1 << 6;
export const BPF_F_RDONLY_PROG = 1 << 7;
export const BPF_F_WRONLY_PROG = 1 << 8;
export const BPF_F_CLONE = 1 << 9;
export const BPF_F_MMAPABLE = 1 << 10;
export const BPF_F_PRESERVE_ELEMS = 1 << 11;
export const BPF_F_INNER_MAP = 1 << 12;
export const BPF_F_ACCESS_MASK = BPF_F_RDONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY | BPF_F_WRONLY_PROG;

// Ring buffer flags (bpf_ringbuf_submit/discard/output) and bpf_ringbuf_query selectors.
export const BPF_RB_NO_WAKEUP = 1n << 0n;
export const BPF_RB_FORCE_WAKEUP = 1n << 1n;
export const BPF_RB_AVAIL_DATA = 0n;
export const BPF_RB_RING_SIZE = 1n;
export const BPF_RB_CONS_POS = 2n;
export const BPF_RB_PROD_POS = 3n;
/** Record header bits in the ring (struct bpf_ringbuf_hdr.len). */
export const BPF_RINGBUF_BUSY_BIT = 1 << 31;
export const BPF_RINGBUF_DISCARD_BIT = 1 << 30;
export const BPF_RINGBUF_HDR_SZ = 8;

// bpf_perf_event_output flags.
export const BPF_F_INDEX_MASK = 0xffff_ffffn;
export const BPF_F_CURRENT_CPU = BPF_F_INDEX_MASK;
export const BPF_F_CTXLEN_MASK = 0xf_ffffn << 32n;

export const PAGE_SIZE = 4096;
/** Kernel's per-CPU allocator limit on one per-CPU value (PCPU_MIN_UNIT_SIZE). */
export const PCPU_MIN_UNIT_SIZE = 32 * 1024;
/** x86-64 KMALLOC_MAX_SIZE (1 << (PAGE_SHIFT + MAX_PAGE_ORDER)). */
export const KMALLOC_MAX_SIZE = 4 * 1024 * 1024;
/** Typical distribution CONFIG_NR_CPUS: CPUMAP's creation limit. */
export const NR_CPUS = 8192;
