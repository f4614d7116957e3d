/**
 * The verifier's first passes over the instruction stream, as kernel/bpf/verifier.c's
 * add_subprog_and_kfunc()/check_subprogs() (subprogram boundaries, jumps that leave a
 * subprogram, the last instruction of each), check_cfg() (reachability, jumps into LD_IMM64,
 * prune points) and compute_live_registers() (which registers an instruction's successors
 * may still read — dead registers do not count when states are compared).
 */
import { type Insn, slots } from '../isa/insn.ts';
import { BPF_PSEUDO_FUNC } from '../isa/opcodes.ts';

export class CfgError extends Error {
  constructor(
    message: string,
    readonly pc: number,
    readonly rule: string,
  ) {
    super(message);
    this.name = 'CfgError';
  }
}

export interface Subprog {
  /** First slot. */
  start: number;
  /** One past the last slot. */
  end: number;
  /** Contains a tail call (bpf_tail_call helper). */
  hasTailCall: boolean;
  /** Contains LD_ABS/LD_IND. */
  hasLdAbs: boolean;
  /** Stack depth found by the path exploration. */
  stackDepth: number;
  /** Is the target of a PTR_TO_FUNC load (a callback). */
  isCallback: boolean;
}

export interface Cfg {
  /** Instruction at each slot (undefined for the second slot of LD_IMM64). */
  at: (Insn | undefined)[];
  nslots: number;
  subprogs: Subprog[];
  /** Subprogram index of each slot. */
  subprogOf: Int32Array;
  /** Slots where states are stored and compared. */
  prunePoint: Uint8Array;
  /** Slots that always store a state (callback call sites). */
  forceCheckpoint: Uint8Array;
  /** Live-in register mask per slot. */
  liveIn: Uint16Array;
}

const TAIL_CALL = 12;
/** bpf_for_each_map_elem, bpf_loop: helpers that call a subprogram (calls_callback). */
export const CALLBACK_HELPERS = new Set([164, 181]);

/** Successor slots of an instruction (fall-through and jump target). */
export function successors(insn: Insn): number[] {
  const next = insn.pc + slots(insn);
  switch (insn.op.kind) {
    case 'exit':
      return [];
    case 'ja':
      return [insn.pc + 1 + (insn.op.is32 ? insn.imm : insn.off)];
    case 'jcond':
      return [next, insn.pc + 1 + insn.off];
    default:
      return [next];
  }
}

export function buildCfg(insns: readonly Insn[], helperArity: (id: number) => number): Cfg {
  if (insns.length === 0) throw new CfgError('BPF program is empty', 0, 'invalid_insn');
  const last = insns[insns.length - 1];
  const nslots = last.pc + slots(last);
  const at: (Insn | undefined)[] = new Array<Insn | undefined>(nslots).fill(undefined);
  for (const i of insns) at[i.pc] = i;

  // add_subprog_and_kfunc: every bpf-to-bpf call target and PTR_TO_FUNC load starts one.
  const starts = new Set<number>([0]);
  const callbacks = new Set<number>();
  for (const i of insns) {
    const isFunc = i.op.kind === 'lddw' && i.src === BPF_PSEUDO_FUNC;
    if (i.op.kind === 'call_local' || isFunc) {
      const t = i.pc + 1 + i.imm;
      if (t < 0 || t >= nslots) throw new CfgError(`call to invalid destination`, i.pc, 'invalid_jump');
      if (at[t] === undefined) throw new CfgError(`call to invalid destination`, i.pc, 'invalid_jump');
      starts.add(t);
      if (isFunc) callbacks.add(t);
    }
  }
  const sorted = [...starts].sort((a, b) => a - b);
  const subprogs: Subprog[] = sorted.map((s, k) => ({
    start: s,
    end: k + 1 < sorted.length ? sorted[k + 1] : nslots,
    hasTailCall: false,
    hasLdAbs: false,
    stackDepth: 0,
    isCallback: callbacks.has(s),
  }));
  const subprogOf = new Int32Array(nslots);
  subprogs.forEach((sp, k) => subprogOf.fill(k, sp.start, sp.end));

  // check_subprogs: jumps stay in their subprogram; each ends with exit or ja.
  for (const sp of subprogs) {
    for (let pc = sp.start; pc < sp.end; pc++) {
      const i = at[pc];
      if (!i) continue;
      if (i.op.kind === 'call' && i.imm === TAIL_CALL) sp.hasTailCall = true;
      if (i.op.kind === 'ldabs' || i.op.kind === 'ldind') sp.hasLdAbs = true;
      if (i.op.kind === 'ja' || i.op.kind === 'jcond') {
        const t = i.pc + 1 + (i.op.kind === 'ja' && i.op.is32 ? i.imm : i.off);
        if (t < sp.start || t >= sp.end) throw new CfgError(`jump out of range from insn ${pc} to ${t}`, pc, 'invalid_jump');
      }
    }
    let lastPc = sp.end - 1;
    if (at[lastPc] === undefined) lastPc--;
    const li = at[lastPc];
    if (!li || (li.op.kind !== 'exit' && li.op.kind !== 'ja')) throw new CfgError('last insn is not an exit or jmp', lastPc, 'invalid_jump');
  }

  // check_cfg: depth-first walk from every subprogram reached by calls.
  const prunePoint = new Uint8Array(nslots);
  const forceCheckpoint = new Uint8Array(nslots);
  const seen = new Uint8Array(nslots);
  const stack: number[] = [0];
  seen[0] = 1;
  const visit = (from: number, t: number): void => {
    if (t < 0 || t >= nslots) throw new CfgError(`jump out of range from insn ${from} to ${t}`, from, 'invalid_jump');
    if (at[t] === undefined) throw new CfgError(`jump into the middle of ldimm64 insn ${t - 1}`, from, 'invalid_jump');
    if (!seen[t]) {
      seen[t] = 1;
      stack.push(t);
    }
  };
  while (stack.length > 0) {
    const pc = stack.pop() as number;
    const i = at[pc] as Insn;
    const next = pc + slots(i);
    switch (i.op.kind) {
      case 'exit':
        break;
      case 'ja': {
        const t = pc + 1 + (i.op.is32 ? i.imm : i.off);
        prunePoint[t] = 1;
        visit(pc, t);
        break;
      }
      case 'jcond':
        prunePoint[pc] = 1;
        visit(pc, next);
        visit(pc, pc + 1 + i.off);
        break;
      case 'call_local':
        prunePoint[pc] = 1;
        if (next < nslots) prunePoint[next] = 1;
        visit(pc, next);
        visit(pc, pc + 1 + i.imm);
        break;
      case 'call':
        if (next < nslots) prunePoint[next] = 1;
        // Helpers that call back re-run the call after each callback: a loop head.
        if (CALLBACK_HELPERS.has(i.imm)) {
          prunePoint[pc] = 1;
          forceCheckpoint[pc] = 1;
        }
        visit(pc, next);
        break;
      case 'lddw':
        if (i.src === BPF_PSEUDO_FUNC) visit(pc, pc + 1 + i.imm);
        visit(pc, next);
        break;
      default:
        visit(pc, next);
    }
  }
  for (let pc = 0; pc < nslots; pc++) {
    if (at[pc] !== undefined && !seen[pc]) throw new CfgError(`unreachable insn ${pc}`, pc, 'unreachable');
  }

  const liveIn = computeLiveness(at, nslots, helperArity);
  return { at, nslots, subprogs, subprogOf, prunePoint, forceCheckpoint, liveIn };
}

