/** Durations on the command line ("10ms", "2.5us", "1s", "500ns", or plain ns). */
import { CliError } from './errors.ts';

const UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9 };

export function parseDuration(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s)?$/.exec(text.trim());
  if (!m) throw new CliError(`${what}: expected a duration like 10ms, 250us or 1s, got '${text}'`);
  const ns = Math.round(Number(m[1]) * UNITS[m[2] ?? 'ns']);
  if (!Number.isSafeInteger(ns) || ns <= 0) throw new CliError(`${what}: ${text} is not a positive duration`);
  return ns;
}

export { formatNs } from '../trace/histogram.ts';
