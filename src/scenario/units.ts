/**
 * Quantities with units, as scenario files and tc write them.
 *
 * Scenario YAML: durations need a unit ("10ms"); rates are bits ("10gbit") or packets
 * ("1mpps") per second; sizes are bytes with tc's binary suffixes ("32k" = 32768).
 * tc commands keep tc's own rules (iproute2 lib/utils.c get_rate/get_size/get_time): a bare
 * time is microseconds, a bare rate is bytes per second, and "bps" means *bytes* per second.
 * YAML refuses the bps family rather than silently reading "10gbps" as 80 Gbit/s.
 *
 * Parsers return the value or an error text that says what was expected; they never throw.
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(error: string): Parsed<T> => ({ ok: false, error });

/** How a value is quoted in messages: strings in double quotes, the rest as YAML shows it. */
export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

const NUM = /^([0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?)\s*([a-zµ]*)$/i;

function splitUnit(text: string): { n: number; unit: string } | undefined {
  const m = NUM.exec(text.trim());
  if (!m) return undefined;
  return { n: Number(m[1]), unit: m[2].toLowerCase() };
}

const TIME_UNITS: Record<string, number> = {
  ns: 1, nsec: 1, nsecs: 1,
  us: 1e3, usec: 1e3, usecs: 1e3, 'µs': 1e3,
  ms: 1e6, msec: 1e6, msecs: 1e6,
  s: 1e9, sec: 1e9, secs: 1e9,
};

function timeWith(v: unknown, bareUnit: number | undefined, expected: string): Parsed<number> {
  if (typeof v === 'number') {
    if (v === 0) return ok(0);
    if (bareUnit === undefined) return fail(`${expected}, got ${v} (give a unit)`);
    return toIntNs(v * bareUnit, v, expected);
  }
  if (typeof v !== 'string') return fail(`${expected}, got ${show(v)}`);
  const s = splitUnit(v);
  if (!s) return fail(`${expected}, got ${show(v)}`);
  if (s.unit === '') {
    if (s.n === 0) return ok(0);
    if (bareUnit === undefined) return fail(`${expected}, got ${show(v)} (give a unit)`);
    return toIntNs(s.n * bareUnit, v, expected);
  }
  const mult = TIME_UNITS[s.unit];
  if (mult === undefined) return fail(`${expected}, got ${show(v)} (units: ns, us, ms, s)`);
  return toIntNs(s.n * mult, v, expected);
}

function toIntNs(ns: number, v: unknown, expected: string): Parsed<number> {
  const r = Math.round(ns);
  if (Math.abs(r - ns) > 1e-6 * Math.max(1, ns)) return fail(`${expected}, got ${show(v)} (not a whole number of ns)`);
  if (!Number.isSafeInteger(r)) return fail(`${expected}, got ${show(v)} (too large)`);
  return ok(r);
}

/** A scenario duration: "10ms", "1.5s", "250us", "100ns", or 0. */
export function parseDuration(v: unknown): Parsed<number> {
  return timeWith(v, undefined, 'expected a duration like "10ms" or "50us"');
}

/** A tc time: a bare number is microseconds (iproute2 get_time). */
export function parseTcTime(v: string): Parsed<number> {
  return timeWith(v, 1e3, 'expected a time like "50ms" or "100us"');
}

const BIT_UNITS: Record<string, number> = {
  bit: 1,
  kbit: 1e3, mbit: 1e6, gbit: 1e9, tbit: 1e12,
  kibit: 1024, mibit: 1024 ** 2, gibit: 1024 ** 3, tibit: 1024 ** 4,
};
const BYTE_RATE_UNITS: Record<string, number> = {
  bps: 8,
  kbps: 8e3, mbps: 8e6, gbps: 8e9, tbps: 8e12,
  kibps: 8 * 1024, mibps: 8 * 1024 ** 2, gibps: 8 * 1024 ** 3, tibps: 8 * 1024 ** 4,
};
const PACKET_UNITS: Record<string, number> = { pps: 1, kpps: 1e3, mpps: 1e6, gpps: 1e9 };

const RATE_EXPECTED = 'expected a rate like "1mpps" or "10gbit"';

/** A scenario rate: bits ("10gbit", "100mbit") or packets ("1mpps", "500kpps") per second. */
export function parseRate(v: unknown): Parsed<{ pps: number } | { bps: number }> {
  if (typeof v !== 'string') return fail(`${RATE_EXPECTED}, got ${show(v)}`);
  const s = splitUnit(v);
  if (!s) return fail(`${RATE_EXPECTED}, got ${show(v)}`);
  if (s.n <= 0) return fail(`${RATE_EXPECTED}, got ${show(v)} (must be > 0)`);
  if (s.unit in PACKET_UNITS) return ok({ pps: s.n * PACKET_UNITS[s.unit] });
  if (s.unit in BIT_UNITS) return ok({ bps: Math.round(s.n * BIT_UNITS[s.unit]) });
  if (s.unit in BYTE_RATE_UNITS) {
    return fail(`${RATE_EXPECTED}, got ${show(v)} (tc reads "${s.unit}" as bytes per second; write "${fmtNum(s.n * 8)}${s.unit.replace(/i?bps$/, (u) => (u === 'ibps' ? 'ibit' : 'bit'))}" for the same rate in bits)`);
  }
  return fail(`${RATE_EXPECTED}, got ${show(v)} (units: bit, kbit, mbit, gbit, pps, kpps, mpps)`);
}

/** A scenario bit rate (line rates, shaping): "10gbit", "100mbit". */
export function parseBitRate(v: unknown): Parsed<number> {
  const r = parseRate(v);
  if (!r.ok) return fail(r.error.replace(RATE_EXPECTED, 'expected a bit rate like "10gbit" or "100mbit"'));
  if ('pps' in r.value) return fail(`expected a bit rate like "10gbit" or "100mbit", got ${show(v)} (a packet rate is not allowed here)`);
  return ok(r.value.bps);
}

/** A tc rate in bits per second: a bare number and the bps family are bytes per second. */
export function parseTcRate(v: string): Parsed<number> {
  const expected = 'expected a rate like "1gbit" or "100mbit"';
  const s = splitUnit(v);
  if (!s) return fail(`${expected}, got ${show(v)}`);
  let bps: number;
  if (s.unit === '') bps = s.n * 8;
  else if (s.unit in BIT_UNITS) bps = s.n * BIT_UNITS[s.unit];
  else if (s.unit in BYTE_RATE_UNITS) bps = s.n * BYTE_RATE_UNITS[s.unit];
  else return fail(`${expected}, got ${show(v)} (units: bit, kbit, mbit, gbit, bps for bytes/s)`);
  if (bps <= 0) return fail(`${expected}, got ${show(v)} (must be > 0)`);
  return ok(Math.round(bps));
}

const SIZE_UNITS: Record<string, number> = {
  '': 1, b: 1,
  k: 1024, kb: 1024, kib: 1024,
  m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2,
  g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3,
  kbit: 1024 / 8, mbit: 1024 ** 2 / 8, gbit: 1024 ** 3 / 8,
};

/** A size in bytes: 1514, "32k" (32768), "1m", "64kbit" (as tc's get_size). */
export function parseSize(v: unknown): Parsed<number> {
  const expected = 'expected a size in bytes like 1514 or "32k"';
  if (typeof v === 'number') {
    return Number.isSafeInteger(v) && v >= 0 ? ok(v) : fail(`${expected}, got ${v}`);
  }
  if (typeof v !== 'string') return fail(`${expected}, got ${show(v)}`);
  const s = splitUnit(v);
  if (!s || !(s.unit in SIZE_UNITS)) return fail(`${expected}, got ${show(v)}`);
  const bytes = s.n * SIZE_UNITS[s.unit];
  if (!Number.isSafeInteger(bytes)) return fail(`${expected}, got ${show(v)} (not a whole number of bytes)`);
  return ok(bytes);
}

/** A probability: 0.01 or "1%". */
export function parseFraction(v: unknown): Parsed<number> {
  const expected = 'expected a fraction like 0.01 or "1%"';
  let f: number;
  if (typeof v === 'number') f = v;
  else if (typeof v === 'string' && /^\s*[0-9.]+\s*%\s*$/.test(v)) f = Number(v.trim().replace(/\s*%$/, '')) / 100;
  else return fail(`${expected}, got ${show(v)}`);
  if (!(f >= 0 && f <= 1)) return fail(`${expected} between 0 and 1, got ${show(v)}`);
  return ok(f);
}

function fmtNum(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(12)));
}

