import { describe, expect, it } from 'vitest';
import { fmtCount, fmtNs, fmtPps, spacedHex, uintToHexLE } from '../../web/format.ts';

describe('viewer formatting', () => {
  it('times, rates and counts', () => {
    expect([fmtNs(12), fmtNs(1500), fmtNs(2_000_000), fmtNs(3e9)]).toEqual(['12 ns', '1.5 µs', '2 ms', '3 s']);
    expect([fmtPps(999), fmtPps(12_500), fmtPps(14_880_000)]).toEqual(['999 pps', '12.5 kpps', '14.88 Mpps']);
    expect([fmtCount(999), fmtCount(12_345), fmtCount(2_500_000)]).toEqual(['999', '12.3k', '2.5M']);
  });

  it('numbers as little-endian map bytes', () => {
    expect(uintToHexLE(5, 4)).toBe('05000000');
    expect(uintToHexLE('1000', 8)).toBe('e803000000000000');
    expect(uintToHexLE(0xffffffffn, 4)).toBe('ffffffff');
    expect(() => uintToHexLE(256, 1)).toThrow(/does not fit/);
    expect(spacedHex('05000000')).toBe('05 00 00 00');
  });
});
