/**
 * bpf_tail_call(ctx, prog_array, index), as kernel/bpf/core.c (___bpf_prog_run, JMP_TAIL_CALL)
 * and the x86 JIT's emit_bpf_tail_call_*() run it:
 *
 *   if (index >= array->map.max_entries) goto out;
 *   if (tail_call_cnt >= MAX_TAIL_CALL_CNT) goto out;
 *   tail_call_cnt++;
 *   prog = array->ptrs[index]; if (!prog) goto out;
 *   jump to prog;
 * out: fall through to the next instruction (r0 is whatever the helper call left: 0 here).
 *
 * So a chain makes at most 33 tail calls and the 34th falls through, and a tail call to an empty
 * slot still counts against the limit. The engine counts taken tail calls (HelperContext.tailCalls);
 * the attempts that hit an empty slot are counted here, per run (per environment object).
 */
import { TailCall, type HelperContext, type HelperFn, type HelperResult } from '../vm/engine.ts';
import { ProgArrayMap } from '../maps/index.ts';
import { envOf, mapArgOf, u32 } from './context.ts';

/** MAX_TAIL_CALL_CNT (include/linux/bpf.h). */
export const MAX_TAIL_CALL_CNT = 33;

const emptySlotAttempts = new WeakMap<object, number>();

/**
 * Forget the empty-slot tail calls counted for `env`: the counter is per environment object, so
 * a runtime that reuses one environment for several runs (BPF_PROG_TEST_RUN's repeat) calls this
 * before each run.
 */
export function resetTailCallCount(env: object): void {
  emptySlotAttempts.delete(env);
}

/** tail_call_cnt of the run so far: tail calls taken plus tail calls that found an empty slot. */
export function tailCallCount(c: HelperContext): number {
  return c.tailCalls + (emptySlotAttempts.get(envOf(c)) ?? 0);
}

function tailCall(c: HelperContext): HelperResult {
  const env = envOf(c);
  const map = mapArgOf(c, 2, 'bpf_tail_call', ProgArrayMap, 'a program array');
  const index = u32(c, 3);
  if (index >= map.def.maxEntries) return 0;
  if (tailCallCount(c) >= MAX_TAIL_CALL_CNT) return 0;
  const ref = map.getSlot(index);
  const prog = ref === undefined ? undefined : env.progOf(ref);
  if (prog === undefined) {
    emptySlotAttempts.set(env, (emptySlotAttempts.get(env) ?? 0) + 1);
    return 0;
  }
  return new TailCall(prog);
}

export const TAIL_CALL_HELPERS: ReadonlyMap<number, HelperFn> = new Map<number, HelperFn>([[12, tailCall]]);
