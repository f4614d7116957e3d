/**
 * skb flow hash and metadata helpers, net/core/filter.c: bpf_get_hash_recalc (skb_get_hash()),
 * bpf_set_hash (__skb_set_sw_hash()), bpf_set_hash_invalid (skb_clear_hash()),
 * bpf_get_cgroup_classid and bpf_get_route_realm.
 *
 * The flow hash differs from the kernel's on purpose: the kernel hashes the dissected flow keys
 * with siphash under a random boot-time key (net/core/flow_dissector.c: __skb_get_hash()), so
 * its value is not reproducible anyway. chainlab hashes the same keys — addresses, ports (not
 * for fragments; IPv6 stops at a non-zero flow label), IP protocol — with the kernel's jhash2
 * and a fixed seed: deterministic, symmetric in the two directions like __flow_hash_consistentify(),
 * and never 0. Programs that only compare hashes, or spread flows with them, behave alike.
 */
import type { HelperContext, HelperFn } from '../vm/engine.ts';
import type { SkbCtx } from '../ctx/skb.ts';
import { skbOf, u32 } from './context.ts';
import { skbState } from './skb-state.ts';

const rol32 = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/** jhash2() from include/linux/jhash.h over 32-bit words. */
export function jhash2(k: readonly number[], initval: number): number {
  let a = (0xdeadbeef + (k.length << 2) + initval) >>> 0;
  let b = a, c = a;
  let i = 0, len = k.length;
  while (len > 3) {
    a = (a + k[i]) >>> 0; b = (b + k[i + 1]) >>> 0; c = (c + k[i + 2]) >>> 0;
    a = (a - c) >>> 0; a = (a ^ rol32(c, 4)) >>> 0; c = (c + b) >>> 0;
    b = (b - a) >>> 0; b = (b ^ rol32(a, 6)) >>> 0; a = (a + c) >>> 0;
    c = (c - b) >>> 0; c = (c ^ rol32(b, 8)) >>> 0; b = (b + a) >>> 0;
    a = (a - c) >>> 0; a = (a ^ rol32(c, 16)) >>> 0; c = (c + b) >>> 0;
    b = (b - a) >>> 0; b = (b ^ rol32(a, 19)) >>> 0; a = (a + c) >>> 0;
    c = (c - b) >>> 0; c = (c ^ rol32(b, 4)) >>> 0; b = (b + a) >>> 0;
    len -= 3;
    i += 3;
  }
  if (len === 0) return c;
  if (len === 3) c = (c + k[i + 2]) >>> 0;
  if (len >= 2) b = (b + k[i + 1]) >>> 0;
  a = (a + k[i]) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rol32(b, 14)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rol32(c, 11)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rol32(a, 25)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rol32(b, 16)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rol32(c, 4)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rol32(a, 14)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rol32(b, 24)) >>> 0;
  return c;
}

const PORT_PROTOS = new Set([6, 17, 33, 132, 136]); // TCP, UDP, DCCP, SCTP, UDP-Lite

/** Dissect the flow keys at the network header and hash them. */
export function flowHash(skb: SkbCtx): { hash: number; l4: boolean } {
  const pkt = skb.pkt;
  const bytes = pkt.bytes();
  let off = skbState(skb).netOff;
  let proto = skb.protocol;
  const be16 = (o: number): number => (bytes[o] << 8) | bytes[o + 1];
  const word = (o: number): number => ((bytes[o] << 24) | (bytes[o + 1] << 16) | (bytes[o + 2] << 8) | bytes[o + 3]) >>> 0;
  for (let depth = 0; (proto === 0x8100 || proto === 0x88a8) && depth < 2 && off + 4 <= bytes.length; depth++) {
    proto = be16(off + 2);
    off += 4;
  }
  let src: number[] = [], dst: number[] = [];
  let ipProto = 0, ports = -1, label = 0;
  if (proto === 0x0800 && off + 20 <= bytes.length) {
    const ihl = (bytes[off] & 0x0f) * 4;
    src = [word(off + 12)];
    dst = [word(off + 16)];
    ipProto = bytes[off + 9];
    const frag = be16(off + 6) & 0x3fff; // MF or a fragment offset
    if (!frag && ihl >= 20 && PORT_PROTOS.has(ipProto) && off + ihl + 4 <= bytes.length) ports = word(off + ihl);
  } else if (proto === 0x86dd && off + 40 <= bytes.length) {
    src = [0, 1, 2, 3].map((k) => word(off + 8 + 4 * k));
    dst = [0, 1, 2, 3].map((k) => word(off + 24 + 4 * k));
    ipProto = bytes[off + 6];
    label = word(off) & 0xfffff;
    if (label === 0 && PORT_PROTOS.has(ipProto) && off + 44 <= bytes.length) ports = word(off + 40);
  }
  // __flow_hash_consistentify(): the same hash in both directions.
  let sp = ports >>> 16, dp = ports & 0xffff;
  const k = src.findIndex((v, i) => v !== dst[i]);
  const swap = k >= 0 ? src[k] > dst[k] : sp > dp;
  if (swap) {
    [src, dst] = [dst, src];
    [sp, dp] = [dp, sp];
  }
  const l4 = ports >= 0;
  const keys = [...src, ...dst, l4 ? ((sp << 16) | dp) >>> 0 : 0, label, ipProto, proto];
  const hash = jhash2(keys, 0);
  return { hash: hash === 0 ? 1 : hash, l4 };
}

/** skb_clear_hash(). */
export function clearHash(skb: SkbCtx): void {
  const s = skbState(skb);
  skb.set('hash', 0);
  s.l4Hash = false;
  s.swHash = false;
}

/** skb_get_hash(): compute the hash once, keep it until cleared. */
function getHashRecalc(c: HelperContext): number {
  const skb = skbOf(c, 'bpf_get_hash_recalc');
  const s = skbState(skb);
  if (!s.l4Hash && !s.swHash) {
    const { hash, l4 } = flowHash(skb);
    skb.set('hash', hash);
    s.swHash = true;
    s.l4Hash = l4;
  }
  return skb.get('hash');
}

export const HASH_HELPERS: ReadonlyMap<number, HelperFn> = new Map<number, HelperFn>([
  [34, getHashRecalc],
  [48, (c) => {
    const skb = skbOf(c, 'bpf_set_hash');
    const s = skbState(skb);
    skb.set('hash', u32(c, 2));
    s.swHash = true;
    s.l4Hash = true;
    return 0;
  }],
  [41, (c) => {
    clearHash(skbOf(c, 'bpf_set_hash_invalid'));
    return 0;
  }],
  // No net_cls cgroups and no routing realms in the simulation: both read 0, as for an skb
  // without a full socket (task_get_classid() in softirq) or a route without a realm.
  [17, () => 0],
  [24, () => 0],
]);
