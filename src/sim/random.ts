/**
 * Named, seeded random streams. Each stream is an xoshiro128** generator (Blackman & Vigna,
 * 2018: 32-bit arithmetic, so it is fast and exact in JavaScript) whose 128-bit state is
 * derived from the run seed and the stream's *name* only. A stream's sequence therefore never
 * changes when other streams are added, removed or drawn from in another order — ns-3 gets the
 * same property from per-variable stream numbers; names are harder to collide by accident.
 *
 * The floating-point draws use Math.log/exp/sqrt/cos, which V8 implements in software
 * (fdlibm ports), so they are bit-identical across machines running the same Node.
 */
import { ZipfSampler } from './zipf.ts';

/** What models see: draws, no seeding. */
export interface Random {
  readonly name: string;
  /** A uniformly distributed unsigned 32-bit integer. */
  nextU32(): number;
  /** A double uniform in [0, 1) with 53 random bits. */
  uniform(): number;
  /** A double uniform in [min, max). */
  uniformRange(min: number, max: number): number;
  /** An integer uniform in [min, maxExclusive), without modulo bias. */
  int(min: number, maxExclusive: number): number;
  /** Exponentially distributed with the given mean. */
  exponential(mean: number): number;
  /** Normally distributed (Box–Muller). */
  normal(mean?: number, stddev?: number): number;
  /** A Zipf rank in 1..n with P(k) ∝ k^-s. */
  zipf(n: number, s: number): number;
  /** True with probability p. */
  bernoulli(p: number): boolean;
  /** A uniformly chosen element. */
  pick<T>(items: readonly T[]): T;
}

const TWO32 = 0x1_0000_0000;
const TWO53 = 9007199254740992;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** MurmurHash3 x86_32 over bytes. */
function murmur3(bytes: Uint8Array, seed: number): number {
  let h = seed >>> 0;
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  const n4 = bytes.length & ~3;
  for (let i = 0; i < n4; i += 4) {
    let k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const rest = bytes.length & 3;
  if (rest > 0) {
    let k = 0;
    for (let j = rest - 1; j >= 0; j--) k = (k << 8) | bytes[n4 + j];
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= bytes.length;
  return fmix32(h);
}

export function assertSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
}

/** The 128-bit xoshiro state of stream `name` under `seed`: four independent hashes of the name. */
export function streamState(seed: number, name: string): Uint32Array {
  assertSeed(seed);
  const lo = seed >>> 0;
  const hi = Math.floor(seed / TWO32) >>> 0;
  const bytes = new TextEncoder().encode(name);
  const s = new Uint32Array(4);
  for (let k = 0; k < 4; k++) {
    const keyed = fmix32(lo ^ Math.imul(k + 1, 0x9e3779b9)) ^ fmix32((hi + Math.imul(k + 1, 0x7f4a7c15)) >>> 0);
    s[k] = murmur3(bytes, keyed);
  }
  if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1; // the all-zero state is xoshiro's fixed point
  return s;
}

export class RandomStream implements Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | null = null;
  private zipfCache: ZipfSampler | null = null;
  private readonly uniformFn = (): number => this.uniform();

  constructor(
    readonly seed: number,
    readonly name: string,
    state: Uint32Array = streamState(seed, name),
  ) {
    const s = state;
    if ((s[0] | s[1] | s[2] | s[3]) === 0) throw new RangeError('xoshiro128**: the all-zero state is not allowed');
    this.s0 = s[0] | 0;
    this.s1 = s[1] | 0;
    this.s2 = s[2] | 0;
    this.s3 = s[3] | 0;
  }

  nextU32(): number {
    const s1 = this.s1;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9);
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = (this.s3 << 11) | (this.s3 >>> 21);
    return result >>> 0;
  }

  uniform(): number {
    const a = this.nextU32() >>> 5; // 27 bits
    const b = this.nextU32() >>> 6; // 26 bits
    return (a * 67108864 + b) / TWO53;
  }

  uniformRange(min: number, max: number): number {
    return min + (max - min) * this.uniform();
  }

  int(min: number, maxExclusive: number): number {
    const range = maxExclusive - min;
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(range) || range <= 0) {
      throw new RangeError(`int: need integers min < maxExclusive, got [${min}, ${maxExclusive})`);
    }
    if (range <= TWO32) {
      // Reject the top partial block so every residue is equally likely.
      const limit = TWO32 - (TWO32 % range);
      let x = this.nextU32();
      while (x >= limit) x = this.nextU32();
      return min + (x % range);
    }
    const limit = TWO53 - (TWO53 % range);
    let x = this.uniform() * TWO53;
    while (x >= limit) x = this.uniform() * TWO53;
    return min + (x % range);
  }

  exponential(mean: number): number {
    if (!(mean > 0)) throw new RangeError(`exponential: mean must be > 0, got ${mean}`);
    return -mean * Math.log1p(-this.uniform()); // 1 - u in (0, 1]: never log(0)
  }

  normal(mean = 0, stddev = 1): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + stddev * z;
    }
    const u1 = 1 - this.uniform(); // (0, 1]
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    this.spareNormal = r * Math.sin(theta);
    return mean + stddev * r * Math.cos(theta);
  }

  zipf(n: number, s: number): number {
    let z = this.zipfCache;
    if (z === null || z.n !== n || z.s !== s) z = this.zipfCache = new ZipfSampler(n, s);
    return z.sample(this.uniformFn);
  }

  bernoulli(p: number): boolean {
    return this.uniform() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick: empty list');
    return items[this.int(0, items.length)];
  }
}
