/** Numbers as the viewer prints them: simulated time, rates, byte strings. */

export function fmtNs(ns: number): string {
  if (ns >= 1e9) return `${+(ns / 1e9).toFixed(3)} s`;
  if (ns >= 1e6) return `${+(ns / 1e6).toFixed(3)} ms`;
  if (ns >= 1e3) return `${+(ns / 1e3).toFixed(3)} µs`;
  return `${Math.round(ns)} ns`;
}

/** Packets per second with an SI prefix: "12.5 kpps". */
export function fmtPps(pps: number): string {
  if (pps >= 1e9) return `${+(pps / 1e9).toFixed(2)} Gpps`;
  if (pps >= 1e6) return `${+(pps / 1e6).toFixed(2)} Mpps`;
  if (pps >= 1e3) return `${+(pps / 1e3).toFixed(1)} kpps`;
  return `${Math.round(pps)} pps`;
}

export function fmtCount(n: number): string {
  if (n >= 1e9) return `${+(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${+(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${+(n / 1e3).toFixed(1)}k`;
  return String(n);
}

/** An unsigned integer as `size` little-endian bytes in hex (what the map API takes). */
export function uintToHexLE(value: string | number | bigint, size: number): string {
  let v = BigInt(value);
  if (v < 0n) throw new RangeError(`${value} is negative`);
  if (v >= 1n << BigInt(8 * size)) throw new RangeError(`${value} does not fit in ${size} bytes`);
  let out = '';
  for (let i = 0; i < size; i++) {
    out += Number(v & 0xffn).toString(16).padStart(2, '0');
    v >>= 8n;
  }
  return out;
}

/** Hex in groups of bytes, as bpftool prints them: "05 00 00 00". */
export function spacedHex(hex: string): string {
  return (hex.match(/../g) ?? []).join(' ');
}
