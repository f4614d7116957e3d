/**
 * bpf_conformance's own test helpers (ids 0–5, as uBPF's test harness defines them). They are
 * NOT kernel helpers and are registered only by the conformance harness and plugin.
 */
import { type HelperContext, type HelperFn, Unwind } from '../vm/engine.ts';

const u8 = (c: HelperContext, i: number): bigint => BigInt(c.argLo(i) & 0xff);

/** Integer square root of an unsigned 64-bit value. */
function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}

/** NUL-terminated string at addr, read through the checked memory model. */
function cstring(c: HelperContext, addr: bigint): Uint8Array {
  const region = c.mem.regionOf(addr);
  if (!region) return c.mem.read(addr, 1); // faults with the memory model's message
  const off = Number(addr & 0xffff_ffffn);
  let n = 0;
  while (off + n < region.end && region.bytes[off + n] !== 0) n++;
  return c.mem.read(addr, n + 1).subarray(0, n);
}

export const CONFORMANCE_HELPERS: ReadonlyMap<number, HelperFn> = new Map<number, HelperFn>([
  // gather_bytes(a, b, c, d, e): the low byte of each argument, a in bits 32..39.
  [0, (c) => (u8(c, 1) << 32n) | (u8(c, 2) << 24n) | (u8(c, 3) << 16n) | (u8(c, 4) << 8n) | u8(c, 5)],
  // memfrob(ptr, n): XOR each byte with 42.
  [
    1,
    (c) => {
      const b = c.mem.writable(c.arg(1), Number(c.arg(2)));
      for (let i = 0; i < b.length; i++) b[i] ^= 42;
      return 0;
    },
  ],
  // no_op
  [2, () => 0],
  // sqrti(x)
  [3, (c) => isqrt(c.arg(1))],
  // strcmp_ext(a, b): <0, 0, >0 as C's strcmp.
  [
    4,
    (c) => {
      const a = cstring(c, c.arg(1)), b = cstring(c, c.arg(2));
      for (let i = 0; ; i++) {
        const x = a[i] ?? 0, y = b[i] ?? 0;
        if (x !== y || x === 0) return x - y;
      }
    },
  ],
  // unwind(x): returns x; a zero return ends the program with r0 = 0.
  [5, (c) => (c.arg(1) === 0n ? new Unwind(0n) : c.arg(1))],
]);
