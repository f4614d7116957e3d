/**
 * Scalar arithmetic on bounds and tnums, as kernel/bpf/verifier.c's
 * adjust_scalar_min_max_vals() with scalar{32,}_min_max_{add,sub,mul,and,or,xor,lsh,rsh,arsh}()
 * and is_safe_to_compute_dst_reg_range(): both the 32- and 64-bit views are computed, a
 * 32-bit operation then zero-extends, and reg_bounds_sync() reconciles the result.
 * Division and modulo give an unknown scalar, as in the kernel.
 */
import {
  BPF_ADD,
  BPF_AND,
  BPF_ARSH,
  BPF_LSH,
  BPF_MUL,
  BPF_NEG,
  BPF_OR,
  BPF_RSH,
  BPF_SUB,
  BPF_XOR,
} from '../isa/opcodes.ts';
import {
  boundsSync,
  cloneReg,
  coerceToSize,
  isConst,
  isConst32,
  mark32Unbounded,
  mark64Unbounded,
  markKnown,
  markKnown32,
  markUnbounded,
  markUnknown,
  type RegState,
  S32_MAX,
  S32_MIN,
  s32,
  S64_MAX,
  S64_MIN,
  s64,
  u32,
  u64,
  updateBounds,
  updateBounds32,
  zext32to64,
} from './reg.ts';
import {
  tnumAdd,
  tnumAnd,
  tnumArshift,
  tnumIsConst,
  tnumLshift,
  tnumMul,
  tnumNeg,
  tnumOr,
  tnumRshift,
  tnumSub,
  tnumSubreg,
  tnumSubregIsConst,
  tnumXor,
  U32_MAX,
  U64_MAX,
} from './tnum.ts';

const inS32 = (x: bigint): boolean => x >= S32_MIN && x <= S32_MAX;
const inS64 = (x: bigint): boolean => x >= S64_MIN && x <= S64_MAX;
const minOf = (xs: bigint[]): bigint => xs.reduce((a, b) => (b < a ? b : a));
const maxOf = (xs: bigint[]): bigint => xs.reduce((a, b) => (b > a ? b : a));

function add32(d: RegState, s: RegState): void {
  const smin = d.s32min + s.s32min;
  const smax = d.s32max + s.s32max;
  if (!inS32(smin) || !inS32(smax)) {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  } else {
    d.s32min = smin;
    d.s32max = smax;
  }
  const umin = d.u32min + s.u32min;
  const umax = d.u32max + s.u32max;
  const minOv = umin > U32_MAX;
  const maxOv = umax > U32_MAX;
  // Either every sum overflows or none does; otherwise nothing is known.
  if (!minOv && maxOv) {
    d.u32min = 0n;
    d.u32max = U32_MAX;
  } else {
    d.u32min = u32(umin);
    d.u32max = u32(umax);
  }
}

function add64(d: RegState, s: RegState): void {
  const smin = d.smin + s.smin;
  const smax = d.smax + s.smax;
  if (!inS64(smin) || !inS64(smax)) {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  } else {
    d.smin = smin;
    d.smax = smax;
  }
  const umin = d.umin + s.umin;
  const umax = d.umax + s.umax;
  if (umin <= U64_MAX && umax > U64_MAX) {
    d.umin = 0n;
    d.umax = U64_MAX;
  } else {
    d.umin = u64(umin);
    d.umax = u64(umax);
  }
}

function sub32(d: RegState, s: RegState): void {
  const smin = d.s32min - s.s32max;
  const smax = d.s32max - s.s32min;
  if (!inS32(smin) || !inS32(smax)) {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  } else {
    d.s32min = smin;
    d.s32max = smax;
  }
  const umin = d.u32min - s.u32max;
  const umax = d.u32max - s.u32min;
  if (umin < 0n && umax >= 0n) {
    d.u32min = 0n;
    d.u32max = U32_MAX;
  } else {
    d.u32min = u32(umin);
    d.u32max = u32(umax);
  }
}

