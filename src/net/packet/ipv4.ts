/**
 * IPv4 header (RFC 791; include/uapi/linux/ip.h struct iphdr) with options and fragmentation
 * fields. Parsing checks what ip_rcv_core() checks before trusting a header — version 4,
 * ihl ≥ 5, tot_len ≥ ihl*4 — and reports the header checksum instead of dropping on it.
 */
import { type AddrInput, formatIp4, ip4Bytes } from './addr.ts';
import { foldComplement, onesSum } from './checksum.ts';
import { IP_DF, IP_MF, IP_OFFSET } from './constants.ts';
import { type BrokenLayer, type LayerBase, be16, malformed, put16, truncated } from './layer.ts';

/** IPOPT_* numbers (include/uapi/linux/ip.h). */
export const IPOPT_END = 0;
export const IPOPT_NOOP = 1;
export const IPOPT_RR = 7;
export const IPOPT_TS = 68;
export const IPOPT_SEC = 130;
export const IPOPT_LSRR = 131;
export const IPOPT_SSRR = 137;
export const IPOPT_RA = 148;

export interface Ipv4Option {
  type: number;
  /** Option bytes after type and length (empty for EOL/NOP). */
  data: Uint8Array;
}

export interface Ipv4Layer extends LayerBase {
  kind: 'ipv4';
  tos: number;
  totalLength: number;
  id: number;
  df: boolean;
  mf: boolean;
  /** Fragment offset in bytes (the header holds it in 8-byte units). */
  fragOffset: number;
  ttl: number;
  protocol: number;
  checksum: number;
  checksumOk: boolean;
  src: string;
  dst: string;
  options: Ipv4Option[];
  /** Set when the options area does not parse; parsing of options stopped there. */
  optionsError?: string;
  /** The capture holds fewer bytes than tot_len. */
  truncated: boolean;
}

export interface Ipv4Spec {
  kind: 'ipv4';
  src: AddrInput;
  dst: AddrInput;
  tos?: number;
  id?: number;
  df?: boolean;
  mf?: boolean;
  /** In bytes; must be a multiple of 8. */
  fragOffset?: number;
  ttl?: number;
  /** Defaults to the next layer's protocol. */
  protocol?: number;
  options?: readonly Ipv4Option[];
  /** Force a header checksum (to build bad packets); computed when absent. */
  checksum?: number;
  /** Force tot_len; computed from what follows when absent. */
  totalLength?: number;
}

const IPV4_MIN = 20;

export function parseIpv4(b: Uint8Array, off: number, end: number): Ipv4Layer | BrokenLayer {
  if (end - off < IPV4_MIN) return truncated('ipv4', off, IPV4_MIN, end - off);
  const version = b[off] >> 4;
  const ihl = (b[off] & 0x0f) * 4;
  if (version !== 4) return malformed('ipv4', off, `version ${version}`);
  if (ihl < IPV4_MIN) return malformed('ipv4', off, `header length ${ihl} < 20`);
  if (end - off < ihl) return truncated('ipv4', off, ihl, end - off);
  const totalLength = be16(b, off + 2);
  if (totalLength < ihl) return malformed('ipv4', off, `total length ${totalLength} < header length ${ihl}`);
  const frag = be16(b, off + 6);
  const { options, error } = parseOptions(b, off + IPV4_MIN, off + ihl);
  const layer: Ipv4Layer = {
    kind: 'ipv4',
    offset: off,
    headerLength: ihl,
    tos: b[off + 1],
    totalLength,
    id: be16(b, off + 4),
    df: (frag & IP_DF) !== 0,
    mf: (frag & IP_MF) !== 0,
    fragOffset: (frag & IP_OFFSET) * 8,
    ttl: b[off + 8],
    protocol: b[off + 9],
    checksum: be16(b, off + 10),
    checksumOk: foldComplement(onesSum(b, off, off + ihl)) === 0,
    src: formatIp4(b, off + 12),
    dst: formatIp4(b, off + 16),
    options,
    truncated: end - off < totalLength,
  };
  if (error !== undefined) layer.optionsError = error;
  return layer;
}

function parseOptions(b: Uint8Array, start: number, end: number): { options: Ipv4Option[]; error?: string } {
  const options: Ipv4Option[] = [];
  let i = start;
  while (i < end) {
    const type = b[i];
    if (type === IPOPT_END) {
      options.push({ type, data: new Uint8Array(0) });
      break;
    }
    if (type === IPOPT_NOOP) {
      options.push({ type, data: new Uint8Array(0) });
      i++;
      continue;
    }
    if (i + 1 >= end) return { options, error: `option ${type} at offset ${i} has no length byte` };
    const len = b[i + 1];
    if (len < 2 || i + len > end) return { options, error: `option ${type} at offset ${i} has bad length ${len}` };
    options.push({ type, data: b.slice(i + 2, i + len) });
    i += len;
  }
  return { options };
}

export function ipv4HeaderLength(s: Ipv4Spec): number {
  let n = 0;
  for (const o of s.options ?? []) n += o.type === IPOPT_END || o.type === IPOPT_NOOP ? 1 : 2 + o.data.length;
  const padded = IPV4_MIN + Math.ceil(n / 4) * 4;
  if (padded > 60) throw new RangeError(`IPv4 options take ${n} bytes; at most 40 fit`);
  return padded;
}

/** Write the header, checksum included; `totalLength` is header plus everything after it. */
export function writeIpv4(b: Uint8Array, off: number, s: Ipv4Spec, nextProto: number, totalLength: number): void {
  const ihl = ipv4HeaderLength(s);
  const fragOffset = s.fragOffset ?? 0;
  if (fragOffset % 8 !== 0 || fragOffset / 8 > IP_OFFSET) throw new RangeError(`fragment offset ${fragOffset} is not a multiple of 8 below 65536`);
  b[off] = 0x40 | (ihl / 4);
  b[off + 1] = s.tos ?? 0;
  put16(b, off + 2, s.totalLength ?? totalLength);
  put16(b, off + 4, s.id ?? 0);
  put16(b, off + 6, (s.df ? IP_DF : 0) | (s.mf ? IP_MF : 0) | (fragOffset / 8));
  b[off + 8] = s.ttl ?? 64;
  b[off + 9] = s.protocol ?? nextProto;
  put16(b, off + 10, 0);
  b.set(ip4Bytes(s.src), off + 12);
  b.set(ip4Bytes(s.dst), off + 16);
  let i = off + IPV4_MIN;
  for (const o of s.options ?? []) {
    b[i++] = o.type;
    if (o.type === IPOPT_END || o.type === IPOPT_NOOP) continue;
    b[i++] = 2 + o.data.length;
    b.set(o.data, i);
    i += o.data.length;
  }
  b.fill(IPOPT_END, i, off + ihl);
  put16(b, off + 10, s.checksum ?? foldComplement(onesSum(b, off, off + ihl)));
}
