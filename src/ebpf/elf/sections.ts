/**
 * SEC() name → program type, expected attach type and load flags: libbpf's section_defs[]
 * table and its sec_def_matches() rules (tools/lib/bpf/libbpf.c, libbpf 1.5).
 *
 * A definition ending in '+' matches the exact name or "name/anything"; one ending in '/'
 * matches any name with that prefix; any other must match exactly. The first match in
 * table order wins, so the order below is libbpf's.
 */
import { BPF_F_SLEEPABLE, BPF_F_XDP_HAS_FRAGS } from './kernel-names.ts';

interface SecDef {
  sec: string;
  /** Kernel program type name without the BPF_PROG_TYPE_ prefix. */
  type: string;
  /** Kernel attach type name, when libbpf sets expected_attach_type. */
  attach?: string;
  flags?: number;
}

const S = BPF_F_SLEEPABLE;
const F = BPF_F_XDP_HAS_FRAGS;

const SECTION_DEFS: readonly SecDef[] = [
  { sec: 'socket', type: 'SOCKET_FILTER' },
  { sec: 'sk_reuseport/migrate', type: 'SK_REUSEPORT', attach: 'BPF_SK_REUSEPORT_SELECT_OR_MIGRATE' },
  { sec: 'sk_reuseport', type: 'SK_REUSEPORT', attach: 'BPF_SK_REUSEPORT_SELECT' },
  { sec: 'kprobe+', type: 'KPROBE' },
  { sec: 'uprobe+', type: 'KPROBE' },
  { sec: 'uprobe.s+', type: 'KPROBE', flags: S },
  { sec: 'kretprobe+', type: 'KPROBE' },
  { sec: 'uretprobe+', type: 'KPROBE' },
  { sec: 'uretprobe.s+', type: 'KPROBE', flags: S },
  { sec: 'kprobe.multi+', type: 'KPROBE', attach: 'BPF_TRACE_KPROBE_MULTI' },
  { sec: 'kretprobe.multi+', type: 'KPROBE', attach: 'BPF_TRACE_KPROBE_MULTI' },
  { sec: 'kprobe.session+', type: 'KPROBE', attach: 'BPF_TRACE_KPROBE_SESSION' },
  { sec: 'uprobe.multi+', type: 'KPROBE', attach: 'BPF_TRACE_UPROBE_MULTI' },
  { sec: 'uretprobe.multi+', type: 'KPROBE', attach: 'BPF_TRACE_UPROBE_MULTI' },
  { sec: 'uprobe.multi.s+', type: 'KPROBE', attach: 'BPF_TRACE_UPROBE_MULTI', flags: S },
  { sec: 'uretprobe.multi.s+', type: 'KPROBE', attach: 'BPF_TRACE_UPROBE_MULTI', flags: S },
  { sec: 'uprobe.session+', type: 'KPROBE', attach: 'BPF_TRACE_UPROBE_SESSION' },
  { sec: 'uprobe.session.s+', type: 'KPROBE', attach: 'BPF_TRACE_UPROBE_SESSION', flags: S },
  { sec: 'ksyscall+', type: 'KPROBE' },
  { sec: 'kretsyscall+', type: 'KPROBE' },
  { sec: 'usdt+', type: 'KPROBE' },
  { sec: 'usdt.s+', type: 'KPROBE', flags: S },
  { sec: 'tc/ingress', type: 'SCHED_CLS', attach: 'BPF_TCX_INGRESS' }, // alias for tcx
  { sec: 'tc/egress', type: 'SCHED_CLS', attach: 'BPF_TCX_EGRESS' }, // alias for tcx
  { sec: 'tcx/ingress', type: 'SCHED_CLS', attach: 'BPF_TCX_INGRESS' },
  { sec: 'tcx/egress', type: 'SCHED_CLS', attach: 'BPF_TCX_EGRESS' },
  { sec: 'tc', type: 'SCHED_CLS' },
  { sec: 'classifier', type: 'SCHED_CLS' },
  { sec: 'action', type: 'SCHED_ACT' },
  { sec: 'netkit/primary', type: 'SCHED_CLS', attach: 'BPF_NETKIT_PRIMARY' },
  { sec: 'netkit/peer', type: 'SCHED_CLS', attach: 'BPF_NETKIT_PEER' },
  { sec: 'tracepoint+', type: 'TRACEPOINT' },
  { sec: 'tp+', type: 'TRACEPOINT' },
  { sec: 'raw_tracepoint+', type: 'RAW_TRACEPOINT' },
  { sec: 'raw_tp+', type: 'RAW_TRACEPOINT' },
  { sec: 'raw_tracepoint.w+', type: 'RAW_TRACEPOINT_WRITABLE' },
  { sec: 'raw_tp.w+', type: 'RAW_TRACEPOINT_WRITABLE' },
  { sec: 'tp_btf+', type: 'TRACING', attach: 'BPF_TRACE_RAW_TP' },
  { sec: 'fentry+', type: 'TRACING', attach: 'BPF_TRACE_FENTRY' },
  { sec: 'fmod_ret+', type: 'TRACING', attach: 'BPF_MODIFY_RETURN' },
  { sec: 'fexit+', type: 'TRACING', attach: 'BPF_TRACE_FEXIT' },
  { sec: 'fentry.s+', type: 'TRACING', attach: 'BPF_TRACE_FENTRY', flags: S },
  { sec: 'fmod_ret.s+', type: 'TRACING', attach: 'BPF_MODIFY_RETURN', flags: S },
  { sec: 'fexit.s+', type: 'TRACING', attach: 'BPF_TRACE_FEXIT', flags: S },
  { sec: 'freplace+', type: 'EXT' },
  { sec: 'lsm+', type: 'LSM', attach: 'BPF_LSM_MAC' },
  { sec: 'lsm.s+', type: 'LSM', attach: 'BPF_LSM_MAC', flags: S },
  { sec: 'lsm_cgroup+', type: 'LSM', attach: 'BPF_LSM_CGROUP' },
  { sec: 'iter+', type: 'TRACING', attach: 'BPF_TRACE_ITER' },
  { sec: 'iter.s+', type: 'TRACING', attach: 'BPF_TRACE_ITER', flags: S },
  { sec: 'syscall', type: 'SYSCALL', flags: S },
  { sec: 'xdp.frags/devmap', type: 'XDP', attach: 'BPF_XDP_DEVMAP', flags: F },
  { sec: 'xdp/devmap', type: 'XDP', attach: 'BPF_XDP_DEVMAP' },
  { sec: 'xdp.frags/cpumap', type: 'XDP', attach: 'BPF_XDP_CPUMAP', flags: F },
  { sec: 'xdp/cpumap', type: 'XDP', attach: 'BPF_XDP_CPUMAP' },
  { sec: 'xdp.frags', type: 'XDP', attach: 'BPF_XDP', flags: F },
  { sec: 'xdp', type: 'XDP', attach: 'BPF_XDP' },
  { sec: 'perf_event', type: 'PERF_EVENT' },
  { sec: 'lwt_in', type: 'LWT_IN' },
  { sec: 'lwt_out', type: 'LWT_OUT' },
  { sec: 'lwt_xmit', type: 'LWT_XMIT' },
  { sec: 'lwt_seg6local', type: 'LWT_SEG6LOCAL' },
  { sec: 'sockops', type: 'SOCK_OPS', attach: 'BPF_CGROUP_SOCK_OPS' },
  { sec: 'sk_skb/stream_parser', type: 'SK_SKB', attach: 'BPF_SK_SKB_STREAM_PARSER' },
  { sec: 'sk_skb/stream_verdict', type: 'SK_SKB', attach: 'BPF_SK_SKB_STREAM_VERDICT' },
  { sec: 'sk_skb/verdict', type: 'SK_SKB', attach: 'BPF_SK_SKB_VERDICT' },
  { sec: 'sk_skb', type: 'SK_SKB' },
  { sec: 'sk_msg', type: 'SK_MSG', attach: 'BPF_SK_MSG_VERDICT' },
  { sec: 'lirc_mode2', type: 'LIRC_MODE2', attach: 'BPF_LIRC_MODE2' },
  { sec: 'flow_dissector', type: 'FLOW_DISSECTOR', attach: 'BPF_FLOW_DISSECTOR' },
  { sec: 'cgroup_skb/ingress', type: 'CGROUP_SKB', attach: 'BPF_CGROUP_INET_INGRESS' },
  { sec: 'cgroup_skb/egress', type: 'CGROUP_SKB', attach: 'BPF_CGROUP_INET_EGRESS' },
  { sec: 'cgroup/skb', type: 'CGROUP_SKB' },
  { sec: 'cgroup/sock_create', type: 'CGROUP_SOCK', attach: 'BPF_CGROUP_INET_SOCK_CREATE' },
  { sec: 'cgroup/sock_release', type: 'CGROUP_SOCK', attach: 'BPF_CGROUP_INET_SOCK_RELEASE' },
  { sec: 'cgroup/sock', type: 'CGROUP_SOCK', attach: 'BPF_CGROUP_INET_SOCK_CREATE' },
  { sec: 'cgroup/post_bind4', type: 'CGROUP_SOCK', attach: 'BPF_CGROUP_INET4_POST_BIND' },
  { sec: 'cgroup/post_bind6', type: 'CGROUP_SOCK', attach: 'BPF_CGROUP_INET6_POST_BIND' },
  { sec: 'cgroup/bind4', type: 'CGROUP_SOCK_ADDR', attach: 'BPF_CGROUP_INET4_BIND' },
  { sec: 'cgroup/bind6', type: 'CGROUP_SOCK_ADDR', attach: 'BPF_CGROUP_INET6_BIND' },
  { sec: 'cgroup/connect4', type: 'CGROUP_SOCK_ADDR', attach: 'BPF_CGROUP_INET4_CONNECT' },
  { sec: 'cgroup/connect6', type: 'CGROUP_SOCK_ADDR', attach: 'BPF_CGROUP_INET6_CONNECT' },
  { sec: 'cgroup/connect_unix', type: 'CGROUP_SOCK_ADDR', attach: 'BPF_CGROUP_UNIX_CONNECT' },
  { sec: 'cgroup/sendmsg4', type: 'CGROUP_SOCK_ADDR', attach: 'BPF_CGROUP_UDP4_SENDMSG' },
  { sec: 'cgroup/sendmsg6', type: 'CGROUP_SOCK_ADDR', attach: 'BPF_CGROUP_UDP6_SENDMSG' },
  { sec: 'cgroup/sendmsg_unix', type: 'CGROUP_SOCK_ADDR', attach: 'BPF_CGROUP_UNIX_SENDMSG' },
  { sec: 'cgroup/recvmsg4', type: 'CGROUP_SOCK_ADDR', attach: 'BPF_CGROUP_UDP4_RECVMSG' },
  { sec: 'cgroup/recvmsg6', type: 'CGROUP_SOCK_ADDR', attach: 'BPF_CGROUP_UDP6_RECVMSG' },
  { sec: 'cgroup/recvmsg_unix', type: 'CGROUP_SOCK_ADDR', attach: 'BPF_CGROUP_UNIX_RECVMSG' },
  { sec: 'cgroup/getpeername4', type: 'CGROUP_SOCK_ADDR', attach: 'BPF_CGROUP_INET4_GETPEERNAME' },
  { sec: 'cgroup/getpeername6', type: 'CGROUP_SOCK_ADDR', attach: 'BPF_CGROUP_INET6_GETPEERNAME' },
  { sec: 'cgroup/getpeername_unix', type: 'CGROUP_SOCK_ADDR', attach: 'BPF_CGROUP_UNIX_GETPEERNAME' },
  { sec: 'cgroup/getsockname4', type: 'CGROUP_SOCK_ADDR', attach: 'BPF_CGROUP_INET4_GETSOCKNAME' },
  { sec: 'cgroup/getsockname6', type: 'CGROUP_SOCK_ADDR', attach: 'BPF_CGROUP_INET6_GETSOCKNAME' },
  { sec: 'cgroup/getsockname_unix', type: 'CGROUP_SOCK_ADDR', attach: 'BPF_CGROUP_UNIX_GETSOCKNAME' },
  { sec: 'cgroup/sysctl', type: 'CGROUP_SYSCTL', attach: 'BPF_CGROUP_SYSCTL' },
  { sec: 'cgroup/getsockopt', type: 'CGROUP_SOCKOPT', attach: 'BPF_CGROUP_GETSOCKOPT' },
  { sec: 'cgroup/setsockopt', type: 'CGROUP_SOCKOPT', attach: 'BPF_CGROUP_SETSOCKOPT' },
  { sec: 'cgroup/dev', type: 'CGROUP_DEVICE', attach: 'BPF_CGROUP_DEVICE' },
  { sec: 'struct_ops+', type: 'STRUCT_OPS' },
  { sec: 'struct_ops.s+', type: 'STRUCT_OPS', flags: S },
  { sec: 'sk_lookup', type: 'SK_LOOKUP', attach: 'BPF_SK_LOOKUP' },
  { sec: 'netfilter', type: 'NETFILTER', attach: 'BPF_NETFILTER' },
];

