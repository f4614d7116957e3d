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

/** RFC 5952 §4: lowercase, no leading zeros, the longest run (≥ 2) of zero words as "::". */
export function formatIp6(b: Uint8Array, off = 0): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[off + 2 * i] << 8) | b[off + 2 * i + 1]);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]): string => ws.map((x) => x.toString(16)).join(':');
  // IPv4-mapped addresses keep the dotted quad, as inet_ntop does.
  if (bestStart === 0 && bestLen === 5 && w[5] === 0xffff) return `::ffff:${formatIp4(b, off + 12)}`;
  if (bestLen < 2) return hex(w);
  return `${hex(w.slice(0, bestStart))}::${hex(w.slice(bestStart + bestLen))}`;
}

export function parseMac(text: string): Uint8Array {
  const parts = text.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new RangeError(`not a MAC address: "${text}"`);
  }
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

export function formatMac(b: Uint8Array, off = 0): string {
  const out: string[] = [];
  for (let i = 0; i < 6; i++) out.push(b[off + i].toString(16).padStart(2, '0'));
  return out.join(':');
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
