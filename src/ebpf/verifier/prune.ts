/**
 * State equivalence for pruning, as kernel/bpf/verifier.c's states_equal() with regsafe(),
 * stacksafe(), refsafe() and check_ids(): a path may stop when a state already proven safe
 * at the same instruction is at least as general as the current one. Registers that are
 * dead at the instruction (cfg.ts liveness) are ignored. Every scalar is treated as precise
 * (chainlab does not do precision backtracking), which prunes less but never unsoundly.
 */
import type { Cfg } from './cfg.ts';
import type { Precision } from './precision.ts';
import type { RegState } from './reg.ts';
import { type FuncState, STACK_INVALID, STACK_MISC, STACK_SPILL, STACK_ZERO, type VState } from './state.ts';
import { tnumIn } from './tnum.ts';

class IdMap {
  private readonly old: number[] = [];
  private readonly cur: number[] = [];
  private tmp = 1 << 30;

  /** check_ids(): ids must correspond one to one. */
  check(o: number, c: number): boolean {
    if (!o !== !c) return false;
    if (!o) return true;
    for (let i = 0; i < this.old.length; i++) {
      if (this.old[i] === o) return this.cur[i] === c;
      if (this.cur[i] === c) return false;
    }
    this.old.push(o);
    this.cur.push(c);
    return true;
  }

  /** check_scalar_ids(): an id of zero stands for a fresh, unique id. */
  checkScalar(o: number, c: number): boolean {
    return this.check(o || ++this.tmp, c || ++this.tmp);
  }
}

function rangeWithin(o: RegState, c: RegState): boolean {
  return (
    o.umin <= c.umin &&
    o.umax >= c.umax &&
    o.smin <= c.smin &&
    o.smax >= c.smax &&
    o.u32min <= c.u32min &&
    o.u32max >= c.u32max &&
    o.s32min <= c.s32min &&
    o.s32max >= c.s32max
  );
}

/** regs_exact(): the same state up to a renaming of ids. */
function regsExact(o: RegState, c: RegState, ids: IdMap): boolean {
  return (
    o.type === c.type &&
    o.maybeNull === c.maybeNull &&
    o.rdonly === c.rdonly &&
    o.alloc === c.alloc &&
    o.off === c.off &&
    o.var.value === c.var.value &&
    o.var.mask === c.var.mask &&
    o.smin === c.smin &&
    o.smax === c.smax &&
    o.umin === c.umin &&
    o.umax === c.umax &&
    o.s32min === c.s32min &&
    o.s32max === c.s32max &&
    o.u32min === c.u32min &&
    o.u32max === c.u32max &&
    o.range === c.range &&
    o.map === c.map &&
    o.memSize === c.memSize &&
    o.frameno === c.frameno &&
    o.subprog === c.subprog &&
    o.delta === c.delta &&
    o.addConst === c.addConst &&
    ids.check(o.id, c.id) &&
    ids.check(o.refObjId, c.refObjId)
  );
}

/**
 * regsafe(): every value `c` may hold, `o` may hold too, with the same pointer identity. An
 * imprecise scalar (`precise` false) matches any scalar.
 */
function regsafe(o: RegState, c: RegState, ids: IdMap, exact: boolean, precise = true): boolean {
  if (o.type === 'not_init') return !exact || c.type === 'not_init';
  if (exact) return regsExact(o, c, ids);
  if (o.type !== c.type || o.maybeNull !== c.maybeNull || o.rdonly !== c.rdonly || o.alloc !== c.alloc) return false;
  switch (o.type) {
    case 'scalar':
      if (!precise) return true;
      if (o.id && !ids.checkScalar(o.id, c.id)) return false;
      if (o.id && (o.delta !== c.delta || o.addConst !== c.addConst)) return false;
      return rangeWithin(o, c) && tnumIn(o.var, c.var);
    case 'map_key':
    case 'map_value':
    case 'mem':
      return o.off === c.off && o.map === c.map && o.memSize === c.memSize && rangeWithin(o, c) && tnumIn(o.var, c.var) && ids.check(o.id, c.id) && ids.check(o.refObjId, c.refObjId);
    case 'pkt':
    case 'pkt_meta':
      if (o.range > c.range) return false;
      if (o.off !== c.off) return false;
      if (!ids.check(o.id, c.id)) return false;
      return rangeWithin(o, c) && tnumIn(o.var, c.var);
    default:
      return regsExact(o, c, ids);
  }
}

