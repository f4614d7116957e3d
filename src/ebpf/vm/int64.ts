/**
 * 64-bit arithmetic on pairs of int32 halves (lo, hi), the interpreter's register format.
 * BigInt is exact but ~10× slower per operation; pairs keep the hot path in V8's small-integer
 * fast paths. Rare, costly operations (64-bit division) fall back to BigInt here.
 */

const TWO32 = 4294967296;

/** Unsigned 64-bit BigInt from halves. */
export const toU64 = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

/** Halves of a BigInt (taken modulo 2^64). */
export function fromBig(v: bigint): [number, number] {
  const u = BigInt.asUintN(64, v);
  return [Number(u & 0xffff_ffffn) | 0, Number(u >> 32n) | 0];
}

/** Halves of an exact JS integer |q| < 2^53, two's complement. */
export function fromInt(q: number): [number, number] {
  if (q >= 0) return [q % TWO32 | 0, Math.floor(q / TWO32) | 0];
  const lo = q % TWO32 | 0; // q - floor-div remainder, wraps correctly for |q| < 2^53
  return [lo, Math.floor(q / TWO32) | 0];
}

/** High 32 bits of the unsigned 64-bit product of two uint32 values. */
export function mulhiU32(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) | 0;
}

export const bswap32 = (x: number): number =>
  ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);

export const bswap16 = (x: number): number => ((x & 0xff) << 8) | ((x >>> 8) & 0xff);

/** Unsigned 64-bit division and remainder via BigInt (divisor non-zero). */
export function divmodU64(al: number, ah: number, bl: number, bh: number, wantMod: boolean): [number, number] {
  const a = toU64(al, ah), b = toU64(bl, bh);
  return fromBig(wantMod ? a % b : a / b);
}

/** Signed 64-bit division and remainder via BigInt, truncating toward zero (divisor non-zero). */
export function divmodS64(al: number, ah: number, bl: number, bh: number, wantMod: boolean): [number, number] {
  const a = BigInt.asIntN(64, toU64(al, ah)), b = BigInt.asIntN(64, toU64(bl, bh));
  return fromBig(wantMod ? a % b : a / b);
}
