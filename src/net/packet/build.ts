/**
 * Build a frame from a stack of layer specs, outermost first, the way scapy's `/` does:
 * type and protocol fields default to the next layer, lengths come from what follows, and
 * checksums are filled innermost first (so a tunnel's outer UDP checksum covers inner headers
 * that are already final). Any field can be forced to build deliberately bad packets.
 */
import { ARP_ETH_IP_LEN, type ArpSpec, writeArp } from './arp.ts';
import {
  ETH_HLEN,
  ETH_P_8021Q,
  ETH_P_ARP,
  ETH_P_IP,
  ETH_P_IPV6,
  ETH_ZLEN,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  VLAN_HLEN,
} from './constants.ts';
import { type EthernetSpec, writeEthernet } from './ethernet.ts';
import { ICMP_HLEN, type IcmpSpec, finishIcmpChecksum, writeIcmp } from './icmp.ts';
import { type Ipv4Spec, ipv4HeaderLength, writeIpv4 } from './ipv4.ts';
import { type Ipv6Spec, ipv6HeaderLength, writeIpv6 } from './ipv6.ts';
import type { L4Context } from './layer.ts';
import { type TcpSpec, finishTcpChecksum, tcpHeaderLength, writeTcp } from './tcp.ts';
import { UDP_HLEN, type UdpSpec, finishUdpChecksum, writeUdp } from './udp.ts';
import { type VlanSpec, writeVlan } from './vlan.ts';

/** Opaque bytes: a payload, or a header this module does not model. */
export interface RawSpec {
  kind: 'raw';
  bytes: Uint8Array;
}

export type LayerSpec = EthernetSpec | VlanSpec | ArpSpec | Ipv4Spec | Ipv6Spec | TcpSpec | UdpSpec | IcmpSpec | RawSpec;

export interface BuildOptions {
  /** Pad to ETH_ZLEN (60 bytes), as a NIC does on transmit. Default false. */
  padToMinimum?: boolean;
}

const IPPROTO_IPIP = 4;
const IPPROTO_IPV6 = 41;

function headerLength(s: LayerSpec): number {
  switch (s.kind) {
    case 'eth':
      return ETH_HLEN;
    case 'vlan':
      return VLAN_HLEN;
    case 'arp':
      return ARP_ETH_IP_LEN;
    case 'ipv4':
      return ipv4HeaderLength(s);
    case 'ipv6':
      return ipv6HeaderLength(s);
    case 'tcp':
      return tcpHeaderLength(s);
    case 'udp':
      return UDP_HLEN;
    case 'icmp':
    case 'icmpv6':
      return ICMP_HLEN;
    case 'raw':
      return s.bytes.length;
  }
}

/** The EtherType announcing `next`; -1 when it has none (the spec must then give one). */
function etherTypeOf(next: LayerSpec | undefined): number {
  switch (next?.kind) {
    case 'vlan':
      return next.tpid ?? ETH_P_8021Q;
    case 'arp':
      return ETH_P_ARP;
    case 'ipv4':
      return ETH_P_IP;
    case 'ipv6':
      return ETH_P_IPV6;
    default:
      return -1;
  }
}

/** The IP protocol number announcing `next`; -1 when it has none. */
function protocolOf(next: LayerSpec | undefined): number {
  switch (next?.kind) {
    case 'tcp':
      return IPPROTO_TCP;
    case 'udp':
      return IPPROTO_UDP;
    case 'icmp':
      return IPPROTO_ICMP;
    case 'icmpv6':
      return IPPROTO_ICMPV6;
    case 'ipv4':
      return IPPROTO_IPIP;
    case 'ipv6':
      return IPPROTO_IPV6;
    default:
      return -1;
  }
}

function need(value: number, layers: readonly LayerSpec[], i: number, field: string): number {
  if (value < 0) {
    throw new RangeError(`buildPacket: layer ${i} (${layers[i].kind}) before ${layers[i + 1]?.kind ?? 'nothing'} needs an explicit ${field}`);
  }
  return value;
}

export function buildPacket(layers: readonly LayerSpec[], opts: BuildOptions = {}): Uint8Array {
  const offs: number[] = [];
  let total = 0;
  for (let i = 0; i < layers.length; i++) {
    offs.push(total);
    total += headerLength(layers[i]);
  }
  const padTo = opts.padToMinimum && layers[0]?.kind === 'eth' ? ETH_ZLEN : 0;
  const b = new Uint8Array(Math.max(total, padTo));

  for (let i = 0; i < layers.length; i++) {
    const s = layers[i];
    const off = offs[i];
    const next = layers[i + 1];
    switch (s.kind) {
      case 'eth':
        writeEthernet(b, off, s, s.etherType ?? need(etherTypeOf(next), layers, i, 'etherType'));
        break;
      case 'vlan':
        writeVlan(b, off, s, s.etherType ?? need(etherTypeOf(next), layers, i, 'etherType'));
        break;
      case 'arp':
        writeArp(b, off, s);
        break;
      case 'ipv4':
        writeIpv4(b, off, s, s.protocol ?? need(protocolOf(next), layers, i, 'protocol'), total - off);
        break;
      case 'ipv6':
        writeIpv6(b, off, s, s.protocol ?? need(protocolOf(next), layers, i, 'protocol'), total - off);
        break;
      case 'tcp':
        writeTcp(b, off, s);
        break;
      case 'udp':
        writeUdp(b, off, s, total - off);
        break;
      case 'icmp':
      case 'icmpv6':
        writeIcmp(b, off, s);
        break;
      case 'raw':
        b.set(s.bytes, off);
        break;
    }
  }

  // Transport checksums, innermost first; each needs its nearest enclosing IP header.
  for (let i = layers.length - 1; i >= 0; i--) {
    const s = layers[i];
    if (s.kind !== 'tcp' && s.kind !== 'udp' && s.kind !== 'icmp' && s.kind !== 'icmpv6') continue;
    let ip = i - 1;
    while (ip >= 0 && layers[ip].kind !== 'ipv4' && layers[ip].kind !== 'ipv6') ip--;
    const off = offs[i];
    const ctx: L4Context =
      ip < 0
        ? { family: 4, buf: new Uint8Array(8), srcOff: 0, dstOff: 4, length: total - off, complete: true }
        : layers[ip].kind === 'ipv4'
          ? { family: 4, buf: b, srcOff: offs[ip] + 12, dstOff: offs[ip] + 16, length: total - off, complete: true }
          : { family: 6, buf: b, srcOff: offs[ip] + 8, dstOff: offs[ip] + 24, length: total - off, complete: true };
    if (s.kind === 'tcp') finishTcpChecksum(b, off, s, ctx);
    else if (s.kind === 'udp') finishUdpChecksum(b, off, s, ctx);
    else finishIcmpChecksum(b, off, s, ctx);
  }
  return b;
}
