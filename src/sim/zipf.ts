/**
 * Zipf sampling over ranks 1..n with P(k) ∝ k^-s, by rejection-inversion (W. Hörmann and
 * G. Derflinger, "Rejection-inversion to generate variates from monotone discrete
 * distributions", ACM TOMACS 6(3), 1996) — the method of Apache Commons' Zipf sampler. It needs
 * no table, so n may be huge, and costs O(1) expected uniform draws per sample.
 */

/** log1p(x)/x, exact near 0. */
function helper1(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x * (0.5 - x * (1 / 3 - 0.25 * x));
}

/** expm1(x)/x, exact near 0. */
function helper2(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x * 0.5 * (1 + (x * (1 / 3)) * (1 + 0.25 * x));
}

export class ZipfSampler {
  private readonly hX1: number;
  private readonly hN: number;
  private readonly sCut: number;

  constructor(
    readonly n: number,
    readonly s: number,
  ) {
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`zipf: n must be an integer >= 1, got ${n}`);
    if (!(s > 0) || !Number.isFinite(s)) throw new RangeError(`zipf: exponent must be > 0, got ${s}`);
    this.hX1 = this.hIntegral(1.5) - 1;
    this.hN = this.hIntegral(n + 0.5);
    this.sCut = 2 - this.hIntegralInverse(this.hIntegral(2.5) - this.h(2));
  }

  /** A rank in 1..n; `uniform` returns doubles in [0, 1). */
  sample(uniform: () => number): number {
    while (true) {
      const u = this.hN + uniform() * (this.hX1 - this.hN);
      const x = this.hIntegralInverse(u);
      let k = Math.floor(x + 0.5);
      if (k < 1) k = 1;
      else if (k > this.n) k = this.n;
      if (k - x <= this.sCut || u >= this.hIntegral(k + 0.5) - this.h(k)) return k;
    }
  }

  /** H(x) = ∫ h: (x^(1-s) - 1) / (1 - s), or log x when s = 1. */
  private hIntegral(x: number): number {
    const logX = Math.log(x);
    return helper2((1 - this.s) * logX) * logX;
  }

  private h(x: number): number {
    return Math.exp(-this.s * Math.log(x));
  }

  private hIntegralInverse(x: number): number {
    let t = x * (1 - this.s);
    if (t < -1) t = -1; // guards rounding at the upper end
    return Math.exp(helper1(t) * x);
  }
}
