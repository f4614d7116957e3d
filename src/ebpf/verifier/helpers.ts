/**
 * Helper prototypes (struct bpf_func_proto) for the helpers networking programs call, as
 * kernel/bpf/helpers.c and net/core/filter.c declare them: argument types, return type,
 * whether packet pointers may be passed (pkt_access), whether the helper invalidates packet
 * pointers (bpf_helper_changes_pkt_data) — and check_map_func_compatibility()'s pairing of
 * map types with helpers. Names come from ../shared/reference/helpers.tsv.
 */
import { helperAvailable } from './helper-avail.ts';

/** The kernel's enum bpf_arg_type, the members these helpers use. */
export type ArgType =
  | 'anything' // ARG_ANYTHING
  | 'map' // ARG_CONST_MAP_PTR
  | 'key' // ARG_PTR_TO_MAP_KEY
  | 'value' // ARG_PTR_TO_MAP_VALUE
  | 'uninit_value' // ARG_PTR_TO_MAP_VALUE | MEM_UNINIT
  | 'mem' // ARG_PTR_TO_MEM | MEM_RDONLY: the helper reads it
  | 'mem_or_null'
  | 'wmem' // ARG_PTR_TO_MEM: read and written (fib_lookup params)
  | 'wmem_or_null'
  | 'uninit_mem' // ARG_PTR_TO_UNINIT_MEM: the helper writes it
  | 'size' // ARG_CONST_SIZE (of the previous argument)
  | 'size_or_zero' // ARG_CONST_SIZE_OR_ZERO
  | 'alloc_size_or_zero' // ARG_CONST_ALLOC_SIZE_OR_ZERO (ringbuf_reserve)
  | 'ctx' // ARG_PTR_TO_CTX
  | 'ctx_or_null'
  | 'sock_common' // ARG_PTR_TO_SOCK_COMMON
  | 'btf_sock_common' // ARG_PTR_TO_BTF_ID_SOCK_COMMON
  | 'btf_sock_common_or_null'
  | 'sock_release' // ARG_PTR_TO_BTF_ID_SOCK_COMMON | OBJ_RELEASE (sk_release)
  | 'ringbuf_release' // ARG_PTR_TO_RINGBUF_MEM | OBJ_RELEASE
  | 'func' // ARG_PTR_TO_FUNC
  | 'stack_or_null' // ARG_PTR_TO_STACK_OR_NULL
  | 'value_or_null' // ARG_PTR_TO_MAP_VALUE_OR_NULL (sk_storage_get)
  | 'long' // ARG_PTR_TO_LONG: 8 bytes written
  | 'int' // ARG_PTR_TO_INT: 4 bytes written
  | 'const_str' // ARG_PTR_TO_CONST_STR
  | 'fixed_mem20' // ARG_PTR_TO_FIXED_SIZE_MEM (iphdr, 20 bytes) — raw syncookie helpers
  | 'fixed_mem40'
  | 'spin_lock' // ARG_PTR_TO_SPIN_LOCK
  | 'unsupported'; // spin locks, timers, dynptrs, kptrs: need BTF chainlab does not model

/** The kernel's enum bpf_return_type, the members these helpers use. */
export type RetType =
  | 'int'
  | 'void'
  | 'map_value_or_null'
  | 'map_value' // get_local_storage
  | 'sock_or_null' // acquired (lookups) unless `acquire` is false
  | 'sock_common_or_null'
  | 'tcp_sock_or_null'
  | 'ringbuf_mem_or_null'
  | 'btf_or_null'; // skc_to_* casts

export interface HelperProto {
  readonly id: number;
  readonly name: string;
  readonly ret: RetType;
  readonly args: readonly ArgType[];
  /** Packet pointers may be passed as memory arguments. */
  readonly pktAccess?: boolean;
  /** The helper may move or resize the packet: every packet pointer is invalidated. */
  readonly changesPkt?: boolean;
  /** Returns a reference the program must release (is_acquire_function). */
  readonly acquire?: boolean;
  /** Returned pointer keeps the argument's reference (is_ptr_cast_function). */
  readonly cast?: boolean;
  readonly gplOnly?: boolean;
  /** Only in sleepable programs. */
  readonly sleepable?: boolean;
  /** Index of the callback argument (bpf_loop, for_each_map_elem). */
  readonly callback?: number;
}

