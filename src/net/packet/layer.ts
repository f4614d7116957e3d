/**
 * What every parsed header shares, and the two ways parsing stops early. A decoder never
 * throws on bad input: it emits a `truncated` or `malformed` layer naming the protocol, the
 * byte offset and the reason, and stops there (as tcpdump prints "[|tcp]").
 */

export type ProtoName = 'eth' | 'vlan' | 'arp' | 'ipv4' | 'ipv6' | 'tcp' | 'udp' | 'icmp' | 'icmpv6';

export interface LayerBase {
  /** Byte offset of the header in the frame. */
  offset: number;
  /** Bytes of header (options and IPv6 extension headers included). */
  headerLength: number;
}

export interface BrokenLayer {
  kind: 'truncated' | 'malformed';
  proto: ProtoName;
  offset: number;
  reason: string;
}

export const truncated = (proto: ProtoName, offset: number, need: number, have: number): BrokenLayer => ({
  kind: 'truncated',
  proto,
  offset,
  reason: `need ${need} bytes, have ${Math.max(0, have)}`,
});

export const malformed = (proto: ProtoName, offset: number, reason: string): BrokenLayer => ({
  kind: 'malformed',
  proto,
  offset,
  reason,
});

/** What an IP layer tells its transport header: enough to verify a pseudo-header checksum. */
export interface L4Context {
  family: 4 | 6;
  buf: Uint8Array;
  srcOff: number;
  dstOff: number;
  /** Length of the transport segment according to the IP header. */
  length: number;
  /** The whole segment was captured and is not a fragment, so a checksum can be verified. */
  complete: boolean;
}

export const be16 = (b: Uint8Array, o: number): number => (b[o] << 8) | b[o + 1];
export const be32 = (b: Uint8Array, o: number): number => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

export function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

export function put32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

export function hex(b: Uint8Array, o: number, n: number): string {
  let s = '';
  for (let i = o; i < o + n; i++) s += b[i].toString(16).padStart(2, '0');
  return s;
}

export function isBroken<T extends { kind: string }>(l: T | BrokenLayer): l is BrokenLayer {
  return l.kind === 'truncated' || l.kind === 'malformed';
}
