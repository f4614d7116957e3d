/**
 * bpf_skb_ecn_set_ce, net/core/filter.c → include/net/inet_ecn.h INET_ECN_set_ce(): mark an
 * ECN-capable IPv4 or IPv6 packet Congestion Experienced. The protocol is skb_protocol(skb, true)
 * (VLAN tags in the frame skipped), but the header changed is the one at the network offset, as
 * in the kernel; IPv4 patches its header checksum with csum16_add (IP_ECN_set_ce), IPv6 adjusts
 * skb->csum when it is CHECKSUM_COMPLETE (IP6_ECN_set_ce).
 */
import { ETH_HLEN } from '../ctx/packet.ts';
import type { HelperFn } from '../vm/engine.ts';
import { skbOf } from './context.ts';
import { CHECKSUM_COMPLETE, csum16Add, csumAdd, csumSub } from './csum.ts';
import { skbState } from './skb-state.ts';

const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
const INET_ECN_MASK = 3;
const INET_ECN_CE = 3;
const isVlan = (t: number): boolean => t === 0x8100 || t === 0x88a8;

export const ECN_HELPERS: ReadonlyMap<number, HelperFn> = new Map<number, HelperFn>([
  [97, (c) => {
    const skb = skbOf(c, 'bpf_skb_ecn_set_ce');
    const pkt = skb.pkt;
    const b = pkt.buf;
    // vlan_get_protocol(): with mac_len unset the tags are read from data + ETH_HLEN on.
    let proto = skb.protocol;
    for (let at = pkt.data + ETH_HLEN; isVlan(proto); at += 4) {
      if (at + 4 > pkt.dataEnd) return 0;
      proto = (b[at + 2] << 8) | b[at + 3];
    }
    const nh = pkt.data + skbState(skb).netOff;
    if (proto === ETH_P_IP) {
      if (nh + 20 > pkt.dataEnd) return 0;
      const ecn = (b[nh + 1] + 1) & INET_ECN_MASK;
      if (!(ecn & 2)) return ecn === 0 ? 1 : 0;
      // Checksum bytes as the kernel's u16 holds them (little-endian view of the big-endian field).
      const checkAdd = (0xfbff + (ecn << 8)) & 0xffff;
      const check = csum16Add(b[nh + 10] | (b[nh + 11] << 8), checkAdd);
      b[nh + 10] = check & 0xff;
      b[nh + 11] = check >> 8;
      b[nh + 1] |= INET_ECN_CE;
      return 1;
    }
    if (proto === ETH_P_IPV6) {
      if (nh + 40 > pkt.dataEnd) return 0;
      // ipv6_get_dsfield(): traffic class, the 8 bits after the version.
      const dsfield = ((b[nh] << 4) | (b[nh + 1] >> 4)) & 0xff;
      if ((dsfield & INET_ECN_MASK) === 0) return 0;
      const v = new DataView(b.buffer, b.byteOffset);
      const from = v.getUint32(nh, true);
      b[nh + 1] |= INET_ECN_CE << 4;
      const to = v.getUint32(nh, true);
      const st = skbState(skb);
      if (st.ipSummed === CHECKSUM_COMPLETE) st.csum = csumAdd(csumSub(st.csum, from), to);
      return 1;
    }
    return 0;
  }],
]);