const NAMES: Record<number, string> = {};

function p(id: number, name: string, ret: RetType, args: ArgType[], extra: Partial<HelperProto> = {}): HelperProto {
  NAMES[id] = `bpf_${name}`;
  return { id, name: `bpf_${name}`, ret, args, ...extra };
}

const A = 'anything' as const;
const PROTOS: readonly HelperProto[] = [
  p(1, 'map_lookup_elem', 'map_value_or_null', ['map', 'key'], { pktAccess: true }),
  p(2, 'map_update_elem', 'int', ['map', 'key', 'value', A], { pktAccess: true }),
  p(3, 'map_delete_elem', 'int', ['map', 'key'], { pktAccess: true }),
  p(4, 'probe_read', 'int', ['uninit_mem', 'size_or_zero', A], { gplOnly: true }),
  p(5, 'ktime_get_ns', 'int', []),
  p(6, 'trace_printk', 'int', ['mem', 'size'], { gplOnly: true }),
  p(7, 'get_prandom_u32', 'int', []),
  p(8, 'get_smp_processor_id', 'int', []),
  p(9, 'skb_store_bytes', 'int', ['ctx', A, 'mem', 'size', A], { changesPkt: true }),
  p(10, 'l3_csum_replace', 'int', ['ctx', A, A, A, A], { changesPkt: true }),
  p(11, 'l4_csum_replace', 'int', ['ctx', A, A, A, A], { changesPkt: true }),
  p(12, 'tail_call', 'void', ['ctx', 'map', A]),
  p(13, 'clone_redirect', 'int', ['ctx', A, A], { changesPkt: true }),
  p(14, 'get_current_pid_tgid', 'int', []),
  p(15, 'get_current_uid_gid', 'int', []),
  p(16, 'get_current_comm', 'int', ['uninit_mem', 'size']),
  p(17, 'get_cgroup_classid', 'int', ['ctx']),
  p(18, 'skb_vlan_push', 'int', ['ctx', A, A], { changesPkt: true }),
  p(19, 'skb_vlan_pop', 'int', ['ctx'], { changesPkt: true }),
  p(20, 'skb_get_tunnel_key', 'int', ['ctx', 'uninit_mem', 'size', A]),
  p(21, 'skb_set_tunnel_key', 'int', ['ctx', 'mem', 'size', A]),
  p(22, 'perf_event_read', 'int', ['map', A]),
  p(23, 'redirect', 'int', [A, A]),
  p(24, 'get_route_realm', 'int', ['ctx']),
  p(25, 'perf_event_output', 'int', ['ctx', 'map', A, 'mem', 'size_or_zero']),
  p(26, 'skb_load_bytes', 'int', ['ctx', A, 'uninit_mem', 'size']),
  p(27, 'get_stackid', 'int', ['ctx', 'map', A]),
  p(28, 'csum_diff', 'int', ['mem_or_null', 'size_or_zero', 'mem_or_null', 'size_or_zero', A], { pktAccess: true }),
  p(29, 'skb_get_tunnel_opt', 'int', ['ctx', 'uninit_mem', 'size']),
  p(30, 'skb_set_tunnel_opt', 'int', ['ctx', 'mem', 'size']),
  p(31, 'skb_change_proto', 'int', ['ctx', A, A], { changesPkt: true }),
  p(32, 'skb_change_type', 'int', ['ctx', A]),
  p(33, 'skb_under_cgroup', 'int', ['ctx', 'map', A]),
  p(34, 'get_hash_recalc', 'int', ['ctx']),
  p(35, 'get_current_task', 'int', []),
  p(37, 'current_task_under_cgroup', 'int', ['map', A]),
  p(38, 'skb_change_tail', 'int', ['ctx', A, A], { changesPkt: true }),
  p(39, 'skb_pull_data', 'int', ['ctx', A], { changesPkt: true }),
  p(40, 'csum_update', 'int', ['ctx', A], { pktAccess: true }),
  p(41, 'set_hash_invalid', 'void', ['ctx']),
  p(42, 'get_numa_node_id', 'int', []),
  p(43, 'skb_change_head', 'int', ['ctx', A, A], { changesPkt: true }),
  p(44, 'xdp_adjust_head', 'int', ['ctx', A], { changesPkt: true }),
  p(45, 'probe_read_str', 'int', ['uninit_mem', 'size_or_zero', A], { gplOnly: true }),
  p(46, 'get_socket_cookie', 'int', ['ctx']),
  p(47, 'get_socket_uid', 'int', ['ctx']),
  p(48, 'set_hash', 'int', ['ctx', A]),
  p(49, 'setsockopt', 'int', ['ctx', A, A, 'mem', 'size']),
  p(50, 'skb_adjust_room', 'int', ['ctx', A, A, A], { changesPkt: true }),
  p(51, 'redirect_map', 'int', ['map', A, A]),
  p(52, 'sk_redirect_map', 'int', ['ctx', 'map', A, A]),
  p(53, 'sock_map_update', 'int', ['ctx', 'map', 'key', A]),
  p(54, 'xdp_adjust_meta', 'int', ['ctx', A], { changesPkt: true }),
  p(55, 'perf_event_read_value', 'int', ['map', A, 'uninit_mem', 'size']),
  p(57, 'getsockopt', 'int', ['ctx', A, A, 'uninit_mem', 'size']),
  p(59, 'sock_ops_cb_flags_set', 'int', ['ctx', A]),
  p(60, 'msg_redirect_map', 'int', ['ctx', 'map', A, A]),
  p(61, 'msg_apply_bytes', 'int', ['ctx', A]),
  p(62, 'msg_cork_bytes', 'int', ['ctx', A]),
  p(63, 'msg_pull_data', 'int', ['ctx', A, A, A], { changesPkt: true }),
  p(65, 'xdp_adjust_tail', 'int', ['ctx', A], { changesPkt: true }),
  p(66, 'skb_get_xfrm_state', 'int', ['ctx', A, 'uninit_mem', 'size', A]),
  p(67, 'get_stack', 'int', ['ctx', 'uninit_mem', 'size_or_zero', A]),
  p(68, 'skb_load_bytes_relative', 'int', ['ctx', A, 'uninit_mem', 'size', A]),
  p(69, 'fib_lookup', 'int', ['ctx', 'wmem', 'size', A]),
  p(70, 'sock_hash_update', 'int', ['ctx', 'map', 'key', A]),
  p(71, 'msg_redirect_hash', 'int', ['ctx', 'map', 'key', A]),
  p(72, 'sk_redirect_hash', 'int', ['ctx', 'map', 'key', A]),
  p(73, 'lwt_push_encap', 'int', ['ctx', A, 'mem', 'size'], { changesPkt: true }),
  p(79, 'skb_cgroup_id', 'int', ['ctx']),
  p(80, 'get_current_cgroup_id', 'int', []),
  p(81, 'get_local_storage', 'map_value', ['map', A]),
  p(83, 'skb_ancestor_cgroup_id', 'int', ['ctx', A]),
  p(84, 'sk_lookup_tcp', 'sock_or_null', ['ctx', 'mem', 'size', A, A], { pktAccess: true, acquire: true }),
  p(85, 'sk_lookup_udp', 'sock_or_null', ['ctx', 'mem', 'size', A, A], { pktAccess: true, acquire: true }),
  p(86, 'sk_release', 'int', ['sock_release']),
  p(87, 'map_push_elem', 'int', ['map', 'value', A], { pktAccess: true }),
  p(88, 'map_pop_elem', 'int', ['map', 'uninit_value']),
  p(89, 'map_peek_elem', 'int', ['map', 'uninit_value']),
  p(90, 'msg_push_data', 'int', ['ctx', A, A, A], { changesPkt: true }),
  p(91, 'msg_pop_data', 'int', ['ctx', A, A, A], { changesPkt: true }),
  p(93, 'spin_lock', 'void', ['spin_lock']),
  p(94, 'spin_unlock', 'void', ['spin_lock']),
  p(95, 'sk_fullsock', 'sock_or_null', ['sock_common'], { cast: true }),
  p(96, 'tcp_sock', 'tcp_sock_or_null', ['sock_common'], { cast: true }),
  p(97, 'skb_ecn_set_ce', 'int', ['ctx']),
  p(98, 'get_listener_sock', 'sock_or_null', ['sock_common']),
  p(99, 'skc_lookup_tcp', 'sock_common_or_null', ['ctx', 'mem', 'size', A, A], { pktAccess: true, acquire: true }),
  p(100, 'tcp_check_syncookie', 'int', ['btf_sock_common', 'mem', 'size', 'mem', 'size'], { pktAccess: true }),
  p(105, 'strtol', 'int', ['mem', 'size', A, 'long']),
  p(106, 'strtoul', 'int', ['mem', 'size', A, 'long']),
  p(107, 'sk_storage_get', 'map_value_or_null', ['map', 'btf_sock_common_or_null', 'value_or_null', A]),
  p(108, 'sk_storage_delete', 'int', ['map', 'btf_sock_common']),
  p(109, 'send_signal', 'int', [A]),
  p(110, 'tcp_gen_syncookie', 'int', ['btf_sock_common', 'mem', 'size', 'mem', 'size'], { pktAccess: true }),
  p(112, 'probe_read_user', 'int', ['uninit_mem', 'size_or_zero', A], { gplOnly: true }),
  p(113, 'probe_read_kernel', 'int', ['uninit_mem', 'size_or_zero', A], { gplOnly: true }),
  p(114, 'probe_read_user_str', 'int', ['uninit_mem', 'size_or_zero', A], { gplOnly: true }),
  p(115, 'probe_read_kernel_str', 'int', ['uninit_mem', 'size_or_zero', A], { gplOnly: true }),
  p(117, 'send_signal_thread', 'int', [A]),
  p(118, 'jiffies64', 'int', []),
  p(120, 'get_ns_current_pid_tgid', 'int', [A, A, 'uninit_mem', 'size'], { gplOnly: true }),
  p(122, 'get_netns_cookie', 'int', ['ctx_or_null']),
  p(123, 'get_current_ancestor_cgroup_id', 'int', [A]),
  p(124, 'sk_assign', 'int', ['ctx', 'btf_sock_common', A]),
  p(125, 'ktime_get_boot_ns', 'int', []),
  p(128, 'sk_cgroup_id', 'int', ['btf_sock_common']),
  p(129, 'sk_ancestor_cgroup_id', 'int', ['btf_sock_common', A]),
  p(130, 'ringbuf_output', 'int', ['map', 'mem', 'size_or_zero', A]),
  p(131, 'ringbuf_reserve', 'ringbuf_mem_or_null', ['map', 'alloc_size_or_zero', A], { acquire: true }),
  p(132, 'ringbuf_submit', 'void', ['ringbuf_release', A]),
  p(133, 'ringbuf_discard', 'void', ['ringbuf_release', A]),
  p(134, 'ringbuf_query', 'int', ['map', A]),
  p(135, 'csum_level', 'int', ['ctx', A]),
  p(136, 'skc_to_tcp6_sock', 'btf_or_null', ['btf_sock_common']),
  p(137, 'skc_to_tcp_sock', 'btf_or_null', ['btf_sock_common']),
  p(138, 'skc_to_tcp_timewait_sock', 'btf_or_null', ['btf_sock_common']),
  p(139, 'skc_to_tcp_request_sock', 'btf_or_null', ['btf_sock_common']),
  p(140, 'skc_to_udp6_sock', 'btf_or_null', ['btf_sock_common']),
  p(142, 'load_hdr_opt', 'int', ['ctx', 'wmem', 'size', A]),
  p(143, 'store_hdr_opt', 'int', ['ctx', 'mem', 'size', A], { changesPkt: true }),
  p(144, 'reserve_hdr_opt', 'int', ['ctx', A, A]),
  p(148, 'copy_from_user', 'int', ['uninit_mem', 'size_or_zero', A], { sleepable: true }),
  p(151, 'skb_cgroup_classid', 'int', ['ctx']),
  p(152, 'redirect_neigh', 'int', [A, 'mem_or_null', 'size_or_zero', A]),
  p(155, 'redirect_peer', 'int', [A, A]),
  p(160, 'ktime_get_coarse_ns', 'int', []),
  p(163, 'check_mtu', 'int', ['ctx', A, 'int', A, A]),
  p(164, 'for_each_map_elem', 'int', ['map', 'func', 'stack_or_null', A], { callback: 1 }),
  p(165, 'snprintf', 'int', ['wmem_or_null', 'size_or_zero', 'const_str', 'mem_or_null', 'size_or_zero']),
  p(169, 'timer_init', 'int', ['unsupported']),
  p(170, 'timer_set_callback', 'int', ['unsupported']),
  p(171, 'timer_start', 'int', ['unsupported']),
  p(172, 'timer_cancel', 'int', ['unsupported']),
  p(177, 'trace_vprintk', 'int', ['mem', 'size', 'mem_or_null', 'size_or_zero'], { gplOnly: true }),
  p(178, 'skc_to_unix_sock', 'btf_or_null', ['btf_sock_common']),
  p(181, 'loop', 'int', [A, 'func', 'stack_or_null', A], { callback: 1 }),
  p(182, 'strncmp', 'int', ['mem', 'size', 'const_str']),
  p(188, 'xdp_get_buff_len', 'int', ['ctx']),
  p(189, 'xdp_load_bytes', 'int', ['ctx', A, 'uninit_mem', 'size']),
  p(190, 'xdp_store_bytes', 'int', ['ctx', A, 'mem', 'size']),
  p(191, 'copy_from_user_task', 'int', ['uninit_mem', 'size_or_zero', A, A, A], { sleepable: true }),
  p(192, 'skb_set_tstamp', 'int', ['ctx', A, A]),
  p(194, 'kptr_xchg', 'void', ['unsupported']),
  p(195, 'map_lookup_percpu_elem', 'map_value_or_null', ['map', 'key', A], { pktAccess: true }),
  p(196, 'skc_to_mptcp_sock', 'btf_or_null', ['btf_sock_common']),
  p(197, 'dynptr_from_mem', 'int', ['unsupported']),
  p(198, 'ringbuf_reserve_dynptr', 'int', ['unsupported']),
  p(199, 'ringbuf_submit_dynptr', 'void', ['unsupported']),
  p(200, 'ringbuf_discard_dynptr', 'void', ['unsupported']),
  p(201, 'dynptr_read', 'int', ['unsupported']),
  p(202, 'dynptr_write', 'int', ['unsupported']),
  p(203, 'dynptr_data', 'int', ['unsupported']),
  p(204, 'tcp_raw_gen_syncookie_ipv4', 'int', ['fixed_mem20', 'mem', 'size']),
  p(205, 'tcp_raw_gen_syncookie_ipv6', 'int', ['fixed_mem40', 'mem', 'size']),
  p(206, 'tcp_raw_check_syncookie_ipv4', 'int', ['fixed_mem20', 'fixed_mem20']),
  p(207, 'tcp_raw_check_syncookie_ipv6', 'int', ['fixed_mem40', 'fixed_mem20']),
  p(208, 'ktime_get_tai_ns', 'int', []),
];