const CALLER_SAVED = 0b111111; // r0..r5

/** Registers read and written by one instruction, as bit masks. */
function useDef(i: Insn, helperArity: (id: number) => number): { use: number; def: number } {
  const b = (r: number): number => 1 << r;
  const { op, dst, src } = i;
  switch (op.kind) {
    case 'alu':
      return { use: op.srcKind ? b(dst) | b(src) : b(dst), def: b(dst) };
    case 'neg':
    case 'end':
      return { use: b(dst), def: b(dst) };
    case 'mov':
    case 'movsx':
      return { use: op.srcKind ? b(src) : 0, def: b(dst) };
    case 'jcond':
      return { use: op.srcKind ? b(dst) | b(src) : b(dst), def: 0 };
    case 'ldx':
    case 'ldxsx':
      return { use: b(src), def: b(dst) };
    case 'st':
      return { use: b(dst), def: 0 };
    case 'stx':
      return { use: b(dst) | b(src), def: 0 };
    case 'atomic':
      if (op.name.includes('CMPXCHG')) return { use: b(dst) | b(src) | b(0), def: b(0) };
      return { use: b(dst) | b(src), def: op.op & 1 ? b(src) : 0 };
    case 'lddw':
      return { use: 0, def: b(dst) };
    case 'ldabs':
      return { use: b(6), def: CALLER_SAVED };
    case 'ldind':
      return { use: b(6) | b(src), def: CALLER_SAVED };
    case 'exit':
      return { use: b(0), def: 0 };
    case 'call': {
      const n = helperArity(i.imm);
      return { use: ((1 << (n + 1)) - 1) & ~1, def: CALLER_SAVED };
    }
    case 'call_local':
    case 'call_kfunc':
    case 'callx':
      return { use: 0b111110 | (op.kind === 'callx' ? b(dst) : 0), def: CALLER_SAVED };
    default:
      return { use: 0, def: 0 };
  }
}

/** Backward dataflow: registers that may be read before being written, per slot (r10 always live). */
function computeLiveness(at: (Insn | undefined)[], nslots: number, helperArity: (id: number) => number): Uint16Array {
  const liveIn = new Uint16Array(nslots);
  const ud: { use: number; def: number }[] = [];
  const succ: number[][] = [];
  for (let pc = 0; pc < nslots; pc++) {
    const i = at[pc];
    if (!i) {
      ud.push({ use: 0, def: 0 });
      succ.push([]);
      continue;
    }
    ud.push(useDef(i, helperArity));
    // A local call returns to the next instruction; the callee is analysed on its own.
    succ.push(successors(i).filter((t) => t >= 0 && t < nslots));
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (let pc = nslots - 1; pc >= 0; pc--) {
      if (!at[pc]) continue;
      let out = 0;
      for (const t of succ[pc]) out |= liveIn[t];
      const v = (ud[pc].use | (out & ~ud[pc].def) | (1 << 10)) & 0x7ff;
      if (v !== liveIn[pc]) {
        liveIn[pc] = v;
        changed = true;
      }
    }
  }
  return liveIn;
}
