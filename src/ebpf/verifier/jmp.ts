/**
 * Conditional jumps, as kernel/bpf/verifier.c's check_cond_jmp_op(): predict the branch
 * when the operands allow (is_branch_taken()), else fork the state and narrow both sides
 * (reg_set_min_max(), sync_linked_regs()); learn packet ranges from comparisons with
 * data_end (try_match_pkt_pointers(), find_good_pkt_pointers(), mark_pkt_end()); turn
 * maybe-null pointers into pointers or zero on a null check (mark_ptr_or_null_regs()).
 */
import type { Insn } from '../isa/insn.ts';
import { BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JNE } from '../isa/opcodes.ts';
import { isBranchTaken, regSetMinMax, syncLinked } from './branch.ts';
import { markPtrNotNull } from './call.ts';
import type { Env } from './env.ts';
import { checkRegInit } from './mem.ts';
import { AT_PKT_END, BEYOND_PKT_END, cloneReg, isConst, markKnown, markUnknown, MAX_PACKET_OFF, type RegState, scalarConst } from './reg.ts';
import { allRegs, cloneState, curFrame, type VState } from './state.ts';

/** mark_ptr_or_null_regs(): every copy of the checked pointer becomes non-null, or zero. */
function markPtrOrNull(st: VState, regno: number, isNull: boolean): void {
  const r = curFrame(st).regs[regno];
  const id = r.id;
  const ref = r.refObjId;
  if (ref && ref === id && isNull) {
    const k = st.refs.findIndex((x) => x.id === ref);
    if (k >= 0) st.refs.splice(k, 1);
  }
  for (const reg of allRegs(st)) {
    if (!reg.maybeNull || reg.id !== id) continue;
    if (isNull) {
      markUnknown(reg);
      markKnown(reg, 0n);
      continue;
    }
    markPtrNotNull(reg);
    if (!(reg.type === 'map_value' && reg.map?.spinLockOff !== undefined)) reg.id = 0;
  }
}

const isInitPkt = (r: RegState): boolean => r.type === 'pkt' && r.id === 0 && r.off === 0 && isConst(r) && r.var.value === 0n;

/** find_good_pkt_pointers(): accesses below dst's offset are now within the packet. */
function findGoodPkt(st: VState, dst: RegState, rightOpen: boolean): void {
  if (dst.off < 0 || (dst.off === 0 && rightOpen)) return;
  if (dst.umax > BigInt(MAX_PACKET_OFF) || dst.umax + BigInt(dst.off) > BigInt(MAX_PACKET_OFF)) return;
  const range = dst.off + (rightOpen ? 1 : 0);
  for (const r of allRegs(st)) {
    if (r.type === dst.type && r.id === dst.id && r.range < range) r.range = range;
  }
}

/** mark_pkt_end(): the pointer is at (or beyond) data_end on this side. */
function markPktEnd(st: VState, regno: number, beyond: boolean): void {
  const r = curFrame(st).regs[regno];
  if (r.type !== 'pkt') return;
  r.range = beyond ? BEYOND_PKT_END : AT_PKT_END;
}

/** try_match_pkt_pointers(). `thisSt` is the fall-through side, `other` the jump side. */
function matchPktPointers(insn: Insn, dst: RegState, src: RegState, thisSt: VState, other: VState): boolean {
  if (!insn.op.srcKind || insn.op.is32) return false;
  const fwd = (dst.type === 'pkt' && src.type === 'pkt_end') || (dst.type === 'pkt_meta' && isInitPkt(src));
  const rev = (dst.type === 'pkt_end' && src.type === 'pkt') || (isInitPkt(dst) && src.type === 'pkt_meta');
  if (!fwd && !rev) return false;
  switch (insn.op.op) {
    case BPF_JGT:
      if (fwd) {
        findGoodPkt(thisSt, dst, false);
        markPktEnd(other, insn.dst, true);
      } else {
        findGoodPkt(other, src, true);
        markPktEnd(thisSt, insn.src, false);
      }
      return true;
    case BPF_JLT:
      if (fwd) {
        findGoodPkt(other, dst, true);
        markPktEnd(thisSt, insn.dst, false);
      } else {
        findGoodPkt(thisSt, src, false);
        markPktEnd(other, insn.src, true);
      }
      return true;
    case BPF_JGE:
      if (fwd) {
        findGoodPkt(thisSt, dst, true);
        markPktEnd(other, insn.dst, false);
      } else {
        findGoodPkt(other, src, false);
        markPktEnd(thisSt, insn.src, true);
      }
      return true;
    case BPF_JLE:
      if (fwd) {
        findGoodPkt(other, dst, false);
        markPktEnd(thisSt, insn.dst, true);
      } else {
        findGoodPkt(thisSt, src, true);
        markPktEnd(other, insn.src, false);
      }
      return true;
    default:
      return false;
  }
}

/**
 * check_cond_jmp_op(): the pc to continue at (after queueing the other side with `push`),
 * or 'dead' when neither side can happen.
 */
export function checkCondJmp(env: Env, insn: Insn, push: (st: VState, pc: number) => void): number | 'dead' {
  const o = insn.op;
  const pc = insn.pc;
  const op = o.op;
  const is32 = o.is32;
  const dst = checkRegInit(env, insn.dst);
  const src = o.srcKind ? checkRegInit(env, insn.src) : scalarConst(BigInt(insn.imm));
  const target = pc + 1 + insn.off;
  const pred = isBranchTaken(dst, src, op, is32);
  if (pred === 1) return target;
  if (pred === 0) return pc + 1;

  const thisSt = env.st;
  const other = cloneState(thisSt);
  const oregs = curFrame(other).regs;
  let sides: { takenOk: boolean; fallOk: boolean };
  if (o.srcKind) {
    sides = regSetMinMax(oregs[insn.dst], oregs[insn.src], dst, src, op, is32);
  } else {
    sides = regSetMinMax(oregs[insn.dst], src, dst, cloneReg(src), op, is32);
  }
  if (o.srcKind && src.type === 'scalar' && src.id) {
    syncLinked(allRegs(thisSt), src);
    syncLinked(allRegs(other), oregs[insn.src]);
  }
  if (dst.type === 'scalar' && dst.id) {
    syncLinked(allRegs(thisSt), dst);
    syncLinked(allRegs(other), oregs[insn.dst]);
  }
  // A maybe-null pointer compared with a non-null one is not null where they are equal.
  if (!is32 && o.srcKind && dst.type !== 'scalar' && src.type !== 'scalar' && dst.maybeNull !== src.maybeNull && (op === BPF_JEQ || op === BPF_JNE)) {
    const nullable = dst.maybeNull ? insn.dst : insn.src;
    if (op === BPF_JEQ) markPtrOrNull(other, nullable, false);
    else markPtrOrNull(thisSt, nullable, false);
  }
  if (!is32 && !o.srcKind && insn.imm === 0 && (op === BPF_JEQ || op === BPF_JNE) && dst.maybeNull) {
    markPtrOrNull(thisSt, insn.dst, op === BPF_JNE);
    markPtrOrNull(other, insn.dst, op === BPF_JEQ);
  } else {
    matchPktPointers(insn, dst, src, thisSt, other);
  }
  if (!sides.fallOk && !sides.takenOk) return 'dead';
  if (!sides.fallOk) {
    env.st = other;
    return target;
  }
  if (sides.takenOk) push(other, target);
  return pc + 1;
}