const BY_ID = new Map<number, HelperProto>(PROTOS.map((x) => [x.id, x]));

/** Helper names for every id 0..211 (unknown ones as the kernel prints them). */
export function helperName(id: number): string {
  return NAMES[id] ?? HELPER_TSV_NAMES[id] ?? 'unknown';
}

export type Availability = { ok: true; proto: HelperProto } | { ok: false; reason: 'unknown' | 'unavailable' | 'unmodelled' };

/** get_func_proto(): the prototype of helper `id` for a program of `progType`. */
export function helperProto(progType: string, id: number): Availability {
  if (id < 0 || id > MAX_HELPER_ID) return { ok: false, reason: 'unknown' };
  const avail = helperAvailable(progType, id);
  if (avail === false) return { ok: false, reason: 'unavailable' };
  const proto = BY_ID.get(id);
  if (!proto) return { ok: false, reason: avail === undefined ? 'unavailable' : 'unmodelled' };
  return { ok: true, proto };
}

export const MAX_HELPER_ID = 211;

// Names of helpers chainlab has no prototype for, for the kernel's "cannot use helper" message.
const HELPER_TSV_NAMES: Record<number, string> = {
  0: 'bpf_unspec', 36: 'bpf_probe_write_user', 56: 'bpf_perf_prog_read_value', 58: 'bpf_override_return',
  64: 'bpf_bind', 74: 'bpf_lwt_seg6_store_bytes', 75: 'bpf_lwt_seg6_adjust_srh', 76: 'bpf_lwt_seg6_action',
  77: 'bpf_rc_repeat', 78: 'bpf_rc_keydown', 82: 'bpf_sk_select_reuseport', 92: 'bpf_rc_pointer_rel',
  101: 'bpf_sysctl_get_name', 102: 'bpf_sysctl_get_current_value', 103: 'bpf_sysctl_get_new_value',
  104: 'bpf_sysctl_set_new_value', 111: 'bpf_skb_output', 116: 'bpf_tcp_send_ack', 119: 'bpf_read_branch_records',
  121: 'bpf_xdp_output', 126: 'bpf_seq_printf', 127: 'bpf_seq_write', 141: 'bpf_get_task_stack',
  145: 'bpf_inode_storage_get', 146: 'bpf_inode_storage_delete', 147: 'bpf_d_path', 149: 'bpf_snprintf_btf',
  150: 'bpf_seq_printf_btf', 153: 'bpf_per_cpu_ptr', 154: 'bpf_this_cpu_ptr', 156: 'bpf_task_storage_get',
  157: 'bpf_task_storage_delete', 158: 'bpf_get_current_task_btf', 159: 'bpf_bprm_opts_set', 161: 'bpf_ima_inode_hash',
  162: 'bpf_sock_from_file', 166: 'bpf_sys_bpf', 167: 'bpf_btf_find_by_name_kind', 168: 'bpf_sys_close',
  173: 'bpf_get_func_ip', 174: 'bpf_get_attach_cookie', 175: 'bpf_task_pt_regs', 176: 'bpf_get_branch_snapshot',
  179: 'bpf_kallsyms_lookup_name', 180: 'bpf_find_vma', 183: 'bpf_get_func_arg', 184: 'bpf_get_func_ret',
  185: 'bpf_get_func_arg_cnt', 186: 'bpf_get_retval', 187: 'bpf_set_retval', 193: 'bpf_ima_file_hash',
  209: 'bpf_user_ringbuf_drain', 210: 'bpf_cgrp_storage_get', 211: 'bpf_cgrp_storage_delete',
};

