/** Units as scenario files and tc write them (src/scenario/units.ts). */
import { describe, expect, it } from 'vitest';
import {
  formatDuration,
  formatRate,
  formatTcRate,
  formatTcSize,
  formatTcTime,
  parseBitRate,
  parseDuration,
  parseFraction,
  parseRate,
  parseSize,
  parseTcHandle,
  parseTcRate,
  parseTcTime,
} from '../../src/scenario/units.ts';

const value = <T>(r: { ok: true; value: T } | { ok: false; error: string }): T | string => (r.ok ? r.value : `error: ${r.error}`);

describe('parsing', () => {
  it.each([
    ['10ms', 10_000_000],
    ['1.5s', 1_500_000_000],
    ['250us', 250_000],
    ['250µs', 250_000],
    ['100ns', 100],
    ['2 msec', 2_000_000],
    [0, 0],
    ['0', 0],
    [10, 'error: expected a duration like "10ms" or "50us", got 10 (give a unit)'],
    ['10', 'error: expected a duration like "10ms" or "50us", got "10" (give a unit)'],
    ['1.5ns', 'error: expected a duration like "10ms" or "50us", got "1.5ns" (not a whole number of ns)'],
    ['10 fortnights', 'error: expected a duration like "10ms" or "50us", got "10 fortnights" (units: ns, us, ms, s)'],
    [true, 'error: expected a duration like "10ms" or "50us", got true'],
  ])('duration %s', (input, out) => expect(value(parseDuration(input))).toEqual(out));

  it.each([
    ['1mpps', { pps: 1e6 }],
    ['14.88Mpps', { pps: 14.88e6 }],
    ['500kpps', { pps: 5e5 }],
    ['10gbit', { bps: 1e10 }],
    ['100Mbit', { bps: 1e8 }],
    ['1kibit', { bps: 1024 }],
    ['fast', 'error: expected a rate like "1mpps" or "10gbit", got "fast"'],
    ['10gbps', 'error: expected a rate like "1mpps" or "10gbit", got "10gbps" (tc reads "gbps" as bytes per second; write "80gbit" for the same rate in bits)'],
    ['0mpps', 'error: expected a rate like "1mpps" or "10gbit", got "0mpps" (must be > 0)'],
    [1000, 'error: expected a rate like "1mpps" or "10gbit", got 1000'],
  ])('rate %s', (input, out) => expect(value(parseRate(input))).toEqual(out));

  it('a bit rate refuses packet rates', () => {
    expect(value(parseBitRate('1gbit'))).toBe(1e9);
    expect(value(parseBitRate('1mpps'))).toContain('a packet rate is not allowed here');
  });

  it.each([
    ['1gbit', 1e9],
    ['125000', 1e6],
    ['10mbps', 8e7],
    ['1kibps', 8192],
    ['100kbit', 1e5],
    ['1 gallon', 'error: expected a rate like "1gbit" or "100mbit", got "1 gallon" (units: bit, kbit, mbit, gbit, bps for bytes/s)'],
  ])('tc rate %s', (input, out) => expect(value(parseTcRate(input))).toEqual(out));

  it.each([
    ['50ms', 50e6],
    ['70', 70_000],
    ['1s', 1e9],
    ['soon', 'error: expected a time like "50ms" or "100us", got "soon"'],
  ])('tc time %s', (input, out) => expect(value(parseTcTime(input))).toEqual(out));

  it.each([
    [1514, 1514],
    ['32k', 32768],
    ['10kb', 10240],
    ['1m', 1 << 20],
    ['64kbit', 8192],
    ['1500b', 1500],
    [1.5, 'error: expected a size in bytes like 1514 or "32k", got 1.5'],
    ['lots', 'error: expected a size in bytes like 1514 or "32k", got "lots"'],
  ])('size %s', (input, out) => expect(value(parseSize(input))).toEqual(out));

  it.each([
    [0.01, 0.01],
    ['1%', 0.01],
    ['0.5 %', 0.005],
    [2, 'error: expected a fraction like 0.01 or "1%" between 0 and 1, got 2'],
    ['half', 'error: expected a fraction like 0.01 or "1%", got "half"'],
  ])('fraction %s', (input, out) => expect(value(parseFraction(input))).toEqual(out));

  it.each([
    ['1:', 'qdisc', '1:'],
    ['1', 'qdisc', '1:'],
    ['ffff:', 'qdisc', 'ffff:'],
    ['01:', 'qdisc', '1:'],
    ['1:10', 'class', '1:10'],
    ['1:0A', 'class', '1:a'],
    ['1:10', 'qdisc', undefined],
    ['1:', 'class', undefined],
    ['x:1', 'class', undefined],
  ] as const)('tc handle %s as %s', (text, want, out) => expect(parseTcHandle(text, want)?.text).toBe(out));
});

describe('formatting', () => {
  it.each([
    [1e9, '1gbit'],
    [1.5e9, '1500mbit'],
    [100e6, '100mbit'],
    [1234, '1234bit'],
  ])('tc rate %d', (bps, text) => expect(formatTcRate(bps)).toBe(text));

  it.each([
    [50e6, '50ms'],
    [2e9, '2s'],
    [1500, '2us'],
    [100e3, '100us'],
  ])('tc time %d', (ns, text) => expect(formatTcTime(ns)).toBe(text));

  it.each([
    [32768, '32k'],
    [1 << 20, '1m'],
    [1514, '1514b'],
  ])('tc size %d', (b, text) => expect(formatTcSize(b)).toBe(text));

  it('durations and rates for people', () => {
    expect(formatDuration(0)).toBe('0ns');
    expect(formatDuration(1500)).toBe('1.5us');
    expect(formatDuration(10e6)).toBe('10ms');
    expect(formatRate({ pps: 14.88e6 })).toBe('14.88mpps');
    expect(formatRate({ pps: 500 })).toBe('500pps');
    expect(formatRate({ bps: 10e9 })).toBe('10gbit');
  });

  it('round-trips tc words', () => {
    for (const bps of [1e3, 5e6, 1e9, 40e9]) expect(value(parseTcRate(formatTcRate(bps)))).toBe(bps);
    for (const ns of [1e3, 5e6, 1e9]) expect(value(parseTcTime(formatTcTime(ns)))).toBe(ns);
    for (const b of [1514, 32768, 1 << 20]) expect(value(parseSize(formatTcSize(b)))).toBe(b);
  });
});
