/**
 * Latency recording in bounded memory, whatever the number of packets.
 *
 * `LatencyRecorder` counts values: exactly (a Map value → count) while there are at most `cap`
 * distinct values — the common case, since simulated latencies are integer nanoseconds drawn
 * from a few cost sums — then, past the cap, folded into a log-linear histogram in the manner
 * of HdrHistogram: integers below 2^11 keep their own bucket, larger values keep their 11
 * significant bits (1024 buckets per power of two). Percentiles use the nearest-rank definition
 * of `percentile` in histogram.ts, so while exact they equal it over the raw samples.
 *
 * Written here rather than taken from hdr-histogram-js: that library needs its highest
 * trackable value (or auto-resizing) fixed up front, has no exact mode (so every summary would
 * change), and its percentiles report the bucket's highest equivalent value; this is ~200 lines
 * with the exact → folded switch and the same nearest-rank rule as the rest of the project.
 *
 * `RecentWindow` keeps the last N values in a ring, with a running total, for the viewer's
 * "recent latencies" (stats ticks, /counters, /metrics).
 */

/** Values below this are their own bucket when folded (integers; fractions are floored). */
const EXACT_BELOW = 2048; // 2^11
/** Significant bits kept above EXACT_BELOW, minus the leading one: 1024 buckets per octave. */
const SUB_BITS = 10;
const SUB = 1 << SUB_BITS;

export interface LatencyStats {
  count: number;
  min?: number;
  p50?: number;
  p90?: number;
  p99?: number;
  p999?: number;
  max?: number;
  /** False once the recorder has folded into buckets: the percentiles are then approximate. */
  exact: boolean;
}

/** Bucket index of a non-negative value: the integer itself below 2^11, else (octave, top 11 bits). */
export function bucketIndex(v: number): number {
  const x = Math.floor(v);
  if (x < EXACT_BELOW) return x < 0 ? 0 : x;
  let e: number;
  if (x < 2 ** 31) e = 31 - Math.clz32(x);
  else {
    e = Math.floor(Math.log2(x));
    if (2 ** e > x) e--;
    else if (2 ** (e + 1) <= x) e++;
  }
  const w = 2 ** (e - SUB_BITS);
  // x / w is in [1024, 2048): the leading one and 10 more bits.
  return (e - SUB_BITS) * SUB + Math.floor(x / w);
}

/** Lowest value of bucket `i` and its width. */
export function bucketRange(i: number): { lo: number; width: number } {
  if (i < EXACT_BELOW) return { lo: i, width: 1 };
  const shift = Math.floor(i / SUB) - 1; // e - SUB_BITS
  const w = 2 ** shift;
  return { lo: (i - shift * SUB) * w, width: w };
}

/**
 * The value a folded bucket stands for: its middle (lowest + width/2) for buckets wider than 1,
 * the integer itself below 2^11. A value v ≥ 2^11 lies in [lo, lo + w) with lo ≥ 1024·w, so
 * |middle − v| ≤ w/2 ≤ v / 2048: relative error under 0.05% (2^-11). Below 2^11 integers are
 * exact (a fractional value is off by less than 1 ns).
 */
export function bucketValue(i: number): number {
  const { lo, width } = bucketRange(i);
  return width === 1 ? lo : lo + width / 2;
}

/** Largest relative error of a folded percentile (see bucketValue). */
export const FOLDED_RELATIVE_ERROR = 2 ** -11;

export class LatencyRecorder {
  static readonly DEFAULT_CAP = 65_536;
  count = 0;
  /** Smallest and largest values recorded: always exact. */
  min = Infinity;
  max = -Infinity;
  private values: Map<number, number> | undefined = new Map();
  private buckets: Float64Array | undefined;
  /** Sorted distinct values and running counts, valid while `sortedAt === count`. */
  private sorted: { v: Float64Array; c: Float64Array } | undefined;
  private sortedAt = -1;

  constructor(readonly cap = LatencyRecorder.DEFAULT_CAP) {}

  /** True while every recorded value is kept (no more than `cap` distinct values so far). */
  get exact(): boolean {
    return this.values !== undefined;
  }

  /** Entries held: distinct values while exact, buckets allocated once folded (bounded either way). */
  get size(): number {
    return this.values ? this.values.size : this.buckets!.length;
  }

  record(v: number): void {
    this.count++;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    const m = this.values;
    if (m) {
      const c = m.get(v);
      if (c !== undefined) {
        m.set(v, c + 1);
        return;
      }
      if (m.size < this.cap) {
        m.set(v, 1);
        return;
      }
      this.fold();
    }
    this.addBucket(bucketIndex(v), 1);
  }

  /** Add everything `other` recorded (the same as recording its values here). */
  merge(other: LatencyRecorder): void {
    if (other.count === 0) return;
    this.count += other.count;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    const m = this.values;
    if (m && other.values) {
      let fresh = 0;
      for (const v of other.values.keys()) if (!m.has(v)) fresh++;
      if (m.size + fresh <= this.cap) {
        for (const [v, c] of other.values) m.set(v, (m.get(v) ?? 0) + c);
        return;
      }
    }
    if (m) this.fold();
    if (other.values) for (const [v, c] of other.values) this.addBucket(bucketIndex(v), c);
    else {
      const ob = other.buckets!;
      for (let i = ob.length - 1; i >= 0; i--) if (ob[i] !== 0) this.addBucket(i, ob[i]);
    }
  }

