/**
 * bpf_check_mtu, net/core/filter.c: bpf_xdp_check_mtu() and bpf_skb_check_mtu(). The device is
 * the one the program runs on (ifindex 0: xdp->rxq->dev, skb->dev) or the one ifindex names
 * (__dev_via_ifindex); its MTU comes from the Host (lo in a test run: 65536), and its hard
 * header is Ethernet's 14 bytes (every simulated device, lo included, is an Ethernet device).
 *
 * The packet length is the whole frame from the MAC header (skb->len at tc, data_end - data at
 * XDP), or `*mtu_len` plus the hard header when the program passes an L3 length in; len_diff is
 * added in 32-bit int arithmetic, as the kernel's `int` locals wrap. On success and on
 * FRAG_NEEDED `*mtu_len` receives the device MTU; on -EINVAL and -ENODEV it is left as it was
 * (measured on Linux 6.18: test/fixtures/helpers_net.c).
 */
import type { HelperContext, HelperFn } from '../vm/engine.ts';
import type { SkbCtx } from '../ctx/skb.ts';
import { envOf, isXdp, s32, u32 } from './context.ts';
import { EINVAL, ENODEV } from './errno.ts';
import { skbState } from './skb-state.ts';

export const BPF_MTU_CHK_SEGS = 1;
export const BPF_MTU_CHK_RET_SUCCESS = 0;
export const BPF_MTU_CHK_RET_FRAG_NEEDED = 1;
export const BPF_MTU_CHK_RET_SEGS_TOOBIG = 2;

/** dev->hard_header_len of an Ethernet device (ether_setup, loopback_setup). */
const HARD_HEADER_LEN = 14;
/** A test run's device when the context names none: the namespace's loopback. */
const LOOPBACK_IFINDEX = 1;
/** ETH_DATA_LEN: the MTU of a device whose host cannot tell it (a Host without deviceMtu). */
const ETH_DATA_LEN = 1500;
/** GSO_BY_FRAGS: gso_size of an SCTP/fraglist skb whose segments are its frag list. */
const GSO_BY_FRAGS = 0xffff;
const SKB_GSO_TCPV4 = 1 << 0;
const SKB_GSO_TCPV6 = 1 << 4;
const SKB_GSO_UDP = 1 << 16;
const SKB_GSO_UDP_L4 = 1 << 17;

/** The MTU of device ifindex (0: the current one), or undefined when there is none (-ENODEV). */
function deviceMtu(c: HelperContext, current: number, ifindex: number): number | undefined {
  const host = envOf(c).host;
  const dev = ifindex === 0 ? current : ifindex;
  if (!host.hasDevice(dev)) return undefined;
  return host.deviceMtu?.(dev) ?? ETH_DATA_LEN;
}

/** Write *mtu_len (a u32 the verifier checked is writable). */
function setMtuLen(c: HelperContext, mtu: number): void {
  const b = c.mem.writable(c.arg(3), 4);
  for (let i = 0; i < 4; i++) b[i] = (mtu >>> (8 * i)) & 0xff;
}

const readMtuLen = (c: HelperContext): number => {
  const b = c.mem.read(c.arg(3), 4);
  return (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;
};

function xdpCheckMtu(c: HelperContext): number {
  const env = envOf(c);
  const xdp = env.xdp;
  const pkt = xdp?.pkt ?? env.pkt;
  if (pkt === undefined) return EINVAL;
  // The XDP variant has no segment check (nor any other flag).
  if (c.arg(5) !== 0n) return EINVAL;
  const current = xdp?.get('ingress_ifindex') || LOOPBACK_IFINDEX;
  const mtu = deviceMtu(c, current, u32(c, 2));
  if (mtu === undefined) return ENODEV;
  const devLen = (mtu + HARD_HEADER_LEN) | 0;
  const given = readMtuLen(c);
  let len = given !== 0 ? (given + HARD_HEADER_LEN) | 0 : pkt.dataEnd - pkt.data;
  len = (len + s32(c, 4)) | 0;
  setMtuLen(c, mtu);
  return len > devLen ? BPF_MTU_CHK_RET_FRAG_NEEDED : BPF_MTU_CHK_RET_SUCCESS;
}

/**
 * skb_gso_validate_network_len(skb, mtu): does each segment's network part (network header to
 * transport header, the transport header, gso_size bytes of payload) fit the MTU?
 * skb_gso_transport_seglen() picks the transport header by gso_type.
 */
export function gsoSegmentsFit(skb: SkbCtx, mtu: number): boolean {
  const gsoSize = skb.get('gso_size');
  if (gsoSize === GSO_BY_FRAGS) return true; // segments are the frag list, which chainlab never builds
  const s = skbState(skb);
  const pkt = skb.pkt;
  const trans = s.transOff ?? s.netOff;
  let thlen = 0;
  if (s.gsoType & (SKB_GSO_TCPV4 | SKB_GSO_TCPV6)) {
    const at = pkt.data + trans + 12;
    thlen = at < pkt.dataEnd ? (pkt.buf[at] >> 4) * 4 : 0;
  } else if (s.gsoType & SKB_GSO_UDP_L4) {
    thlen = 8;
  } else if (s.gsoType & SKB_GSO_UDP) {
    return trans - s.netOff + gsoSize <= mtu; // UFO: gso_size is the whole transport segment
  }
  return trans - s.netOff + thlen + gsoSize <= mtu;
}

function skbCheckMtu(c: HelperContext): number {
  const skb = envOf(c).skb;
  if (skb === undefined) return EINVAL;
  const flags = c.arg(5);
  if (flags & ~BigInt(BPF_MTU_CHK_SEGS)) return EINVAL;
  const lenDiff = s32(c, 4);
  const given = readMtuLen(c);
  if (flags & BigInt(BPF_MTU_CHK_SEGS) && (lenDiff !== 0 || given !== 0)) return EINVAL;
  const mtu = deviceMtu(c, skb.get('ifindex') || LOOPBACK_IFINDEX, u32(c, 2));
  if (mtu === undefined) return ENODEV;
  const devLen = (mtu + HARD_HEADER_LEN) | 0;
  let len = given !== 0 ? (given + HARD_HEADER_LEN) | 0 : skb.pkt.len | 0;
  len = (len + lenDiff) | 0;
  setMtuLen(c, mtu);
  if (len <= devLen) return BPF_MTU_CHK_RET_SUCCESS;
  // Longer than the device, but a GSO skb is segmented on transmit: only its segments count,
  // and only when the program asks for them to be checked.
  if (skb.get('gso_size') !== 0) {
    if (flags & BigInt(BPF_MTU_CHK_SEGS) && !gsoSegmentsFit(skb, mtu)) return BPF_MTU_CHK_RET_SEGS_TOOBIG;
    return BPF_MTU_CHK_RET_SUCCESS;
  }
  return BPF_MTU_CHK_RET_FRAG_NEEDED;
}

export const MTU_HELPERS: ReadonlyMap<number, HelperFn> = new Map<number, HelperFn>([
  [163, (c) => (isXdp(envOf(c)) ? xdpCheckMtu(c) : skbCheckMtu(c))],
]);