function sub64(d: RegState, s: RegState): void {
  const smin = d.smin - s.smax;
  const smax = d.smax - s.smin;
  if (!inS64(smin) || !inS64(smax)) {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  } else {
    d.smin = smin;
    d.smax = smax;
  }
  const umin = d.umin - s.umax;
  const umax = d.umax - s.umin;
  if (umin < 0n && umax >= 0n) {
    d.umin = 0n;
    d.umax = U64_MAX;
  } else {
    d.umin = u64(umin);
    d.umax = u64(umax);
  }
}

function mul32(d: RegState, s: RegState): void {
  const umax = d.u32max * s.u32max;
  const umin = d.u32min * s.u32min;
  if (umax > U32_MAX || umin > U32_MAX) {
    d.u32min = 0n;
    d.u32max = U32_MAX;
  } else {
    d.u32min = umin;
    d.u32max = umax;
  }
  const p = [d.s32min * s.s32min, d.s32min * s.s32max, d.s32max * s.s32min, d.s32max * s.s32max];
  if (!p.every(inS32)) {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  } else {
    d.s32min = minOf(p);
    d.s32max = maxOf(p);
  }
}

function mul64(d: RegState, s: RegState): void {
  const umax = d.umax * s.umax;
  const umin = d.umin * s.umin;
  if (umax > U64_MAX || umin > U64_MAX) {
    d.umin = 0n;
    d.umax = U64_MAX;
  } else {
    d.umin = umin;
    d.umax = umax;
  }
  const p = [d.smin * s.smin, d.smin * s.smax, d.smax * s.smin, d.smax * s.smax];
  if (!p.every(inS64)) {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  } else {
    d.smin = minOf(p);
    d.smax = maxOf(p);
  }
}

/** s32 bounds from u32 bounds when they do not cross the sign boundary. */
function s32FromU32(d: RegState): void {
  if (s32(d.u32min) <= s32(d.u32max)) {
    d.s32min = s32(d.u32min);
    d.s32max = s32(d.u32max);
  } else {
    d.s32min = S32_MIN;
    d.s32max = S32_MAX;
  }
}

function s64FromU64(d: RegState): void {
  if (s64(d.umin) <= s64(d.umax)) {
    d.smin = s64(d.umin);
    d.smax = s64(d.umax);
  } else {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
  }
}

function and32(d: RegState, s: RegState): void {
  const v = tnumSubreg(d.var);
  if (tnumSubregIsConst(s.var) && tnumSubregIsConst(d.var)) {
    markKnown32(d, v.value);
    return;
  }
  d.u32min = v.value;
  d.u32max = d.u32max < s.u32max ? d.u32max : s.u32max;
  s32FromU32(d);
}

function and64(d: RegState, s: RegState): void {
  if (tnumIsConst(s.var) && tnumIsConst(d.var)) {
    markKnown(d, d.var.value);
    return;
  }
  d.umin = d.var.value;
  d.umax = d.umax < s.umax ? d.umax : s.umax;
  s64FromU64(d);
  updateBounds(d);
}

function or32(d: RegState, s: RegState): void {
  const v = tnumSubreg(d.var);
  if (tnumSubregIsConst(s.var) && tnumSubregIsConst(d.var)) {
    markKnown32(d, v.value);
    return;
  }
  d.u32min = d.u32min > s.u32min ? d.u32min : s.u32min;
  d.u32max = v.value | v.mask;
  s32FromU32(d);
}

function or64(d: RegState, s: RegState): void {
  if (tnumIsConst(s.var) && tnumIsConst(d.var)) {
    markKnown(d, d.var.value);
    return;
  }
  d.umin = d.umin > s.umin ? d.umin : s.umin;
  d.umax = d.var.value | d.var.mask;
  s64FromU64(d);
  updateBounds(d);
}

function xor32(d: RegState, s: RegState): void {
  const v = tnumSubreg(d.var);
  if (tnumSubregIsConst(s.var) && tnumSubregIsConst(d.var)) {
    markKnown32(d, v.value);
    return;
  }
  d.u32min = v.value;
  d.u32max = v.value | v.mask;
  s32FromU32(d);
}

