/**
 * Register state and scalar bounds, as include/linux/bpf_verifier.h's bpf_reg_state and
 * kernel/bpf/verifier.c's bounds bookkeeping: __mark_reg_known(), __mark_reg_unknown(),
 * __update_reg_bounds(), __reg_deduce_bounds(), __reg_bound_offset(), reg_bounds_sync(),
 * zext_32_to_64(), coerce_reg_to_size() and the sign-extending coerce_reg_to_size_sx().
 *
 * Every register, pointer or scalar, carries a tnum and eight bounds: the unsigned and
 * signed 64-bit range and the same for its low 32 bits. For pointers these describe the
 * variable part of the offset; `off` is the fixed part.
 */
import {
  type Tnum,
  TNUM_UNKNOWN,
  tnumCast,
  tnumClearSubreg,
  tnumConst,
  tnumIntersect,
  tnumIsConst,
  tnumOr,
  tnumRange,
  tnumStep,
  tnumSubreg,
  U32_MAX,
  U64_MAX,
} from './tnum.ts';

export const S64_MIN = -(1n << 63n);
export const S64_MAX = (1n << 63n) - 1n;
export const S32_MIN = -(1n << 31n);
export const S32_MAX = (1n << 31n) - 1n;

// Wrapping conversions; values already in range are returned as they are (no allocation).
const U64_TOP = (1n << 64n) - 1n;
const U32_TOP = (1n << 32n) - 1n;
const S64_LO = -(1n << 63n);
const S64_HI = (1n << 63n) - 1n;
const S32_LO = -(1n << 31n);
const S32_HI = (1n << 31n) - 1n;
export const u64 = (x: bigint): bigint => (x >= 0n && x <= U64_TOP ? x : BigInt.asUintN(64, x));
export const s64 = (x: bigint): bigint => (x >= S64_LO && x <= S64_HI ? x : BigInt.asIntN(64, x));
export const u32 = (x: bigint): bigint => (x >= 0n && x <= U32_TOP ? x : BigInt.asUintN(32, x));
export const s32 = (x: bigint): bigint => (x >= S32_LO && x <= S32_HI ? x : BigInt.asIntN(32, x));
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** The kernel's base register types (enum bpf_reg_type), short names as its log prints them. */
export type RegType =
  | 'not_init'
  | 'scalar'
  | 'ctx'
  | 'map_ptr'
  | 'map_value'
  | 'map_key'
  | 'fp' // PTR_TO_STACK
  | 'pkt'
  | 'pkt_meta'
  | 'pkt_end'
  | 'sock'
  | 'sock_common'
  | 'tcp_sock'
  | 'xdp_sock'
  | 'mem'
  | 'func'
  | 'flow_keys'
  | 'ptr_'; // PTR_TO_BTF_ID (kernel objects the program cannot dereference here)

/** A map as the verifier sees it (the kernel's struct bpf_map, what matters for checking). */
export interface MapInfo {
  readonly name: string;
  /** Numeric enum bpf_map_type. */
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  /** Inner map (ARRAY_OF_MAPS / HASH_OF_MAPS). */
  readonly inner?: MapInfo;
  /** Index in the program's map list. */
  readonly index: number;
  /** Contents of a frozen read-only map (.rodata): loads at constant offsets read them. */
  readonly frozen?: Uint8Array;
  /** The map was created with BTF for its key and value. */
  readonly btf?: boolean;
  /** Offset of the value's struct bpf_spin_lock, when it has one. */
  readonly spinLockOff?: number;
}

