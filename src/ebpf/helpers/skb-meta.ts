/**
 * Metadata helpers of an skb and of the running task, net/core/filter.c and
 * kernel/bpf/helpers.c: bpf_skb_cgroup_classid, bpf_skb_cgroup_id, bpf_skb_ancestor_cgroup_id
 * (the cgroup of the skb's full socket, __bpf_sk_cgroup_id), bpf_get_current_cgroup_id,
 * bpf_get_current_ancestor_cgroup_id, bpf_skb_get_xfrm_state and bpf_skb_set_tstamp.
 *
 * What is modelled: chainlab has no cgroup hierarchy and no net_cls controller, so every socket
 * and every task belongs to the cgroup v2 root (id 1, level 0) and the classid is 0 — what
 * BPF_PROG_TEST_RUN answers when its caller runs in the root cgroup (the test run's socket takes
 * its creator's cgroup). An skb without a full socket has cgroup id 0. No skb carries an IPsec
 * security path, so bpf_skb_get_xfrm_state always fails. Measured on Linux 6.18
 * (test/fixtures/helpers_net.c, tc_skb_meta).
 */
import type { HelperContext, HelperFn } from '../vm/engine.ts';
import { BPF_SOCK, fieldByName } from '../ctx/layout.ts';
import { isFullSock } from '../ctx/sock.ts';
import { skbOf, u32 } from './context.ts';
import { EINVAL, EOPNOTSUPP } from './errno.ts';

/** The cgroup v2 root's id (its kernfs node id). */
export const ROOT_CGROUP_ID = 1n;

/** Linux's skb tstamp clocks: BPF_SKB_CLOCK_REALTIME (BPF_SKB_TSTAMP_UNSPEC), MONOTONIC (DELIVERY_MONO), TAI. */
const BPF_SKB_CLOCK_REALTIME = 0;
const BPF_SKB_CLOCK_MONOTONIC = 1;
const BPF_SKB_CLOCK_TAI = 2;

/** The id of the ancestor at `level` of a cgroup at level 0 (the root): itself, or 0 below it. */
const rootAncestor = (level: number): bigint => (level === 0 ? ROOT_CGROUP_ID : 0n);

const TCP_NEW_SYN_RECV = 12;
const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;

/**
 * Whether skb->sk leads to a full socket (sk_to_full_sk: a request socket stands for its
 * listener, which is full; a TIME_WAIT socket is not).
 */
function hasFullSock(c: HelperContext, helper: string): boolean {
  const skb = skbOf(c, helper);
  if (skb.sk === 0n) return false;
  const r = c.mem.regionOf(skb.sk);
  if (r === undefined || r.kind !== 'sock') return false;
  const state = r.view.getUint32(fieldByName(BPF_SOCK, 'state').off, true);
  return isFullSock(state) || state === TCP_NEW_SYN_RECV;
}

/** bpf_skb_get_xfrm_state(skb, index, xfrm_state, size, flags): no sec_path, so -EINVAL with the buffer cleared. */
function getXfrmState(c: HelperContext): number {
  skbOf(c, 'bpf_skb_get_xfrm_state');
  c.mem.writable(c.arg(3), u32(c, 4)).fill(0);
  return EINVAL;
}

/**
 * bpf_skb_set_tstamp(skb, tstamp, tstamp_type): REALTIME takes any value (0 too); MONOTONIC and
 * TAI need a non-zero one; another type is -EINVAL; an skb whose protocol is not IPv4 or IPv6
 * (a VLAN-tagged frame, ARP) is -EOPNOTSUPP. skb->tstamp_type takes the clock's number.
 */
function setTstamp(c: HelperContext): number {
  const skb = skbOf(c, 'bpf_skb_set_tstamp');
  // Only IPv4/IPv6 skbs: skb_clear_delivery_time() runs for the inet protocols alone.
  if (skb.protocol !== ETH_P_IP && skb.protocol !== ETH_P_IPV6) return EOPNOTSUPP;
  const tstamp = c.arg(2);
  const type = u32(c, 3);
  if (type !== BPF_SKB_CLOCK_REALTIME && type !== BPF_SKB_CLOCK_MONOTONIC && type !== BPF_SKB_CLOCK_TAI) return EINVAL;
  if (type !== BPF_SKB_CLOCK_REALTIME && tstamp === 0n) return EINVAL;
  skb.setU64('tstamp', tstamp);
  skb.set('tstamp_type', type);
  return 0;
}

export const SKB_META_HELPERS: ReadonlyMap<number, HelperFn> = new Map<number, HelperFn>([
  [151, (c) => {
    skbOf(c, 'bpf_skb_cgroup_classid');
    return 0;
  }],
  [79, (c) => (hasFullSock(c, 'bpf_skb_cgroup_id') ? ROOT_CGROUP_ID : 0n)],
  [83, (c) => (hasFullSock(c, 'bpf_skb_ancestor_cgroup_id') ? rootAncestor(c.argLo(2)) : 0n)],
  [80, () => ROOT_CGROUP_ID],
  [123, (c) => rootAncestor(c.argLo(1))],
  [66, getXfrmState],
  [192, setTstamp],
]);
