import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { latencySummary, log2Histogram, percentile } from '../../src/trace/histogram.ts';
import { bucketIndex, bucketRange, FOLDED_RELATIVE_ERROR, LatencyRecorder, RecentWindow } from '../../src/trace/latency.ts';

const PS = [0, 0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 99.99, 100];

function recorded(xs: readonly number[], cap?: number): LatencyRecorder {
  const r = new LatencyRecorder(cap);
  for (const x of xs) r.record(x);
  return r;
}

/** Deterministic pseudo-random integers (xorshift), for the large runs. */
function* rng(seed: number): Generator<number> {
  let s = seed >>> 0 || 1;
  for (;;) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    yield (s >>> 0) / 2 ** 32;
  }
}

describe('LatencyRecorder while exact', () => {
  it('percentiles, summary and log2 histogram equal histogram.ts over the raw samples', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 2 ** 40 })), { maxLength: 300 }), fc.double({ min: 0, max: 100, noNaN: true }), (xs, p) => {
        const r = recorded(xs);
        const sorted = [...xs].sort((a, b) => a - b);
        expect(r.exact).toBe(true);
        for (const q of [...PS, p]) expect(r.percentile(q)).toBe(percentile(sorted, q));
        const { exact, ...s } = r.summary();
        expect(exact).toBe(true);
        expect(s).toEqual(latencySummary(xs));
        expect(r.log2Histogram()).toEqual(log2Histogram(xs));
        expect(r.count).toBe(xs.length);
      }),
    );
  });

  it('keeps fractional values exactly (packets that leave the network are not rounded)', () => {
    const xs = [1.5, 0.25, 1.5, 3000.75, 2];
    const r = recorded(xs);
    expect(r.summary()).toEqual({ ...latencySummary(xs), exact: true });
  });

  it('empty: no percentiles', () => {
    const r = new LatencyRecorder();
    expect(r.percentile(50)).toBeUndefined();
    expect(r.summary()).toEqual({ ...latencySummary([]), exact: true });
  });

  it('stays exact with many packets over few distinct values', () => {
    const r = new LatencyRecorder(16);
    for (let i = 0; i < 100_000; i++) r.record(1000 + (i % 16));
    expect(r.exact).toBe(true);
    expect(r.size).toBe(16);
    expect(r.percentile(50)).toBe(1007);
  });
});

describe('LatencyRecorder folded', () => {
  it('buckets: integers below 2^11 are their own bucket; above, a bucket keeps 11 significant bits', () => {
    for (const v of [0, 1, 2047, 2048, 2049, 4095, 4096, 123_456_789, 2 ** 31 - 1, 2 ** 31, 2 ** 40 + 12345, 2 ** 52 + 7]) {
      const { lo, width } = bucketRange(bucketIndex(v));
      expect(v).toBeGreaterThanOrEqual(lo);
      expect(v).toBeLessThan(lo + width);
      expect(width === 1 || width * 1024 <= lo).toBe(true);
    }
    // Indices are contiguous and increasing across an octave boundary.
    expect(bucketIndex(2047)).toBe(2047);
    expect(bucketIndex(2048)).toBe(2048);
    expect(bucketIndex(4094)).toBe(3071);
    expect(bucketIndex(4096)).toBe(3072);
  });

  it('every percentile is within 2^-11 (< 0.05%) of the exact one; count, min, max exact', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 45 }), { minLength: 1, maxLength: 400 }), fc.double({ min: 0, max: 100, noNaN: true }), (xs, p) => {
        const r = recorded(xs, 8);
        const sorted = [...xs].sort((a, b) => a - b);
        expect(r.exact).toBe(new Set(xs).size <= 8);
        for (const q of [...PS, p]) {
          const want = percentile(sorted, q)!;
          const got = r.percentile(q)!;
          expect(Math.abs(got - want)).toBeLessThanOrEqual(want * FOLDED_RELATIVE_ERROR);
        }
        const s = r.summary();
        expect([s.count, s.min, s.max]).toEqual([xs.length, sorted[0], sorted[sorted.length - 1]]);
        expect(r.log2Histogram()).toEqual(log2Histogram(xs));
      }),
    );
  });

  it('past the default cap it reports exact: false and stays within the bound', () => {
    const g = rng(7);
    const xs: number[] = [];
    for (let i = 0; i < 200_000; i++) xs.push(Math.floor(1000 + g.next().value * 5_000_000));
    const r = recorded(xs);
    expect(r.exact).toBe(false);
    expect(r.summary().exact).toBe(false);
    const sorted = xs.sort((a, b) => a - b);
    for (const q of PS) {
      const want = percentile(sorted, q)!;
      expect(Math.abs(r.percentile(q)! - want) / want).toBeLessThan(0.0005);
    }
  });

  it('memory is bounded: 5 million distinct-ish values keep a bounded number of buckets', () => {
    const r = new LatencyRecorder();
    const g = rng(1);
    // Latencies from 1 µs to ~17 s: 24 octaves above 2^11 → at most 2048 + 24·1024 buckets.
    for (let i = 0; i < 5_000_000; i++) r.record(Math.floor(1000 * 2 ** (g.next().value * 24)));
    expect(r.count).toBe(5_000_000);
    expect(r.exact).toBe(false);
    expect(r.size).toBeLessThanOrEqual(2048 + 25 * 1024);
  });
});

describe('LatencyRecorder.merge', () => {
  it('equals recording every value in one recorder (exact, folding on merge, both folded)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: 0, max: 1_000_000 }), { maxLength: 60 }), { maxLength: 5 }), fc.constantFrom(4, 32, 1000), (parts, cap) => {
        const merged = new LatencyRecorder(cap);
        for (const xs of parts) merged.merge(recorded(xs, cap));
        const all = recorded(parts.flat(), cap);
        expect(merged.exact).toBe(all.exact);
        expect(merged.entries()).toEqual(all.entries());
        expect(merged.summary()).toEqual(all.summary());
      }),
    );
  });
});

describe('RecentWindow', () => {
  it('keeps the last N values in order, and values since an index that are still kept', () => {
    fc.assert(
      fc.property(fc.array(fc.integer(), { maxLength: 500 }), fc.integer({ min: 1, max: 200 }), fc.nat(600), (xs, n, i) => {
        const w = new RecentWindow(n);
        for (const x of xs) w.push(x);
        expect(w.total).toBe(xs.length);
        expect(w.length).toBe(Math.min(n, xs.length));
        expect(w.last()).toEqual(xs.slice(-n));
        expect(w.last(3)).toEqual(xs.slice(-Math.min(3, n)));
        expect(w.since(i)).toEqual(xs.slice(Math.max(i, xs.length - n)));
      }),
    );
  });
});