function xor64(d: RegState, s: RegState): void {
  if (tnumIsConst(s.var) && tnumIsConst(d.var)) {
    markKnown(d, d.var.value);
    return;
  }
  d.umin = d.var.value;
  d.umax = d.var.value | d.var.mask;
  s64FromU64(d);
  updateBounds(d);
}

function lsh32bounds(d: RegState, umin: bigint, umax: bigint): void {
  d.s32min = S32_MIN;
  d.s32max = S32_MAX;
  if (umax > 31n || d.u32max > 1n << (31n - umax)) {
    d.u32min = 0n;
    d.u32max = U32_MAX;
  } else {
    d.u32min = u32(d.u32min << umin);
    d.u32max = u32(d.u32max << umax);
  }
}

function lsh32(d: RegState, s: RegState): void {
  const sub = tnumSubreg(d.var);
  lsh32bounds(d, s.u32min, s.u32max);
  d.var = tnumSubreg(tnumLshift(sub, Number(s.u32min)));
  mark64Unbounded(d);
  updateBounds32(d);
}

function lsh64(d: RegState, s: RegState): void {
  const umin = s.umin;
  const umax = s.umax;
  // `<< 32` keeps the sign when the 32-bit value is non-negative (sign-extension idiom).
  d.smax = umin === 32n && umax === 32n && d.s32max >= 0n ? d.s32max << 32n : S64_MAX;
  d.smin = umin === 32n && umax === 32n && d.s32min >= 0n ? d.s32min << 32n : S64_MIN;
  if (d.umax > 1n << (63n - umax)) {
    d.umin = 0n;
    d.umax = U64_MAX;
  } else {
    d.umin = u64(d.umin << umin);
    d.umax = u64(d.umax << umax);
  }
  lsh32bounds(d, umin, umax);
  d.var = tnumLshift(d.var, Number(umin));
  updateBounds(d);
}

function rsh32(d: RegState, s: RegState): void {
  const sub = tnumSubreg(d.var);
  d.s32min = S32_MIN;
  d.s32max = S32_MAX;
  d.var = tnumRshift(sub, Number(s.u32min));
  d.u32min >>= s.u32max;
  d.u32max >>= s.u32min;
  mark64Unbounded(d);
  updateBounds32(d);
}

function rsh64(d: RegState, s: RegState): void {
  d.smin = S64_MIN;
  d.smax = S64_MAX;
  d.var = tnumRshift(d.var, Number(s.umin));
  d.umin >>= s.umax;
  d.umax >>= s.umin;
  mark32Unbounded(d);
  updateBounds(d);
}

function arsh32(d: RegState, s: RegState): void {
  const sh = s.u32min;
  d.s32min = s32(d.s32min) >> sh;
  d.s32max = s32(d.s32max) >> sh;
  d.var = tnumArshift(tnumSubreg(d.var), Number(sh), 32);
  d.u32min = 0n;
  d.u32max = U32_MAX;
  mark64Unbounded(d);
  updateBounds32(d);
}

function arsh64(d: RegState, s: RegState): void {
  const sh = s.umin;
  d.smin >>= sh;
  d.smax >>= sh;
  d.var = tnumArshift(d.var, Number(sh), 64);
  d.umin = 0n;
  d.umax = U64_MAX;
  mark32Unbounded(d);
  updateBounds(d);
}

/** is_safe_to_compute_dst_reg_range: shifts only by a constant in range; no div/mod. */
function safeToCompute(op: number, s: RegState, is32: boolean): boolean {
  switch (op) {
    case BPF_ADD:
    case BPF_SUB:
    case BPF_NEG:
    case BPF_AND:
    case BPF_XOR:
    case BPF_OR:
    case BPF_MUL:
      return true;
    case BPF_LSH:
    case BPF_RSH:
    case BPF_ARSH: {
      const c = is32 ? isConst32(s) && s.s32min === s.s32max && s.u32min === s.u32max : isConst(s) && s.smin === s.smax && s.umin === s.umax;
      return c && (is32 ? s.u32max < 32n : s.umax < 64n);
    }
    default:
      return false;
  }
}

