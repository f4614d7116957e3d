/**
 * Tracked numbers ("tnums"): a 64-bit value whose bits are each known 0, known 1 or unknown,
 * as kernel/bpf/tnum.c models them. `value` holds the known 1 bits, `mask` the unknown ones;
 * a bit set in both never occurs. All values are unsigned 64-bit BigInts.
 */

export interface Tnum {
  readonly value: bigint;
  readonly mask: bigint;
}

export const U64_MAX = 0xffff_ffff_ffff_ffffn;
export const U32_MAX = 0xffff_ffffn;
const U64 = (x: bigint): bigint => BigInt.asUintN(64, x);

export const tnum = (value: bigint, mask: bigint): Tnum => ({ value, mask });
export const tnumConst = (v: bigint): Tnum => ({ value: U64(v), mask: 0n });
export const TNUM_UNKNOWN: Tnum = Object.freeze({ value: 0n, mask: U64_MAX });
export const TNUM_ZERO: Tnum = Object.freeze({ value: 0n, mask: 0n });

export const tnumIsConst = (a: Tnum): boolean => a.mask === 0n;
export const tnumIsUnknown = (a: Tnum): boolean => a.mask === U64_MAX;
export const tnumEquals = (a: Tnum, b: Tnum): boolean => a.value === b.value && a.mask === b.mask;

/** Number of bits needed for x (the kernel's fls64). */
function fls64(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/** The smallest tnum containing every value of [min, max] (unsigned). */
export function tnumRange(min: bigint, max: bigint): Tnum {
  const chi = min ^ max;
  const bits = fls64(chi);
  if (bits > 63) return TNUM_UNKNOWN;
  const delta = (1n << BigInt(bits)) - 1n;
  return { value: min & ~delta, mask: delta };
}

export const tnumLshift = (a: Tnum, s: number): Tnum => ({ value: U64(a.value << BigInt(s)), mask: U64(a.mask << BigInt(s)) });
export const tnumRshift = (a: Tnum, s: number): Tnum => ({ value: a.value >> BigInt(s), mask: a.mask >> BigInt(s) });

/** Arithmetic right shift by a constant, of the 32- or 64-bit value. */
export function tnumArshift(a: Tnum, s: number, bits: 32 | 64): Tnum {
  const S = BigInt(s);
  if (bits === 32) {
    const v = BigInt.asUintN(32, BigInt.asIntN(32, a.value) >> S);
    const m = BigInt.asUintN(32, BigInt.asIntN(32, a.mask) >> S);
    return { value: v, mask: m };
  }
  return { value: U64(BigInt.asIntN(64, a.value) >> S), mask: U64(BigInt.asIntN(64, a.mask) >> S) };
}

export function tnumAdd(a: Tnum, b: Tnum): Tnum {
  const sm = U64(a.mask + b.mask);
  const sv = U64(a.value + b.value);
  const sigma = U64(sm + sv);
  const chi = sigma ^ sv;
  const mu = chi | a.mask | b.mask;
  return { value: sv & ~mu & U64_MAX, mask: mu };
}

export function tnumSub(a: Tnum, b: Tnum): Tnum {
  const dv = U64(a.value - b.value);
  const alpha = U64(dv + a.mask);
  const beta = U64(dv - b.mask);
  const chi = alpha ^ beta;
  const mu = chi | a.mask | b.mask;
  return { value: dv & ~mu & U64_MAX, mask: mu };
}

export const tnumNeg = (a: Tnum): Tnum => tnumSub(TNUM_ZERO, a);

export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return { value: v, mask: alpha & beta & ~v & U64_MAX };
}

export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask | b.mask;
  return { value: v, mask: mu & ~v & U64_MAX };
}

export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const v = a.value ^ b.value;
  const mu = a.mask | b.mask;
  return { value: v & ~mu & U64_MAX, mask: mu };
}

/** Long multiplication over known and unknown bits (the kernel's tnum_mul). */
export function tnumMul(a: Tnum, b: Tnum): Tnum {
  const accV = U64(a.value * b.value);
  let accM: Tnum = TNUM_ZERO;
  while (a.value !== 0n || a.mask !== 0n) {
    if (a.value & 1n) accM = tnumAdd(accM, { value: 0n, mask: b.mask });
    else if (a.mask & 1n) accM = tnumAdd(accM, { value: 0n, mask: b.value | b.mask });
    a = tnumRshift(a, 1);
    b = tnumLshift(b, 1);
  }
  return tnumAdd({ value: accV, mask: 0n }, accM);
}

/** Values that both a and b allow. */
export function tnumIntersect(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask & b.mask;
  return { value: v & ~mu & U64_MAX, mask: mu };
}

/** Keep the low `size` bytes. */
export function tnumCast(a: Tnum, size: number): Tnum {
  const m = size >= 8 ? U64_MAX : (1n << BigInt(size * 8)) - 1n;
  return { value: a.value & m, mask: a.mask & m };
}

export const tnumIsAligned = (a: Tnum, size: number): boolean => size === 0 || ((a.value | a.mask) & BigInt(size - 1)) === 0n;

/** Whether every value of b is a value of a. */
export function tnumIn(a: Tnum, b: Tnum): boolean {
  if (b.mask & ~a.mask) return false;
  return a.value === (b.value & ~a.mask);
}

/**
 * tnum_step(): the smallest member of `t` greater than `z`; `tmax` when z >= tmax and the
 * smallest member when z lies below it. Used by __update_reg64_bounds to spot a range that
 * meets the tnum in a single value.
 */
export function tnumStep(t: Tnum, z: bigint): bigint {
  const tmax = t.value | t.mask;
  if (z >= tmax) return tmax;
  if (z < t.value) return t.value;
  const c = z + 1n;
  const diff = (c ^ t.value) & ~t.mask & U64_MAX;
  if (diff === 0n) return c;
  const h = BigInt(diff.toString(2).length - 1);
  const low = (1n << (h + 1n)) - 1n;
  // c has 0 where the tnum needs a 1 at bit h: keep c above h, take the least member below.
  if ((t.value >> h) & 1n) return (c & ~low & U64_MAX) | (t.value & low);
  // c has a 1 where the tnum needs 0: carry into the unknown bits above h.
  const hiMask = t.mask & ~low & U64_MAX;
  const inc = U64(((c & hiMask) | ~hiMask) + (1n << (h + 1n))) & hiMask;
  return t.value | inc;
}

export const tnumSubreg = (a: Tnum): Tnum => tnumCast(a, 4);
export const tnumClearSubreg = (a: Tnum): Tnum => tnumLshift(tnumRshift(a, 32), 32);
export const tnumWithSubreg = (reg: Tnum, sub: Tnum): Tnum => tnumOr(tnumClearSubreg(reg), tnumSubreg(sub));
export const tnumConstSubreg = (a: Tnum, v: bigint): Tnum => tnumWithSubreg(a, tnumConst(v));
export const tnumSubregIsConst = (a: Tnum): boolean => (a.mask & U32_MAX) === 0n;

/** The kernel's "(%#llx; %#llx)" spelling. */
export function tnumStr(a: Tnum): string {
  const h = (x: bigint): string => (x === 0n ? '0x0' : '0x' + x.toString(16));
  return `(${h(a.value)}; ${h(a.mask)})`;
}
