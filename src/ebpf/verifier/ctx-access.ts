/**
 * Context field access rules per program type, as net/core/filter.c's is_valid_access
 * callbacks decide them: xdp_is_valid_access(), tc_cls_act_is_valid_access(),
 * sk_filter_is_valid_access(), cg_skb_is_valid_access(), sk_skb_is_valid_access(),
 * lwt_is_valid_access(), flow_dissector_is_valid_access(), sk_msg_is_valid_access() on top of
 * bpf_skb_is_valid_access(); and the socket views bpf_sock_is_valid_access(),
 * bpf_sock_common_is_valid_access(), bpf_tcp_sock_is_valid_access(),
 * bpf_xdp_sock_is_valid_access(). Offsets are those of include/uapi/linux/bpf.h.
 */
import type { RegType } from './reg.ts';

export interface CtxAccess {
  /** What a load gives: a scalar, or a pointer the kernel rewrites the load into. */
  readonly type: RegType;
  readonly maybeNull?: boolean;
}

const SCALAR: CtxAccess = { type: 'scalar' };
const READ = 0;
const WRITE = 1;
type Rw = typeof READ | typeof WRITE;

/** Within [first, first + len) (the kernel's bpf_ctx_range / bpf_ctx_range_till). */
const inRange = (off: number, first: number, len: number): boolean => off >= first && off < first + len;
/** bpf_ctx_narrow_access_ok: a power-of-two size no wider than the field. */
const narrowOk = (size: number, field: number): boolean => size <= field && (size & (size - 1)) === 0;

// struct __sk_buff offsets.
const SKB = {
  len: 0,
  pkt_type: 4,
  mark: 8,
  queue_mapping: 12,
  protocol: 16,
  priority: 32,
  tc_index: 44,
  cb: 48, // 5 x u32
  tc_classid: 72,
  data: 76,
  data_end: 80,
  family: 88,
  remote_ip4: 92,
  local_ip4: 96,
  remote_ip6: 100,
  local_ip6: 116,
  local_port: 136, // last of family..local_port
  data_meta: 140,
  flow_keys: 144,
  tstamp: 152,
  wire_len: 160,
  sk: 168,
  tstamp_type: 180,
  hwtstamp: 184,
  SIZE: 192,
} as const;

const isCb = (off: number): boolean => inRange(off, SKB.cb, 20);
const isFamilyToLocalPort = (off: number): boolean => off >= SKB.family && off < SKB.local_port + 4;

/** bpf_skb_is_valid_access: the common __sk_buff rules. */
function skbValid(off: number, size: number, t: Rw, res: CtxAccess): CtxAccess | undefined {
  if (off < 0 || off >= SKB.SIZE) return undefined;
  if (off % size !== 0) return undefined;
  if (isCb(off)) {
    if (off + size > SKB.cb + 20) return undefined;
    return res;
  }
  if (
    inRange(off, SKB.remote_ip6, 16) ||
    inRange(off, SKB.local_ip6, 16) ||
    inRange(off, SKB.remote_ip4, 4) ||
    inRange(off, SKB.local_ip4, 4) ||
    inRange(off, SKB.data, 4) ||
    inRange(off, SKB.data_meta, 4) ||
    inRange(off, SKB.data_end, 4)
  ) {
    return size === 4 ? res : undefined;
  }
  if (inRange(off, SKB.flow_keys, 8)) return undefined;
  if (inRange(off, SKB.hwtstamp, 8)) return t === WRITE || size !== 8 ? undefined : res;
  if (inRange(off, SKB.tstamp, 8)) return size === 8 ? res : undefined;
  if (off === SKB.sk) return t === WRITE || size !== 8 ? undefined : { type: 'sock_common', maybeNull: true };
  if (off === SKB.tstamp_type) return undefined;
  if (off > SKB.tstamp_type && off < SKB.hwtstamp) return undefined;
  if (t === WRITE) return size === 4 ? res : undefined;
  return narrowOk(size, 4) ? res : undefined;
}

