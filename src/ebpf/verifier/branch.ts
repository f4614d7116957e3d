/**
 * Conditional jumps on scalars, as kernel/bpf/verifier.c decides and refines them:
 * is_scalar_branch_taken() / is_pkt_ptr_branch_taken() / is_branch_taken() predict a
 * branch from ranges and tnums; regs_refine_cond_op() + reg_set_min_max() narrow both
 * operands on each side of the branch; sync_linked_regs() carries the narrowing to
 * registers linked by id.
 */
import {
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JLE,
  BPF_JLT,
  BPF_JNE,
  BPF_JSET,
  BPF_JSGE,
  BPF_JSGT,
  BPF_JSLE,
  BPF_JSLT,
  BPF_X,
} from '../isa/opcodes.ts';
import {
  AT_PKT_END,
  BEYOND_PKT_END,
  boundsSync,
  constValue,
  copyInto,
  isPktAny,
  isPointer,
  markUnbounded,
  type RegState,
  regIsConst,
  s32,
  s64,
  u32,
} from './reg.ts';
import {
  tnumAnd,
  tnumConst,
  tnumIntersect,
  tnumIsConst,
  tnumOr,
  tnumSubreg,
  tnumWithSubreg,
  U32_MAX,
  U64_MAX,
} from './tnum.ts';
import { scalarAlu } from './alu.ts';
import { BPF_ADD } from '../isa/opcodes.ts';
import { scalarConst } from './reg.ts';

/** The negated condition (rev_opcode); JSET's negation is spelled JSET|X internally. */
export const JSET_NOT = BPF_JSET | BPF_X;

export function revOpcode(op: number): number {
  switch (op) {
    case BPF_JEQ:
      return BPF_JNE;
    case BPF_JNE:
      return BPF_JEQ;
    case BPF_JSET:
      return JSET_NOT;
    case JSET_NOT:
      return BPF_JSET;
    case BPF_JGT:
      return BPF_JLE;
    case BPF_JGE:
      return BPF_JLT;
    case BPF_JLT:
      return BPF_JGE;
    case BPF_JLE:
      return BPF_JGT;
    case BPF_JSGT:
      return BPF_JSLE;
    case BPF_JSGE:
      return BPF_JSLT;
    case BPF_JSLT:
      return BPF_JSGE;
    case BPF_JSLE:
      return BPF_JSGT;
  }
  return op;
}

/** The same condition with operands swapped (flip_opcode). */
export function flipOpcode(op: number): number {
  switch (op) {
    case BPF_JGT:
      return BPF_JLT;
    case BPF_JGE:
      return BPF_JLE;
    case BPF_JLT:
      return BPF_JGT;
    case BPF_JLE:
      return BPF_JGE;
    case BPF_JSGT:
      return BPF_JSLT;
    case BPF_JSGE:
      return BPF_JSLE;
    case BPF_JSLT:
      return BPF_JSGT;
    case BPF_JSLE:
      return BPF_JSGE;
  }
  return op;
}

interface View {
  umin: bigint;
  umax: bigint;
  smin: bigint;
  smax: bigint;
  t: { value: bigint; mask: bigint };
}

function view(r: RegState, is32: boolean): View {
  return is32
    ? { umin: r.u32min, umax: r.u32max, smin: r.s32min, smax: r.s32max, t: tnumSubreg(r.var) }
    : { umin: r.umin, umax: r.umax, smin: r.smin, smax: r.smax, t: r.var };
}

/** Whether some value fits both tnums. */
function tnumOverlap(a: { value: bigint; mask: bigint }, b: { value: bigint; mask: bigint }): boolean {
  const mu = ~a.mask & ~b.mask;
  return ((a.value ^ b.value) & mu & U64_MAX) === 0n;
}

