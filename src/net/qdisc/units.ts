/**
 * tc's units, parsed as iproute2 parses them, so a spec written like a `tc qdisc add` line means
 * what it means on Linux:
 *  - rates: tc/tc_util.c get_rate64() — SI for "kbit"/"mbit"/"gbit"/"tbit" (1000), IEC for
 *    "kibit"/"mibit"/... (1024), bytes per second for "Bps"/"KBps"/"KiBps"/...; suffixes are matched
 *    case-insensitively (strcasecmp), a bare number is bits per second.
 *  - sizes: tc/tc_util.c get_size() — "k"/"kb" = 1024 bytes, "m"/"mb" = 1024², "g"/"gb" = 1024³,
 *    "kbit"/"mbit"/"gbit" = 1024ⁿ/8 bytes, "b" = 1; truncated to an unsigned int as tc does.
 *  - times: lib/utils.c get_time64() — "s"/"sec"/"secs", "ms"/"msec"/"msecs", "us"/"usec"/"usecs",
 *    "ns"/"nsec"/"nsecs"; a bare number in a string is in microseconds, as get_time() reads it.
 * Numbers given directly (not strings) are taken as bits/s, bytes and ns respectively.
 */

export class TcUnitError extends Error {
  constructor(readonly kind: 'rate' | 'size' | 'time', readonly value: unknown, detail: string) {
    super(`invalid ${kind} ${JSON.stringify(value)}: ${detail}`);
    this.name = 'TcUnitError';
  }
}

// strtod()'s decimal prefix (tc accepts what strtod accepts; hex floats and inf are left out on purpose).
const NUMBER_PREFIX = /^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(.*)$/;

function split(kind: 'rate' | 'size' | 'time', v: string): [number, string] {
  const m = NUMBER_PREFIX.exec(v);
  if (m === null) throw new TcUnitError(kind, v, 'does not start with a number');
  const n = Number(m[1]);
  if (!Number.isFinite(n) || n < 0) throw new TcUnitError(kind, v, 'must be a non-negative number');
  return [n, m[2]];
}

/** tc/tc_util.c: suffixes[] of get_rate64(), bits per second per unit. */
const RATE_SUFFIXES: readonly (readonly [string, number])[] = [
  ['bit', 1], ['kibit', 1024], ['kbit', 1000], ['mibit', 1024 * 1024], ['mbit', 1e6],
  ['gibit', 1024 ** 3], ['gbit', 1e9], ['tibit', 1024 ** 4], ['tbit', 1e12],
  ['bps', 8], ['kibps', 8 * 1024], ['kbps', 8000], ['mibps', 8 * 1024 * 1024], ['mbps', 8e6],
  ['gibps', 8 * 1024 ** 3], ['gbps', 8e9], ['tibps', 8 * 1024 ** 4], ['tbps', 8e12],
];
const RATE_NAMES = 'bit, kbit, mbit, gbit, tbit, kibit, mibit, gibit, tibit, Bps, KBps, MBps, GBps, TBps, KiBps, MiBps, GiBps, TiBps';

/** A rate in bits per second: parseRate('1gbit') = 1e9, parseRate('1kibit') = 1024. */
export function parseRate(v: string | number): number {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v <= 0) throw new TcUnitError('rate', v, 'must be a positive number of bits per second');
    return v;
  }
  const [n, suffix] = split('rate', v);
  let bits = n;
  if (suffix !== '') {
    const s = RATE_SUFFIXES.find(([name]) => name === suffix.toLowerCase());
    if (s === undefined) {
      const hint = suffix.includes('%') ? ' (percent rates need the device speed: give an absolute rate)' : ` (known: ${RATE_NAMES})`;
      throw new TcUnitError('rate', v, `unknown unit "${suffix}"${hint}`);
    }
    bits *= s[1];
  }
  if (bits <= 0) throw new TcUnitError('rate', v, 'must be positive');
  return bits;
}

/** Bytes per second as tc hands them to the kernel: get_rate64() truncates bits/8. */
export function rateBytesPerSec(bitsPerSec: number): number {
  return Math.floor(bitsPerSec / 8);
}

/** A size in bytes: parseSize('32k') = 32768, parseSize('1mbit') = 131072. */
export function parseSize(v: string | number): number {
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new TcUnitError('size', v, 'must be an integer number of bytes in 0..2^32-1');
    return v;
  }
  const [n, suffix] = split('size', v);
  let sz = n;
  switch (suffix.toLowerCase()) {
    case '': case 'b': break;
    case 'k': case 'kb': sz *= 1024; break;
    case 'm': case 'mb': sz *= 1024 * 1024; break;
    case 'g': case 'gb': sz *= 1024 * 1024 * 1024; break;
    case 'kbit': sz *= 1024 / 8; break;
    case 'mbit': sz *= (1024 * 1024) / 8; break;
    case 'gbit': sz *= (1024 * 1024 * 1024) / 8; break;
    default: throw new TcUnitError('size', v, `unknown unit "${suffix}" (known: b, k/kb, m/mb, g/gb, kbit, mbit, gbit)`);
  }
  const bytes = Math.trunc(sz);
  if (bytes > 0xffffffff) throw new TcUnitError('size', v, 'does not fit in 32 bits');
  return bytes;
}

const TIME_UNITS: Record<string, number> = {
  s: 1e9, sec: 1e9, secs: 1e9,
  ms: 1e6, msec: 1e6, msecs: 1e6,
  us: 1e3, usec: 1e3, usecs: 1e3, '': 1e3,
  ns: 1, nsec: 1, nsecs: 1,
};

/** A duration in ns: parseTime('50ms') = 50_000_000; parseTime('100') = 100_000 (µs, as tc). */
export function parseTime(v: string | number): number {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v) || v < 0) throw new TcUnitError('time', v, 'must be a non-negative integer of ns');
    return v;
  }
  const [n, suffix] = split('time', v);
  const scale = TIME_UNITS[suffix.toLowerCase()];
  if (scale === undefined) throw new TcUnitError('time', v, `unknown unit "${suffix}" (known: s, ms, us, ns; a bare number is µs)`);
  const ns = Math.trunc(n * scale);
  if (!Number.isSafeInteger(ns)) throw new TcUnitError('time', v, 'is too large');
  return ns;
}

/** tc's print_rate(): 1e9 → "1Gbit", 1.5e6 → "1500Kbit" (SI, as `tc qdisc show` prints without -iec). */
export function formatRate(bitsPerSec: number): string {
  const units = ['', 'K', 'M', 'G', 'T'];
  let rate = Math.floor(bitsPerSec / 8) * 8;
  let i = 0;
  for (; i < units.length - 1; i++) {
    if (rate < 1000) break;
    if (rate % 1000 !== 0 && rate < 1000 * 1000) break;
    rate = Math.floor(rate / 1000);
  }
  return `${rate}${units[i]}bit`;
}

/** tc's print_size(): 10240 → "10Kb", 1048576 → "1Mb", 1500 → "1500b". */
export function formatSize(bytes: number): string {
  if (bytes >= 1024 * 1024 && Math.abs(1024 * 1024 * Math.round(bytes / (1024 * 1024)) - bytes) < 1024) return `${Math.round(bytes / (1024 * 1024))}Mb`;
  if (bytes >= 1024 && Math.abs(1024 * Math.round(bytes / 1024) - bytes) < 16) return `${Math.round(bytes / 1024)}Kb`;
  return `${bytes}b`;
}