/** Both operands known: the exact result (what the range arithmetic gives for constants). */
function constFold(op: number, a: bigint, b: bigint, is32: boolean): bigint | undefined {
  const bits = is32 ? 32 : 64;
  const wrap = (x: bigint): bigint => BigInt.asUintN(bits, x);
  if (is32) {
    a = BigInt.asUintN(32, a);
    b = BigInt.asUintN(32, b);
  }
  switch (op) {
    case BPF_ADD:
      return wrap(a + b);
    case BPF_SUB:
      return wrap(a - b);
    case BPF_MUL:
      return wrap(a * b);
    case BPF_AND:
      return a & b;
    case BPF_OR:
      return a | b;
    case BPF_XOR:
      return a ^ b;
    case BPF_LSH:
      return wrap(a << b);
    case BPF_RSH:
      return a >> b;
    case BPF_ARSH:
      return wrap(BigInt.asIntN(bits, a) >> b);
    default:
      return undefined;
  }
}

/** dst = dst op src on scalars (dst is updated in place; src is not changed). */
export function scalarAlu(op: number, d: RegState, src: RegState, is32: boolean): void {
  if (!safeToCompute(op, src, is32)) {
    const id = 0;
    markUnknown(d);
    d.id = id;
    return;
  }
  const s = src;
  if (d.var.mask === 0n && s.var.mask === 0n && op !== BPF_NEG) {
    const c = constFold(op, d.var.value, s.var.value, is32);
    if (c !== undefined) {
      markKnown(d, c);
      return;
    }
  }
  switch (op) {
    case BPF_ADD:
      add32(d, s);
      add64(d, s);
      d.var = tnumAdd(d.var, s.var);
      break;
    case BPF_SUB:
      sub32(d, s);
      sub64(d, s);
      d.var = tnumSub(d.var, s.var);
      break;
    case BPF_NEG: {
      const old = cloneReg(d);
      markKnown(d, 0n);
      sub32(d, old);
      sub64(d, old);
      d.var = tnumNeg(old.var);
      break;
    }
    case BPF_MUL:
      d.var = tnumMul(d.var, s.var);
      mul32(d, s);
      mul64(d, s);
      break;
    case BPF_AND:
      d.var = tnumAnd(d.var, s.var);
      and32(d, s);
      and64(d, s);
      break;
    case BPF_OR:
      d.var = tnumOr(d.var, s.var);
      or32(d, s);
      or64(d, s);
      break;
    case BPF_XOR:
      d.var = tnumXor(d.var, s.var);
      xor32(d, s);
      xor64(d, s);
      break;
    case BPF_LSH:
      if (is32) lsh32(d, s);
      else lsh64(d, s);
      break;
    case BPF_RSH:
      if (is32) rsh32(d, s);
      else rsh64(d, s);
      break;
    case BPF_ARSH:
      if (is32) arsh32(d, s);
      else arsh64(d, s);
      break;
  }
  if (is32) zext32to64(d);
  boundsSync(d);
}

/** Swap the low `bytes` bytes of x (the rest is dropped). */
function swapBytes(x: bigint, bytes: number): bigint {
  let out = 0n;
  for (let i = 0; i < bytes; i++) {
    out = (out << 8n) | (x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/**
 * Byte swaps and conversions (scalar_byte_swap): a swap moves the tnum's value and mask bytes
 * together and drops the ranges; 16- and 32-bit forms then truncate (coerce_reg_to_size).
 * to_le on this (little-endian) host swaps nothing, so le64 keeps the register as it is.
 */
export function scalarEnd(d: RegState, bits: number, swap: boolean): void {
  if (swap) {
    const bytes = bits / 8;
    const m = bits === 64 ? U64_MAX : (1n << BigInt(bits)) - 1n;
    d.var = { value: swapBytes(d.var.value & m, bytes), mask: swapBytes(d.var.mask & m, bytes) };
    markUnbounded(d);
  }
  if (bits < 64) coerceToSize(d, bits / 8);
  else boundsSync(d);
}
