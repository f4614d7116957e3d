/**
 * The packets the kernel-vector tests feed the probe programs: deterministic (a fixed xorshift
 * stream), so the vectors only record the kernel's answers and the tests rebuild the inputs.
 */

let state = 0x5eed_1234;
/** xorshift32: small and fixed forever, unlike a library stream. */
function next(): number {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>>= 0);
}
const int = (n: number): number => next() % n;
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
const bytes = (n: number): number[] => Array.from({ length: n }, () => int(256));


export const REQ_OFF = 24;
const DST_MACS = [[0, 0, 0, 0, 0, 0], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [0x01, 0x00, 0x5e, 0, 0, 1], [0x02, 0x11, 0x22, 0x33, 0x44, 0x55]];
type Kind = 'ipv4' | 'ipv6' | 'arp' | 'vlan' | 'qinq' | '8023';

function skbPacket(kind: Kind, op: number, args: readonly bigint[], extra: number): Uint8Array {
  const p = new Uint8Array(REQ_OFF + 52 + extra);
  p.set(pick(DST_MACS), 0);
  p.set(bytes(6), 6);
  p.set(bytes(p.length - 12), 12);
  const be16 = (o: number, v: number) => ((p[o] = v >> 8), (p[o + 1] = v & 0xff));
  const ether: Record<Kind, () => void> = {
    ipv4: () => be16(12, 0x0800),
    ipv6: () => be16(12, 0x86dd),
    arp: () => be16(12, 0x0806),
    vlan: () => (be16(12, 0x8100), be16(16, 0x0800)),
    qinq: () => (be16(12, 0x88a8), be16(16, 0x8100), be16(20, 0x0800)),
    '8023': () => be16(12, 0x0040),
  };
  ether[kind]();
  const v = new DataView(p.buffer);
  v.setUint32(REQ_OFF, op, true);
  args.forEach((a, i) => v.setBigUint64(REQ_OFF + 4 + 8 * i, BigInt.asUintN(64, a), true));
  return p;
}

const s64 = (n: number | bigint): bigint => BigInt.asUintN(64, BigInt(n));
const KINDS: Kind[] = ['ipv4', 'ipv6', 'arp', 'vlan', 'qinq', '8023'];
const BE = (v: number): bigint => BigInt(((v & 0xff) << 8) | (v >> 8));

/** Packets for skb_probe.c: the request at REQ_OFF, after an Ethernet header (and VLAN tags). */
export function skbCases(): Uint8Array[] {
  state = 0x5eed_1234;
  const out: Uint8Array[] = [];
  const add = (kind: Kind, op: number, args: (number | bigint)[], extra = int(16)) => out.push(skbPacket(kind, op, [...args, 0, 0, 0, 0].slice(0, 4).map(s64), extra));
  for (let i = 0; i < 40; i++) add('ipv4', 0, [int(110), int(16), pick([0, 0, 1, 2, 3, 4])]);
  add('ipv4', 0, [0x8000_0000, 4, 0]);
  for (let i = 0; i < 30; i++) add('ipv4', 1, [pick([0, 10, 60, 70, 80, 100, 0x8000_0000]) + int(10), int(16)]);
  for (let i = 0; i < 30; i++) add(pick(KINDS), 2, [pick([0, 4, 40, 60, 61, 62, 0xffff, 0x10000]) + int(3), int(16), pick([0, 1, 2])]);
  for (let i = 0; i < 12; i++) add('ipv4', 3, [pick([0, 1, 76, 100, 116, 117, 200]) + int(2)]);
  for (const a of [0, 1, 14, 100, 1000, 16064 - 100, 0xffff_ffff]) for (const c of [0, 1]) add('ipv4', 4, [a, 0, c], 24);
  for (const a of [0, 13, 14, 20, 76, 90, 200, 3000, 16064, 16065]) for (const c of [0, 0, 1]) add(pick(['ipv4', 'arp'] as Kind[]), 5, [a, 0, c]);
  const roomFlags = [0n, 1n, 2n, 4n, 6n, 8n, 16n, 24n, 32n, 2n | 16n, 2n | 8n, 4n | 16n, 2n | 64n | (14n << 56n), 2n | 64n | (10n << 56n), 2n | 64n | (30n << 56n), 2n | (8n << 56n), 1n << 7n, 1n << 20n];
  for (let i = 0; i < 120; i++) {
    const a = pick([-100, -40, -20, -8, -4, -1, 0, 1, 4, 8, 12, 20, 28, 36, 40, 100, 4095, 4096, -4095, -4096]);
    add(pick(['ipv4', 'ipv4', 'ipv6', 'arp', 'vlan'] as Kind[]), 6, [a, pick([0, 1, 1, 2]), pick(roomFlags)]);
  }
  for (const kind of ['ipv4', 'ipv6', 'arp'] as Kind[]) for (const a of [0x0800, 0x86dd, 0x0806]) for (const c of [0, 0, 1]) add(kind, 7, [BE(a), 0, c]);
  for (let a = 0; a < 6; a++) add('ipv4', 8, [a]);
  const vlanProtos = [BE(0x8100), BE(0x88a8), BE(0x0800), 0xffffn];
  for (let i = 0; i < 16; i++) add(pick(KINDS), 9, [pick(vlanProtos), int(0x10000)]);
  for (let i = 0; i < 10; i++) add(pick(KINDS), 10, [pick(vlanProtos), int(0x10000)]);
  for (let i = 0; i < 16; i++) add(pick(KINDS), 11, [pick(vlanProtos), int(0x10000), pick(vlanProtos), int(0x10000)]);
  for (let i = 0; i < 16; i++) add(pick(KINDS), 12, []);
  for (let i = 0; i < 16; i++) add(pick(KINDS), 13, []);
  for (let i = 0; i < 16; i++) add(pick(KINDS), 14, [pick(vlanProtos), int(0x10000), pick(vlanProtos), int(0x10000)]);
  const decapFlags = [1n << 7n, 1n << 8n, 3n << 7n, (1n << 7n) | 1n, (1n << 8n) | 32n, (1n << 7n) | 2n, 1n << 9n, 1n << 10n, 1n << 11n, 1n << 12n];
  for (let i = 0; i < 40; i++) {
    add(pick(['ipv4', 'ipv6', 'arp'] as Kind[]), 6, [pick([-20, -40, -4, -21, 20, 0, -60]), pick([0, 1]), pick(decapFlags)]);
  }
  for (let i = 0; i < 20; i++) add(pick(['ipv4', 'ipv6'] as Kind[]), 15, [pick([20, 28, 40, 48]), pick([0, 1]), pick(roomFlags.slice(0, 14)), pick([0n, 32n])]);
  for (let i = 0; i < 10; i++) add('ipv4', 16, [pick([0, 14, 20]), pick([10, 14, 60, 100, 200])]);
  for (let i = 0; i < 10; i++) add('ipv4', 17, [20, 1, pick([0n, 2n, 2n | 16n]), pick([60, 100, 120])]);
  return out;
}

