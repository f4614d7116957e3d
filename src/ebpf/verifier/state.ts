/**
 * Verifier state of one path: call frames (registers and stack slots) and acquired
 * references, as include/linux/bpf_verifier.h's bpf_func_state / bpf_verifier_state, with
 * copy_verifier_state() and init_func_state().
 *
 * The stack of a frame is tracked byte by byte as the kernel's slot_type[] (STACK_INVALID,
 * STACK_SPILL, STACK_MISC, STACK_ZERO) plus, per 8-byte slot, the spilled register.
 * Byte `i` (0-based) is the byte at fp-(i+1); slot `i >> 3`.
 */
import { blankReg, cloneReg, markKnown, type RegState } from './reg.ts';

export const STACK_INVALID = 0;
export const STACK_SPILL = 1;
export const STACK_MISC = 2;
export const STACK_ZERO = 3;

export const MAX_BPF_STACK = 512;
export const MAX_CALL_FRAMES = 8;
export const BPF_REG_FP = 10;

/** A callback's frame knows the range its return value must fall in. */
export interface CallbackInfo {
  /** pc of the helper call that invokes the callback. */
  readonly callsite: number;
  readonly retMin: bigint;
  readonly retMax: bigint;
}

export interface FuncState {
  regs: RegState[];
  /** Byte types of the stack, as far as it has grown. */
  stype: Uint8Array;
  /** Spilled register per 8-byte slot. */
  spills: (RegState | undefined)[];
  /** Deepest byte touched so far (the frame's stack depth). */
  depth: number;
  frameno: number;
  /** pc of the call instruction in the caller (-1 for the main frame). */
  callsite: number;
  /** Index of the subprogram this frame runs. */
  subprog: number;
  callback?: CallbackInfo;
  /** Callback iterations entered from this frame's current call site (callback_depth). */
  callbackDepth?: number;
}

/** An acquired reference (bpf_reference_state). */
export interface RefState {
  id: number;
  /** pc of the instruction that acquired it. */
  insn: number;
}

export interface VState {
  frames: FuncState[];
  refs: RefState[];
  /** The bpf_spin_lock held: the id of the map value pointer it was taken through. */
  lock?: { id: number; map: import('./reg.ts').MapInfo };
  /** The checkpoint this path descends from (for branch counting and loop detection). */
  parent: Checkpoint | undefined;
}

/** A state stored at a prune point (bpf_verifier_state_list). */
export interface Checkpoint {
  readonly state: VState;
  readonly pc: number;
  /** Paths still being explored below this checkpoint; 0 when every path from it ended safely. */
  branches: number;
  readonly parent: Checkpoint | undefined;
  hits: number;
  misses: number;
}

export function newFrame(frameno: number, callsite: number, subprog: number): FuncState {
  const regs: RegState[] = [];
  for (let i = 0; i < 11; i++) regs.push(blankReg());
  const fp = regs[BPF_REG_FP];
  fp.type = 'fp';
  markKnown(fp, 0n);
  fp.frameno = frameno;
  return {
    regs,
    stype: EMPTY,
    spills: [],
    depth: 0,
    frameno,
    callsite,
    subprog,
  };
}

const EMPTY = new Uint8Array(0);

/** Make room for `depth` bytes of stack (the kernel's grow_stack_state); depth is tracked too. */
export function growStack(f: FuncState, depth: number): void {
  const d = Math.ceil(depth / 8) * 8;
  if (d > f.depth) f.depth = d;
  if (d > f.stype.length) {
    const size = Math.min(MAX_BPF_STACK, Math.ceil(d / 64) * 64);
    const t = new Uint8Array(size);
    t.set(f.stype);
    f.stype = t;
    while (f.spills.length < size / 8) f.spills.push(undefined);
  }
}

export function cloneFrame(f: FuncState): FuncState {
  return {
    regs: f.regs.map(cloneReg),
    stype: f.stype.slice(),
    spills: f.spills.map((s) => (s ? cloneReg(s) : undefined)),
    depth: f.depth,
    frameno: f.frameno,
    callsite: f.callsite,
    subprog: f.subprog,
    callback: f.callback,
    callbackDepth: f.callbackDepth,
  };
}

export function cloneState(s: VState): VState {
  return { frames: s.frames.map(cloneFrame), refs: s.refs.map((r) => ({ ...r })), parent: s.parent, lock: s.lock };
}

export const curFrame = (s: VState): FuncState => s.frames[s.frames.length - 1];

/** Every register and spilled register of every frame (bpf_for_each_reg_in_vstate). */
export function allRegs(s: VState): RegState[] {
  const out: RegState[] = [];
  for (const f of s.frames) {
    for (const r of f.regs) out.push(r);
    for (const sp of f.spills) if (sp) out.push(sp);
  }
  return out;
}

export function isSpilled(f: FuncState, spi: number): boolean {
  return f.stype[spi * 8 + 7] === STACK_SPILL;
}
