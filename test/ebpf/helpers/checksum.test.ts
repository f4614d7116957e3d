import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TestRun } from './harness.ts';
import { csum, setSkbState } from '../../../src/ebpf/helpers/index.ts';

const EINVAL = -22, EFAULT = -14, ENOTSUPP = -524, EACCES = -13;
const PSEUDO = 0x10, MANGLED_0 = 0x20, ENFORCE = 0x40;
const IP = 14, L4 = 34;

/** The ones'-complement sum of big-endian 16-bit words, from scratch (RFC 1071). */
function sum16(bytes: Uint8Array, initial = 0): number {
  let s = initial;
  for (let i = 0; i < bytes.length; i += 2) s += (bytes[i] << 8) | (bytes[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** An Ethernet + IPv4 (no options) + UDP/TCP packet with both checksums right. */
function packet(proto: 6 | 17, src: number[], dst: number[], sport: number, dport: number, payload: number[]): Uint8Array {
  const l4len = (proto === 6 ? 20 : 8) + payload.length;
  const p = new Uint8Array(IP + 20 + l4len);
  p.set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00]);
  const ip = p.subarray(IP, IP + 20);
  ip.set([0x45, 0, (20 + l4len) >> 8, (20 + l4len) & 0xff, 0x12, 0x34, 0x40, 0, 64, proto, 0, 0, ...src, ...dst]);
  const c = ~sum16(ip) & 0xffff;
  ip[10] = c >> 8;
  ip[11] = c & 0xff;
  const l4 = p.subarray(L4);
  l4.set([sport >> 8, sport & 0xff, dport >> 8, dport & 0xff]);
  if (proto === 17) l4.set([l4len >> 8, l4len & 0xff], 4);
  else l4[12] = 0x50;
  l4.set(payload, proto === 6 ? 20 : 8);
  const csumOff = proto === 6 ? 16 : 6;
  let s = ~sum16(l4, sum16(new Uint8Array([...src, ...dst, 0, proto, l4len >> 8, l4len & 0xff]))) & 0xffff;
  if (proto === 17 && s === 0) s = 0xffff;
  l4[csumOff] = s >> 8;
  l4[csumOff + 1] = s & 0xff;
  return p;
}

/** Do the packet's checksums verify (sum over the covered bytes is all ones)? */
function verifies(p: Uint8Array): { ip: boolean; l4: boolean } {
  const ip = p.subarray(IP, IP + 20);
  const l4 = p.subarray(L4);
  const pseudo = new Uint8Array([...ip.subarray(12, 20), 0, ip[9], l4.length >> 8, l4.length & 0xff]);
  return { ip: sum16(ip) === 0xffff, l4: sum16(l4, sum16(pseudo)) === 0xffff };
}

const le32 = (b: Uint8Array, o: number): number => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
const le16 = (b: Uint8Array, o: number): number => b[o] | (b[o + 1] << 8);

const arb = fc.record({
  proto: fc.constantFrom(6 as const, 17 as const),
  src: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }),
  dst: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }),
  newAddr: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 }),
  sport: fc.integer({ min: 0, max: 0xffff }),
  dport: fc.integer({ min: 0, max: 0xffff }),
  newPort: fc.integer({ min: 0, max: 0xffff }),
  payload: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 40 }),
});