// ---- checksum probe ----

/** Where csum_probe.c's scratch area (the checksum fields) starts. */
export const SCRATCH = 14 + 4 * 3 + 8 * 3 + 4 + 128;
const specials = [0, 0xffff_ffff, 0xffff, 0xffff_0000, 1, 0xffff_fffe, 0x8000];
const word = (): number => (int(4) === 0 ? pick(specials) : next());

function csumPacket(op: number, a: number, b: number, from: bigint, to: bigint, flags: bigint, seed: number): Uint8Array {
  const p = new Uint8Array(SCRATCH + 64);
  p[12] = 8;
  const v = new DataView(p.buffer);
  let o = 14;
  v.setUint32(o, op, true);
  v.setUint32(o + 4, a, true);
  v.setUint32(o + 8, b, true);
  v.setBigUint64(o + 12, from, true);
  v.setBigUint64(o + 20, to, true);
  v.setBigUint64(o + 28, flags, true);
  v.setUint32(o + 36, seed, true);
  for (o = 54; o < p.length; o += 4) v.setUint32(o, word(), true);
  return p;
}

/** Packets for csum_probe.c. */
export function csumCases(): Uint8Array[] {
  state = 0x0c5_5eed;
  const out: Uint8Array[] = [];
  for (let i = 0; i < 300; i++) {
    const op = i % 5;
    const szA = int(9) * 4, szB = int(9) * 4;
    const field = int(8) * 2 + (i % 97 === 0 ? 1 : 0);
    const pseudo = int(2) ? 0x10n : 0n;
    const size = BigInt(pick([0, 2, 4, 4, 2, 3]));
    const extra = pick([0n, 0n, 0n, 0x20n, 0x40n, 0x60n, 0x80n, 0x100n]);
    const seed = int(3) === 0 ? 0 : word();
    if (op === 0) out.push(csumPacket(0, pick([szA, szA, 3, 6]), szB, 0n, 0n, 0n, seed));
    else if (op === 1) out.push(csumPacket(1, field, 0, size === 0n && int(4) ? 0n : BigInt(word()), BigInt(word()), size | (int(10) === 0 ? 0x10n : 0n), seed));
    else if (op === 2) out.push(csumPacket(2, field, 0, size === 0n && int(4) ? 0n : BigInt(word()), BigInt(word()), size | pseudo | extra, seed));
    else out.push(csumPacket(op, field, szA | (szB << 8), 0n, 0n, op === 3 ? pseudo | pick([0n, 0x20n]) : 0n, seed));
  }
  return out;
}

