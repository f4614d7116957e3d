/**
 * UDP header (RFC 768; include/uapi/linux/udp.h). The zero-checksum rule: over IPv4 a checksum
 * of 0 means "none computed" and is accepted; a computed 0 is sent as 0xffff. Over IPv6 a zero
 * checksum is invalid (RFC 8200 §8.1; udp6 drops it unless the socket allows RFC 6935 tunnels).
 */
import { foldComplement } from './checksum.ts';
import { IPPROTO_UDP } from './constants.ts';
import { l4Sum } from './l4sum.ts';
import { type BrokenLayer, type L4Context, type LayerBase, be16, malformed, put16, truncated } from './layer.ts';

export interface UdpLayer extends LayerBase {
  kind: 'udp';
  sport: number;
  dport: number;
  /** The UDP length field (header + payload). */
  udpLength: number;
  checksum: number;
  /** IPv4 checksum 0: the sender computed none. */
  noChecksum: boolean;
  /** null when the datagram is incomplete and cannot be verified. */
  checksumOk: boolean | null;
  payloadLength: number;
}

export interface UdpSpec {
  kind: 'udp';
  sport: number;
  dport: number;
  /** 'auto' (default) computes it; 'none' leaves 0 (IPv4 only); a number forces it. */
  checksum?: 'auto' | 'none' | number;
}

export const UDP_HLEN = 8;

export function parseUdp(b: Uint8Array, off: number, end: number, ctx: L4Context): UdpLayer | BrokenLayer {
  if (end - off < UDP_HLEN) return truncated('udp', off, UDP_HLEN, end - off);
  const udpLength = be16(b, off + 4);
  if (udpLength < UDP_HLEN) return malformed('udp', off, `length ${udpLength} < 8`);
  if (udpLength > ctx.length) return malformed('udp', off, `length ${udpLength} exceeds IP payload ${ctx.length}`);
  const checksum = be16(b, off + 6);
  const noChecksum = checksum === 0 && ctx.family === 4;
  let checksumOk: boolean | null;
  if (noChecksum) checksumOk = true;
  else if (checksum === 0) checksumOk = false;
  else if (!ctx.complete || end - off < udpLength) checksumOk = null;
  else checksumOk = foldComplement(l4Sum({ ...ctx, length: udpLength }, off, IPPROTO_UDP)) === 0;
  return {
    kind: 'udp',
    offset: off,
    headerLength: UDP_HLEN,
    sport: be16(b, off),
    dport: be16(b, off + 2),
    udpLength,
    checksum,
    noChecksum,
    checksumOk,
    payloadLength: udpLength - UDP_HLEN,
  };
}

export function writeUdp(b: Uint8Array, off: number, s: UdpSpec, udpLength: number): void {
  if (udpLength > 0xffff) throw new RangeError(`UDP datagram of ${udpLength} bytes does not fit the 16-bit length`);
  put16(b, off, s.sport);
  put16(b, off + 2, s.dport);
  put16(b, off + 4, udpLength);
  put16(b, off + 6, 0);
}

export function finishUdpChecksum(b: Uint8Array, off: number, s: UdpSpec, ctx: L4Context): void {
  const c = s.checksum ?? 'auto';
  if (c === 'none') {
    if (ctx.family === 6) throw new RangeError('UDP over IPv6 must carry a checksum (RFC 8200 §8.1)');
    return;
  }
  if (typeof c === 'number') {
    put16(b, off + 6, c);
    return;
  }
  const sum = foldComplement(l4Sum(ctx, off, IPPROTO_UDP));
  put16(b, off + 6, sum === 0 ? 0xffff : sum);
}
