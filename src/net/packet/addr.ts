/**
 * Address text forms: dotted-quad IPv4, RFC 5952 IPv6 (the canonical, compressed form that
 * tcpdump and iproute2 print) and colon-separated MACs. Parsing throws a RangeError naming the
 * bad text; formatting never throws.
 */

export type AddrInput = string | Uint8Array;

export function parseIp4(text: string): Uint8Array {
  const parts = text.split('.');
  if (parts.length !== 4) throw new RangeError(`not an IPv4 address: "${text}"`);
  const out = new Uint8Array(4);
  parts.forEach((p, i) => {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new RangeError(`not an IPv4 address: "${text}"`);
    out[i] = Number(p);
  });
  return out;
}

export function formatIp4(b: Uint8Array, off = 0): string {
  return `${b[off]}.${b[off + 1]}.${b[off + 2]}.${b[off + 3]}`;
}

export function parseIp6(text: string): Uint8Array {
  const bad = (): never => {
    throw new RangeError(`not an IPv6 address: "${text}"`);
  };
  let s = text;
  const words: number[] = [];
  // A trailing dotted quad (::ffff:1.2.3.4) stands for the last two words.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  let tail: number[] = [];
  if (v4) {
    const b = parseIp4(v4[1]);
    tail = [(b[0] << 8) | b[1], (b[2] << 8) | b[3]];
    s = s.slice(0, s.length - v4[1].length);
    if (s.endsWith(':') && !s.endsWith('::')) s = s.slice(0, -1);
  }
  const halves = s.split('::');
  if (halves.length > 2) bad();
  const parse = (h: string): number[] =>
    h === ''
      ? []
      : h.split(':').map((w) => {
          if (!/^[0-9a-fA-F]{1,4}$/.test(w)) bad();
          return parseInt(w, 16);
        });
  const head = parse(halves[0]);
  const rest = halves.length === 2 ? parse(halves[1]) : [];
  const given = head.length + rest.length + tail.length;
  if (halves.length === 2) {
    if (given > 7) bad();
    words.push(...head, ...new Array<number>(8 - given).fill(0), ...rest, ...tail);
  } else {
    if (given !== 8) bad();
    words.push(...head, ...tail);
  }
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** Two-digit lowercase hex of every byte value: formatting runs per decoded packet. */
const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** RFC 5952 §4: lowercase, no leading zeros, the longest run (≥ 2) of zero words as "::". */
export function formatIp6(b: Uint8Array, off = 0): string {
  let bestStart = -1;
  let bestLen = 0;
  let runStart = -1;
  for (let i = 0; i <= 8; i++) {
    const zero = i < 8 && b[off + 2 * i] === 0 && b[off + 2 * i + 1] === 0;
    if (zero) {
      if (runStart < 0) runStart = i;
    } else if (runStart >= 0) {
      if (i - runStart > bestLen) {
        bestStart = runStart;
        bestLen = i - runStart;
      }
      runStart = -1;
    }
  }
  // IPv4-mapped addresses keep the dotted quad, as inet_ntop does.
  if (bestStart === 0 && bestLen === 5 && b[off + 10] === 0xff && b[off + 11] === 0xff) return `::ffff:${formatIp4(b, off + 12)}`;
  if (bestLen < 2) bestStart = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += '::';
      i += bestLen - 1;
      continue;
    }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += ((b[off + 2 * i] << 8) | b[off + 2 * i + 1]).toString(16);
  }
  return out;
}

export function parseMac(text: string): Uint8Array {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new RangeError(`not a MAC address: "${text}"`);
  }
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

export function formatMac(b: Uint8Array, off = 0): string {
  return `${HEX2[b[off]]}:${HEX2[b[off + 1]]}:${HEX2[b[off + 2]]}:${HEX2[b[off + 3]]}:${HEX2[b[off + 4]]}:${HEX2[b[off + 5]]}`;
}

/** Accept text or bytes of the right length. */
export function ip4Bytes(a: AddrInput): Uint8Array {
  if (typeof a === 'string') return parseIp4(a);
  if (a.length !== 4) throw new RangeError(`IPv4 address must be 4 bytes, got ${a.length}`);
  return a;
}

export function ip6Bytes(a: AddrInput): Uint8Array {
  if (typeof a === 'string') return parseIp6(a);
  if (a.length !== 16) throw new RangeError(`IPv6 address must be 16 bytes, got ${a.length}`);
  return a;
}

export function macBytes(a: AddrInput): Uint8Array {
  if (typeof a === 'string') return parseMac(a);
  if (a.length !== 6) throw new RangeError(`MAC address must be 6 bytes, got ${a.length}`);
  return a;
}
