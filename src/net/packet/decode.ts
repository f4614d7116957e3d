/**
 * decode(frame) → the list of headers found, outermost first. It never throws: a short or
 * inconsistent header becomes a `truncated` / `malformed` layer and decoding stops, the way
 * tcpdump prints what it could and "[|proto]". What follows the last understood header is a
 * `payload` layer saying why decoding stopped there.
 */
import { type ArpLayer, parseArp } from './arp.ts';
import {
  ETH_HLEN,
  ETH_P_ARP,
  ETH_P_IP,
  ETH_P_IPV6,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
} from './constants.ts';
import { type EthernetLayer, parseEthernet } from './ethernet.ts';
import { type IcmpLayer, type Icmpv6Layer, parseIcmp } from './icmp.ts';
import { type Ipv4Layer, parseIpv4 } from './ipv4.ts';
import { type Ipv6Layer, parseIpv6 } from './ipv6.ts';
import { type BrokenLayer, type L4Context, isBroken } from './layer.ts';
import { type TcpLayer, parseTcp } from './tcp.ts';
import { type UdpLayer, parseUdp } from './udp.ts';
import { type VlanLayer, isVlanTpid, parseVlan } from './vlan.ts';

export interface PayloadLayer {
  kind: 'payload';
  offset: number;
  /** Bytes present in the capture. */
  length: number;
  /**
   * data: a transport payload; fragment: a non-first IP fragment; padding: bytes after the IP
   * packet (Ethernet minimum-frame padding); unparsed: a protocol this decoder does not read.
   */
  what: 'data' | 'fragment' | 'padding' | 'unparsed';
  /** The EtherType or IP protocol that was not parsed (for `unparsed` and `fragment`). */
  protocol?: number;
}

export type Layer =
  | EthernetLayer
  | VlanLayer
  | ArpLayer
  | Ipv4Layer
  | Ipv6Layer
  | TcpLayer
  | UdpLayer
  | IcmpLayer
  | Icmpv6Layer
  | PayloadLayer
  | BrokenLayer;

export interface DecodeOptions {
  /** What the frame starts with: an Ethernet header (default) or an IP header (LINKTYPE_RAW). */
  link?: 'ethernet' | 'ip';
}

const IPPROTO_IPIP = 4;
const IPPROTO_IPV6 = 41;
/** Bound on IP-in-IP nesting, so a crafted packet cannot recurse without end. */
const MAX_NESTING = 8;

export function decode(frame: Uint8Array, opts: DecodeOptions = {}): Layer[] {
  const out: Layer[] = [];
  const end = frame.length;
  if ((opts.link ?? 'ethernet') === 'ip') {
    if (end === 0) return out;
    decodeIp(frame, 0, end, out, 0);
    return out;
  }
  const eth = parseEthernet(frame, 0, end);
  out.push(eth);
  if (eth.kind !== 'eth') return out;
  let type = eth.etherType;
  let off = ETH_HLEN;
  while (isVlanTpid(type)) {
    const v = parseVlan(frame, off, end, type);
    out.push(v);
    if (v.kind !== 'vlan') return out;
    type = v.etherType;
    off += v.headerLength;
  }
  decodeL3(frame, off, end, type, out, 0);
  return out;
}

function payload(out: Layer[], offset: number, end: number, what: PayloadLayer['what'], protocol?: number): void {
  if (end <= offset && what !== 'fragment') return;
  const p: PayloadLayer = { kind: 'payload', offset, length: Math.max(0, end - offset), what };
  if (protocol !== undefined) p.protocol = protocol;
  out.push(p);
}

function decodeL3(b: Uint8Array, off: number, end: number, type: number, out: Layer[], depth: number): void {
  if (type === ETH_P_IP || type === ETH_P_IPV6) {
    const ipEnd = decodeIp(b, off, end, out, depth, type === ETH_P_IP ? 4 : 6);
    if (ipEnd !== null) payload(out, ipEnd, end, 'padding');
  } else if (type === ETH_P_ARP) {
    const a = parseArp(b, off, end);
    out.push(a);
    if (a.kind === 'arp') payload(out, off + a.headerLength, end, 'padding');
  } else {
    payload(out, off, end, 'unparsed', type);
  }
}

/** Decode one IP packet at `off`; returns where it ends (for trailing padding) or null if broken. */
function decodeIp(b: Uint8Array, off: number, end: number, out: Layer[], depth: number, family?: 4 | 6): number | null {
  const fam = family ?? (b[off] >> 4 === 6 ? 6 : 4);
  if (fam === 4) {
    const ip = parseIpv4(b, off, end);
    out.push(ip);
    if (ip.kind !== 'ipv4') return null;
    const ipEnd = Math.min(end, off + ip.totalLength);
    const l4 = off + ip.headerLength;
    if (ip.fragOffset !== 0) {
      payload(out, l4, ipEnd, 'fragment', ip.protocol);
      return ipEnd;
    }
    const ctx: L4Context = {
      family: 4,
      buf: b,
      srcOff: off + 12,
      dstOff: off + 16,
      length: ip.totalLength - ip.headerLength,
      complete: !ip.truncated && !ip.mf,
    };
    decodeL4(b, l4, ipEnd, ip.protocol, ctx, out, depth);
    return ipEnd;
  }
  const ip = parseIpv6(b, off, end);
  out.push(ip);
  if (ip.kind !== 'ipv6') return null;
  const ipEnd = Math.min(end, off + 40 + ip.payloadLength);
  const l4 = off + ip.headerLength;
  if (ip.fragment !== undefined && ip.fragment.offset !== 0) {
    payload(out, l4, ipEnd, 'fragment', ip.protocol);
    return ipEnd;
  }
  const ctx: L4Context = {
    family: 6,
    buf: b,
    srcOff: off + 8,
    dstOff: off + 24,
    length: 40 + ip.payloadLength - ip.headerLength,
    // An atomic fragment (offset 0, no more fragments; RFC 6946) is a whole packet.
    complete: !ip.truncated && (ip.fragment === undefined || !ip.fragment.more),
  };
  decodeL4(b, l4, ipEnd, ip.protocol, ctx, out, depth);
  return ipEnd;
}

function decodeL4(b: Uint8Array, off: number, end: number, proto: number, ctx: L4Context, out: Layer[], depth: number): void {
  let l: TcpLayer | UdpLayer | IcmpLayer | Icmpv6Layer | BrokenLayer;
  if (proto === IPPROTO_TCP) l = parseTcp(b, off, end, ctx);
  else if (proto === IPPROTO_UDP) l = parseUdp(b, off, end, ctx);
  else if (proto === IPPROTO_ICMP) l = parseIcmp('icmp', b, off, end, ctx);
  else if (proto === IPPROTO_ICMPV6) l = parseIcmp('icmpv6', b, off, end, ctx);
  else if ((proto === IPPROTO_IPIP || proto === IPPROTO_IPV6) && depth < MAX_NESTING && off < end) {
    decodeIp(b, off, end, out, depth + 1, proto === IPPROTO_IPIP ? 4 : 6);
    return;
  } else {
    payload(out, off, end, 'unparsed', proto);
    return;
  }
  out.push(l);
  if (isBroken(l)) return;
  const start = off + l.headerLength;
  payload(out, start, Math.min(end, start + l.payloadLength), 'data');
}