describe('l3/l4 checksum replacement keeps packets valid (against a from-scratch computation)', () => {
  it('NAT of the source address and port, as tc_nat.c does it', () => {
    fc.assert(
      fc.property(arb, (c) => {
        const t = new TestRun({ packet: packet(c.proto, c.src, c.dst, c.sport, c.dport, c.payload) });
        const ctx = t.skb!.addr;
        const pkt = t.pkt!.bytes();
        const csumOff = L4 + (c.proto === 6 ? 16 : 6);
        const mm = c.proto === 17 ? MANGLED_0 : 0;
        const oldAddr = le32(pkt, IP + 12), oldPort = le16(pkt, L4);
        const addr = t.put(0, c.newAddr);
        const newAddr = le32(t.stackBytes(0, 4), 0);
        const port = t.put(8, [c.newPort >> 8, c.newPort & 0xff]);
        expect(t.num(11, ctx, csumOff, oldAddr, newAddr, mm | PSEUDO | 4)).toBe(0);
        expect(t.num(10, ctx, IP + 10, oldAddr, newAddr, 4)).toBe(0);
        expect(t.num(9, ctx, IP + 12, addr, 4, 0)).toBe(0);
        expect(t.num(11, ctx, csumOff, oldPort, le16(t.stackBytes(8, 2), 0), mm | 2)).toBe(0);
        expect(t.num(9, ctx, L4, port, 2, 0)).toBe(0);
        const out = t.packetBytes();
        expect(verifies(out)).toEqual({ ip: true, l4: true });
        // And the same packet built from scratch has the same checksums (up to ones'-complement ±0).
        const ref = packet(c.proto, c.newAddr, c.dst, c.newPort, c.dport, c.payload);
        expect(sum16(out.subarray(IP + 10, IP + 12)) % 0xffff).toBe(sum16(ref.subarray(IP + 10, IP + 12)) % 0xffff);
        expect(sum16(out.subarray(csumOff, csumOff + 2)) % 0xffff).toBe(sum16(ref.subarray(csumOff, csumOff + 2)) % 0xffff);
      }),
      { numRuns: 300 },
    );
  });

  it('the same through bpf_csum_diff and a by-difference replace', () => {
    fc.assert(
      fc.property(arb, (c) => {
        const t = new TestRun({ packet: packet(c.proto, c.src, c.dst, c.sport, c.dport, c.payload) });
        const ctx = t.skb!.addr;
        const csumOff = L4 + (c.proto === 6 ? 16 : 6);
        const from = t.put(0, c.dst);
        const to = t.put(8, c.newAddr);
        const diff = t.num(28, from, 4, to, 4, 0);
        expect(diff).toBeGreaterThanOrEqual(0);
        expect(t.num(10, ctx, IP + 10, 0, diff, 0)).toBe(0);
        expect(t.num(11, ctx, csumOff, 0, diff, PSEUDO | (c.proto === 17 ? MANGLED_0 : 0))).toBe(0);
        expect(t.num(9, ctx, IP + 16, to, 4, 0)).toBe(0);
        expect(verifies(t.packetBytes())).toEqual({ ip: true, l4: true });
      }),
      { numRuns: 300 },
    );
  });
});

