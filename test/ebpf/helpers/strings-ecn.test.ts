/**
 * bpf_strtol / bpf_strtoul / bpf_strncmp and bpf_skb_ecn_set_ce. The expected values are the
 * kernel's (Linux 6.18, test/fixtures/helpers_misc.c through bpftool prog run); the differential
 * test compares the same helpers with the kernel on every corpus packet.
 */
import { describe, expect, it } from 'vitest';
import { TestRun } from './harness.ts';

const EINVAL = -22, ERANGE = -34;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function strto(id: 105 | 106, s: string, flags: number): [number, bigint] {
  const t = new TestRun();
  const buf = t.put(0, enc(s));
  const res = t.put(256, new Uint8Array(8).fill(0xee));
  const r = t.num(id, buf, s.length, flags, res);
  return [r, new DataView(t.stackBytes(256, 8).buffer).getBigInt64(0, true)];
}

describe('bpf_strtol / bpf_strtoul', () => {
  it.each([
    ['  -0x1fz', 0, 7, -31n],
    ['0777', 0, 4, 511n],
    ['0x', 0, 1, 0n], // no hex digit after 0x: base 8, just the 0
    ['99999999999999999999', 10, ERANGE, 0n],
    ['-9223372036854775808', 10, 20, -(2n ** 63n)],
    ['9223372036854775808', 10, ERANGE, 0n],
    ['42', 3, EINVAL, 0n], // base 3
    ['42', 0x2a, EINVAL, 0n], // flags beyond the base
    ['ff', 16, 2, 255n],
    ['\t\n-', 0, EINVAL, 0n],
  ] as const)('strtol(%j, %i) = %i, *res %s', (s, flags, ret, val) => {
    expect(strto(105, s, flags)).toEqual([ret, val]);
  });

  it.each([
    ['9223372036854775808', 10, 19, -(2n ** 63n)], // 2^63 as a u64
    ['-5', 10, EINVAL, 0n],
    ['0X10', 16, 4, 16n],
    ['18446744073709551616', 0, ERANGE, 0n],
  ] as const)('strtoul(%j, %i) = %i, *res %s', (s, flags, ret, val) => {
    expect(strto(106, s, flags)).toEqual([ret, val]);
  });
});

describe('bpf_strncmp', () => {
  it('answers -1, 0 or 1 like the kernel strncmp, over at most s1_sz bytes', () => {
    const t = new TestRun();
    const want = t.str('chain');
    expect(t.num(182, t.put(0, enc('chainlab fixture')), 16, want)).toBe(1);
    expect(t.num(182, t.put(0, enc('chainlab fixture')), 5, want)).toBe(0);
    expect(t.num(182, t.put(0, enc('chaio')), 5, want)).toBe(1);
    expect(t.num(182, t.put(0, enc('chaia')), 5, want)).toBe(-1);
    expect(t.num(182, t.put(0, [0x63, 0x68, 0x61, 0x69, 0x6e, 0]), 6, want)).toBe(0);
  });
});

describe('bpf_skb_ecn_set_ce', () => {
  const ipv4 = (tos: number): Uint8Array => {
    const f = new Uint8Array(14 + 20);
    f.set([0x08, 0x00], 12);
    f.set([0x45, tos, 0, 20, 0x12, 0x34, 0x40, 0, 64, 17, 0, 0, 192, 168, 1, 10, 10, 0, 0, 80], 14);
    let sum = 0;
    for (let i = 14; i < 34; i += 2) sum += (f[i] << 8) | f[i + 1];
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
    f[24] = (~sum >> 8) & 0xff;
    f[25] = ~sum & 0xff;
    return f;
  };
  const headerSum = (f: Uint8Array): number => {
    let sum = 0;
    for (let i = 14; i < 34; i += 2) sum += (f[i] << 8) | f[i + 1];
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
    return sum;
  };

  it.each([
    [0, 0, 0], // Not-ECT: left alone
    [1, 1, 3], // ECT(1)
    [2, 1, 3], // ECT(0)
    [3, 1, 3], // already CE
  ])('IPv4 ECN %i → returns %i, ECN %i, the header checksum still right', (ecn, ret, after) => {
    const t = new TestRun({ packet: ipv4(0xb8 | ecn) });
    expect(t.num(97, t.skb!.addr)).toBe(ret);
    const out = t.packetBytes();
    expect(out[15]).toBe(0xb8 | after);
    expect(headerSum(out)).toBe(0xffff);
  });

  it('IPv6: sets CE in the traffic class when ECT, not otherwise; other frames are left alone', () => {
    const v6 = (tc: number): Uint8Array => {
      const f = new Uint8Array(14 + 40);
      f.set([0x86, 0xdd], 12);
      f[14] = 0x60 | (tc >> 4);
      f[15] = (tc & 0x0f) << 4;
      return f;
    };
    const ect = new TestRun({ packet: v6(0x02) });
    expect(ect.num(97, ect.skb!.addr)).toBe(1);
    expect(ect.packetBytes()[15]).toBe(0x30);
    const not = new TestRun({ packet: v6(0xb8) });
    expect(not.num(97, not.skb!.addr)).toBe(0);
    const arp = new TestRun({ packet: Uint8Array.of(...new Uint8Array(12), 0x08, 0x06, ...new Uint8Array(28)) });
    expect(arp.num(97, arp.skb!.addr)).toBe(0);
  });
});