export interface RegState {
  type: RegType;
  /** PTR_MAYBE_NULL: the pointer must be compared with 0 before use. */
  maybeNull: boolean;
  /** MEM_RDONLY. */
  rdonly: boolean;
  /** MEM_ALLOC: ringbuf memory that must be submitted or discarded. */
  alloc: boolean;
  /** Fixed part of a pointer's offset. */
  off: number;
  var: Tnum;
  smin: bigint;
  smax: bigint;
  umin: bigint;
  umax: bigint;
  s32min: bigint;
  s32max: bigint;
  u32min: bigint;
  u32max: bigint;
  /** Scalars: links copies whose bounds move together. Pointers: copies of one lookup / packet pointer. */
  id: number;
  /** Reference an acquired object holds (sockets, ringbuf records). */
  refObjId: number;
  /** PTR_TO_PACKET: bytes proven readable past the pointer; negative: AT/BEYOND_PKT_END. */
  range: number;
  map?: MapInfo;
  /** PTR_TO_MEM: size of the memory. */
  memSize: number;
  /** PTR_TO_STACK: frame the pointer points into. */
  frameno: number;
  /** PTR_TO_FUNC: subprogram index. */
  subprog: number;
  /** PTR_TO_BTF_ID: kernel struct name, for the log. */
  btf?: string;
  /** Scalar linked to `id` with a constant delta (BPF_ADD_CONST: `addConst`, the delta in `delta`). */
  delta: number;
  addConst: boolean;
}

export const AT_PKT_END = -1;
export const BEYOND_PKT_END = -2;
export const MAX_PACKET_OFF = 0xffff;

export function blankReg(): RegState {
  return {
    type: 'not_init',
    maybeNull: false,
    rdonly: false,
    alloc: false,
    off: 0,
    var: TNUM_UNKNOWN,
    smin: S64_MIN,
    smax: S64_MAX,
    umin: 0n,
    umax: U64_MAX,
    s32min: S32_MIN,
    s32max: S32_MAX,
    u32min: 0n,
    u32max: U32_MAX,
    id: 0,
    refObjId: 0,
    range: 0,
    memSize: 0,
    frameno: 0,
    subprog: 0,
    delta: 0,
    addConst: false,
  };
}

export const cloneReg = (r: RegState): RegState => ({ ...r });

export function copyInto(dst: RegState, src: RegState): void {
  Object.assign(dst, src);
}

export function markKnown(r: RegState, v: bigint): void {
  const x = u64(v);
  r.var = tnumConst(x);
  r.smin = r.smax = s64(x);
  r.umin = r.umax = x;
  r.s32min = r.s32max = s32(x);
  r.u32min = r.u32max = u32(x);
}

/** __mark_reg32_known: only the low 32 bits become known. */
export function markKnown32(r: RegState, v: bigint): void {
  r.var = tnumOr(tnumClearSubreg(r.var), tnumConst(u32(v)));
  r.s32min = r.s32max = s32(v);
  r.u32min = r.u32max = u32(v);
}

export function mark64Unbounded(r: RegState): void {
  r.smin = S64_MIN;
  r.smax = S64_MAX;
  r.umin = 0n;
  r.umax = U64_MAX;
}

export function mark32Unbounded(r: RegState): void {
  r.s32min = S32_MIN;
  r.s32max = S32_MAX;
  r.u32min = 0n;
  r.u32max = U32_MAX;
}

export function markUnbounded(r: RegState): void {
  mark64Unbounded(r);
  mark32Unbounded(r);
}

/** clear_scalar_id(): the register leaves its group of linked scalars. */
export function clearScalarId(r: RegState): void {
  r.id = 0;
  r.delta = 0;
  r.addConst = false;
}

/**
 * assign_scalar_id_before_mov(): a scalar about to be copied (move, spill, fill) gets an id so
 * the copies stay linked; a copy of an already offset-linked register (BPF_ADD_CONST) starts a
 * new group, since only one constant offset per link is tracked.
 */
export function assignScalarIdBeforeMov(newId: () => number, r: RegState): void {
  if (r.type !== 'scalar') return;
  if (r.addConst) clearScalarId(r);
  if (r.id === 0 && !isConst(r)) r.id = newId();
}

/** A scalar about which nothing is known (__mark_reg_unknown). */
export function markUnknown(r: RegState): void {
  const keep = r;
  Object.assign(keep, blankReg());
  keep.type = 'scalar';
}

export function scalarUnknown(): RegState {
  const r = blankReg();
  r.type = 'scalar';
  return r;
}

export function scalarConst(v: bigint): RegState {
  const r = blankReg();
  r.type = 'scalar';
  markKnown(r, v);
  return r;
}

/** A pointer of `type` with a zero offset. */
export function pointer(type: RegType): RegState {
  const r = blankReg();
  r.type = type;
  markKnown(r, 0n);
  return r;
}

export function markNotInit(r: RegState): void {
  Object.assign(r, blankReg());
}

