/**
 * The parts of a struct sk_buff that helpers read and change but that `__sk_buff` does not show:
 * where the MAC and network headers are, the checksum state (ip_summed, csum, csum_level), the
 * flow-hash flags and the encapsulation marks. Kept beside each SkbCtx, created on first use with
 * the layout BPF_PROG_TEST_RUN gives (net/bpf/test_run.c: bpf_prog_test_run_skb): for tc, data
 * starts at the MAC header and the network header follows it; for the other skb program types,
 * eth_type_trans() has pulled the MAC header, so data starts at the network header.
 *
 * Offsets are relative to the packet's current `data`, so pushes and pulls that move data must
 * shift them (the kernel keeps header offsets relative to skb->head; same thing, other origin).
 */
import type { SkbCtx } from '../ctx/skb.ts';
import { ETH_HLEN } from '../ctx/packet.ts';
import { CHECKSUM_NONE, type SkbCsumState } from './csum.ts';

export interface SkbState extends SkbCsumState {
  /** skb_mac_header() - skb->data; undefined when the MAC header was never set. */
  macOff: number | undefined;
  /** skb_network_offset(). */
  netOff: number;
  /** skb_transport_offset(); undefined when not set. */
  transOff: number | undefined;
  csumLevel: number;
  /** skb->l4_hash / skb->sw_hash: whether skb->hash is valid. */
  l4Hash: boolean;
  swHash: boolean;
  /** skb->encapsulation and the inner headers bpf_skb_adjust_room sets with it. */
  encapsulation: boolean;
  innerProtocol: number;
  innerMacOff: number;
  innerNetOff: number;
  /** skb_shinfo(skb)->gso_type bits (SKB_GSO_*); gso_size and gso_segs live in the context. */
  gsoType: number;
  /** The tunnel metadata bpf_skb_set_tunnel_key attached (a metadata dst); undefined: none. */
  tunnel: TunnelInfo | undefined;
}

/**
 * struct ip_tunnel_info as bpf_skb_set_tunnel_key/opt fill it: addresses in the transmit
 * direction (dst is the remote end), the key's flags as their 16-bit TUNNEL_* word, options.
 */
export interface TunnelInfo {
  ipv6: boolean;
  /** The low 32 bits of the 64-bit tun_id (the helpers carry 32). */
  id: number;
  tos: number;
  ttl: number;
  /** Flow label (IPv6 only), 20 bits. */
  label: number;
  /** IPv4: the address as a host-order u32 in bytes 0..3 (little-endian), rest 0; IPv6: the 16 bytes. */
  src: Uint8Array;
  dst: Uint8Array;
  /** TUNNEL_CSUM (0x1) … TUNNEL_GTP_OPT (0x8000): bit i is IP_TUNNEL_*_BIT i. */
  flags: number;
  options: Uint8Array;
}

/** Program types whose skb data starts at the MAC header (tc: `is_l2` in bpf_prog_test_run_skb). */
const L2_TYPES = new Set(['BPF_PROG_TYPE_SCHED_CLS', 'BPF_PROG_TYPE_SCHED_ACT']);

const states = new WeakMap<SkbCtx, SkbState>();

function initial(skb: SkbCtx): SkbState {
  const l2 = L2_TYPES.has(skb.progType);
  const pkt = skb.pkt;
  return {
    macOff: l2 ? 0 : pkt.data >= ETH_HLEN ? -ETH_HLEN : undefined,
    netOff: l2 ? Math.min(ETH_HLEN, pkt.len) : 0,
    transOff: undefined,
    ipSummed: CHECKSUM_NONE,
    csum: 0,
    csumLevel: 0,
    l4Hash: false,
    swHash: false,
    encapsulation: false,
    innerProtocol: 0,
    innerMacOff: 0,
    innerNetOff: 0,
    gsoType: 0,
    tunnel: undefined,
  };
}

/** The helper-side state of an skb (created with the test-run layout on first use). */
export function skbState(skb: SkbCtx): SkbState {
  let s = states.get(skb);
  if (s === undefined) {
    s = initial(skb);
    states.set(skb, s);
  }
  return s;
}

/**
 * Set where the headers are, or the checksum state, for an skb the runtime builds differently
 * from BPF_PROG_TEST_RUN (a forwarded skb with CHECKSUM_COMPLETE, an skb with a socket…).
 */
export function setSkbState(skb: SkbCtx, patch: Partial<SkbState>): SkbState {
  return Object.assign(skbState(skb), patch);
}

/** Drop the helper-side state of an skb: the next helper call derives it again from the context. */
export function resetSkbState(skb: SkbCtx): void {
  states.delete(skb);
}

/** skb->data moved by `delta` bytes (negative: pushed) while the headers stayed where they were. */
export function shiftHeaders(s: SkbState, delta: number): void {
  if (s.macOff !== undefined) s.macOff -= delta;
  s.netOff -= delta;
  if (s.transOff !== undefined) s.transOff -= delta;
  s.innerMacOff -= delta;
  s.innerNetOff -= delta;
}