function pktPointer(off: number, withMeta: boolean): CtxAccess {
  if (inRange(off, SKB.data, 4)) return { type: 'pkt' };
  if (inRange(off, SKB.data_end, 4)) return { type: 'pkt_end' };
  if (withMeta && inRange(off, SKB.data_meta, 4)) return { type: 'pkt_meta' };
  return SCALAR;
}

function tcAccess(off: number, size: number, t: Rw): CtxAccess | undefined {
  if (t === WRITE) {
    const ok =
      inRange(off, SKB.mark, 4) ||
      inRange(off, SKB.tc_index, 4) ||
      inRange(off, SKB.priority, 4) ||
      inRange(off, SKB.tc_classid, 4) ||
      isCb(off) ||
      inRange(off, SKB.tstamp, 8) ||
      inRange(off, SKB.queue_mapping, 4);
    if (!ok) return undefined;
  }
  if (isFamilyToLocalPort(off)) return undefined;
  if (off === SKB.tstamp_type) return size === 1 ? SCALAR : undefined;
  return skbValid(off, size, t, pktPointer(off, true));
}

function socketFilterAccess(off: number, size: number, t: Rw): CtxAccess | undefined {
  if (
    inRange(off, SKB.tc_classid, 4) ||
    inRange(off, SKB.data, 4) ||
    inRange(off, SKB.data_meta, 4) ||
    inRange(off, SKB.data_end, 4) ||
    isFamilyToLocalPort(off) ||
    inRange(off, SKB.tstamp, 8) ||
    inRange(off, SKB.wire_len, 4) ||
    inRange(off, SKB.hwtstamp, 8)
  ) {
    return undefined;
  }
  if (t === WRITE && !isCb(off)) return undefined;
  return skbValid(off, size, t, SCALAR);
}

function cgroupSkbAccess(off: number, size: number, t: Rw): CtxAccess | undefined {
  if (inRange(off, SKB.tc_classid, 4) || inRange(off, SKB.data_meta, 4) || inRange(off, SKB.wire_len, 4)) return undefined;
  if (t === WRITE) {
    const ok = inRange(off, SKB.mark, 4) || inRange(off, SKB.priority, 4) || isCb(off) || inRange(off, SKB.tstamp, 8);
    if (!ok) return undefined;
  }
  return skbValid(off, size, t, pktPointer(off, false));
}

function skSkbAccess(off: number, size: number, t: Rw): CtxAccess | undefined {
  if (
    inRange(off, SKB.tc_classid, 4) ||
    inRange(off, SKB.data_meta, 4) ||
    inRange(off, SKB.tstamp, 8) ||
    inRange(off, SKB.wire_len, 4) ||
    inRange(off, SKB.hwtstamp, 8)
  ) {
    return undefined;
  }
  if (t === WRITE && !(inRange(off, SKB.tc_index, 4) || inRange(off, SKB.priority, 4))) return undefined;
  if (inRange(off, SKB.mark, 4)) return undefined;
  return skbValid(off, size, t, pktPointer(off, false));
}

function lwtAccess(off: number, size: number, t: Rw): CtxAccess | undefined {
  if (
    inRange(off, SKB.tc_classid, 4) ||
    isFamilyToLocalPort(off) ||
    inRange(off, SKB.data_meta, 4) ||
    inRange(off, SKB.tstamp, 8) ||
    inRange(off, SKB.wire_len, 4) ||
    inRange(off, SKB.hwtstamp, 8)
  ) {
    return undefined;
  }
  if (t === WRITE && !(inRange(off, SKB.mark, 4) || inRange(off, SKB.priority, 4) || isCb(off))) return undefined;
  return skbValid(off, size, t, pktPointer(off, false));
}

function flowDissectorAccess(off: number, size: number, t: Rw): CtxAccess | undefined {
  if (off < 0 || off >= SKB.SIZE || t === WRITE) return undefined;
  if (inRange(off, SKB.data, 4)) return size === 4 ? { type: 'pkt' } : undefined;
  if (inRange(off, SKB.data_end, 4)) return size === 4 ? { type: 'pkt_end' } : undefined;
  if (inRange(off, SKB.flow_keys, 8)) return size === 8 ? { type: 'flow_keys' } : undefined;
  return undefined;
}