export const isConst = (r: RegState): boolean => tnumIsConst(r.var);
export const isConst32 = (r: RegState): boolean => (r.var.mask & U32_MAX) === 0n;
export const isScalarConst = (r: RegState, v: bigint): boolean => r.type === 'scalar' && isConst(r) && r.var.value === u64(v);
export const isPointer = (r: RegState): boolean => r.type !== 'scalar' && r.type !== 'not_init';
export const isPktPointer = (r: RegState): boolean => r.type === 'pkt' || r.type === 'pkt_meta';
export const isPktAny = (r: RegState): boolean => r.type === 'pkt' || r.type === 'pkt_meta' || r.type === 'pkt_end';

function update32(r: RegState): void {
  const v = tnumSubreg(r.var);
  r.s32min = max(r.s32min, s32(v.value | (v.mask & 0x8000_0000n)));
  r.s32max = min(r.s32max, s32(v.value | (v.mask & 0x7fff_ffffn)));
  r.u32min = max(r.u32min, v.value);
  r.u32max = min(r.u32max, v.value | v.mask);
}

function update64(r: RegState): void {
  const v = r.var;
  r.smin = max(r.smin, s64(v.value | (v.mask & (1n << 63n))));
  r.smax = min(r.smax, s64(v.value | (v.mask & S64_MAX)));
  r.umin = max(r.umin, v.value);
  r.umax = min(r.umax, v.value | v.mask);
  if (v.mask === 0n) {
    if (r.umin !== v.value || r.umax !== v.value) singleOverlap(r, v);
    return;
  }
  singleOverlap(r, v);
}

/** The u64 range meets the tnum in exactly one value: the register is that constant (kernel 6.18+). */
function singleOverlap(r: RegState, v: Tnum): void {
  const next = tnumStep(v, r.umin);
  const uminIn = (r.umin & ~v.mask & U64_MAX) === v.value;
  const tmax = v.value | v.mask;
  if (uminIn && next > r.umax) markKnown(r, r.umin);
  else if (!uminIn && next === tmax) markKnown(r, tmax);
  else if (!uminIn && next <= r.umax && tnumStep(v, next) > r.umax) markKnown(r, next);
}

/** __update_reg_bounds: learn bounds from the tnum. */
export function updateBounds(r: RegState): void {
  update32(r);
  update64(r);
}
export const updateBounds32 = update32;

function deduce32(r: RegState): void {
  // Upper halves of the 64-bit range equal: the low halves form a range too.
  if (r.umin >> 32n === r.umax >> 32n) {
    r.u32min = max(r.u32min, u32(r.umin));
    r.u32max = min(r.u32max, u32(r.umax));
    if (s32(r.umin) <= s32(r.umax)) {
      r.s32min = max(r.s32min, s32(r.umin));
      r.s32max = min(r.s32max, s32(r.umax));
    }
  }
  if (r.smin >> 32n === r.smax >> 32n) {
    if (u32(r.smin) <= u32(r.smax)) {
      r.u32min = max(r.u32min, u32(r.smin));
      r.u32max = min(r.u32max, u32(r.smax));
    }
    if (s32(r.smin) <= s32(r.smax)) {
      r.s32min = max(r.s32min, s32(r.smin));
      r.s32max = min(r.s32max, s32(r.smax));
    }
  }
  // Upper halves differ by one and the low halves go from negative to non-negative.
  if (u32((r.umin >> 32n) + 1n) === u32(r.umax >> 32n) && s32(r.umin) < 0n && s32(r.umax) >= 0n) {
    r.s32min = max(r.s32min, s32(r.umin));
    r.s32max = min(r.s32max, s32(r.umax));
  }
  if (u32((r.smin >> 32n) + 1n) === u32(r.smax >> 32n) && s32(r.smin) < 0n && s32(r.smax) >= 0n) {
    r.s32min = max(r.s32min, s32(r.smin));
    r.s32max = min(r.s32max, s32(r.smax));
  }
  if (s32(r.u32min) <= s32(r.u32max)) {
    r.s32min = max(r.s32min, s32(r.u32min));
    r.s32max = min(r.s32max, s32(r.u32max));
  }
  if (u32(r.s32min) <= u32(r.s32max)) {
    r.u32min = max(r.u32min, u32(r.s32min));
    r.u32max = min(r.u32max, u32(r.s32max));
  } else if (r.u32max < u32(r.s32min)) {
    // The s32 range crosses the sign boundary and the u32 range meets only its non-negative piece.
    r.s32min = s32(r.u32min);
    r.u32max = min(r.u32max, u32(r.s32max));
  } else if (u32(r.s32max) < r.u32min) {
    r.s32max = s32(r.u32max);
    r.u32min = max(r.u32min, u32(r.s32min));
  }
}

