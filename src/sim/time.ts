/**
 * Virtual time: integer nanoseconds held in a `number`.
 *
 * Why `number` and not `bigint`: a double holds every integer up to 2^53 exactly, i.e. about
 * 104 days of simulated time at 1 ns resolution — far beyond any scenario — and number
 * compares and adds several times faster than bigint in V8, which matters in the event heap's
 * hot path. Every entry point checks `Number.isSafeInteger`, so time never silently rounds.
 * (ns-3 uses an int64 of nanoseconds by default for the same reason: an integer, not a float.)
 */

export const NS_PER_US = 1_000;
export const NS_PER_MS = 1_000_000;
export const NS_PER_S = 1_000_000_000;

/** The last representable instant: 2^53 - 1 ns (~104.2 days). */
export const MAX_TIME_NS = Number.MAX_SAFE_INTEGER;

function toNs(value: number, scale: number, unit: string): number {
  const ns = Math.round(value * scale);
  if (!Number.isSafeInteger(ns) || ns < 0) throw new RangeError(`time ${value} ${unit} is not a valid non-negative duration`);
  return ns;
}

/** Microseconds → ns (rounded to the nearest ns). */
export const us = (v: number): number => toNs(v, NS_PER_US, 'us');
/** Milliseconds → ns. */
export const ms = (v: number): number => toNs(v, NS_PER_MS, 'ms');
/** Seconds → ns. */
export const seconds = (v: number): number => toNs(v, NS_PER_S, 's');

/** Throws unless `t` is a non-negative safe integer: the one representation of time. */
export function assertTimeNs(t: number, what = 'time'): void {
  if (!Number.isSafeInteger(t) || t < 0) throw new RangeError(`${what} must be a non-negative integer of ns, got ${t}`);
}

/** 1234567 → "1.234567ms": exact decimal rendering for logs and traces. */
export function formatNs(t: number): string {
  if (t >= NS_PER_S) return fixed(t, NS_PER_S, 9) + 's';
  if (t >= NS_PER_MS) return fixed(t, NS_PER_MS, 6) + 'ms';
  if (t >= NS_PER_US) return fixed(t, NS_PER_US, 3) + 'us';
  return `${t}ns`;
}

function fixed(t: number, unit: number, digits: number): string {
  const whole = Math.floor(t / unit);
  const frac = t - whole * unit;
  if (frac === 0) return String(whole);
  return `${whole}.${String(frac).padStart(digits, '0').replace(/0+$/, '')}`;
}
