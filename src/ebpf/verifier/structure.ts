/**
 * Structural checks every loader runs before a program may execute, as the first passes of the
 * kernel's verifier do (kernel/bpf/verifier.c: check_subprogs(), check_cfg(), and the
 * "R%d !read_ok" check of do_check()): jumps stay inside the program and never land in the
 * middle of LD_IMM64, control cannot fall off the end, and no register is read before it is
 * written on some path. The full verifier (ranges, pointer types, helpers) builds on top.
 */
import { type Insn, slots } from '../isa/insn.ts';

export class StructureError extends Error {
  constructor(
    message: string,
    readonly pc: number,
  ) {
    super(message);
    this.name = 'StructureError';
  }
}

export interface StructureOptions {
  /** Registers initialised at entry (default r1 = context, r10 = frame pointer). */
  entryRegs?: readonly number[];
  /** Check reads of uninitialised registers (default true). */
  checkInit?: boolean;
}

/** Successor slot pcs of the instruction (fall-through and jump target). */
function successors(insn: Insn): number[] {
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

/** Registers an instruction reads, and the ones it writes. */
function regUse(insn: Insn): { reads: number[]; writes: number[] } {
  const { op, dst, src } = insn;
  switch (op.kind) {
    case 'alu':
      return { reads: op.srcKind ? [dst, src] : [dst], writes: [dst] };
    case 'neg':
    case 'end':
      return { reads: [dst], writes: [dst] };
    case 'mov':
    case 'movsx':
      return { reads: op.srcKind ? [src] : [], writes: [dst] };
    case 'jcond':
      return { reads: op.srcKind ? [dst, src] : [dst], writes: [] };
    case 'ldx':
    case 'ldxsx':
      return { reads: [src], writes: [dst] };
    case 'st':
      return { reads: [dst], writes: [] };
    case 'stx':
      return { reads: [dst, src], writes: [] };
    case 'atomic':
      // fetch forms and xchg write src; cmpxchg reads and writes r0.
      if (op.name.includes('CMPXCHG')) return { reads: [dst, src, 0], writes: [0] };
      return { reads: [dst, src], writes: op.op & 1 ? [src] : [] };
    case 'lddw':
      return { reads: [], writes: [dst] };
    case 'ldabs':
      return { reads: [6], writes: [0] };
    case 'ldind':
      return { reads: [6, src], writes: [0] };
    case 'exit':
      return { reads: [0], writes: [] };
    case 'callx':
      return { reads: [dst], writes: [0] };
    default:
      return { reads: [], writes: [] };
  }
}

const CALLER_SAVED = [1, 2, 3, 4, 5];

export function checkStructure(insns: readonly Insn[], opts: StructureOptions = {}): void {
  if (insns.length === 0) throw new StructureError('empty program: at least one instruction is required', 0);
  const last = insns[insns.length - 1];
  const nslots = last.pc + slots(last);
  const at = new Map<number, Insn>();
  for (const i of insns) at.set(i.pc, i);
  const valid = (t: number): boolean => at.has(t);

  const entries = new Set<number>([0]);
  for (const i of insns) {
    for (const t of successors(i)) {
      if (t === nslots && i === last && i.op.kind !== 'jcond' && i.op.kind !== 'ja') {
        throw new StructureError(`last insn is not an exit or jmp (pc ${i.pc})`, i.pc);
      }
      if (t < 0 || t >= nslots) throw new StructureError(`jump out of range from insn ${i.pc} to ${t}`, i.pc);
      if (!valid(t)) throw new StructureError(`jump from insn ${i.pc} into the middle of LD_IMM64 at ${t - 1}`, i.pc);
    }
    if (i.op.kind === 'call_local' || (i.op.kind === 'lddw' && i.src === 4)) {
      const t = i.pc + 1 + i.imm;
      if (t < 0 || t >= nslots || !valid(t)) throw new StructureError(`call to invalid destination at insn ${i.pc} (target ${t})`, i.pc);
      entries.add(t);
    }
  }
  if (opts.checkInit === false) return;

  // Must-initialised registers: a forward dataflow over the CFG, meet = intersection.
  const entryMask = (opts.entryRegs ?? [1, 10]).reduce((m, r) => m | (1 << r), 0);
  const funcEntryMask = [1, 2, 3, 4, 5, 10].reduce((m, r) => m | (1 << r), 0);
  const inState = new Map<number, number>();
  const work: number[] = [];
  const enqueue = (pc: number, mask: number): void => {
    const old = inState.get(pc);
    const m = old === undefined ? mask : old & mask;
    if (m !== old) {
      inState.set(pc, m);
      work.push(pc);
    }
  };
  for (const e of entries) enqueue(e, e === 0 ? entryMask : funcEntryMask);
  while (work.length > 0) {
    const pc = work.pop() as number;
    const insn = at.get(pc) as Insn;
    let m = inState.get(pc) as number;
    const { reads, writes } = regUse(insn);
    for (const r of reads) {
      if ((m & (1 << r)) === 0) throw new StructureError(`R${r} !read_ok (insn ${pc}: ${insn.op.name} reads r${r} before it is written)`, pc);
    }
    if (insn.op.kind === 'call' || insn.op.kind === 'call_local' || insn.op.kind === 'callx') {
      for (const r of CALLER_SAVED) m &= ~(1 << r);
      m |= 1;
    }
    for (const r of writes) m |= 1 << r;
    for (const t of successors(insn)) enqueue(t, m);
  }
}