/** The 64-bit scalar a stack slot holds, if it holds one (scalar_reg_for_stack). */
function scalarOfSlot(f: FuncState, spi: number, unbound: RegState): RegState | undefined {
  const sp = f.spills[spi];
  let allSpill = true;
  let allMisc = true;
  for (let j = 0; j < 8; j++) {
    const t = f.stype[spi * 8 + j];
    if (t !== STACK_SPILL) allSpill = false;
    if (t !== STACK_MISC && t !== STACK_INVALID) allMisc = false;
  }
  if (allSpill && sp && sp.type === 'scalar') return sp;
  if (allMisc) return unbound;
  return undefined;
}

/** stacksafe(). `slotPrecise(spi)`: whether a scalar in that slot must match exactly. */
function stacksafe(o: FuncState, c: FuncState, ids: IdMap, exact: boolean, unbound: RegState, slotPrecise: (spi: number) => boolean): boolean {
  for (let i = 0; i < o.depth; i++) {
    const spi = i >> 3;
    const ot = o.stype[i];
    if (exact && (i >= c.depth || ot !== c.stype[i])) return false;
    if (ot === STACK_INVALID) continue;
    // A privileged program may read uninitialised stack: MISC is no stronger than INVALID.
    if (!exact && ot === STACK_MISC) continue;
    if (i >= c.depth) return false;
    const os = scalarOfSlot(o, spi, unbound);
    const cs = scalarOfSlot(c, spi, unbound);
    if (os && cs) {
      if (!regsafe(os, cs, ids, exact, slotPrecise(spi))) return false;
      i = spi * 8 + 7;
      continue;
    }
    const ct = c.stype[i];
    if (!exact && ot === STACK_MISC && ct === STACK_ZERO) continue;
    if (ot !== ct) return false;
    if ((i & 7) !== 7) continue;
    if (ot === STACK_SPILL) {
      const osp = o.spills[spi];
      const csp = c.spills[spi];
      if (!osp || !csp || !regsafe(osp, csp, ids, exact, slotPrecise(spi))) return false;
    }
  }
  return true;
}

/**
 * states_equal(): whether `cur` at slot `pc` is covered by `old`. `exact` asks for the same
 * state (infinite-loop detection).
 */
export function statesEqual(cfg: Cfg, old: VState, cur: VState, pc: number, exact: boolean, unbound: RegState, prec?: Precision): boolean {
  if (old.frames.length !== cur.frames.length) return false;
  for (let k = 0; k < old.frames.length; k++) if (old.frames[k].callsite !== cur.frames[k].callsite) return false;
  if (old.refs.length !== cur.refs.length) return false;
  const ids = new IdMap();
  for (let i = 0; i < old.refs.length; i++) if (!ids.check(old.refs[i].id, cur.refs[i].id)) return false;
  if (!old.lock !== !cur.lock) return false;
  if (old.lock && cur.lock && (old.lock.map !== cur.lock.map || !ids.check(old.lock.id, cur.lock.id))) return false;
  const n = cur.frames.length;
  for (let k = n - 1; k >= 0; k--) {
    const of = old.frames[k];
    const cf = cur.frames[k];
    let live: number;
    let at: number;
    if (k === n - 1) {
      at = pc;
      live = cfg.liveIn[pc];
    } else {
      const child = cur.frames[k + 1];
      // A callback returns to its call site and re-runs the call; a function to the next insn.
      at = child.callback ? child.callsite : child.callsite + 1;
      live = child.callback ? cfg.liveIn[at] : cfg.liveIn[at] & ~0b111111;
    }
    const pregs = prec ? prec.regs[at] : 0xffff;
    for (let r = 0; r < 11; r++) {
      if (!exact && !(live & (1 << r))) continue;
      if (!regsafe(of.regs[r], cf.regs[r], ids, exact, (pregs & (1 << r)) !== 0)) return false;
    }
    const lo = prec ? prec.slotsLo[at] : 0xffffffff;
    const hi = prec ? prec.slotsHi[at] : 0xffffffff;
    const slotPrecise = (spi: number): boolean => ((spi < 32 ? lo >>> spi : hi >>> (spi - 32)) & 1) === 1;
    if (!stacksafe(of, cf, ids, exact, unbound, slotPrecise)) return false;
  }
  return true;
}

/** states_maybe_looping(): cheap pre-check before an exact comparison. */
export function maybeLooping(old: VState, cur: VState): boolean {
  if (old.frames.length !== cur.frames.length) return false;
  const of = old.frames[old.frames.length - 1];
  const cf = cur.frames[cur.frames.length - 1];
  for (let r = 0; r < 11; r++) {
    const a = of.regs[r];
    const b = cf.regs[r];
    if (a.type !== b.type || a.var.value !== b.var.value || a.var.mask !== b.var.mask || a.off !== b.off || a.umin !== b.umin || a.umax !== b.umax || a.smin !== b.smin || a.smax !== b.smax) return false;
  }
  return true;
}
