import { describe, expect, it } from 'vitest';
import {
  formatHandle, formatRate, formatSize, parseHandle, parseRate, parseSize, parseTime, RateCfg, TcUnitError, xmittimeNs,
} from '../../../src/net/qdisc/index.ts';

describe('parseRate (tc_util.c get_rate64)', () => {
  it.each([
    ['1gbit', 1e9], ['10mbit', 1e7], ['100kbit', 1e5], ['1kibit', 1024], ['1mibit', 1024 * 1024], ['2gibit', 2 * 1024 ** 3],
    ['1tbit', 1e12], ['1500bit', 1500], ['1500', 1500], ['1.5mbit', 1.5e6], ['1KBps', 8000], ['1kbps', 8000], ['1Bps', 8],
    ['1MiBps', 8 * 1024 * 1024], ['1GBit', 1e9], ['1Mbit', 1e6], [1e9, 1e9],
  ])('%s → %d bit/s', (s, want) => {
    expect(parseRate(s)).toBe(want);
  });
  it.each([['10mbt', /unknown unit "mbt"/], ['fast', /does not start with a number/], ['-1mbit', /non-negative/], ['10%', /percent/], [0, /positive/]])(
    'rejects %s naming the value',
    (s, re) => {
      expect(() => parseRate(s)).toThrow(TcUnitError);
      expect(() => parseRate(s)).toThrow(re);
      expect(() => parseRate(s)).toThrow(JSON.stringify(s));
    },
  );
});

describe('parseSize (tc_util.c get_size: k = 1024)', () => {
  it.each([
    ['32k', 32768], ['32kb', 32768], ['32K', 32768], ['1m', 1048576], ['1mb', 1048576], ['1g', 1024 ** 3], ['1gb', 1024 ** 3],
    ['1500', 1500], ['1500b', 1500], ['1kbit', 128], ['1mbit', 131072], ['1gbit', 134217728], ['1.5k', 1536], ['10.9', 10], [4096, 4096],
  ])('%s → %d bytes', (s, want) => {
    expect(parseSize(s)).toBe(want);
  });
  it.each([['10kib', /unknown unit "kib"/], ['x', /number/], [1.5, /integer/], ['5g', /32 bits/]])('rejects %s', (s, re) => {
    expect(() => parseSize(s)).toThrow(re);
  });
});

describe('parseTime (get_time64; bare numbers are µs as get_time)', () => {
  it.each([
    ['50ms', 50e6], ['5ms', 5e6], ['100ms', 100e6], ['1s', 1e9], ['2sec', 2e9], ['1.5secs', 1.5e9], ['250us', 250e3], ['250usec', 250e3],
    ['100', 100e3], ['42ns', 42], ['1msec', 1e6], [123, 123],
  ])('%s → %d ns', (s, want) => {
    expect(parseTime(s)).toBe(want);
  });
  it.each([['5min', /unknown unit "min"/], ['ms', /number/], [-1, /non-negative/]])('rejects %s', (s, re) => {
    expect(() => parseTime(s)).toThrow(re);
  });
});

describe('handles (get_tc_classid, hex)', () => {
  it.each([
    ['1:', 0x10000], ['1:10', 0x10010], ['ffff:ffff', 0xffffffff - 0], [':5', 5], ['root', 0xffffffff], ['none', 0], ['10', 0x10], [0x20003, 0x20003],
  ])('%s → %d', (s, want) => {
    expect(parseHandle(s)).toBe(want);
  });
  it('formats as tc prints', () => {
    expect([0x10000, 0x10010, 5, 0xffffffff, 0].map(formatHandle)).toEqual(['1:', '1:10', ':5', 'root', 'none']);
  });
  it('rejects bad handles', () => {
    expect(() => parseHandle('1:10000')).toThrow(/16 bits/);
    expect(() => parseHandle('x:1')).toThrow(/MAJOR:MINOR/);
  });
});

describe('formatting as tc show prints', () => {
  it.each([[1e9, '1Gbit'], [1e7, '10Mbit'], [1.5e6, '1500Kbit'], [1000, '1Kbit'], [8, '8bit']])('rate %d → %s', (r, s) => {
    expect(formatRate(r)).toBe(s);
  });
  it.each([[10240, '10Kb'], [1048576, '1Mb'], [1500, '1500b'], [0, '0b']])('size %d → %s', (n, s) => {
    expect(formatSize(n)).toBe(s);
  });
});

describe('RateCfg (psched_ratecfg_precompute / psched_l2t_ns)', () => {
  // Expected mult/shift computed by the kernel's loop by hand for these rates.
  it.each([
    [1_250_000, 1000], [125_000_000, 1514], [12_500_000, 64], [1, 1], [1_250_000_000, 9000], [3_000_000, 1514], [37_500_000_000, 65535],
  ])('rate %d B/s, len %d: within 1 ns of len·1e9/rate, never above', (rate, len) => {
    const r = new RateCfg(rate);
    const exact = (len * 1e9) / rate;
    const got = r.l2t(len);
    expect(got).toBeLessThanOrEqual(Math.ceil(exact));
    expect(exact - got).toBeLessThan(1 + exact * 1e-9);
    // mult gets bit 31 unless the factor reached bit 63 first (very high rates)
    expect(r.mult >= 2 ** 31 || r.shift >= 32).toBe(true);
    expect(r.mult).toBeLessThan(2 ** 32);
  });
  it('matches the kernel arithmetic exactly (BigInt reference)', () => {
    for (const rate of [1_250_000, 12_345_678, 125_000_000]) {
      const r = new RateCfg(rate);
      for (const len of [1, 64, 1000, 1514, 65535]) expect(r.l2t(len)).toBe(Number((BigInt(len) * BigInt(r.mult)) >> BigInt(r.shift)));
    }
  });
  it('overhead, mpu and ATM cells', () => {
    expect(new RateCfg(1_000_000, 24).l2t(100)).toBe(new RateCfg(1_000_000).l2t(124));
    expect(new RateCfg(1_000_000, 0, 64).l2t(10)).toBe(new RateCfg(1_000_000).l2t(64));
    expect(new RateCfg(1_000_000, 0, 0, 'atm').l2t(100)).toBe(new RateCfg(1_000_000).l2t(159));
  });
  it('t2l inverts l2t (psched_ns_t2l)', () => {
    const r = new RateCfg(1_250_000);
    expect(r.t2l(800_000)).toBe(1000);
  });
  it('tc_calc_xmittime in 64 ns ticks', () => {
    // 1600 B at 12.5 MB/s = 128 µs = 2000 ticks = 128000 ns
    expect(xmittimeNs(12_500_000, 1600)).toBe(128_000);
    expect(xmittimeNs(3_750_000, 1600) % 64).toBe(0);
  });
});
