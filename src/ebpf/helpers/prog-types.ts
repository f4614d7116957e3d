/**
 * Which helpers each program type may call: the kernel's get_func_proto() per program type —
 * net/core/filter.c (xdp_func_proto, tc_cls_act_func_proto, sk_filter_func_proto,
 * cg_skb_func_proto, sk_skb_func_proto, sk_msg_func_proto, sock_ops_func_proto, lwt_*_func_proto,
 * bpf_sk_base_func_proto), kernel/bpf/helpers.c (bpf_base_func_proto) and
 * kernel/trace/bpf_trace.c (bpf_tracing_func_proto, kprobe/tp/raw_tp/pe_prog_func_proto), as of
 * Linux 6.12–6.18, for a loader with CAP_BPF and CAP_PERFMON (root). These are the kernel's lists,
 * whether chainlab implements the helper or not.
 */

const set = (...lists: (readonly number[])[]): ReadonlySet<number> => new Set(lists.flat());

/** bpf_base_func_proto(): maps, time, randomness, ring buffers, loops, locks, printk, probes. */
const BASE = [
  1, 2, 3, 87, 88, 89, 195, 7, 8, 42, 12, 5, 125, 208, 130, 131, 132, 133, 134, 182, 105, 106, 14, 120,
  // CAP_BPF
  93, 94, 118, 153, 154, 169, 170, 171, 172, 194, 164, 181, 209, 198, 199, 200, 197, 201, 202, 203, 210, 211, 80, 123,
  // CAP_PERFMON
  6, 35, 158, 112, 113, 114, 115, 149, 165, 175, 177,
];

/** bpf_sk_base_func_proto(): the skc_to_* casts and ktime_get_coarse_ns on top of the base. */
const SK_BASE = [...BASE, 136, 137, 138, 139, 140, 178, 196, 160];

const XDP = [25, 8, 28, 44, 54, 23, 51, 65, 188, 189, 190, 69, 163, 85, 84, 86, 99, 100, 110, 204, 205, 206, 207];

const TC = [
  9, 26, 68, 39, 28, 40, 135, 10, 11, 13, 17, 18, 19, 31, 32, 50, 38, 43, 20, 21, 29, 30, 23, 152, 155, 24, 34, 41, 48, 25, 8, 33,
  46, 47, 69, 163, 95, 107, 108, 66, 151, 79, 83, 84, 85, 86, 96, 98, 99, 100, 97, 110, 124, 192, 204, 205, 206, 207,
];

const SOCKET_FILTER = [26, 68, 46, 47, 25];
const CGROUP_SKB = [...SOCKET_FILTER, 81, 95, 107, 108, 79, 83, 128, 129, 84, 85, 86, 99, 96, 98, 97];
const SK_SKB = [9, 26, 39, 38, 43, 50, 46, 47, 52, 72, 25, 84, 85, 86, 99];
const SK_MSG = [60, 71, 61, 62, 63, 90, 91, 25, 15, 14, 107, 108, 122, 80, 123, 17];
const SOCK_OPS = [49, 57, 59, 53, 70, 46, 81, 25, 107, 108, 122, 142, 143, 144, 96];
const LWT_OUT = [26, 39, 28, 17, 24, 34, 25, 8, 33];
const LWT_XMIT = [...LWT_OUT, 20, 21, 29, 30, 23, 13, 38, 43, 9, 40, 135, 10, 11, 41, 73];

/** bpf_tracing_func_proto(): what kprobe, tracepoint, raw tracepoint and perf event programs share. */
const TRACING = [
  1, 2, 3, 87, 88, 89, 195, 5, 125, 12, 14, 35, 158, 175, 15, 16, 6, 8, 42, 22, 37, 7, 36, 112, 113, 114, 115, 4, 45, 80, 123, 210,
  211, 109, 117, 55, 120, 130, 131, 132, 133, 134, 118, 141, 148, 191, 149, 153, 154, 156, 157, 164, 165, 173, 176, 180, 177,
];

/** Helper ids each program type may call, by the kernel's program type name. */
export const HELPERS_BY_PROG_TYPE: Readonly<Record<string, ReadonlySet<number>>> = {
  BPF_PROG_TYPE_XDP: set(SK_BASE, XDP),
  BPF_PROG_TYPE_SCHED_CLS: set(SK_BASE, TC),
  BPF_PROG_TYPE_SCHED_ACT: set(SK_BASE, TC),
  BPF_PROG_TYPE_SOCKET_FILTER: set(SK_BASE, SOCKET_FILTER),
  BPF_PROG_TYPE_CGROUP_SKB: set(SK_BASE, CGROUP_SKB),
  BPF_PROG_TYPE_SK_SKB: set(SK_BASE, SK_SKB),
  BPF_PROG_TYPE_SK_MSG: set(SK_BASE, SK_MSG),
  BPF_PROG_TYPE_SOCK_OPS: set(SK_BASE, SOCK_OPS),
  BPF_PROG_TYPE_LWT_IN: set(SK_BASE, LWT_OUT, [73]),
  BPF_PROG_TYPE_LWT_OUT: set(SK_BASE, LWT_OUT),
  BPF_PROG_TYPE_LWT_XMIT: set(SK_BASE, LWT_XMIT),
  BPF_PROG_TYPE_KPROBE: set(BASE, TRACING, [25, 27, 67, 58, 174]),
  BPF_PROG_TYPE_TRACEPOINT: set(BASE, TRACING, [25, 27, 67, 174]),
  BPF_PROG_TYPE_RAW_TRACEPOINT: set(BASE, TRACING, [25, 27, 67]),
  BPF_PROG_TYPE_PERF_EVENT: set(BASE, TRACING, [25, 27, 67, 56, 119, 174]),
};

/**
 * Helpers whose bpf_func_proto says gpl_only: a program whose license is not GPL-compatible may
 * not call them ("cannot call GPL-restricted function from non-GPL compatible program").
 */
export const GPL_ONLY_HELPERS: ReadonlySet<number> = new Set([
  4, 6, 22, 25, 35, 45, 55, 69, 111, 113, 115, 121, 158, 163, 165, 175, 177, 191,
]);
