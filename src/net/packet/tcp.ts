/**
 * TCP header (RFC 9293; include/uapi/linux/tcp.h struct tcphdr) and its options as
 * tcp_parse_options() reads them: EOL ends the list, NOP is one byte, everything else is
 * kind/length/data; a length below 2 or past the header stops parsing (the kernel gives up
 * silently; we keep what was read and say why in `optionsError`).
 */
import { foldComplement } from './checksum.ts';
import {
  IPPROTO_TCP,
  TCPOPT_EOL,
  TCPOPT_MSS,
  TCPOPT_NOP,
  TCPOPT_SACK,
  TCPOPT_SACK_PERM,
  TCPOPT_TIMESTAMP,
  TCPOPT_WINDOW,
} from './constants.ts';
import { l4Sum } from './l4sum.ts';
import { type BrokenLayer, type L4Context, type LayerBase, be16, be32, malformed, put16, put32, truncated } from './layer.ts';

export type TcpOption =
  | { kind: 'eol' }
  | { kind: 'nop' }
  | { kind: 'mss'; mss: number }
  | { kind: 'wscale'; shift: number }
  | { kind: 'sackOk' }
  | { kind: 'sack'; blocks: [number, number][] }
  | { kind: 'timestamp'; tsval: number; tsecr: number }
  | { kind: 'unknown'; type: number; data: Uint8Array };

export interface TcpLayer extends LayerBase {
  kind: 'tcp';
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  /** FIN..CWR in bits 0-7 and AE in bit 8 (TCP_FLAG_*). */
  flags: number;
  window: number;
  checksum: number;
  /** null when the segment is incomplete (short capture or IP fragment) and cannot be verified. */
  checksumOk: boolean | null;
  urgent: number;
  options: TcpOption[];
  optionsError?: string;
  /** Payload bytes according to the IP header. */
  payloadLength: number;
}

export interface TcpSpec {
  kind: 'tcp';
  sport: number;
  dport: number;
  seq?: number;
  ack?: number;
  flags?: number;
  window?: number;
  urgent?: number;
  options?: readonly TcpOption[];
  /** Force a checksum (to build bad segments); computed when absent. */
  checksum?: number;
}

const TCP_MIN = 20;

export function parseTcp(b: Uint8Array, off: number, end: number, ctx: L4Context): TcpLayer | BrokenLayer {
  if (end - off < TCP_MIN) return truncated('tcp', off, TCP_MIN, end - off);
  const doff = (b[off + 12] >> 4) * 4;
  if (doff < TCP_MIN) return malformed('tcp', off, `data offset ${doff} < 20`);
  if (doff > ctx.length) return malformed('tcp', off, `data offset ${doff} exceeds segment length ${ctx.length}`);
  if (end - off < doff) return truncated('tcp', off, doff, end - off);
  const { options, error } = parseTcpOptions(b, off + TCP_MIN, off + doff);
  const canVerify = ctx.complete && end - off >= ctx.length;
  const layer: TcpLayer = {
    kind: 'tcp',
    offset: off,
    headerLength: doff,
    sport: be16(b, off),
    dport: be16(b, off + 2),
    seq: be32(b, off + 4),
    ack: be32(b, off + 8),
    flags: ((b[off + 12] & 0x01) << 8) | b[off + 13],
    window: be16(b, off + 14),
    checksum: be16(b, off + 16),
    checksumOk: canVerify ? foldComplement(l4Sum(ctx, off, IPPROTO_TCP)) === 0 : null,
    urgent: be16(b, off + 18),
    options,
    payloadLength: ctx.length - doff,
  };
  if (error !== undefined) layer.optionsError = error;
  return layer;
}

