/**
 * bpf-to-bpf linking as libbpf does it: each program gets the subprograms it reaches,
 * appended once, depth first in first-use order, with call and callback immediates
 * rewritten for that layout.
 */
import { describe, expect, it } from 'vitest';
import { BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC } from '../../../src/ebpf/isa/opcodes.ts';
import { loadObject } from '../../../src/ebpf/elf/load.ts';
import { funcAt } from '../../../src/ebpf/elf/spec.ts';
import type { ProgramSpec } from '../../../src/ebpf/elf/spec.ts';
import { FIXTURE_OBJECTS, fixtureBytes } from './fixture-files.ts';

const prog = (obj: string, name: string): ProgramSpec => {
  const p = loadObject(fixtureBytes(obj), `${obj}.o`).programs.find((x) => x.name === name);
  if (!p) throw new Error(`${obj}: no ${name}`);
  return p;
};

describe('linking subprograms', () => {
  it('calls_check: every used subprogram once, in first-use depth-first order', () => {
    const p = prog('bpf_calls', 'calls_check');
    // fib (first call), square_of_fib (its fib is placed already), mix (global), add_index (callback).
    expect(p.funcs.map((f) => f.name)).toEqual(['calls_check', 'fib', 'square_of_fib', 'mix', 'add_index']);
    expect(p.funcRefs.map((r) => [r.func, r.kind, funcAt(p, r.pc)])).toEqual([
      ['fib', 'call', 'calls_check'],
      ['square_of_fib', 'call', 'calls_check'],
      ['mix', 'call', 'calls_check'],
      ['add_index', 'callback', 'calls_check'],
      ['fib', 'call', 'square_of_fib'],
      ['fib', 'call', 'mix'],
    ]);
  });

  it('calls_len: a different set, laid out for that program', () => {
    const p = prog('bpf_calls', 'calls_len');
    expect(p.funcs.map((f) => f.name)).toEqual(['calls_len', 'square_of_fib', 'fib']);
    const sq = p.funcs[1].pc;
    const call = p.insns.find((i) => i.op.kind === 'call_local' && i.pc < sq)!;
    expect(call.pc + call.imm + 1).toBe(sq);
  });

  it('a bpf_loop callback becomes ld_imm64 BPF_PSEUDO_FUNC with a relative imm', () => {
    const p = prog('bpf_calls', 'calls_check');
    const cb = p.funcRefs.find((r) => r.kind === 'callback')!;
    const insn = p.insns.find((i) => i.pc === cb.pc)!;
    expect(insn.op.kind).toBe('lddw');
    expect(insn.src).toBe(BPF_PSEUDO_FUNC);
    expect(insn.imm2).toBe(0);
    expect(insn.pc + insn.imm + 1).toBe(p.funcs.find((f) => f.name === 'add_index')!.pc);
  });

  it.each(FIXTURE_OBJECTS.filter((n) => n !== 'core_unsupported'))('%s.o: every local call lands on a function start', (name) => {
    for (const p of loadObject(fixtureBytes(name), `${name}.o`).programs) {
      const starts = new Set(p.funcs.map((f) => f.pc));
      for (const i of p.insns) {
        if (i.op.kind === 'call_local' || (i.op.kind === 'lddw' && i.src === BPF_PSEUDO_FUNC)) {
          expect(starts, `${p.name} pc ${i.pc}`).toContain(i.pc + i.imm + 1);
          if (i.op.kind === 'call_local') expect(i.src).toBe(BPF_PSEUDO_CALL);
        }
      }
      // Slots are contiguous: each insn starts where the previous one ended.
      let pc = 0;
      for (const i of p.insns) {
        expect(i.pc).toBe(pc);
        pc += i.op.kind === 'lddw' ? 2 : 1;
      }
    }
  });
});
