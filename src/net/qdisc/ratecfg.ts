/**
 * Length ↔ time conversion at a configured rate, as the kernel's shapers do it: models
 * net/sched/sch_generic.c: psched_ratecfg_precompute() and include/net/sch_generic.h:
 * psched_l2t_ns() (len × mult >> shift, a reciprocal divide), plus sch_tbf.c: psched_ns_t2l().
 * Doing the same integer arithmetic makes token counts match the kernel to the nanosecond.
 *
 * Also the tick arithmetic of iproute2 (tc/tc_core.c: tc_calc_xmittime() with the tick size of
 * /proc/net/psched, 64 ns) for the few parameters tc still sends as ticks (htb buffer/cbuffer).
 */

export type LinkLayer = 'ethernet' | 'atm';

const NSEC_PER_SEC = 1_000_000_000n;
const TWO31 = 1n << 31n;
const TWO63 = 1n << 63n;

export class RateCfg {
  /** Bytes per second (psched_ratecfg.rate_bytes_ps). */
  readonly rateBytesPs: number;
  readonly mult: number;
  readonly shift: number;
  private readonly divisor: number;

  constructor(rateBytesPs: number, readonly overhead = 0, readonly mpu = 0, readonly linklayer: LinkLayer = 'ethernet') {
    if (!Number.isSafeInteger(rateBytesPs) || rateBytesPs <= 0) throw new RangeError(`rate must be a positive integer of bytes/s, got ${rateBytesPs}`);
    this.rateBytesPs = rateBytesPs;
    // psched_ratecfg_precompute(): the largest mult (< 2^32, bit 31 set) that cannot overflow u64.
    const rate = BigInt(rateBytesPs);
    let factor = NSEC_PER_SEC;
    let mult: bigint;
    let shift = 0;
    for (;;) {
      mult = (factor / rate) & 0xffffffffn;
      if ((mult & TWO31) !== 0n || (factor & TWO63) !== 0n) break;
      factor <<= 1n;
      shift++;
    }
    this.mult = Number(mult);
    this.shift = shift;
    this.divisor = 2 ** shift;
  }

  /** psched_l2t_ns(): ns to send `len` bytes. */
  l2t(len: number): number {
    len += this.overhead;
    if (len < this.mpu) len = this.mpu;
    if (this.linklayer === 'atm') len = Math.ceil(len / 48) * 53;
    const p = len * this.mult;
    if (p <= Number.MAX_SAFE_INTEGER) return Math.floor(p / this.divisor);
    return Number((BigInt(len) * BigInt(this.mult)) >> BigInt(this.shift));
  }

  /** psched_ns_t2l() (sch_tbf.c): bytes that can be sent in `ns`. */
  t2l(ns: number): number {
    let len = (BigInt(ns) * BigInt(this.rateBytesPs)) / NSEC_PER_SEC;
    if (this.linklayer === 'atm') len = (len / 53n) * 48n;
    const oh = BigInt(this.overhead);
    return Number(len > oh ? len - oh : 0n);
  }
}

/** PSCHED_SHIFT: the kernel's psched tick is 2^6 ns (PSCHED_TICKS2NS). */
export const PSCHED_TICK_NS = 64;

/**
 * tc_calc_xmittime(rate, size) followed by the kernel's PSCHED_TICKS2NS(): the ns a burst of `size`
 * bytes lasts at `rateBytesPs`, truncated to whole 64-ns ticks as tc computes it.
 */
export function xmittimeNs(rateBytesPs: number, size: number): number {
  // tc_core_time2tick(TIME_UNITS_PER_SEC * size/rate): µs × tick_in_usec (1000/64), truncated to u32.
  const ticks = Math.trunc(((1e6 * size) / rateBytesPs) * (1000 / 64)) >>> 0;
  return ticks * PSCHED_TICK_NS;
}
