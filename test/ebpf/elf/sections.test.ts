import { describe, expect, it } from 'vitest';
import { BPF_F_SLEEPABLE, BPF_F_XDP_HAS_FRAGS } from '../../../src/ebpf/elf/kernel-names.ts';
import { programTypeForSection } from '../../../src/ebpf/elf/sections.ts';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// [section, prog type (without BPF_PROG_TYPE_), attach type, attach target, flags]
const CASES: [string, string, string?, string?, number?][] = [
  ['xdp', 'XDP', 'BPF_XDP'],
  ['xdp.frags', 'XDP', 'BPF_XDP', undefined, BPF_F_XDP_HAS_FRAGS],
  ['xdp/devmap', 'XDP', 'BPF_XDP_DEVMAP'],
  ['xdp/cpumap', 'XDP', 'BPF_XDP_CPUMAP'],
  ['xdp.frags/devmap', 'XDP', 'BPF_XDP_DEVMAP', undefined, BPF_F_XDP_HAS_FRAGS],
  ['xdp.frags/cpumap', 'XDP', 'BPF_XDP_CPUMAP', undefined, BPF_F_XDP_HAS_FRAGS],
  ['tc', 'SCHED_CLS'],
  ['classifier', 'SCHED_CLS'],
  ['tc/ingress', 'SCHED_CLS', 'BPF_TCX_INGRESS'],
  ['tc/egress', 'SCHED_CLS', 'BPF_TCX_EGRESS'],
  ['tcx/ingress', 'SCHED_CLS', 'BPF_TCX_INGRESS'],
  ['tcx/egress', 'SCHED_CLS', 'BPF_TCX_EGRESS'],
  ['netkit/primary', 'SCHED_CLS', 'BPF_NETKIT_PRIMARY'],
  ['action', 'SCHED_ACT'],
  ['socket', 'SOCKET_FILTER'],
  ['sk_skb/stream_parser', 'SK_SKB', 'BPF_SK_SKB_STREAM_PARSER'],
  ['sk_skb/stream_verdict', 'SK_SKB', 'BPF_SK_SKB_STREAM_VERDICT'],
  ['sk_skb/verdict', 'SK_SKB', 'BPF_SK_SKB_VERDICT'],
  ['sk_skb', 'SK_SKB'],
  ['sk_msg', 'SK_MSG', 'BPF_SK_MSG_VERDICT'],
  ['sk_lookup', 'SK_LOOKUP', 'BPF_SK_LOOKUP'],
  ['sockops', 'SOCK_OPS', 'BPF_CGROUP_SOCK_OPS'],
  ['cgroup_skb/ingress', 'CGROUP_SKB', 'BPF_CGROUP_INET_INGRESS'],
  ['cgroup_skb/egress', 'CGROUP_SKB', 'BPF_CGROUP_INET_EGRESS'],
  ['cgroup/skb', 'CGROUP_SKB'],
  ['cgroup/connect4', 'CGROUP_SOCK_ADDR', 'BPF_CGROUP_INET4_CONNECT'],
  ['cgroup/sock', 'CGROUP_SOCK', 'BPF_CGROUP_INET_SOCK_CREATE'],
  ['cgroup/dev', 'CGROUP_DEVICE', 'BPF_CGROUP_DEVICE'],
  ['tracepoint/net/netif_receive_skb', 'TRACEPOINT', undefined, 'net/netif_receive_skb'],
  ['tp/xdp/xdp_redirect', 'TRACEPOINT', undefined, 'xdp/xdp_redirect'],
  ['tracepoint', 'TRACEPOINT'],
  ['raw_tp/xdp_exception', 'RAW_TRACEPOINT', undefined, 'xdp_exception'],
  ['raw_tracepoint/kfree_skb', 'RAW_TRACEPOINT', undefined, 'kfree_skb'],
  ['raw_tp.w/bpf_test_finish', 'RAW_TRACEPOINT_WRITABLE', undefined, 'bpf_test_finish'],
  ['kprobe/dev_queue_xmit', 'KPROBE', undefined, 'dev_queue_xmit'],
  ['kretprobe/dev_queue_xmit', 'KPROBE', undefined, 'dev_queue_xmit'],
  ['kprobe.multi/tcp_*', 'KPROBE', 'BPF_TRACE_KPROBE_MULTI', 'tcp_*'],
  ['uprobe.s//bin/sh:main', 'KPROBE', undefined, '/bin/sh:main', BPF_F_SLEEPABLE],
  ['fentry/tcp_v4_rcv', 'TRACING', 'BPF_TRACE_FENTRY', 'tcp_v4_rcv'],
  ['fexit/tcp_v4_rcv', 'TRACING', 'BPF_TRACE_FEXIT', 'tcp_v4_rcv'],
  ['fentry.s/do_sys_open', 'TRACING', 'BPF_TRACE_FENTRY', 'do_sys_open', BPF_F_SLEEPABLE],
  ['fmod_ret/security_x', 'TRACING', 'BPF_MODIFY_RETURN', 'security_x'],
  ['tp_btf/kfree_skb', 'TRACING', 'BPF_TRACE_RAW_TP', 'kfree_skb'],
  ['lsm/file_open', 'LSM', 'BPF_LSM_MAC', 'file_open'],
  ['iter/bpf_map', 'TRACING', 'BPF_TRACE_ITER', 'bpf_map'],
  ['freplace/handler', 'EXT', undefined, 'handler'],
  ['syscall', 'SYSCALL', undefined, undefined, BPF_F_SLEEPABLE],
  ['struct_ops/tcp_init', 'STRUCT_OPS', undefined, 'tcp_init'],
  ['perf_event', 'PERF_EVENT'],
  ['flow_dissector', 'FLOW_DISSECTOR', 'BPF_FLOW_DISSECTOR'],
  ['lwt_xmit', 'LWT_XMIT'],
  ['netfilter', 'NETFILTER', 'BPF_NETFILTER'],
  // libbpf 1.0 dropped prefix matching: these are not program sections it knows.
  ['xdp/foo', 'UNSPEC'],
  ['xdp_prog', 'UNSPEC'],
  ['kprobes/x', 'UNSPEC'],
  ['prog', 'UNSPEC'],
  ['socket/filter', 'UNSPEC'],
];

describe('SEC() name → program type (libbpf section_defs)', () => {
  it.each(CASES)('%s → %s', (sec, type, attach, target, flags) => {
    const r = programTypeForSection(sec);
    expect(r.progType).toBe(`BPF_PROG_TYPE_${type}`);
    expect(r.attachType).toBe(attach);
    expect(r.attachTarget).toBe(target);
    expect(r.flags).toBe(flags ?? 0);
  });

  // The shared reference table sits next to the checkout, when it is there.
  const tsv = join(import.meta.dirname, '../../../../shared/reference/prog_types.tsv');
  it.skipIf(!existsSync(tsv))('names only kernel program types (shared/reference/prog_types.tsv)', () => {
    const known = new Set(
      readFileSync(tsv, 'utf8')
        .split('\n')
        .slice(1)
        .map((l) => l.split('\t')[1])
        .filter(Boolean),
    );
    for (const [sec] of CASES) expect(known, sec).toContain(programTypeForSection(sec).progType);
  });
});
