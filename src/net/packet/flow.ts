/**
 * The flow 5-tuple of a frame, read the way the kernel's flow dissector does for RSS and
 * hashing (net/core/flow_dissector.c): through VLAN tags, IPv4 (no ports for fragments other
 * than the first, like FLOW_DIS_IS_FRAGMENT), IPv6 extension headers, then TCP/UDP ports.
 * It allocates only the result, since NICs and maps call it per packet.
 */
import { formatIp4, formatIp6 } from './addr.ts';
import { ETH_HLEN, ETH_P_IP, ETH_P_IPV6, IPPROTO_TCP, IPPROTO_UDP, IP_MF, IP_OFFSET, NEXTHDR_AUTH, NEXTHDR_DEST, NEXTHDR_FRAGMENT, NEXTHDR_HOP, NEXTHDR_ROUTING } from './constants.ts';
import { be16 } from './layer.ts';
import { isVlanTpid } from './vlan.ts';

export interface FlowKey {
  family: 4 | 6;
  /** Views into the frame (4 or 16 bytes). */
  src: Uint8Array;
  dst: Uint8Array;
  protocol: number;
  /** 0 when the transport has no ports, or this is a fragment. */
  sport: number;
  dport: number;
  /** An IP fragment (first or later): ports are not used for hashing. */
  fragment: boolean;
}

const hasPorts = (p: number): boolean => p === IPPROTO_TCP || p === IPPROTO_UDP || p === 132 /* SCTP */ || p === 136 /* UDPLITE */;

/** The 5-tuple of an Ethernet frame (or of a raw IP packet with link 'ip'); null if not IP. */
export function flowKey(frame: Uint8Array, link: 'ethernet' | 'ip' = 'ethernet'): FlowKey | null {
  const end = frame.length;
  let off = 0;
  let type: number;
  if (link === 'ethernet') {
    if (end < ETH_HLEN) return null;
    type = be16(frame, 12);
    off = ETH_HLEN;
    while (isVlanTpid(type)) {
      if (end - off < 4) return null;
      type = be16(frame, off + 2);
      off += 4;
    }
  } else {
    if (end < 1) return null;
    type = frame[0] >> 4 === 6 ? ETH_P_IPV6 : ETH_P_IP;
  }
  if (type === ETH_P_IP) {
    if (end - off < 20 || frame[off] >> 4 !== 4) return null;
    const ihl = (frame[off] & 0xf) * 4;
    if (ihl < 20 || end - off < ihl) return null;
    const frag = be16(frame, off + 6);
    const protocol = frame[off + 9];
    const key: FlowKey = {
      family: 4,
      src: frame.subarray(off + 12, off + 16),
      dst: frame.subarray(off + 16, off + 20),
      protocol,
      sport: 0,
      dport: 0,
      fragment: (frag & (IP_MF | IP_OFFSET)) !== 0,
    };
    readPorts(frame, off + ihl, end, key);
    return key;
  }
  if (type === ETH_P_IPV6) {
    if (end - off < 40 || frame[off] >> 4 !== 6) return null;
    let protocol = frame[off + 6];
    let p = off + 40;
    let fragment = false;
    let laterFragment = false;
    while (protocol === NEXTHDR_HOP || protocol === NEXTHDR_ROUTING || protocol === NEXTHDR_DEST || protocol === NEXTHDR_AUTH || protocol === NEXTHDR_FRAGMENT) {
      if (end - p < 8) break;
      let len: number;
      if (protocol === NEXTHDR_FRAGMENT) {
        fragment = true;
        laterFragment = (be16(frame, p + 2) & 0xfff8) !== 0;
        len = 8;
      } else len = protocol === NEXTHDR_AUTH ? (frame[p + 1] + 2) * 4 : (frame[p + 1] + 1) * 8;
      protocol = frame[p];
      p += len;
      if (laterFragment) break;
    }
    const key: FlowKey = {
      family: 6,
      src: frame.subarray(off + 8, off + 24),
      dst: frame.subarray(off + 24, off + 40),
      protocol,
      sport: 0,
      dport: 0,
      fragment,
    };
    readPorts(frame, p, end, key);
    return key;
  }
  return null;
}

function readPorts(frame: Uint8Array, l4: number, end: number, key: FlowKey): void {
  if (!key.fragment && hasPorts(key.protocol) && end - l4 >= 4) {
    key.sport = be16(frame, l4);
    key.dport = be16(frame, l4 + 2);
  }
}

const PROTO_NAMES: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 58: 'icmpv6', 132: 'sctp' };

/** "udp 10.0.0.1:1234 > 10.0.0.2:53" / "tcp [fe80::1]:80 > [fe80::2]:4000". */
export function flowKeyString(k: FlowKey): string {
  const proto = PROTO_NAMES[k.protocol] ?? `proto-${k.protocol}`;
  const a = (b: Uint8Array, port: number): string => {
    const ip = k.family === 4 ? formatIp4(b) : `[${formatIp6(b)}]`;
    return hasPorts(k.protocol) && !k.fragment ? `${ip}:${port}` : ip;
  };
  return `${proto} ${a(k.src, k.sport)} > ${a(k.dst, k.dport)}`;
}