// --- Formatting for tc command lines ----------------------------------------------------------

/** Bits per second as tc writes them: the largest exact decimal unit. */
export function formatTcRate(bps: number): string {
  for (const [unit, m] of [['tbit', 1e12], ['gbit', 1e9], ['mbit', 1e6], ['kbit', 1e3]] as const) {
    if (bps >= m && bps % m === 0) return `${bps / m}${unit}`;
  }
  return `${bps}bit`;
}

/** ns as a tc time. tc's get_time() has no ns unit: anything finer is rounded up to a microsecond. */
export function formatTcTime(ns: number): string {
  if (ns >= 1e9 && ns % 1e9 === 0) return `${ns / 1e9}s`;
  if (ns >= 1e6 && ns % 1e6 === 0) return `${ns / 1e6}ms`;
  return `${Math.ceil(ns / 1e3)}us`;
}

/** Bytes as tc writes a size. */
export function formatTcSize(bytes: number): string {
  if (bytes >= 1024 ** 2 && bytes % 1024 ** 2 === 0) return `${bytes / 1024 ** 2}m`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024}k`;
  return `${bytes}b`;
}

/** A duration for humans and comments: "10ms", "1.5us". */
export function formatDuration(ns: number): string {
  for (const [unit, m] of [['s', 1e9], ['ms', 1e6], ['us', 1e3]] as const) {
    if (ns >= m) return `${fmtNum(ns / m)}${unit}`;
  }
  return `${ns}ns`;
}

export function formatRate(r: { pps: number } | { bps: number }): string {
  if ('pps' in r) {
    for (const [unit, m] of [['mpps', 1e6], ['kpps', 1e3]] as const) if (r.pps >= m) return `${fmtNum(r.pps / m)}${unit}`;
    return `${fmtNum(r.pps)}pps`;
  }
  return formatTcRate(r.bps);
}

// --- tc handles -------------------------------------------------------------------------------

/** A tc handle "1:" or class id "1:10" (hex, as tc reads them) → normalised text, or undefined. */
export function parseTcHandle(text: string, want: 'qdisc' | 'class'): { major: number; minor: number; text: string } | undefined {
  const m = /^([0-9a-f]{1,4})(?::([0-9a-f]{0,4}))?$/i.exec(text);
  if (!m) return undefined;
  const major = parseInt(m[1], 16);
  const minor = m[2] ? parseInt(m[2], 16) : 0;
  if (want === 'qdisc' && minor !== 0) return undefined;
  if (want === 'class' && !m[2]) return undefined;
  return { major, minor, text: want === 'qdisc' ? `${major.toString(16)}:` : `${major.toString(16)}:${minor.toString(16)}` };
}