export function parseTcpOptions(b: Uint8Array, start: number, end: number): { options: TcpOption[]; error?: string } {
  const options: TcpOption[] = [];
  let i = start;
  while (i < end) {
    const kind = b[i];
    if (kind === TCPOPT_EOL) {
      options.push({ kind: 'eol' });
      break;
    }
    if (kind === TCPOPT_NOP) {
      options.push({ kind: 'nop' });
      i++;
      continue;
    }
    if (i + 1 >= end) return { options, error: `option ${kind} has no length byte` };
    const len = b[i + 1];
    if (len < 2 || i + len > end) return { options, error: `option ${kind} has bad length ${len}` };
    const d = i + 2;
    if (kind === TCPOPT_MSS && len === 4) options.push({ kind: 'mss', mss: be16(b, d) });
    else if (kind === TCPOPT_WINDOW && len === 3) options.push({ kind: 'wscale', shift: b[d] });
    else if (kind === TCPOPT_SACK_PERM && len === 2) options.push({ kind: 'sackOk' });
    else if (kind === TCPOPT_TIMESTAMP && len === 10) options.push({ kind: 'timestamp', tsval: be32(b, d), tsecr: be32(b, d + 4) });
    else if (kind === TCPOPT_SACK && (len - 2) % 8 === 0 && len > 2) {
      const blocks: [number, number][] = [];
      for (let j = d; j < i + len; j += 8) blocks.push([be32(b, j), be32(b, j + 4)]);
      options.push({ kind: 'sack', blocks });
    } else options.push({ kind: 'unknown', type: kind, data: b.slice(d, i + len) });
    i += len;
  }
  return { options };
}

function optionLength(o: TcpOption): number {
  switch (o.kind) {
    case 'eol':
    case 'nop':
      return 1;
    case 'mss':
      return 4;
    case 'wscale':
      return 3;
    case 'sackOk':
      return 2;
    case 'sack':
      return 2 + 8 * o.blocks.length;
    case 'timestamp':
      return 10;
    case 'unknown':
      return 2 + o.data.length;
  }
}

export function tcpHeaderLength(s: TcpSpec): number {
  let n = 0;
  for (const o of s.options ?? []) n += optionLength(o);
  const len = TCP_MIN + Math.ceil(n / 4) * 4;
  if (len > 60) throw new RangeError(`TCP options take ${n} bytes; at most 40 fit`);
  return len;
}

/** Write the header with a zero checksum; build fills the checksum once the payload is in. */
export function writeTcp(b: Uint8Array, off: number, s: TcpSpec): void {
  const hl = tcpHeaderLength(s);
  const flags = s.flags ?? 0;
  put16(b, off, s.sport);
  put16(b, off + 2, s.dport);
  put32(b, off + 4, s.seq ?? 0);
  put32(b, off + 8, s.ack ?? 0);
  b[off + 12] = ((hl / 4) << 4) | ((flags >> 8) & 1);
  b[off + 13] = flags & 0xff;
  put16(b, off + 14, s.window ?? 65535);
  put16(b, off + 16, 0);
  put16(b, off + 18, s.urgent ?? 0);
  let i = off + TCP_MIN;
  for (const o of s.options ?? []) {
    switch (o.kind) {
      case 'eol':
        b[i] = TCPOPT_EOL;
        break;
      case 'nop':
        b[i] = TCPOPT_NOP;
        break;
      case 'mss':
        b[i] = TCPOPT_MSS;
        b[i + 1] = 4;
        put16(b, i + 2, o.mss);
        break;
      case 'wscale':
        b[i] = TCPOPT_WINDOW;
        b[i + 1] = 3;
        b[i + 2] = o.shift;
        break;
      case 'sackOk':
        b[i] = TCPOPT_SACK_PERM;
        b[i + 1] = 2;
        break;
      case 'sack':
        b[i] = TCPOPT_SACK;
        b[i + 1] = 2 + 8 * o.blocks.length;
        o.blocks.forEach(([l, r], k) => {
          put32(b, i + 2 + 8 * k, l);
          put32(b, i + 6 + 8 * k, r);
        });
        break;
      case 'timestamp':
        b[i] = TCPOPT_TIMESTAMP;
        b[i + 1] = 10;
        put32(b, i + 2, o.tsval);
        put32(b, i + 6, o.tsecr);
        break;
      case 'unknown':
        b[i] = o.type;
        b[i + 1] = 2 + o.data.length;
        b.set(o.data, i + 2);
        break;
    }
    i += optionLength(o);
  }
  b.fill(TCPOPT_EOL, i, off + hl);
}

export function finishTcpChecksum(b: Uint8Array, off: number, s: TcpSpec, ctx: L4Context): void {
  put16(b, off + 16, s.checksum ?? foldComplement(l4Sum(ctx, off, IPPROTO_TCP)));
}
