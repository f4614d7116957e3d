/**
 * When packets leave a source. Each process yields the gap to the next packet in integer ns;
 * the exact (real-valued) schedule is accumulated and rounded once per packet, so long runs
 * keep the requested mean rate with no rounding drift. A process is stateful: one per source.
 *
 * Rates are either packets per second or bits per second on the wire; a bit rate counts each
 * frame as its bytes plus FCS (4), preamble and SFD (8) and inter-frame gap (12) — the 24 bytes
 * that make 10 Gb/s of 60-byte frames 14.88 Mpps.
 */
import type { Random } from '../../sim/index.ts';

/** FCS + preamble/SFD + inter-frame gap, in bytes. */
export const ETH_WIRE_OVERHEAD = 24;

export type Rate = { pps: number } | { bps: number };

/** A duration: fixed ns, or exponentially distributed with the given mean. */
export type Duration = number | { exponential: number };

export interface ArrivalProcess {
  readonly description: string;
  /** ns from the packet just sent (of `lastFrameLen` bytes) to the next one. */
  nextGap(rng: Random, lastFrameLen: number): number;
}

function meanGapNs(rate: Rate, frameLen: number): number {
  if ('pps' in rate) {
    if (!(rate.pps > 0)) throw new RangeError(`rate must be > 0 pps, got ${rate.pps}`);
    return 1e9 / rate.pps;
  }
  if (!(rate.bps > 0)) throw new RangeError(`rate must be > 0 b/s, got ${rate.bps}`);
  return ((frameLen + ETH_WIRE_OVERHEAD) * 8 * 1e9) / rate.bps;
}

const rateText = (r: Rate): string => ('pps' in r ? `${r.pps} pps` : `${r.bps} b/s`);

/** Carries the fractional ns between packets so rounding never biases the rate. */
class Accumulator {
  private exact = 0;
  private emitted = 0;

  step(realGap: number): number {
    this.exact += realGap;
    const next = Math.round(this.exact);
    const gap = next - this.emitted;
    this.emitted = next;
    return gap;
  }
}

/** Evenly spaced packets. */
export function constantRate(rate: Rate): ArrivalProcess {
  meanGapNs(rate, 60); // validate now, not at the first packet
  const acc = new Accumulator();
  return {
    description: `constant ${rateText(rate)}`,
    nextGap: (_rng, len) => acc.step(meanGapNs(rate, len)),
  };
}

/** Poisson arrivals: exponential gaps with the rate's mean. */
export function poisson(rate: Rate): ArrivalProcess {
  meanGapNs(rate, 60);
  const acc = new Accumulator();
  return {
    description: `poisson ${rateText(rate)}`,
    nextGap: (rng, len) => acc.step(rng.exponential(meanGapNs(rate, len))),
  };
}

function draw(d: Duration, rng: Random): number {
  if (typeof d === 'number') return d;
  return rng.exponential(d.exponential);
}

export interface OnOffOptions {
  /** Length of each burst. */
  on: Duration;
  /** Silence between bursts. */
  off: Duration;
  /** Rate inside a burst. */
  rate: Rate;
  /** Spacing inside a burst (default constant). */
  within?: 'constant' | 'poisson';
}

/**
 * On/off bursts, as ns-3's OnOffApplication: a burst starts with a packet, sends at `rate`
 * while it lasts, then the source is silent for an off period.
 */
export function onOff(opts: OnOffOptions): ArrivalProcess {
  const inner = opts.within === 'poisson' ? poisson(opts.rate) : constantRate(opts.rate);
  let onLen = -1;
  let elapsed = 0;
  return {
    description: `on/off ${JSON.stringify(opts.on)}/${JSON.stringify(opts.off)} at ${inner.description}`,
    nextGap: (rng, len) => {
      if (onLen < 0) onLen = draw(opts.on, rng);
      const g = inner.nextGap(rng, len);
      if (elapsed + g < onLen) {
        elapsed += g;
        return g;
      }
      // The burst is over: wait out its remainder and an off period, then start the next burst.
      const gap = Math.round(onLen - elapsed + draw(opts.off, rng));
      onLen = draw(opts.on, rng);
      elapsed = 0;
      return Math.max(gap, 0);
    },
  };
}
