/**
 * A frame as the viewer shows it: decoded server-side with src/net/packet (Ethernet, VLAN, ARP,
 * IPv4/IPv6, TCP, UDP, ICMP), as tcpdump's one-line summary, the layers as plain JSON (byte
 * arrays become hex, TCP flags get their letters) and the bytes in hex.
 */
import { decode } from '../net/packet/decode.ts';
import { summarize, tcpFlagsString } from '../net/packet/summary.ts';
import type { DecodedFrame } from '../../web/protocol.ts';

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** Any decoded value as JSON: Uint8Array → hex, bigint → decimal text. */
function plain(v: unknown): unknown {
  if (v instanceof Uint8Array) return hex(v);
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

export function decodeFrame(frame: Uint8Array): DecodedFrame {
  const layers = decode(frame);
  return {
    summary: summarize(layers, frame),
    layers: layers.map((l) => {
      const o = plain(l) as Record<string, unknown>;
      if (l.kind === 'tcp') o.flagsText = tcpFlagsString(l.flags);
      if (l.kind === 'eth' || l.kind === 'vlan') o.etherTypeHex = `0x${l.etherType.toString(16).padStart(4, '0')}`;
      return o;
    }),
    hex: hex(frame),
    len: frame.length,
  };
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