// struct xdp_md: data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex.
const XDP_MD_SIZE = 24;
const BPF_XDP_DEVMAP = 33;

function xdpAccess(off: number, size: number, t: Rw, attach: number): CtxAccess | undefined {
  if (attach !== BPF_XDP_DEVMAP && off === 20) return undefined;
  if (t === WRITE) return undefined;
  if (off < 0 || off >= XDP_MD_SIZE || off % size !== 0 || size !== 4) return undefined;
  if (off === 0) return { type: 'pkt' };
  if (off === 4) return { type: 'pkt_end' };
  if (off === 8) return { type: 'pkt_meta' };
  return SCALAR;
}

// struct sk_msg_md.
function skMsgAccess(off: number, size: number, t: Rw): CtxAccess | undefined {
  if (t === WRITE || off % size !== 0) return undefined;
  if (off === 0) return size === 8 ? { type: 'pkt' } : undefined;
  if (off === 8) return size === 8 ? { type: 'pkt_end' } : undefined;
  if (off === 72) return size === 8 ? { type: 'sock' } : undefined;
  if (off >= 16 && off < 72) return size === 4 ? SCALAR : undefined;
  return undefined;
}

// struct bpf_sock.
const SOCK = { bound_dev_if: 0, family: 4, type: 8, protocol: 12, mark: 16, priority: 20, src_ip4: 24, src_ip6: 28, src_port: 44, dst_port: 48, dst_ip4: 52, dst_ip6: 56, state: 72, rx_queue_mapping: 76, SIZE: 80 } as const;

/** bpf_sock_is_valid_access. */
export function sockValid(off: number, size: number): boolean {
  if (off < 0 || off >= SOCK.SIZE || off % size !== 0) return false;
  if (
    off === SOCK.state ||
    off === SOCK.family ||
    off === SOCK.type ||
    off === SOCK.protocol ||
    off === SOCK.src_port ||
    off === SOCK.rx_queue_mapping ||
    inRange(off, SOCK.src_ip4, 4) ||
    inRange(off, SOCK.src_ip6, 16) ||
    inRange(off, SOCK.dst_ip4, 4) ||
    inRange(off, SOCK.dst_ip6, 16)
  ) {
    return narrowOk(size, 4);
  }
  if (inRange(off, SOCK.dst_port, 2)) return narrowOk(size, size === 4 ? 4 : 2);
  if (off >= 50 && off < SOCK.dst_ip4) return false;
  return size === 4;
}

/** bpf_sock_common_is_valid_access: type, protocol, mark and priority are full-socket only. */
export function sockCommonValid(off: number, size: number): boolean {
  if (off >= SOCK.type && off < SOCK.priority + 4) return false;
  return sockValid(off, size);
}

/** bpf_tcp_sock_is_valid_access. */
export function tcpSockValid(off: number, size: number): boolean {
  if (off < 0 || off >= 112 || off % size !== 0) return false;
  if (off === 80 || off === 88) return size === 8;
  return size === 4;
}

/** bpf_xdp_sock_is_valid_access: queue_id only. */
export function xdpSockValid(off: number, size: number): boolean {
  return off === 0 && size === 4;
}

/** Program types whose context chainlab models. */
export const CTX_PROG_TYPES: readonly string[] = [
  'BPF_PROG_TYPE_SOCKET_FILTER',
  'BPF_PROG_TYPE_SCHED_CLS',
  'BPF_PROG_TYPE_SCHED_ACT',
  'BPF_PROG_TYPE_XDP',
  'BPF_PROG_TYPE_CGROUP_SKB',
  'BPF_PROG_TYPE_LWT_IN',
  'BPF_PROG_TYPE_LWT_OUT',
  'BPF_PROG_TYPE_LWT_XMIT',
  'BPF_PROG_TYPE_SK_SKB',
  'BPF_PROG_TYPE_SK_MSG',
  'BPF_PROG_TYPE_FLOW_DISSECTOR',
  'BPF_PROG_TYPE_CGROUP_SOCK',
];