  /** Nearest-rank percentile (rank ⌈p/100 × count⌉ clamped to [1, count]); folded: see bucketValue, clamped to [min, max]. */
  percentile(p: number): number | undefined {
    if (this.count === 0) return undefined;
    const { v, c } = this.cumulative();
    const rank = Math.min(this.count, Math.max(1, Math.ceil((p / 100) * this.count)));
    // First entry whose running count reaches the rank.
    let lo = 0;
    let hi = c.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (c[mid] >= rank) hi = mid;
      else lo = mid + 1;
    }
    return this.values ? v[lo] : Math.min(this.max, Math.max(this.min, v[lo]));
  }

  /** Same shape as histogram.ts's latencySummary, plus whether the percentiles are exact. */
  summary(): LatencyStats {
    if (this.count === 0) return { count: 0, min: undefined, p50: undefined, p90: undefined, p99: undefined, p999: undefined, max: undefined, exact: this.exact };
    return { count: this.count, min: this.min, p50: this.percentile(50), p90: this.percentile(90), p99: this.percentile(99), p999: this.percentile(99.9), max: this.max, exact: this.exact };
  }

  /** Distinct values (bucket values once folded) with their counts, ascending. */
  entries(): [number, number][] {
    const { v, c } = this.cumulative();
    const out: [number, number][] = [];
    for (let i = 0; i < v.length; i++) out.push([v[i], c[i] - (i ? c[i - 1] : 0)]);
    return out;
  }

  /**
   * Buckets [2^k, 2^(k+1)) with counts, as histogram.ts's log2Histogram over the raw values.
   * Exact even when folded: a folded bucket never straddles a power of two.
   */
  log2Histogram(): { lo: number; hi: number; count: number }[] {
    const counts = new Map<number, number>();
    const add = (v: number, n: number): void => {
      const k = v <= 0 ? 0 : Math.floor(Math.log2(v));
      counts.set(k, (counts.get(k) ?? 0) + n);
    };
    if (this.values) for (const [v, n] of this.values) add(v, n);
    else {
      const b = this.buckets!;
      for (let i = 0; i < b.length; i++) if (b[i] !== 0) add(bucketRange(i).lo, b[i]);
    }
    return [...counts.entries()].sort(([a], [b]) => a - b).map(([k, count]) => ({ lo: k === 0 ? 0 : 2 ** k, hi: 2 ** (k + 1), count }));
  }

  private fold(): void {
    const m = this.values!;
    this.values = undefined;
    this.buckets = new Float64Array(EXACT_BELOW);
    for (const [v, c] of m) this.addBucket(bucketIndex(v), c);
  }

  private addBucket(i: number, n: number): void {
    let b = this.buckets!;
    if (i >= b.length) {
      // Grow a whole octave at a time (at most ~43 octaves below 2^53: a few hundred KiB).
      const grown = new Float64Array(Math.max(i + 1, b.length + SUB));
      grown.set(b);
      this.buckets = b = grown;
    }
    b[i] += n;
  }

  private cumulative(): { v: Float64Array; c: Float64Array } {
    if (this.sorted && this.sortedAt === this.count) return this.sorted;
    let v: Float64Array;
    let c: Float64Array;
    if (this.values) {
      v = Float64Array.from(this.values.keys()).sort();
      c = new Float64Array(v.length);
      let run = 0;
      for (let i = 0; i < v.length; i++) c[i] = run += this.values.get(v[i])!;
    } else {
      const b = this.buckets!;
      let n = 0;
      for (let i = 0; i < b.length; i++) if (b[i] !== 0) n++;
      v = new Float64Array(n);
      c = new Float64Array(n);
      let j = 0;
      let run = 0;
      for (let i = 0; i < b.length; i++) {
        if (b[i] === 0) continue;
        v[j] = bucketValue(i);
        c[j++] = run += b[i];
      }
    }
    this.sorted = { v, c };
    this.sortedAt = this.count;
    return this.sorted;
  }
}

/** The last `capacity` values, oldest first, and how many were ever pushed (`total`). */
export class RecentWindow {
  static readonly DEFAULT_CAPACITY = 65_536;
  /** Values ever pushed; value number i (0-based) is kept while i ≥ total − capacity. */
  total = 0;
  private buf = new Float64Array(64);

  constructor(readonly capacity = RecentWindow.DEFAULT_CAPACITY) {
    if (!(capacity >= 1)) throw new Error(`RecentWindow: capacity must be at least 1, got ${capacity}`);
  }

  push(v: number): void {
    let b = this.buf;
    if (this.total < this.capacity) {
      // Filling: grow by doubling up to the capacity (index = total while not yet wrapped).
      if (this.total === b.length) {
        const grown = new Float64Array(Math.min(this.capacity, b.length * 2));
        grown.set(b);
        this.buf = b = grown;
      }
      b[this.total++] = v;
      return;
    }
    b[this.total++ % this.capacity] = v;
  }

  /** Values kept (at most `capacity`). */
  get length(): number {
    return Math.min(this.total, this.capacity);
  }

  /** Values pushed from number `index` on that are still kept, oldest first. */
  since(index: number): number[] {
    const from = Math.max(index, this.total - this.capacity, 0);
    const out: number[] = [];
    for (let i = from; i < this.total; i++) out.push(this.buf[i % this.capacity]);
    return out;
  }

  /** The last `n` values (fewer if fewer are kept), oldest first. */
  last(n: number = this.capacity): number[] {
    return this.since(this.total - n);
  }
}