function deduce64(r: RegState): void {
  if (s64(r.umin) <= s64(r.umax)) {
    r.smin = max(r.smin, s64(r.umin));
    r.smax = min(r.smax, s64(r.umax));
  }
  if (u64(r.smin) <= u64(r.smax)) {
    r.umin = max(r.umin, u64(r.smin));
    r.umax = min(r.umax, u64(r.smax));
  } else {
    // The signed range wraps around the unsigned domain's ends: when the unsigned range meets
    // only one of its two pieces, both ranges shrink to that piece.
    if (r.umax < u64(r.smin)) {
      r.smin = s64(r.umin);
      r.umax = min(r.umax, u64(r.smax));
    } else if (u64(r.smax) < r.umin) {
      r.smax = s64(r.umax);
      r.umin = max(r.umin, u64(r.smin));
    }
  }
}

function deduceMixed(r: RegState): void {
  const hiMask = ~U32_MAX;
  const nUmin = (r.umin & hiMask) | r.u32min;
  const nUmax = (r.umax & hiMask) | r.u32max;
  r.umin = max(r.umin, nUmin);
  r.umax = min(r.umax, nUmax);
  const nSmin = s64((u64(r.smin) & hiMask) | r.u32min);
  const nSmax = s64((u64(r.smax) & hiMask) | r.u32max);
  r.smin = max(r.smin, nSmin);
  r.smax = min(r.smax, nSmax);
  // After a sign-extending load: a 64-bit range inside s32 with a non-negative s32 range.
  if (r.s32min >= 0n && r.smin >= S32_MIN && r.smax <= S32_MAX) {
    r.smin = r.s32min;
    r.smax = r.s32max;
    r.umin = r.s32min;
    r.umax = r.s32max;
    r.var = tnumIntersect(r.var, tnumRange(u64(r.smin), u64(r.smax)));
  }
}

function deduce(r: RegState): void {
  deduce32(r);
  deduce64(r);
  deduceMixed(r);
}

function boundOffset(r: RegState): void {
  const v64 = tnumIntersect(r.var, tnumRange(r.umin, r.umax));
  const v32 = tnumIntersect(tnumSubreg(v64), tnumRange(r.u32min, r.u32max));
  r.var = tnumOr(tnumClearSubreg(v64), v32);
}

/** reg_bounds_sync: make tnum and the eight bounds agree. */
export function boundsSync(r: RegState): void {
  // Nothing known at all: nothing to learn.
  if (r.var.mask === U64_MAX && r.umin === 0n && r.umax === U64_MAX && r.smin === S64_MIN && r.smax === S64_MAX && r.u32min === 0n && r.u32max === U32_MAX && r.s32min === S32_MIN && r.s32max === S32_MAX) return;
  // A constant whose bounds already say so needs no work (the common case in loops).
  if (r.var.mask === 0n) {
    const v = r.var.value;
    if (r.umin === v && r.umax === v && r.u32min === (v & 0xffff_ffffn) && r.u32max === r.u32min) {
      const sv = BigInt.asIntN(64, v);
      if (r.smin === sv && r.smax === sv) return;
    }
  }
  updateBounds(r);
  deduce(r);
  deduce(r);
  deduce(r);
  boundOffset(r);
  updateBounds(r);
}

/** The bounds contradict each other: the path is impossible. */
export function boundsInvalid(r: RegState): boolean {
  if (r.umin > r.umax || r.smin > r.smax || r.u32min > r.u32max || r.s32min > r.s32max) return true;
  if (tnumIsConst(r.var)) {
    const v = r.var.value;
    if (v < r.umin || v > r.umax || s64(v) < r.smin || s64(v) > r.smax) return true;
  }
  // Known bits outside the unsigned range.
  if (r.var.value > r.umax || (r.var.value | r.var.mask) < r.umin) return true;
  return false;
}

