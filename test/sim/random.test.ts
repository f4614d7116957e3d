import { describe, expect, it } from 'vitest';
import { RandomStream, Simulator, ZipfSampler, streamState } from '../../src/sim/index.ts';

const draw = (r: { nextU32(): number }, n: number): number[] => Array.from({ length: n }, () => r.nextU32());

describe('xoshiro128** streams', () => {
  it('matches the reference generator (state 1,2,3,4)', () => {
    // First outputs of Blackman & Vigna's xoshiro128starstar.c from s = {1, 2, 3, 4}.
    const r = new RandomStream(0, 'ref', Uint32Array.of(1, 2, 3, 4));
    expect(draw(r, 4)).toEqual([11520, 0, 5927040, 70819200]);
  });

  it('a stream depends only on (seed, name): adding streams or drawing elsewhere changes nothing', () => {
    const a = new Simulator({ seed: 7 });
    const alone = draw(a.rng('traffic/flow1'), 20);

    const b = new Simulator({ seed: 7 });
    const other = b.rng('traffic/flow0');
    draw(other, 1000);
    b.rng('nic/rss');
    const mixed: number[] = [];
    const flow1 = b.rng('traffic/flow1');
    for (let i = 0; i < 20; i++) {
      mixed.push(flow1.nextU32());
      other.nextU32();
    }
    expect(mixed).toEqual(alone);
    expect(b.rng('traffic/flow1')).toBe(flow1); // memoised per run
  });

  it('different names and seeds give different streams; pinned golden values guard the derivation', () => {
    expect(streamState(1, 'a')).not.toEqual(streamState(1, 'b'));
    expect(streamState(1, 'a')).not.toEqual(streamState(2, 'a'));
    expect(streamState(2 ** 40, 'a')).not.toEqual(streamState(0, 'a'));
    // If this changes, every seeded scenario in the wild changes: bump it only on purpose.
    expect(draw(new RandomStream(1, 'traffic/flow1'), 3)).toMatchInlineSnapshot(`
      [
        1679759877,
        1627682980,
        3701669503,
      ]
    `);
  });

  it('rejects bad seeds', () => {
    expect(() => new Simulator({ seed: -1 })).toThrow(RangeError);
    expect(() => new Simulator({ seed: 1.5 })).toThrow(RangeError);
  });
});

describe('draws', () => {
  const r = new RandomStream(99, 'draws');
  const N = 100_000;

  it('uniform is in [0,1) with mean 1/2', () => {
    let sum = 0;
    for (let i = 0; i < N; i++) {
      const u = r.uniform();
      if (!(u >= 0 && u < 1)) throw new Error(`uniform ${u} out of [0,1)`);
      sum += u;
    }
    expect(Math.abs(sum / N - 0.5)).toBeLessThan(0.005);
  });

  it('int is unbiased over a small range and covers huge ranges', () => {
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[r.int(0, 6)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
    for (let i = 0; i < 1000; i++) {
      const v = r.int(-5, 2 ** 40);
      expect(Number.isInteger(v) && v >= -5 && v < 2 ** 40).toBe(true);
    }
    expect(() => r.int(3, 3)).toThrow(RangeError);
  });

  it('exponential and normal have the right moments', () => {
    let s = 0;
    for (let i = 0; i < N; i++) s += r.exponential(250);
    expect(Math.abs(s / N - 250)).toBeLessThan(5);
    let m = 0;
    let m2 = 0;
    for (let i = 0; i < N; i++) {
      const x = r.normal(10, 3);
      m += x;
      m2 += x * x;
    }
    const mean = m / N;
    expect(Math.abs(mean - 10)).toBeLessThan(0.05);
    expect(Math.abs(Math.sqrt(m2 / N - mean * mean) - 3)).toBeLessThan(0.05);
  });

  it.each([
    [10, 1.0],
    [100, 1.2],
    [5, 0.5],
    [1000, 2.5],
  ])('zipf(n=%d, s=%d) matches the exact pmf (chi-square)', (n, s) => {
    const z = new ZipfSampler(n, s);
    const rr = new RandomStream(5, `zipf-${n}-${s}`);
    const counts = new Map<number, number>();
    const draws = 200_000;
    for (let i = 0; i < draws; i++) {
      const k = z.sample(() => rr.uniform());
      if (!(k >= 1 && k <= n)) throw new Error(`rank ${k} out of 1..${n}`);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    let norm = 0;
    for (let k = 1; k <= n; k++) norm += k ** -s;
    // Pool the tail so every cell expects ≥ 50 draws.
    let chi = 0;
    let cells = 0;
    let expAcc = 0;
    let obsAcc = 0;
    for (let k = 1; k <= n; k++) {
      expAcc += (draws * k ** -s) / norm;
      obsAcc += counts.get(k) ?? 0;
      if (expAcc >= 50 || k === n) {
        chi += (obsAcc - expAcc) ** 2 / expAcc;
        cells++;
        expAcc = 0;
        obsAcc = 0;
      }
    }
    // Generous bound: mean cells-1, sd sqrt(2(cells-1)).
    expect(chi).toBeLessThan(cells - 1 + 6 * Math.sqrt(2 * (cells - 1)) + 10);
  });

  it('zipf via the stream, bernoulli and pick', () => {
    const rr = new RandomStream(3, 'misc');
    let ones = 0;
    for (let i = 0; i < 10_000; i++) if (rr.zipf(50, 1.1) === 1) ones++;
    expect(ones).toBeGreaterThan(2400); // P(1) = 1/H(50, 1.1) ≈ 0.261
    expect(ones).toBeLessThan(2830);
    let t = 0;
    for (let i = 0; i < 10_000; i++) if (rr.bernoulli(0.3)) t++;
    expect(Math.abs(t - 3000)).toBeLessThan(200);
    expect(['x', 'y']).toContain(rr.pick(['x', 'y']));
    expect(() => rr.pick([])).toThrow(RangeError);
    expect(() => new ZipfSampler(0, 1)).toThrow(RangeError);
    expect(() => new ZipfSampler(5, 0)).toThrow(RangeError);
  });
});