export interface SectionProgType {
  /** Kernel program type name, e.g. 'BPF_PROG_TYPE_XDP'; BPF_PROG_TYPE_UNSPEC when unknown. */
  progType: string;
  /** Kernel attach type name, e.g. 'BPF_XDP', when libbpf sets expected_attach_type. */
  attachType?: string;
  /** What follows the matched prefix, e.g. 'net/netif_receive_skb' for "tracepoint/net/netif_receive_skb". */
  attachTarget?: string;
  /** BPF_PROG_LOAD prog_flags implied by the name (BPF_F_SLEEPABLE, BPF_F_XDP_HAS_FRAGS). */
  flags: number;
}

function matches(def: string, name: string): string | undefined {
  if (def.endsWith('/')) return name.startsWith(def) ? name.slice(def.length) : undefined;
  if (def.endsWith('+')) {
    const base = def.slice(0, -1);
    if (name === base) return '';
    return name.startsWith(base + '/') ? name.slice(base.length + 1) : undefined;
  }
  return name === def ? '' : undefined;
}

/**
 * The program type libbpf would give a program in section `name`. Unknown names give
 * BPF_PROG_TYPE_UNSPEC, as libbpf leaves them: the caller must then name a type, like
 * `bpftool prog load ... type xdp`.
 */
export function programTypeForSection(name: string): SectionProgType {
  for (const def of SECTION_DEFS) {
    const rest = matches(def.sec, name);
    if (rest === undefined) continue;
    const out: SectionProgType = { progType: `BPF_PROG_TYPE_${def.type}`, flags: def.flags ?? 0 };
    if (def.attach) out.attachType = def.attach;
    if (rest !== '') out.attachTarget = rest;
    return out;
  }
  return { progType: 'BPF_PROG_TYPE_UNSPEC', flags: 0 };
}
