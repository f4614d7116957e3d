/**
 * A second tier for hot programs: each program is compiled to one JavaScript function whose
 * instructions are the interpreter's own case bodies (interp-gen.ts, one source of semantics)
 * with the operands and the pc as literals, in program order, so that straight-line code runs
 * from one instruction into the next; only jumps, bpf-to-bpf calls and returns go back through
 * the dispatch `switch`, whose cases are the basic blocks' first instructions. V8 then folds the
 * register numbers and immediates that the interpreter decodes on every instruction. (rbpf and
 * ubpf JIT to machine code; JavaScript's nearest equivalent is generated source.)
 *
 * The function keeps the interpreter's contract: same ExecState, same errors at the same pc,
 * the same instruction count. Instructions are counted per basic block; a block that would pass
 * the budget hands over to the interpreter (return 2), which stops at the exact instruction.
 * Return values: 0 the run ended (outermost exit, unwind, LD_ABS out of bounds); 1 go on in
 * st.prog's code at st.p (a tail call, or a return into a frame of the program that tail-called);
 * 2 interpret from st.p.
 */
import type { Insn } from '../isa/insn.ts';
import { caseBody } from './interp-gen.ts';

/**
 * Programs above this many instructions stay interpreted: V8 does not optimise a function whose
 * bytecode passes --max-optimized-bytecode-size (60 KiB), and an unoptimised compiled function
 * is slower than the interpreter.
 */
export const JIT_MAX_INSNS = 700;

/** The operands and the pc in a case body, as literals. */
function literals(body: string, i: Insn): string {
  return body
    .replaceAll('I[p + 1]', `(${i.off})`)
    .replaceAll('I[p + 2]', `(${i.imm})`)
    .replaceAll('I[p + 3]', `(${i.imm2 ?? 0})`)
    .replaceAll('p >> 2', String(i.pc))
    .replace(/(?<![\w.'])p(?![\w'])/g, String(i.pc * 4))
    .replace('const d = (w >> 8) & 15, s = (w >> 12) & 15;', `const d = ${i.dst}, s = ${i.src};`)
    .replace('const d = (w >> 8) & 15;', `const d = ${i.dst};`)
    .replace('const s = (w >> 12) & 15,', `const s = ${i.src},`);
}

/** First instructions of basic blocks: where the dispatch switch may land. */
function leaders(insns: readonly Insn[]): Set<number> {
  const l = new Set<number>([0]);
  for (const i of insns) {
    const next = i.pc + (i.op.kind === 'lddw' ? 2 : 1);
    switch (i.op.kind) {
      case 'ja':
        l.add(i.pc + (i.op.is32 ? i.imm : i.off) + 1);
        l.add(next);
        break;
      case 'jcond':
        l.add(i.pc + i.off + 1);
        l.add(next);
        break;
      case 'call_local':
        l.add(i.pc + i.imm + 1);
        l.add(next); // the return address
        break;
      case 'exit':
        l.add(next);
        break;
    }
  }
  return l;
}

/**
 * One instruction's code. `k` is how many instructions of its block follow it: the block's
 * count was added at its start, so the exact count after this instruction is n - k.
 */
function insnCode(i: Insn, k: number): string {
  const P = i.pc * 4;
  const o = i.op;
  const target = (delta: number): number => (i.pc + delta + 1) * 4;
  const exact = k === 0 ? 'n' : `n - ${k}`;
  switch (o.kind) {
    case 'ja':
      return `p = ${target(o.is32 ? i.imm : i.off)}; continue L;`;
    case 'jcond': {
      const body = caseBody(o);
      const jump = 'p += I[p + 1] << 2;';
      if (!body.includes(jump)) throw new Error(`jit: unexpected jump body for ${o.name}`);
      return block(i, literals(body.replace(jump, '@JUMP@'), i).replace('@JUMP@', `{ p = ${target(i.off)}; continue L; }`));
    }
    case 'call':
    case 'callx': {
      const id = o.kind === 'call' ? String(i.imm) : `lo[${i.dst}]`;
      return `st.n = ${exact}; { const k = callHelper(st, ${i.pc}, ${id}); if (k !== 0) { if (k === 1) { st.p = 0; return 1; } return 0; } } n = st.n${k === 0 ? '' : ` + ${k}`};`;
    }
    case 'call_local':
      return `pushFrame(st, ${P}, ${target(i.imm)}); p = st.nextP; continue L;`;
    case 'exit':
      return `if (st.depth === st.base) { st.n = ${exact}; st.exitP = ${P}; return 0; }
        popFrame(st); p = st.nextP;
        if (st.I !== SELF) { st.n = ${exact}; st.p = p; return 1; }
        continue L;`;
    case 'lddw':
      return `lo[${i.dst}] = ${i.imm}; hi[${i.dst}] = ${i.imm2 ?? 0};`;
    case 'ldabs':
    case 'ldind':
      return block(i, literals(caseBody(o).replace('st.n = n;', `st.n = ${exact};`).replaceAll('return;', 'return 0;'), i));
    default: {
      const body = caseBody(o);
      if (/\bp \+=|\bp =|\bI = |st\.n|\+\+n/.test(body)) throw new Error(`jit: ${o.name} moves the pc or counts; it needs its own code`);
      return block(i, literals(body.replaceAll('return;', 'return 0;'), i));
    }
  }
}

/** A case body in a labelled block: its `break` (done with this instruction) falls through. */
function block(i: Insn, body: string): string {
  const label = `B${i.pc}`;
  if (/\bw\b/.test(body)) throw new Error(`jit: ${i.op.name} still decodes the instruction word`);
  return `${label}: ${body.replaceAll('break;', `break ${label};`)}`;
}

/** The JS source of a program's compiled function; `SELF` is bound to its instruction array. */
export function generateJitSource(insns: readonly Insn[], name: string): string {
  const lead = leaders(insns);
  const out: string[] = [];
  for (let x = 0; x < insns.length; x++) {
    const i = insns[x];
    if (lead.has(i.pc)) {
      // The block: this instruction up to the next leader (or the end).
      let len = 1;
      while (x + len < insns.length && !lead.has(insns[x + len].pc)) len++;
      out.push(`case ${i.pc}:
        if ((n += ${len}) > budget) { n -= ${len}; st.n = n; st.p = ${i.pc * 4}; return 2; }`);
      for (let y = 0; y < len; y++) out.push(insnCode(insns[x + y], len - 1 - y));
      x += len - 1;
    }
  }
  return `
  return function jit_${name.replace(/[^A-Za-z0-9_]/g, '_')}(st) {
    const lo = st.lo, hi = st.hi, R = st.mem.regions, budget = st.budget;
    let n = st.n, p = st.p;
    L: for (;;) {
      switch (p >> 2) {
        ${out.join('\n')}
        default: vmError('bad_jump', p >> 2, 'not an instruction (jump into the middle of LD_IMM64?)');
      }
      vmError('bad_jump', ${insns.length > 0 ? insns[insns.length - 1].pc + 1 : 0}, 'fell off the end of the program');
    }
  };`;
}