// Map type ids (include/uapi/linux/bpf.h enum bpf_map_type).
export const MAP = {
  HASH: 1,
  ARRAY: 2,
  PROG_ARRAY: 3,
  PERF_EVENT_ARRAY: 4,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  STACK_TRACE: 7,
  CGROUP_ARRAY: 8,
  LRU_HASH: 9,
  LRU_PERCPU_HASH: 10,
  LPM_TRIE: 11,
  ARRAY_OF_MAPS: 12,
  HASH_OF_MAPS: 13,
  DEVMAP: 14,
  SOCKMAP: 15,
  CPUMAP: 16,
  XSKMAP: 17,
  SOCKHASH: 18,
  CGROUP_STORAGE: 19,
  REUSEPORT_SOCKARRAY: 20,
  PERCPU_CGROUP_STORAGE: 21,
  QUEUE: 22,
  STACK: 23,
  SK_STORAGE: 24,
  DEVMAP_HASH: 25,
  RINGBUF: 27,
  BLOOM_FILTER: 30,
  USER_RINGBUF: 31,
} as const;

const F = {
  map_lookup_elem: 1,
  map_update_elem: 2,
  map_delete_elem: 3,
  tail_call: 12,
  perf_event_read: 22,
  perf_event_output: 25,
  get_stackid: 27,
  skb_under_cgroup: 33,
  current_task_under_cgroup: 37,
  redirect_map: 51,
  sk_redirect_map: 52,
  sock_map_update: 53,
  perf_event_read_value: 55,
  msg_redirect_map: 60,
  sock_hash_update: 70,
  msg_redirect_hash: 71,
  sk_redirect_hash: 72,
  get_local_storage: 81,
  sk_select_reuseport: 82,
  map_push_elem: 87,
  map_pop_elem: 88,
  map_peek_elem: 89,
  sk_storage_get: 107,
  sk_storage_delete: 108,
  skb_output: 111,
  xdp_output: 121,
  ringbuf_output: 130,
  ringbuf_reserve: 131,
  ringbuf_query: 134,
  kptr_xchg: 194,
  map_lookup_percpu_elem: 195,
  ringbuf_reserve_dynptr: 198,
  ringbuf_submit_dynptr: 199,
  ringbuf_discard_dynptr: 200,
  user_ringbuf_drain: 209,
} as const;

