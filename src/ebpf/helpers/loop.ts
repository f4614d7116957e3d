/**
 * bpf_loop(nr_loops, callback_fn, callback_ctx, flags), kernel/bpf/bpf_iter.c: call
 * callback_fn(i, callback_ctx) for i = 0 .. nr_loops-1 until it returns non-zero; return the
 * number of calls made. The callback is a bpf-to-bpf function of the same program, loaded with
 * LD_IMM64 BPF_PSEUDO_FUNC: the runtime gives its address the callback's slot pc in the low 32 bits.
 */
import type { HelperContext, HelperFn } from '../vm/engine.ts';
import { u32 } from './context.ts';
import { E2BIG, EINVAL } from './errno.ts';

/** BPF_MAX_LOOPS (include/linux/bpf.h): 8M iterations. */
export const BPF_MAX_LOOPS = 1 << 23;

function loop(c: HelperContext): number {
  const nrLoops = u32(c, 1);
  // The same checks, in the same order, as the verifier's inlined version (inline_bpf_loop()).
  if (c.arg(4) !== 0n) return EINVAL;
  if (nrLoops > BPF_MAX_LOOPS) return E2BIG;
  const callback = Number(c.arg(2) & 0xffff_ffffn);
  const ctx = c.arg(3);
  for (let i = 0; i < nrLoops; i++) {
    if (c.callFunction(callback, [BigInt(i), ctx]) !== 0n) return i + 1;
  }
  return nrLoops;
}

export const LOOP_HELPERS: ReadonlyMap<number, HelperFn> = new Map<number, HelperFn>([[181, loop]]);
