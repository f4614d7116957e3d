/**
 * The one Engine interface. The reference interpreter implements it; a JIT can sit beside it
 * and be tested against it on the same corpus (rbpf's layout).
 */
import type { Insn } from '../isa/insn.ts';
import type { Memory } from './memory.ts';

/** Kernel limits the engines enforce at run time. */
export const MAX_CALL_FRAMES = 8;
export const MAX_BPF_STACK = 512;
export const DEFAULT_INSN_BUDGET = 1_000_000;

/** A program as the engines see it: relocated instructions in slot order, bpf-to-bpf subprograms appended. */
export interface ProgramImage {
  readonly name: string;
  readonly insns: readonly Insn[];
  /** Optional source line per slot pc (from BTF line info), for error messages. */
  readonly lineOf?: (pc: number) => string | undefined;
}

/** What a helper sees of the running program. */
export interface HelperContext {
  readonly mem: Memory;
  /** Argument register r1..r5 as an unsigned 64-bit value. */
  arg(i: number): bigint;
  /** Low 32 bits of argument register r1..r5, signed. */
  argLo(i: number): number;
  /** High 32 bits of argument register r1..r5, signed. */
  argHi(i: number): number;
  /** Instructions executed so far in this run. */
  readonly insns: number;
  /** Tail calls taken so far in this run (the kernel's tail_call_cnt). */
  readonly tailCalls: number;
  /** Slot pc of the call instruction. */
  readonly pc: number;
  /** The run's environment (program context, host, per-run state), opaque to the engine. */
  readonly env: unknown;
  /** Call the bpf-to-bpf function at slot `pc` with up to 5 arguments (bpf_loop callbacks); returns its r0. */
  callFunction(pc: number, args: readonly bigint[]): bigint;
  /**
   * Set r0 from its 32-bit halves and return what the helper must return: the fast way to hand
   * back a pointer (a map value's address) without building a BigInt on every lookup.
   */
  setR0(lo: number, hi: number): typeof R0_SET;
}

/** What a helper returns after HelperContext.setR0: r0 is already in place. */
export const R0_SET: unique symbol = Symbol('r0 set');

/** Returned by bpf_tail_call on success: the engine continues in `target` and never returns to the caller. */
export class TailCall {
  constructor(readonly target: LoadedProgram) {}
}

/** Returned by a helper to end the program at once with r0 = value (bpf_conformance's unwind helper). */
export class Unwind {
  constructor(readonly r0: bigint) {}
}

export type HelperResult = number | bigint | TailCall | Unwind | typeof R0_SET;
export type HelperFn = (c: HelperContext) => HelperResult;
/** Helpers by kernel id. */
export type HelperTable = ReadonlyMap<number, HelperFn>;

export type VmErrorKind = 'memory' | 'budget' | 'call_depth' | 'helper' | 'unknown_helper' | 'kfunc' | 'bad_jump' | 'tail_call';

/** A run that stopped with an error. It names the pc, and the C line when line info is present. */
export class VmError extends Error {
  constructor(
    readonly kind: VmErrorKind,
    readonly pc: number,
    readonly detail: string,
    readonly line?: string,
  ) {
    super(`pc ${pc}: ${detail}${line ? ` (${line})` : ''}`);
    this.name = 'VmError';
  }
}

export interface RunOptions {
  /** r1..r5 at entry (r1 is usually the context pointer). */
  readonly args?: readonly bigint[];
  /** Executed-instruction budget; the run stops with a 'budget' error past it. */
  readonly budget?: number;
  readonly env?: unknown;
  /**
   * Note the instruction that set r0 last in the outermost frame (RunResult.steps' verdictPc): the
   * \`return\` whose C line a trace shows, where clang's merged exit has only the closing brace.
   * Costs speed; the datapath asks for it only when someone watches.
   */
  readonly traceVerdict?: boolean;
}

export interface RunResult {
  /** r0 at exit, unsigned 64-bit. Undefined when the run stopped with an error. */
  readonly r0?: bigint;
  /** Low 32 bits of r0 as a signed number (no BigInt): what XDP/tc verdicts read. */
  readonly r0Lo?: number;
  /** Instructions executed (tail-called programs included). */
  readonly insns: number;
  /** Tail calls taken during the run. */
  readonly tailCalls: number;
  /** Helper calls made during the run (for the cost model). */
  readonly helperCalls: number;
  /** Programs run, in order, with the instructions each executed (more than one after tail calls). */
  readonly steps: readonly { readonly name: string; readonly insns: number; readonly exitPc?: number; readonly verdictPc?: number }[];
  readonly error?: VmError;
}

/** A program prepared by an engine (predecoded, or compiled), ready to run many times. */
export interface LoadedProgram {
  readonly image: ProgramImage;
  readonly engine: Engine;
  run(opts?: RunOptions): RunResult;
}

export interface Engine {
  readonly name: string;
  load(image: ProgramImage, mem: Memory, helpers: HelperTable): LoadedProgram;
}
