/**
 * IPv6 header (RFC 8200; include/uapi/linux/ipv6.h struct ipv6hdr) and extension-header
 * skipping as ipv6_skip_exthdr() does: hop-by-hop, routing, destination options and AH are
 * stepped over by their length fields; a fragment header is recorded and, unless it is the
 * first fragment, ends transport parsing; ESP and "no next header" end parsing.
 */
import { type AddrInput, formatIp6, ip6Bytes } from './addr.ts';
import {
  NEXTHDR_AUTH,
  NEXTHDR_DEST,
  NEXTHDR_FRAGMENT,
  NEXTHDR_HOP,
  NEXTHDR_MOBILITY,
  NEXTHDR_ROUTING,
} from './constants.ts';
import { type BrokenLayer, type LayerBase, be16, be32, malformed, put16, put32, truncated } from './layer.ts';

export interface Ipv6Extension {
  type: number;
  offset: number;
  length: number;
}

export interface Ipv6Fragment {
  /** Fragment offset in bytes. */
  offset: number;
  more: boolean;
  id: number;
}

export interface Ipv6Layer extends LayerBase {
  kind: 'ipv6';
  trafficClass: number;
  flowLabel: number;
  payloadLength: number;
  /** The fixed header's next-header field. */
  nextHeader: number;
  hopLimit: number;
  src: string;
  dst: string;
  /** Extension headers stepped over, in order (headerLength includes them). */
  extensions: Ipv6Extension[];
  /** The upper-layer protocol after the extension headers. */
  protocol: number;
  fragment?: Ipv6Fragment;
  /** The capture holds fewer bytes than 40 + payload_len. */
  truncated: boolean;
}

export type Ipv6ExtensionSpec =
  | { type: typeof NEXTHDR_HOP | typeof NEXTHDR_ROUTING | typeof NEXTHDR_DEST; data?: Uint8Array }
  | { type: typeof NEXTHDR_FRAGMENT; fragOffset?: number; more?: boolean; id?: number };

export interface Ipv6Spec {
  kind: 'ipv6';
  src: AddrInput;
  dst: AddrInput;
  trafficClass?: number;
  flowLabel?: number;
  hopLimit?: number;
  /** Upper-layer protocol; defaults to the next layer's. */
  protocol?: number;
  extensions?: readonly Ipv6ExtensionSpec[];
}

export const IPV6_HLEN = 40;

const isSkippable = (t: number): boolean =>
  t === NEXTHDR_HOP || t === NEXTHDR_ROUTING || t === NEXTHDR_DEST || t === NEXTHDR_AUTH || t === NEXTHDR_MOBILITY;

export function parseIpv6(b: Uint8Array, off: number, end: number): Ipv6Layer | BrokenLayer {
  if (end - off < IPV6_HLEN) return truncated('ipv6', off, IPV6_HLEN, end - off);
  const w0 = be32(b, off);
  const version = w0 >>> 28;
  if (version !== 6) return malformed('ipv6', off, `version ${version}`);
  const payloadLength = be16(b, off + 4);
  const nextHeader = b[off + 6];
  const extensions: Ipv6Extension[] = [];
  let fragment: Ipv6Fragment | undefined;
  let proto = nextHeader;
  let p = off + IPV6_HLEN;
  // Extension headers must lie inside the payload the header announces.
  const limit = Math.min(end, off + IPV6_HLEN + payloadLength);
  while (isSkippable(proto) || proto === NEXTHDR_FRAGMENT) {
    if (limit - p < 8) return truncated('ipv6', p, 8, limit - p);
    let len: number;
    if (proto === NEXTHDR_FRAGMENT) {
      len = 8;
      const fo = be16(b, p + 2);
      fragment = { offset: fo & 0xfff8, more: (fo & 1) !== 0, id: be32(b, p + 4) };
    } else if (proto === NEXTHDR_AUTH) {
      len = (b[p + 1] + 2) * 4; // RFC 4302: in 4-byte units, minus 2
    } else {
      len = (b[p + 1] + 1) * 8;
    }
    if (limit - p < len) return truncated('ipv6', p, len, limit - p);
    extensions.push({ type: proto, offset: p, length: len });
    proto = b[p];
    p += len;
    if (fragment !== undefined && fragment.offset !== 0) break; // no transport header here
  }
  const layer: Ipv6Layer = {
    kind: 'ipv6',
    offset: off,
    headerLength: p - off,
    trafficClass: (w0 >>> 20) & 0xff,
    flowLabel: w0 & 0xfffff,
    payloadLength,
    nextHeader,
    hopLimit: b[off + 7],
    src: formatIp6(b, off + 8),
    dst: formatIp6(b, off + 24),
    extensions,
    protocol: proto,
    truncated: end - off < IPV6_HLEN + payloadLength,
  };
  if (fragment !== undefined) layer.fragment = fragment;
  return layer;
}

function extensionLength(e: Ipv6ExtensionSpec): number {
  if (e.type === NEXTHDR_FRAGMENT) return 8;
  // 2 bytes of next-header/length, then data zero-padded (Pad1 options) to a multiple of 8.
  return Math.max(8, Math.ceil((2 + (e.data?.length ?? 0)) / 8) * 8);
}

export function ipv6HeaderLength(s: Ipv6Spec): number {
  let n = IPV6_HLEN;
  for (const e of s.extensions ?? []) n += extensionLength(e);
  return n;
}

/** Write the fixed header and extension headers; `totalLength` covers header and payload. */
export function writeIpv6(b: Uint8Array, off: number, s: Ipv6Spec, nextProto: number, totalLength: number): void {
  const exts = s.extensions ?? [];
  const upper = s.protocol ?? nextProto;
  const payload = totalLength - IPV6_HLEN;
  if (payload > 0xffff) throw new RangeError(`IPv6 payload ${payload} bytes needs a jumbogram, not modelled`);
  put32(b, off, ((6 << 28) | ((s.trafficClass ?? 0) << 20) | ((s.flowLabel ?? 0) & 0xfffff)) >>> 0);
  put16(b, off + 4, payload);
  b[off + 6] = exts.length > 0 ? exts[0].type : upper;
  b[off + 7] = s.hopLimit ?? 64;
  b.set(ip6Bytes(s.src), off + 8);
  b.set(ip6Bytes(s.dst), off + 24);
  let p = off + IPV6_HLEN;
  exts.forEach((e, i) => {
    const len = extensionLength(e);
    b.fill(0, p, p + len);
    b[p] = i + 1 < exts.length ? exts[i + 1].type : upper;
    if (e.type === NEXTHDR_FRAGMENT) {
      const fo = e.fragOffset ?? 0;
      if (fo % 8 !== 0) throw new RangeError(`fragment offset ${fo} is not a multiple of 8`);
      put16(b, p + 2, fo | (e.more ? 1 : 0));
      put32(b, p + 4, e.id ?? 0);
    } else {
      b[p + 1] = len / 8 - 1;
      if (e.data) b.set(e.data, p + 2);
    }
    p += len;
  });
}
