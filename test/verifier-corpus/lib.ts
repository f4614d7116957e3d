/**
 * Building blocks for the assembly cases: common prologues, maps and helper ids.
 */
import { Add, Exit, JGT, Label, LoadMem, Mov, R0, R1, R2, R3, R4, type ProgramItem } from '../../src/ebpf/isa/dsl.ts';
import type { VerifierMapDef } from '../../src/ebpf/verifier/index.ts';

export const H = {
  map_lookup_elem: 1,
  map_update_elem: 2,
  map_delete_elem: 3,
  ktime_get_ns: 5,
  trace_printk: 6,
  get_prandom_u32: 7,
  get_smp_processor_id: 8,
  skb_store_bytes: 9,
  l3_csum_replace: 10,
  l4_csum_replace: 11,
  tail_call: 12,
  clone_redirect: 13,
  skb_vlan_push: 18,
  skb_vlan_pop: 19,
  redirect: 23,
  perf_event_output: 25,
  skb_load_bytes: 26,
  csum_diff: 28,
  get_hash_recalc: 34,
  skb_change_tail: 38,
  skb_pull_data: 39,
  skb_change_head: 43,
  xdp_adjust_head: 44,
  get_socket_cookie: 46,
  get_socket_uid: 47,
  set_hash: 48,
  skb_adjust_room: 50,
  redirect_map: 51,
  sk_redirect_map: 52,
  xdp_adjust_meta: 54,
  msg_redirect_map: 60,
  msg_apply_bytes: 61,
  msg_cork_bytes: 62,
  msg_pull_data: 63,
  xdp_adjust_tail: 65,
  fib_lookup: 69,
  sk_redirect_hash: 72,
  sk_lookup_tcp: 84,
  sk_lookup_udp: 85,
  sk_release: 86,
  map_push_elem: 87,
  map_pop_elem: 88,
  map_peek_elem: 89,
  sk_fullsock: 95,
  tcp_sock: 96,
  skc_lookup_tcp: 99,
  ringbuf_output: 130,
  ringbuf_reserve: 131,
  ringbuf_submit: 132,
  ringbuf_discard: 133,
  ringbuf_query: 134,
  loop: 181,
  xdp_load_bytes: 189,
} as const;

export const XDP = 'BPF_PROG_TYPE_XDP';
export const TC = 'BPF_PROG_TYPE_SCHED_CLS';
export const ACT = 'BPF_PROG_TYPE_SCHED_ACT';
export const SOCK = 'BPF_PROG_TYPE_SOCKET_FILTER';
export const CGSKB = 'BPF_PROG_TYPE_CGROUP_SKB';
export const SKSKB = 'BPF_PROG_TYPE_SK_SKB';
export const SKMSG = 'BPF_PROG_TYPE_SK_MSG';
export const LWTIN = 'BPF_PROG_TYPE_LWT_IN';
export const LWTXMIT = 'BPF_PROG_TYPE_LWT_XMIT';
export const FLOW = 'BPF_PROG_TYPE_FLOW_DISSECTOR';

/** Packet-bearing program types and where data/data_end sit in their context. */
export const PKT_CTX: Record<string, { data: number; end: number; size: 'W' | 'DW' }> = {
  [XDP]: { data: 0, end: 4, size: 'W' },
  [TC]: { data: 76, end: 80, size: 'W' },
  [ACT]: { data: 76, end: 80, size: 'W' },
  [CGSKB]: { data: 76, end: 80, size: 'W' },
  [SKSKB]: { data: 76, end: 80, size: 'W' },
  [LWTIN]: { data: 76, end: 80, size: 'W' },
  [SKMSG]: { data: 0, end: 8, size: 'DW' },
};

/** r2 = data, r3 = data_end. */
export function loadPkt(t: string): ProgramItem[] {
  const p = PKT_CTX[t];
  return [LoadMem(R2, R1, p.data, p.size), LoadMem(R3, R1, p.end, p.size)];
}

/** r2 = data, r3 = data_end, and `n` bytes proven readable (else return 0). */
export function pktChecked(t: string, n: number, label = 'out'): ProgramItem[] {
  return [...loadPkt(t), Mov.reg(R4, R2), Add.imm(R4, n), JGT.reg(R4, R3, label)];
}

