/**
 * Byte layouts of the program contexts (include/uapi/linux/bpf.h): struct xdp_md,
 * struct __sk_buff, struct sk_msg_md and struct bpf_sock, with the kernel's field names.
 */

export interface Field {
  readonly name: string;
  readonly off: number;
  readonly size: number;
  /** Pointer fields the kernel rewrites into real pointers (data, data_end, sk…). */
  readonly ptr?: boolean;
}

const fields = (list: [string, number, number, boolean?][]): readonly Field[] =>
  list.map(([name, off, size, ptr]) => ({ name, off, size, ptr: ptr ?? false }));

export const XDP_MD_SIZE = 24;
export const XDP_MD: readonly Field[] = fields([
  ['data', 0, 4, true],
  ['data_end', 4, 4, true],
  ['data_meta', 8, 4, true],
  ['ingress_ifindex', 12, 4],
  ['rx_queue_index', 16, 4],
  ['egress_ifindex', 20, 4],
]);

export const SK_BUFF_SIZE = 192;
export const SK_BUFF: readonly Field[] = fields([
  ['len', 0, 4],
  ['pkt_type', 4, 4],
  ['mark', 8, 4],
  ['queue_mapping', 12, 4],
  ['protocol', 16, 4],
  ['vlan_present', 20, 4],
  ['vlan_tci', 24, 4],
  ['vlan_proto', 28, 4],
  ['priority', 32, 4],
  ['ingress_ifindex', 36, 4],
  ['ifindex', 40, 4],
  ['tc_index', 44, 4],
  ['cb', 48, 20],
  ['hash', 68, 4],
  ['tc_classid', 72, 4],
  ['data', 76, 4, true],
  ['data_end', 80, 4, true],
  ['napi_id', 84, 4],
  ['family', 88, 4],
  ['remote_ip4', 92, 4],
  ['local_ip4', 96, 4],
  ['remote_ip6', 100, 16],
  ['local_ip6', 116, 16],
  ['remote_port', 132, 4],
  ['local_port', 136, 4],
  ['data_meta', 140, 4, true],
  ['flow_keys', 144, 8, true],
  ['tstamp', 152, 8],
  ['wire_len', 160, 4],
  ['gso_segs', 164, 4],
  ['sk', 168, 8, true],
  ['gso_size', 176, 4],
  ['tstamp_type', 180, 1],
  ['hwtstamp', 184, 8],
]);

export const SK_MSG_MD_SIZE = 80;
export const SK_MSG_MD: readonly Field[] = fields([
  ['data', 0, 8, true],
  ['data_end', 8, 8, true],
  ['family', 16, 4],
  ['remote_ip4', 20, 4],
  ['local_ip4', 24, 4],
  ['remote_ip6', 28, 16],
  ['local_ip6', 44, 16],
  ['remote_port', 60, 4],
  ['local_port', 64, 4],
  ['size', 68, 4],
  ['sk', 72, 8, true],
]);

export const BPF_SOCK_SIZE = 80;
export const BPF_SOCK: readonly Field[] = fields([
  ['bound_dev_if', 0, 4],
  ['family', 4, 4],
  ['type', 8, 4],
  ['protocol', 12, 4],
  ['mark', 16, 4],
  ['priority', 20, 4],
  ['src_ip4', 24, 4],
  ['src_ip6', 28, 16],
  ['src_port', 44, 4],
  ['dst_port', 48, 4],
  ['dst_ip4', 52, 4],
  ['dst_ip6', 56, 16],
  ['state', 72, 4],
  ['rx_queue_mapping', 76, 4],
]);

const byOffset = new WeakMap<readonly Field[], (Field | undefined)[]>();

/** The field covering byte `off` (an index per layout: programs touch context fields on every run). */
export function fieldAt(layout: readonly Field[], off: number): Field | undefined {
  let idx = byOffset.get(layout);
  if (idx === undefined) {
    idx = [];
    for (const f of layout) for (let b = f.off; b < f.off + f.size; b++) idx[b] ??= f;
    byOffset.set(layout, idx);
  }
  return off >= 0 ? idx[off] : undefined;
}

const byName = new WeakMap<readonly Field[], Map<string, Field>>();

/** A field by name (an index per layout: contexts are filled field by field on every run). */
export function fieldByName(layout: readonly Field[], name: string): Field {
  let m = byName.get(layout);
  if (!m) byName.set(layout, (m = new Map(layout.map((f) => [f.name, f]))));
  const f = m.get(name);
  if (!f) throw new Error(`no context field ${name}`);
  return f;
}

/**
 * __sk_buff fields a program may write, per program type (net/core/filter.c:
 * sk_filter_is_valid_access, tc_cls_act_is_valid_access, cg_skb_is_valid_access, sk_skb_is_valid_access).
 */
export const SKB_WRITABLE: Readonly<Record<string, readonly string[]>> = {
  BPF_PROG_TYPE_SOCKET_FILTER: ['cb'],
  BPF_PROG_TYPE_SCHED_CLS: ['mark', 'priority', 'queue_mapping', 'tc_index', 'cb', 'tc_classid', 'tstamp'],
  BPF_PROG_TYPE_SCHED_ACT: ['mark', 'priority', 'queue_mapping', 'tc_index', 'cb', 'tc_classid', 'tstamp'],
  BPF_PROG_TYPE_CGROUP_SKB: ['mark', 'priority', 'cb', 'tstamp'],
  BPF_PROG_TYPE_SK_SKB: ['tc_index', 'priority'],
  BPF_PROG_TYPE_LWT_IN: ['cb'],
  BPF_PROG_TYPE_LWT_OUT: ['cb'],
  BPF_PROG_TYPE_LWT_XMIT: ['mark', 'priority', 'cb'],
};

/** Fill a reused [lo, hi] pair (special context loads hand the engine one per load). */
export function pair(out: [number, number], lo: number, hi: number): readonly [number, number] {
  out[0] = lo;
  out[1] = hi;
  return out;
}