/** __reg_assign_32_into_64 after a 32-bit result. */
export function zext32to64(r: RegState): void {
  r.var = tnumSubreg(r.var);
  r.umin = r.u32min;
  r.umax = r.u32max;
  if (r.s32min >= 0n && r.s32max >= 0n) {
    r.smin = r.s32min;
    r.smax = r.s32max;
  } else {
    r.smin = 0n;
    r.smax = U32_MAX;
  }
}

/** coerce_reg_to_size: keep the low `size` bytes, zero-extended. */
export function coerceToSize(r: RegState, size: number): void {
  if (size >= 8) return;
  r.var = tnumCast(r.var, size);
  const mask = (1n << BigInt(size * 8)) - 1n;
  if ((r.umin & ~mask) === (r.umax & ~mask)) {
    r.umin &= mask;
    r.umax &= mask;
  } else {
    r.umin = 0n;
    r.umax = mask;
  }
  r.smin = r.umin;
  r.smax = r.umax;
  if (size < 4) mark32Unbounded(r);
  boundsSync(r);
}

/**
 * Sign-extend the low `size` bytes into 64 bits (coerce_reg_to_size_sx), or into the low 32
 * bits when `into32` (coerce_subreg_to_size_sx; the caller zero-extends afterwards). A range
 * whose endpoints share their upper bits and keep one sign after extension stays a range;
 * anything else gets the default range of the narrow type.
 */
export function coerceToSizeSx(r: RegState, size: number, into32 = false): void {
  const bits = BigInt(size * 8);
  const sx = (v: bigint): bigint => BigInt.asIntN(Number(bits), v);
  if (isConst(r)) {
    const v = u64(sx(r.var.value));
    r.var = tnumConst(v);
    r.s32min = r.s32max = s32(v);
    r.u32min = r.u32max = u32(v);
    if (into32) return;
    r.smin = r.smax = s64(v);
    r.umin = r.umax = v;
    return;
  }
  const hiMin = into32 ? u32(r.s32min) : u64(r.smin);
  const hiMax = into32 ? u32(r.s32max) : u64(r.smax);
  if (hiMin >> bits === hiMax >> bits) {
    const a = sx(hiMin);
    const b = sx(hiMax);
    const lo = a < b ? a : b;
    const hi = a < b ? b : a;
    if (lo >= 0n === hi >= 0n) {
      r.s32min = s32(lo);
      r.s32max = s32(hi);
      r.u32min = u32(lo);
      r.u32max = u32(hi);
      if (into32) {
        r.var = tnumSubreg(tnumRange(u64(lo), u64(hi)));
        return;
      }
      r.smin = lo;
      r.smax = hi;
      r.umin = u64(lo);
      r.umax = u64(hi);
      r.var = tnumRange(u64(lo), u64(hi));
      return;
    }
  }
  // set_sext32_default_val / set_sext64_default_val
  const half = 1n << (bits - 1n);
  r.s32min = size === 4 ? S32_MIN : -half;
  r.s32max = size === 4 ? S32_MAX : half - 1n;
  r.u32min = 0n;
  r.u32max = U32_MAX;
  if (into32) {
    r.var = tnumSubreg(TNUM_UNKNOWN);
    return;
  }
  r.smin = -half;
  r.smax = half - 1n;
  r.umin = 0n;
  r.umax = U64_MAX;
  r.var = TNUM_UNKNOWN;
}

/** Width in bits that the register's value needs (get_reg_width). */
export function regWidth(r: RegState): number {
  return r.umax === 0n ? 0 : r.umax.toString(2).length;
}

export function isReg32(r: RegState): boolean {
  return r.umax <= U32_MAX;
}

export function constValue(r: RegState, is32: boolean): bigint {
  return is32 ? u32(r.var.value) : r.var.value;
}

export function regIsConst(r: RegState, is32: boolean): boolean {
  return r.type === 'scalar' && (is32 ? isConst32(r) : isConst(r));
}

export const regIsNull = (r: RegState): boolean => r.type === 'scalar' && isConst(r) && r.var.value === 0n;