/** The `out` label: return 0. */
export const out = (label = 'out'): ProgramItem[] => [Label(label), Mov.imm(R0, 0), Exit()];
export const ret0: ProgramItem[] = [Mov.imm(R0, 0), Exit()];

const map = (name: string, type: string, keySize: number, valueSize: number, maxEntries: number, flags = 0, innerMap?: VerifierMapDef): VerifierMapDef => ({
  name,
  type: `BPF_MAP_TYPE_${type}`,
  keySize,
  valueSize,
  maxEntries,
  flags,
  innerMap,
});

export const M = {
  array: (name = 'arr', valueSize = 8, maxEntries = 4): VerifierMapDef => map(name, 'ARRAY', 4, valueSize, maxEntries),
  hash: (name = 'hash', keySize = 4, valueSize = 8, maxEntries = 16): VerifierMapDef => map(name, 'HASH', keySize, valueSize, maxEntries),
  percpuArray: (name = 'pca', valueSize = 8): VerifierMapDef => map(name, 'PERCPU_ARRAY', 4, valueSize, 4),
  lruHash: (name = 'lru'): VerifierMapDef => map(name, 'LRU_HASH', 8, 16, 16),
  progArray: (name = 'jmp'): VerifierMapDef => map(name, 'PROG_ARRAY', 4, 4, 4),
  perf: (name = 'events'): VerifierMapDef => map(name, 'PERF_EVENT_ARRAY', 4, 4, 2),
  ringbuf: (name = 'rb'): VerifierMapDef => map(name, 'RINGBUF', 0, 0, 4096),
  devmap: (name = 'dev'): VerifierMapDef => map(name, 'DEVMAP', 4, 4, 4),
  cpumap: (name = 'cpu'): VerifierMapDef => map(name, 'CPUMAP', 4, 4, 2),
  xskmap: (name = 'xsk'): VerifierMapDef => map(name, 'XSKMAP', 4, 4, 2),
  sockmap: (name = 'socks'): VerifierMapDef => map(name, 'SOCKMAP', 4, 4, 4),
  sockhash: (name = 'sockh'): VerifierMapDef => map(name, 'SOCKHASH', 4, 4, 4),
  queue: (name = 'q'): VerifierMapDef => map(name, 'QUEUE', 0, 8, 8),
  stack: (name = 'stk'): VerifierMapDef => map(name, 'STACK', 0, 8, 8),
  lpm: (name = 'lpm'): VerifierMapDef => map(name, 'LPM_TRIE', 8, 8, 16, 1),
  arrayOfMaps: (name = 'outer'): VerifierMapDef => map(name, 'ARRAY_OF_MAPS', 4, 4, 2, 0, map('inner', 'ARRAY', 4, 8, 4)),
  hashOfMaps: (name = 'outerh'): VerifierMapDef => map(name, 'HASH_OF_MAPS', 4, 4, 2, 0, map('innerh', 'ARRAY', 4, 16, 4)),
  rdonly: (name = 'ro', valueSize = 8): VerifierMapDef => map(name, 'ARRAY', 4, valueSize, 1, 1 << 7),
  wronly: (name = 'wo', valueSize = 8): VerifierMapDef => map(name, 'ARRAY', 4, valueSize, 1, 1 << 8),
  global: (name = 'gdata', valueSize = 16): VerifierMapDef => map(name, 'ARRAY', 4, valueSize, 1),
};

export { R0 };

import { Call, JEq, LoadMapFd, StoreImm, R10 } from '../../src/ebpf/isa/dsl.ts';

/** r0 = bpf_map_lookup_elem(&map, &(u32)key), key on the stack at fp-4; null goes to `label`. */
export function lookup(mapName: string, key = 0, label?: string): ProgramItem[] {
  const items: ProgramItem[] = [StoreImm(R10, -4, key, 'W'), Mov.reg(R2, R10), Add.imm(R2, -4), LoadMapFd(R1, mapName), Call(H.map_lookup_elem)];
  if (label) items.push(JEq.imm(R0, 0, label));
  return items;
}

/** r0 = an unknown 64-bit scalar (bpf_get_prandom_u32 is typed as returning any integer). */
export const rnd: ProgramItem[] = [Call(H.get_prandom_u32)];