/** is_scalar_branch_taken(): 1 taken, 0 not taken, -1 unknown. */
function scalarBranchTaken(r1: RegState, r2: RegState, op: number, is32: boolean): number {
  const a = view(r1, is32);
  const b = view(r2, is32);
  switch (op) {
    case BPF_JEQ:
      if (tnumIsConst(a.t) && tnumIsConst(b.t)) return a.t.value === b.t.value ? 1 : 0;
      if (a.umin > b.umax || a.umax < b.umin) return 0;
      if (a.smin > b.smax || a.smax < b.smin) return 0;
      if (!is32) {
        if (r1.u32min > r2.u32max || r1.u32max < r2.u32min) return 0;
        if (r1.s32min > r2.s32max || r1.s32max < r2.s32min) return 0;
      }
      if (!tnumOverlap(a.t, b.t)) return 0;
      break;
    case BPF_JNE:
      if (tnumIsConst(a.t) && tnumIsConst(b.t)) return a.t.value !== b.t.value ? 1 : 0;
      if (a.umin > b.umax || a.umax < b.umin) return 1;
      if (a.smin > b.smax || a.smax < b.smin) return 1;
      if (!is32) {
        if (r1.u32min > r2.u32max || r1.u32max < r2.u32min) return 1;
        if (r1.s32min > r2.s32max || r1.s32max < r2.s32min) return 1;
      }
      if (!tnumOverlap(a.t, b.t)) return 1;
      break;
    case BPF_JSET: {
      let x = a;
      let y = b;
      if (!regIsConst(r2, is32)) {
        if (!regIsConst(r1, is32)) return -1;
        x = b;
        y = a;
      }
      if ((~x.t.mask & x.t.value) & y.t.value) return 1;
      if (!((x.t.mask | x.t.value) & y.t.value)) return 0;
      break;
    }
    case BPF_JGT:
      if (a.umin > b.umax) return 1;
      if (a.umax <= b.umin) return 0;
      break;
    case BPF_JSGT:
      if (a.smin > b.smax) return 1;
      if (a.smax <= b.smin) return 0;
      break;
    case BPF_JLT:
      if (a.umax < b.umin) return 1;
      if (a.umin >= b.umax) return 0;
      break;
    case BPF_JSLT:
      if (a.smax < b.smin) return 1;
      if (a.smin >= b.smax) return 0;
      break;
    case BPF_JGE:
      if (a.umin >= b.umax) return 1;
      if (a.umax < b.umin) return 0;
      break;
    case BPF_JSGE:
      if (a.smin >= b.smax) return 1;
      if (a.smax < b.smin) return 0;
      break;
    case BPF_JLE:
      if (a.umax <= b.umin) return 1;
      if (a.umin > b.umax) return 0;
      break;
    case BPF_JSLE:
      if (a.smax <= b.smin) return 1;
      if (a.smin > b.smax) return 0;
      break;
  }
  return -1;
}

function pktBranchTaken(dst: RegState, src: RegState, op: number): number {
  let pkt: RegState;
  if (src.type === 'pkt_end') pkt = dst;
  else if (dst.type === 'pkt_end') {
    pkt = src;
    op = flipOpcode(op);
  } else return -1;
  if (pkt.range >= 0) return -1;
  switch (op) {
    case BPF_JLE:
    case BPF_JGT:
      if (pkt.range === BEYOND_PKT_END) return op === BPF_JGT ? 1 : 0;
      break;
    case BPF_JLT:
    case BPF_JGE:
      if (pkt.range === BEYOND_PKT_END || pkt.range === AT_PKT_END) return op === BPF_JGE ? 1 : 0;
      break;
  }
  return -1;
}

/** reg_not_null(): pointer types the kernel knows are never NULL. */
const regNotNull = (r: RegState): boolean =>
  !r.maybeNull && (r.type === 'sock' || r.type === 'tcp_sock' || r.type === 'map_value' || r.type === 'map_key' || r.type === 'sock_common' || r.type === 'mem' || r.type === 'map_ptr');

