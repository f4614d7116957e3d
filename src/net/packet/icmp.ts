/**
 * ICMP for IPv4 (RFC 792; include/uapi/linux/icmp.h) and ICMPv6 (RFC 4443;
 * include/uapi/linux/icmpv6.h). Both share the 8-byte layout type/code/checksum/rest; ICMPv4
 * sums the message alone, ICMPv6 adds the IPv6 pseudo-header. Echo messages carry id and seq
 * in the rest-of-header word.
 */
import { foldComplement, onesSum } from './checksum.ts';
import { ICMP_ECHO, ICMP_ECHOREPLY, ICMPV6_ECHO_REPLY, ICMPV6_ECHO_REQUEST, IPPROTO_ICMPV6 } from './constants.ts';
import { l4Sum } from './l4sum.ts';
import { type BrokenLayer, type L4Context, type LayerBase, be16, be32, put16, put32, truncated } from './layer.ts';

interface IcmpFields extends LayerBase {
  type: number;
  code: number;
  checksum: number;
  checksumOk: boolean | null;
  /** The 32-bit rest-of-header word. */
  rest: number;
  /** Echo request/reply only. */
  id?: number;
  seq?: number;
  /** Message bytes after the 8-byte header, per the IP header. */
  payloadLength: number;
}

export interface IcmpLayer extends IcmpFields {
  kind: 'icmp';
}

export interface Icmpv6Layer extends IcmpFields {
  kind: 'icmpv6';
}

export interface IcmpSpec {
  kind: 'icmp' | 'icmpv6';
  type: number;
  code?: number;
  /** Echo id/seq; ignored when `rest` is given. */
  id?: number;
  seq?: number;
  rest?: number;
  checksum?: number;
}

export const ICMP_HLEN = 8;

const isEcho = (kind: 'icmp' | 'icmpv6', type: number): boolean =>
  kind === 'icmp' ? type === ICMP_ECHO || type === ICMP_ECHOREPLY : type === ICMPV6_ECHO_REQUEST || type === ICMPV6_ECHO_REPLY;

export function parseIcmp(kind: 'icmp' | 'icmpv6', b: Uint8Array, off: number, end: number, ctx: L4Context): IcmpLayer | Icmpv6Layer | BrokenLayer {
  if (end - off < ICMP_HLEN) return truncated(kind, off, ICMP_HLEN, end - off);
  const type = b[off];
  let checksumOk: boolean | null = null;
  if (ctx.complete && end - off >= ctx.length) {
    const sum = kind === 'icmp' ? onesSum(b, off, off + ctx.length) : l4Sum(ctx, off, IPPROTO_ICMPV6);
    checksumOk = foldComplement(sum) === 0;
  }
  const layer: IcmpLayer | Icmpv6Layer = {
    kind,
    offset: off,
    headerLength: ICMP_HLEN,
    type,
    code: b[off + 1],
    checksum: be16(b, off + 2),
    checksumOk,
    rest: be32(b, off + 4),
    payloadLength: ctx.length - ICMP_HLEN,
  };
  if (isEcho(kind, type)) {
    layer.id = be16(b, off + 4);
    layer.seq = be16(b, off + 6);
  }
  return layer;
}

export function writeIcmp(b: Uint8Array, off: number, s: IcmpSpec): void {
  b[off] = s.type;
  b[off + 1] = s.code ?? 0;
  put16(b, off + 2, 0);
  if (s.rest !== undefined) put32(b, off + 4, s.rest);
  else {
    put16(b, off + 4, s.id ?? 0);
    put16(b, off + 6, s.seq ?? 0);
  }
}

export function finishIcmpChecksum(b: Uint8Array, off: number, s: IcmpSpec, ctx: L4Context): void {
  if (s.checksum !== undefined) return put16(b, off + 2, s.checksum);
  const sum = s.kind === 'icmp' ? onesSum(b, off, off + ctx.length) : l4Sum(ctx, off, IPPROTO_ICMPV6);
  put16(b, off + 2, foldComplement(sum));
}