/** Program types that may update or delete sockmap/sockhash entries with the map helpers (may_update_sockmap). */
function mayUpdateSockmap(progType: string, func: number): boolean {
  if (func !== F.map_update_elem && func !== F.map_delete_elem) return false;
  switch (progType) {
    case 'BPF_PROG_TYPE_SOCK_OPS':
      return func === F.map_delete_elem;
    case 'BPF_PROG_TYPE_SOCKET_FILTER':
    case 'BPF_PROG_TYPE_SCHED_CLS':
    case 'BPF_PROG_TYPE_SCHED_ACT':
    case 'BPF_PROG_TYPE_XDP':
    case 'BPF_PROG_TYPE_SK_REUSEPORT':
    case 'BPF_PROG_TYPE_FLOW_DISSECTOR':
    case 'BPF_PROG_TYPE_SK_LOOKUP':
      return true;
    default:
      return false;
  }
}

const oneOf = (x: number, ...xs: number[]): boolean => xs.includes(x);

/**
 * check_map_func_compatibility(): undefined when `func` may take a map of `mapType`, else the
 * kernel's message. `sockmapUpdate` is reported separately ("cannot update sockmap in this context").
 */
export function mapFuncCompat(progType: string, mapType: number, func: number): string | undefined {
  let ok = true;
  let sockmapMsg = false;
  switch (mapType) {
    case MAP.PROG_ARRAY:
      ok = func === F.tail_call;
      break;
    case MAP.PERF_EVENT_ARRAY:
      ok = oneOf(func, F.perf_event_read, F.perf_event_output, F.skb_output, F.perf_event_read_value, F.xdp_output);
      break;
    case MAP.RINGBUF:
      ok = oneOf(func, F.ringbuf_output, F.ringbuf_reserve, F.ringbuf_query, F.ringbuf_reserve_dynptr, F.ringbuf_submit_dynptr, F.ringbuf_discard_dynptr);
      break;
    case MAP.USER_RINGBUF:
      ok = func === F.user_ringbuf_drain;
      break;
    case MAP.STACK_TRACE:
      ok = func === F.get_stackid;
      break;
    case MAP.CGROUP_ARRAY:
      ok = oneOf(func, F.skb_under_cgroup, F.current_task_under_cgroup);
      break;
    case MAP.CGROUP_STORAGE:
    case MAP.PERCPU_CGROUP_STORAGE:
      ok = func === F.get_local_storage;
      break;
    case MAP.DEVMAP:
    case MAP.DEVMAP_HASH:
      ok = oneOf(func, F.redirect_map, F.map_lookup_elem);
      break;
    case MAP.CPUMAP:
      ok = func === F.redirect_map;
      break;
    case MAP.XSKMAP:
      ok = oneOf(func, F.redirect_map, F.map_lookup_elem);
      break;
    case MAP.ARRAY_OF_MAPS:
    case MAP.HASH_OF_MAPS:
      ok = func === F.map_lookup_elem;
      break;
    case MAP.SOCKMAP:
      ok = oneOf(func, F.sk_redirect_map, F.sock_map_update, F.msg_redirect_map, F.sk_select_reuseport, F.map_lookup_elem);
      if (!ok) {
        ok = mayUpdateSockmap(progType, func);
        sockmapMsg = !ok && (func === F.map_update_elem || func === F.map_delete_elem);
      }
      break;
    case MAP.SOCKHASH:
      ok = oneOf(func, F.sk_redirect_hash, F.sock_hash_update, F.msg_redirect_hash, F.sk_select_reuseport, F.map_lookup_elem);
      if (!ok) {
        ok = mayUpdateSockmap(progType, func);
        sockmapMsg = !ok && (func === F.map_update_elem || func === F.map_delete_elem);
      }
      break;
    case MAP.REUSEPORT_SOCKARRAY:
      ok = func === F.sk_select_reuseport;
      break;
    case MAP.QUEUE:
    case MAP.STACK:
      ok = oneOf(func, F.map_peek_elem, F.map_pop_elem, F.map_push_elem);
      break;
    case MAP.SK_STORAGE:
      ok = oneOf(func, F.sk_storage_get, F.sk_storage_delete, F.kptr_xchg);
      break;
    case MAP.BLOOM_FILTER:
      ok = oneOf(func, F.map_peek_elem, F.map_push_elem);
      break;
  }
  if (ok) {
    switch (func) {
      case F.tail_call:
        ok = mapType === MAP.PROG_ARRAY;
        break;
      case F.perf_event_read:
      case F.perf_event_output:
      case F.perf_event_read_value:
      case F.skb_output:
      case F.xdp_output:
        ok = mapType === MAP.PERF_EVENT_ARRAY;
        break;
      case F.ringbuf_output:
      case F.ringbuf_reserve:
      case F.ringbuf_query:
        ok = mapType === MAP.RINGBUF;
        break;
      case F.get_stackid:
        ok = mapType === MAP.STACK_TRACE;
        break;
      case F.current_task_under_cgroup:
      case F.skb_under_cgroup:
        ok = mapType === MAP.CGROUP_ARRAY;
        break;
      case F.redirect_map:
        ok = oneOf(mapType, MAP.DEVMAP, MAP.DEVMAP_HASH, MAP.CPUMAP, MAP.XSKMAP);
        break;
      case F.sk_redirect_map:
      case F.msg_redirect_map:
      case F.sock_map_update:
        ok = mapType === MAP.SOCKMAP;
        break;
      case F.sk_redirect_hash:
      case F.msg_redirect_hash:
      case F.sock_hash_update:
        ok = mapType === MAP.SOCKHASH;
        break;
      case F.get_local_storage:
        ok = oneOf(mapType, MAP.CGROUP_STORAGE, MAP.PERCPU_CGROUP_STORAGE);
        break;
      case F.sk_select_reuseport:
        ok = oneOf(mapType, MAP.REUSEPORT_SOCKARRAY, MAP.SOCKMAP, MAP.SOCKHASH);
        break;
      case F.map_pop_elem:
        ok = oneOf(mapType, MAP.QUEUE, MAP.STACK);
        break;
      case F.map_peek_elem:
      case F.map_push_elem:
        ok = oneOf(mapType, MAP.QUEUE, MAP.STACK, MAP.BLOOM_FILTER);
        break;
      case F.map_lookup_percpu_elem:
        ok = oneOf(mapType, MAP.PERCPU_ARRAY, MAP.PERCPU_HASH, MAP.LRU_PERCPU_HASH);
        break;
      case F.sk_storage_get:
      case F.sk_storage_delete:
        ok = mapType === MAP.SK_STORAGE;
        break;
    }
  }
  if (ok) return undefined;
  if (sockmapMsg) return 'cannot update sockmap in this context';
  return `cannot pass map_type ${mapType} into func ${helperName(func)}#${func}`;
}

export const isMapInMap = (t: number): boolean => t === MAP.ARRAY_OF_MAPS || t === MAP.HASH_OF_MAPS;