/** is_branch_taken(). */
export function isBranchTaken(r1: RegState, r2: RegState, op: number, is32: boolean): number {
  if (isPktAny(r1) && isPktAny(r2) && !is32) return pktBranchTaken(r1, r2, op);
  if (isPointer(r1) || isPointer(r2)) {
    let a = r1;
    let b = r2;
    if (!regIsConst(b, is32)) {
      op = flipOpcode(op);
      a = r2;
      b = r1;
    }
    if (!regIsConst(b, is32)) return -1;
    if (!regNotNull(a)) return -1;
    if (constValue(b, is32) !== 0n) return -1;
    if (op === BPF_JEQ) return 0;
    if (op === BPF_JNE) return 1;
    return -1;
  }
  return scalarBranchTaken(r1, r2, op, is32);
}

const minB = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const maxB = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/** regs_refine_cond_op(): narrow r1 and r2 knowing "r1 op r2" holds. */
function refine(r1: RegState, r2: RegState, op: number, is32: boolean): void {
  switch (op) {
    case BPF_JGE:
    case BPF_JGT:
    case BPF_JSGE:
    case BPF_JSGT: {
      op = flipOpcode(op);
      const t = r1;
      r1 = r2;
      r2 = t;
      break;
    }
  }
  switch (op) {
    case BPF_JEQ:
      if (is32) {
        r1.u32min = maxB(r1.u32min, r2.u32min);
        r1.u32max = minB(r1.u32max, r2.u32max);
        r1.s32min = maxB(r1.s32min, r2.s32min);
        r1.s32max = minB(r1.s32max, r2.s32max);
        r2.u32min = r1.u32min;
        r2.u32max = r1.u32max;
        r2.s32min = r1.s32min;
        r2.s32max = r1.s32max;
        const t = tnumIntersect(tnumSubreg(r1.var), tnumSubreg(r2.var));
        r1.var = tnumWithSubreg(r1.var, t);
        r2.var = tnumWithSubreg(r2.var, t);
      } else {
        r1.umin = maxB(r1.umin, r2.umin);
        r1.umax = minB(r1.umax, r2.umax);
        r1.smin = maxB(r1.smin, r2.smin);
        r1.smax = minB(r1.smax, r2.smax);
        r2.umin = r1.umin;
        r2.umax = r1.umax;
        r2.smin = r1.smin;
        r2.smax = r1.smax;
        r1.var = tnumIntersect(r1.var, r2.var);
        r2.var = r1.var;
      }
      break;
    case BPF_JNE: {
      if (!regIsConst(r2, is32)) {
        const t = r1;
        r1 = r2;
        r2 = t;
      }
      if (!regIsConst(r2, is32)) break;
      const val = constValue(r2, is32);
      if (is32) {
        if (r1.u32min === u32(val)) r1.u32min++;
        if (r1.u32max === u32(val)) r1.u32max--;
        if (r1.s32min === s32(val)) r1.s32min++;
        if (r1.s32max === s32(val)) r1.s32max--;
      } else {
        if (r1.umin === val) r1.umin++;
        if (r1.umax === val) r1.umax--;
        if (r1.smin === s64(val)) r1.smin++;
        if (r1.smax === s64(val)) r1.smax--;
      }
      break;
    }
    case BPF_JSET: {
      if (!regIsConst(r2, is32)) {
        const t = r1;
        r1 = r2;
        r2 = t;
      }
      if (!regIsConst(r2, is32)) break;
      const val = constValue(r2, is32);
      if (val === 0n || (val & (val - 1n)) !== 0n) break;
      if (is32) r1.var = tnumWithSubreg(r1.var, tnumOr(tnumSubreg(r1.var), tnumConst(val)));
      else r1.var = tnumOr(r1.var, tnumConst(val));
      break;
    }
    case JSET_NOT: {
      if (!regIsConst(r2, is32)) {
        const t = r1;
        r1 = r2;
        r2 = t;
      }
      if (!regIsConst(r2, is32)) break;
      const val = constValue(r2, is32);
      markUnbounded(r1);
      if (is32) r1.var = tnumWithSubreg(r1.var, tnumAnd(tnumSubreg(r1.var), tnumConst(~val & U32_MAX)));
      else r1.var = tnumAnd(r1.var, tnumConst(~val & U64_MAX));
      break;
    }
    case BPF_JLE:
      if (is32) {
        r1.u32max = minB(r1.u32max, r2.u32max);
        r2.u32min = maxB(r1.u32min, r2.u32min);
      } else {
        r1.umax = minB(r1.umax, r2.umax);
        r2.umin = maxB(r1.umin, r2.umin);
      }
      break;
    case BPF_JLT:
      if (is32) {
        r1.u32max = minB(r1.u32max, u32(r2.u32max - 1n));
        r2.u32min = maxB(u32(r1.u32min + 1n), r2.u32min);
      } else {
        r1.umax = minB(r1.umax, BigInt.asUintN(64, r2.umax - 1n));
        r2.umin = maxB(BigInt.asUintN(64, r1.umin + 1n), r2.umin);
      }
      break;
    case BPF_JSLE:
      if (is32) {
        r1.s32max = minB(r1.s32max, r2.s32max);
        r2.s32min = maxB(r1.s32min, r2.s32min);
      } else {
        r1.smax = minB(r1.smax, r2.smax);
        r2.smin = maxB(r1.smin, r2.smin);
      }
      break;
    case BPF_JSLT:
      if (is32) {
        r1.s32max = minB(r1.s32max, s32(r2.s32max - 1n));
        r2.s32min = maxB(s32(r1.s32min + 1n), r2.s32min);
      } else {
        r1.smax = minB(r1.smax, s64(r2.smax - 1n));
        r2.smin = maxB(s64(r1.smin + 1n), r2.smin);
      }
      break;
  }
}