describe('checksum helper argument checks', () => {
  const udp = () => packet(17, [10, 0, 0, 1], [10, 0, 0, 2], 1000, 53, [1, 2, 3]);

  it('l3: size in the low flag bits (0, 2, 4), even offsets inside the packet', () => {
    const t = new TestRun({ packet: udp() });
    const ctx = t.skb!.addr;
    expect(t.num(10, ctx, IP + 10, 0, 0, 3)).toBe(EINVAL);
    expect(t.num(10, ctx, IP + 10, 0, 0, 0x10)).toBe(EINVAL);
    expect(t.num(10, ctx, IP + 10, 1, 0, 0)).toBe(EINVAL); // by-difference takes from = 0
    expect(t.num(10, ctx, IP + 11, 0, 0, 4)).toBe(EFAULT);
    expect(t.num(10, ctx, t.pkt!.len - 1, 0, 0, 4)).toBe(EFAULT);
    expect(t.num(10, ctx, 0x10000, 0, 0, 4)).toBe(EFAULT);
  });

  it('l4: BPF_F_MARK_MANGLED_0 leaves a zero UDP checksum alone unless enforced, and never writes 0', () => {
    const t = new TestRun({ packet: udp() });
    const ctx = t.skb!.addr;
    const off = L4 + 6;
    t.pkt!.bytes().set([0, 0], off);
    expect(t.num(11, ctx, off, 0x1234, 0x5678, MANGLED_0 | 2)).toBe(0);
    expect([...t.pkt!.bytes().subarray(off, off + 2)]).toEqual([0, 0]);
    expect(t.num(11, ctx, off, 0x1234, 0x5678, MANGLED_0 | ENFORCE | 2)).toBe(0);
    expect([...t.pkt!.bytes().subarray(off, off + 2)]).not.toEqual([0, 0]);
    // A result of 0 is written as CSUM_MANGLED_0 (0xffff): enforced on a zero field, 0 -> 0 gives 0.
    t.pkt!.bytes().set([0, 0], off);
    expect(t.num(11, ctx, off, 0, 0, MANGLED_0 | ENFORCE | 2)).toBe(0);
    expect([...t.pkt!.bytes().subarray(off, off + 2)]).toEqual([0xff, 0xff]);
    expect(t.num(11, ctx, off, 0, 0, 1 << 8)).toBe(EINVAL); // unknown flag
  });

  it('csum_update needs CHECKSUM_COMPLETE; csum_level follows ip_summed', () => {
    const t = new TestRun({ packet: udp() });
    const ctx = t.skb!.addr;
    expect(t.num(40, ctx, 5)).toBe(ENOTSUPP);
    setSkbState(t.skb!, { ipSummed: csum.CHECKSUM_COMPLETE, csum: 0xffff_fff0 });
    expect(t.num(40, ctx, 0x20)).toBe(0x11);
    expect(t.num(135, ctx, 0)).toBe(EACCES);
    setSkbState(t.skb!, { ipSummed: csum.CHECKSUM_NONE });
    expect(t.num(135, ctx, 1)).toBe(0); // NONE -> UNNECESSARY, level 0
    expect(t.num(135, ctx, 0)).toBe(0);
    for (let i = 0; i < 5; i++) t.num(135, ctx, 1);
    expect(t.num(135, ctx, 0)).toBe(3); // SKB_MAX_CSUM_LEVEL
    expect(t.num(135, ctx, 2)).toBe(0);
    expect(t.num(135, ctx, 0)).toBe(2);
    expect(t.num(135, ctx, 3)).toBe(0); // reset: back to CHECKSUM_NONE
    expect(t.num(135, ctx, 0)).toBe(EACCES);
    expect(t.num(135, ctx, 4)).toBe(EINVAL);
  });

  it('csum_diff: the folded difference; empty buffers may be NULL', () => {
    const t = new TestRun({ packet: udp() });
    const a = t.put(0, [1, 2, 3, 4]);
    expect(t.num(28, a, 4, a, 4, 0)).toBe(0xffff);
    expect(t.num(28, 0, 0, a, 4, 0)).toBe(csum.csumFrom32to16(0x04030201));
    expect(t.num(28, 0, 0, 0, 0, 0x1234_5678)).toBe(csum.csumFrom32to16(0x1234_5678));
  });
});

describe('csum.ts primitives', () => {
  it('csumPartial agrees with a 64-bit add-with-carry over little-endian words', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat({ max: 0xffff_ffff }), (bytes, seed) => {
        let acc = BigInt(seed);
        for (let i = 0; i < bytes.length; i += 8) {
          let w = 0n;
          for (let k = 0; k < 8 && i + k < bytes.length; k++) w |= BigInt(bytes[i + k]) << BigInt(8 * k);
          acc += w;
          if (acc >= 1n << 64n) acc = acc - (1n << 64n) + 1n;
        }
        const rot = ((acc >> 32n) | (acc << 32n)) & ((1n << 64n) - 1n);
        const folded = Number(((acc + rot) & ((1n << 64n) - 1n)) >> 32n);
        expect(csum.csumPartial(bytes, seed)).toBe(folded);
      }),
      { numRuns: 500 },
    );
  });
});
