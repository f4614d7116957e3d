import { describe, expect, it } from 'vitest';
import { TestRun } from './harness.ts';
import { MAX_TAIL_CALL_CNT, resetTailCallCount, tailCallCount } from '../../../src/ebpf/helpers/index.ts';
import { ProgArrayMap } from '../../../src/ebpf/maps/index.ts';
import { TailCall, type LoadedProgram } from '../../../src/ebpf/vm/engine.ts';

/** A stand-in program: bpf_tail_call only hands it to the engine. */
const prog = (name: string): LoadedProgram => ({ image: { name, insns: [] } }) as unknown as LoadedProgram;

function setup(): { t: TestRun; pa: ProgArrayMap; next: LoadedProgram } {
  const t = new TestRun();
  const pa = t.map({ type: 'BPF_MAP_TYPE_PROG_ARRAY', maxEntries: 4, valueSize: 4 }) as ProgArrayMap;
  const next = prog('next');
  expect(pa.setSlot(1, next)).toBe(0);
  return { t, pa, next };
}

describe('bpf_tail_call (kernel/bpf/core.c JMP_TAIL_CALL)', () => {
  it('jumps to the program in the slot', () => {
    const { t, pa, next } = setup();
    const r = t.call(12, 0, pa.handle, 1);
    expect(r).toBeInstanceOf(TailCall);
    expect((r as TailCall).target).toBe(next);
  });

  it('falls through (returns normally) for an empty slot or an index past max_entries', () => {
    const { t, pa } = setup();
    expect(t.call(12, 0, pa.handle, 0)).toBe(0);
    expect(t.call(12, 0, pa.handle, 4)).toBe(0);
    expect(t.call(12, 0, pa.handle, 0xffff_ffff)).toBe(0);
  });

  it(`allows ${MAX_TAIL_CALL_CNT} tail calls: the 34th falls through`, () => {
    const { t, pa } = setup();
    t.tailCalls = 32;
    expect(t.call(12, 0, pa.handle, 1)).toBeInstanceOf(TailCall); // the 33rd
    t.tailCalls = 33;
    expect(t.call(12, 0, pa.handle, 1)).toBe(0); // the 34th
  });

  it('counts a tail call to an empty slot against the limit, as the kernel increments before the NULL check', () => {
    const { t, pa } = setup();
    t.tailCalls = 31;
    expect(t.call(12, 0, pa.handle, 2)).toBe(0); // empty: tail_call_cnt 31 -> 32
    expect(tailCallCount(t.ctx())).toBe(32);
    expect(t.call(12, 0, pa.handle, 1)).toBeInstanceOf(TailCall); // 32 -> 33
    t.tailCalls = 32;
    expect(t.call(12, 0, pa.handle, 1)).toBe(0); // 32 taken + 1 empty = 33: refused
    // A runtime that reuses the environment for the next run starts the count again.
    resetTailCallCount(t.env);
    expect(tailCallCount(t.ctx())).toBe(32);
    // An out-of-range index fails before the counter moves.
    const u = setup();
    u.t.call(12, 0, u.pa.handle, 9);
    expect(tailCallCount(u.t.ctx())).toBe(0);
  });
});