/**
 * reg_set_min_max(): refine the taken-branch pair (t1, t2) and the fall-through pair
 * (f1, f2). Only scalars are refined. A side whose bounds contradict each other is not
 * dropped: like the kernel (reg_bounds_sanity_check), its registers lose their ranges and
 * that path is still explored.
 */
export function regSetMinMax(t1: RegState, t2: RegState, f1: RegState, f2: RegState, op: number, is32: boolean): { takenOk: boolean; fallOk: boolean } {
  if (f1.type !== 'scalar' || f2.type !== 'scalar') return { takenOk: true, fallOk: true };
  refine(f1, f2, revOpcode(op), is32);
  boundsSync(f1);
  boundsSync(f2);
  refine(t1, t2, op, is32);
  boundsSync(t1);
  boundsSync(t2);
  for (const r of [t1, t2, f1, f2]) {
    if (sane(r)) continue;
    // Contradictory bounds (the kernel's "REG INVARIANTS VIOLATION"): the ranges are
    // dropped, the tnum is kept; nothing re-derives ranges from it until the next sync.
    markUnbounded(r);
  }
  return { takenOk: true, fallOk: true };
}

/** reg_bounds_sanity_check(): ranges that contradict each other. */
function sane(r: RegState): boolean {
  if (r.umin > r.umax || r.smin > r.smax || r.u32min > r.u32max || r.s32min > r.s32max) return false;
  const t = r.var;
  if (t.mask === 0n && (r.umin !== t.value || r.umax !== t.value || r.smin !== s64(t.value) || r.smax !== s64(t.value))) return false;
  if (u32(t.mask) === 0n) {
    const v = u32(t.value);
    if (r.u32min !== v || r.u32max !== v || r.s32min !== s32(v) || r.s32max !== s32(v)) return false;
  }
  return true;
}

/** sync_linked_regs(): registers with known's id take its bounds (shifted by their delta). */
export function syncLinked(all: Iterable<RegState>, known: RegState): void {
  for (const r of all) {
    if (r === known || r.type !== 'scalar' || r.id !== known.id) continue;
    const id = r.id;
    const delta = r.delta;
    const addConst = r.addConst;
    if ((!r.addConst && !known.addConst) || r.delta === known.delta) {
      copyInto(r, known);
    } else {
      copyInto(r, known);
      scalarAlu(BPF_ADD, r, scalarConst(BigInt(delta - known.delta)), false);
    }
    r.id = id;
    r.delta = delta;
    r.addConst = addConst;
  }
}
