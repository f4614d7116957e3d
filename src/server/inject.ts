/**
 * A packet made by hand from the viewer's form (or `POST /api/inject`): the header fields are
 * checked, the frame is built with src/net/packet (checksums filled in) and padded with zero
 * payload to the asked size, or cut to it.
 */
import { z } from 'zod';
import { parseIp4, parseIp6, parseMac } from '../net/packet/addr.ts';
import { buildPacket, type LayerSpec } from '../net/packet/build.ts';
import type { InjectRequest } from '../../web/protocol.ts';
import { ApiError } from './errors.ts';

const port = z.number().int().min(0).max(65535);
const macText = z.string().refine((s) => ok(() => parseMac(s)), 'a MAC address like 02:00:00:00:00:01');
const ipText = z.string().refine((s) => ok(() => (s.includes(':') ? parseIp6(s) : parseIp4(s))), 'an IPv4 or IPv6 address');

const schema = z
  .object({
    dev: z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'a device like "h1/eth0"'),
    srcMac: macText.optional(),
    dstMac: macText.optional(),
    vlan: z.number().int().min(0).max(4095).optional(),
    src: ipText,
    dst: ipText,
    protocol: z.enum(['udp', 'tcp', 'icmp']),
    sport: port.optional(),
    dport: port.optional(),
    flags: z.string().regex(/^[SAFRPU]*$/i, 'TCP flag letters (S, A, F, R, P, U)').optional(),
    ttl: z.number().int().min(0).max(255).optional(),
    size: z.number().int().min(14).max(9216).optional(),
  })
  .strict();

function ok(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch {
    return false;
  }
}

const FLAG_BITS: Record<string, number> = { F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10, U: 0x20 };

export function tcpFlags(letters: string): number {
  let f = 0;
  for (const c of letters.toUpperCase()) f |= FLAG_BITS[c] ?? 0;
  return f;
}

/** Check an inject request; the message names the field at fault. */
export function parseInject(body: unknown): InjectRequest {
  const r = schema.safeParse(body);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new ApiError(400, `inject: ${i.path.join('.') || 'body'}: ${i.message}`);
  }
  const v = r.data;
  if (v.src.includes(':') !== v.dst.includes(':')) throw new ApiError(400, 'inject: src and dst must both be IPv4 or both IPv6');
  return v;
}

/** The frame for a request; `devMac` is the default destination MAC (the receiving device's). */
export function buildInjectFrame(req: InjectRequest, devMac: string): Uint8Array {
  const v6 = req.src.includes(':');
  const layers: LayerSpec[] = [{ kind: 'eth', src: req.srcMac ?? '02:00:00:00:ff:01', dst: req.dstMac ?? devMac }];
  if (req.vlan !== undefined) layers.push({ kind: 'vlan', vid: req.vlan });
  layers.push(v6 ? { kind: 'ipv6', src: req.src, dst: req.dst, hopLimit: req.ttl ?? 64 } : { kind: 'ipv4', src: req.src, dst: req.dst, ttl: req.ttl ?? 64 });
  if (req.protocol === 'udp') layers.push({ kind: 'udp', sport: req.sport ?? 12345, dport: req.dport ?? 53 });
  else if (req.protocol === 'tcp') layers.push({ kind: 'tcp', sport: req.sport ?? 12345, dport: req.dport ?? 80, flags: tcpFlags(req.flags ?? 'S') });
  else layers.push({ kind: v6 ? 'icmpv6' : 'icmp', type: v6 ? 128 : 8, id: 1, seq: 1 });
  const bare = buildPacket(layers).length;
  const size = req.size ?? Math.max(60, bare);
  if (size > bare) layers.push({ kind: 'raw', bytes: new Uint8Array(size - bare) });
  const frame = buildPacket(layers);
  // A size below the headers cuts the frame: a truncated packet, to see how programs cope.
  return size < frame.length ? frame.slice(0, size) : frame;
}