/** The ctx access rule of `progType`: what a load gives, or undefined when the access is refused. */
export function ctxAccess(progType: string, attachType: number, off: number, size: number, write: boolean): CtxAccess | undefined {
  const t: Rw = write ? WRITE : READ;
  switch (progType) {
    case 'BPF_PROG_TYPE_XDP':
      return xdpAccess(off, size, t, attachType);
    case 'BPF_PROG_TYPE_SCHED_CLS':
    case 'BPF_PROG_TYPE_SCHED_ACT':
      return tcAccess(off, size, t);
    case 'BPF_PROG_TYPE_SOCKET_FILTER':
      return socketFilterAccess(off, size, t);
    case 'BPF_PROG_TYPE_CGROUP_SKB':
      return cgroupSkbAccess(off, size, t);
    case 'BPF_PROG_TYPE_SK_SKB':
      return skSkbAccess(off, size, t);
    case 'BPF_PROG_TYPE_LWT_IN':
    case 'BPF_PROG_TYPE_LWT_OUT':
    case 'BPF_PROG_TYPE_LWT_XMIT':
      return lwtAccess(off, size, t);
    case 'BPF_PROG_TYPE_FLOW_DISSECTOR':
      return flowDissectorAccess(off, size, t);
    case 'BPF_PROG_TYPE_SK_MSG':
      return skMsgAccess(off, size, t);
    case 'BPF_PROG_TYPE_CGROUP_SOCK':
      return cgroupSockAccess(off, size, t, attachType);
    default:
      return undefined;
  }
}

// enum bpf_attach_type members the cgroup/sock rules consult.
const BPF_CGROUP_INET_SOCK_CREATE = 2;
const BPF_CGROUP_INET4_POST_BIND = 12;
const BPF_CGROUP_INET6_POST_BIND = 13;
const BPF_CGROUP_INET_SOCK_RELEASE = 34;

/** sock_filter_is_valid_access + __sock_filter_check_attach_type. */
function cgroupSockAccess(off: number, size: number, t: Rw, attach: number): CtxAccess | undefined {
  if (!sockValid(off, size)) return undefined;
  if (off === SOCK.bound_dev_if || off === SOCK.mark || off === SOCK.priority) {
    return attach === BPF_CGROUP_INET_SOCK_CREATE || attach === BPF_CGROUP_INET_SOCK_RELEASE ? SCALAR : undefined;
  }
  if (inRange(off, SOCK.src_ip4, 4)) return attach === BPF_CGROUP_INET4_POST_BIND && t === READ ? SCALAR : undefined;
  if (inRange(off, SOCK.src_ip6, 16)) return attach === BPF_CGROUP_INET6_POST_BIND && t === READ ? SCALAR : undefined;
  if (inRange(off, SOCK.src_port, 4)) return (attach === BPF_CGROUP_INET4_POST_BIND || attach === BPF_CGROUP_INET6_POST_BIND) && t === READ ? SCALAR : undefined;
  return t === READ ? SCALAR : undefined;
}

/** Which direct packet access the program type has (may_access_direct_pkt_data). */
export function pktAccessOf(progType: string): 'rw' | 'r' | 'none' {
  switch (progType) {
    case 'BPF_PROG_TYPE_LWT_IN':
    case 'BPF_PROG_TYPE_LWT_OUT':
    case 'BPF_PROG_TYPE_LWT_SEG6LOCAL':
    case 'BPF_PROG_TYPE_SK_REUSEPORT':
    case 'BPF_PROG_TYPE_FLOW_DISSECTOR':
    case 'BPF_PROG_TYPE_CGROUP_SKB':
      return 'r';
    case 'BPF_PROG_TYPE_SCHED_CLS':
    case 'BPF_PROG_TYPE_SCHED_ACT':
    case 'BPF_PROG_TYPE_XDP':
    case 'BPF_PROG_TYPE_LWT_XMIT':
    case 'BPF_PROG_TYPE_SK_SKB':
    case 'BPF_PROG_TYPE_SK_MSG':
      return 'rw';
    default:
      return 'none';
  }
}
