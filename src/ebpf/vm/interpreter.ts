/**
 * The reference interpreter: exact eBPF semantics (RFC 9669) over the checked memory model.
 * Dispatch is generated from the opcode table (interp-gen.ts); this file owns the run state,
 * bpf-to-bpf frames, helper calls, tail calls and the error paths.
 */
import { slots } from '../isa/insn.ts';
import {
  DEFAULT_INSN_BUDGET,
  type Engine,
  type HelperContext,
  type HelperTable,
  type LoadedProgram,
  MAX_BPF_STACK,
  MAX_CALL_FRAMES,
  type ProgramImage,
  R0_SET,
  type RunOptions,
  type RunResult,
  TailCall,
  Unwind,
  VmError,
  type VmErrorKind,
} from './engine.ts';
import { generateExecSource, R0_WRITES } from './interp-gen.ts';
import { generateJitSource, JIT_MAX_INSNS } from './jit-gen.ts';
import { bswap16, bswap32, divmodS64, divmodU64, fromBig, fromInt, mulhiU32, toU64 } from './int64.ts';
import { fmtAddr, Memory, MemoryFault, type Region, TAG_BASE } from './memory.ts';

/**
 * What the legacy LD_ABS/LD_IND loads read: the skb's buffer from its head, where skb->data and
 * the tail are, and the MAC and network headers (for negative offsets: SKF_LL_OFF, SKF_NET_OFF).
 * A bare Uint8Array is linear data alone (no headers: negative offsets end the program).
 */
export interface LegacyPacket {
  readonly buf: Uint8Array;
  readonly data: number;
  readonly end: number;
  /** Offsets in buf of skb_mac_header() (-1: not set) and skb_network_header(). */
  readonly mac: number;
  readonly net: number;
}
export type LegacyPacketFn = (env: unknown) => Uint8Array | LegacyPacket | undefined;

/** linux/filter.h: negative LD_ABS offsets relative to the network and the MAC header. */
const SKF_NET_OFF = -0x100000;
const SKF_LL_OFF = -0x200000;

export interface InterpreterOptions {
  /** Where LD_ABS/LD_IND read from; without it they stop the program with r0 = 0 (no packet). */
  legacyPacket?: LegacyPacketFn;
  /**
   * Compile a program to a JavaScript function (jit-gen.ts) once it has run this many times
   * (default 32; 0: before its first run; Infinity: never). One-off runs stay interpreted.
   */
  tierUpAfter?: number;
}

/** A compiled program: 0 when the run ended, 1 to go on in st.prog's code at st.p, 2 to interpret from st.p. */
export type JitFn = (st: ExecState) => number;

const DEFAULT_TIER_UP = 32;

const STACK_SIZE = MAX_CALL_FRAMES * MAX_BPF_STACK;
const FRAME_REGS = [6, 7, 8, 9, 10];

interface Frame {
  I: Int32Array;
  prog: InterpretedProgram;
  retP: number;
  saved: Int32Array; // lo/hi of r6..r10
  stackStart: number;
}

/**
 * Mutable state of one run; the generated exec() and the compiled functions read and write it.
 * A class with every field set in the constructor: all states share one hidden class, so the
 * engines' property accesses stay monomorphic.
 */
class ExecState {
  lo = new Int32Array(11);
  hi = new Int32Array(11);
  budget = 0;
  I: Int32Array;
  p = 0;
  n = 0;
  depth = 0;
  base = 0;
  nextP = 0;
  frames: Frame[] = [];
  tailCalls = 0;
  env: unknown = undefined;
  callPc = 0;
  ctx: HelperContext;
  helperCalls = 0;
  /** Deepest bpf-to-bpf frame used since the stack was last zeroed. */
  maxDepth = MAX_CALL_FRAMES - 1;
  /** Slot index * 4 of the exit that ended the run. */
  exitP = -4;
  /** Programs left by tail calls: name and instruction count at the hand-off. */
  steps: { name: string; insns: number }[] = [];
  /** Run the traced loop (RunOptions.traceVerdict): it notes the last write of r0 in the outermost frame. */
  traceR0 = false;
  r0P = -4;
  r0I: Int32Array | undefined = undefined;
  constructor(
    readonly mem: Memory,
    public prog: InterpretedProgram,
    readonly stack: Region,
  ) {
    this.I = prog.I;
    this.ctx = new HelperCtx(this);
  }
}

function vmError(kind: VmErrorKind, pc: number, detail: string): never {
  throw new VmError(kind, pc, detail);
}

function fault(st: ExecState, p: number, hiAddr: number, a: number, size: number, write: boolean): never {
  const rw = write ? 'write' : 'read';
  const at = fmtAddr(hiAddr, a);
  const r = st.mem.regions[hiAddr - TAG_BASE];
  let why: string;
  if (!r) why = hiAddr === 0 ? 'NULL or a scalar used as a pointer' : 'not a mapped region';
  else if (a < r.start || a + size > r.end) why = `out of bounds of ${r.name} (offset ${a - r.start}, valid size ${r.end - r.start})`;
  else why = `${r.name} is ${write ? 'read-only' : 'not readable'}`;
  throw new VmError('memory', p >> 2, `invalid ${rw} of ${size} bytes at ${at}: ${why}`);
}

function pushFrame(st: ExecState, p: number, target: number): void {
  if (st.depth + 1 >= MAX_CALL_FRAMES) vmError('call_depth', p >> 2, `bpf-to-bpf call depth exceeds ${MAX_CALL_FRAMES} frames`);
  const saved = new Int32Array(10);
  for (let i = 0; i < 5; i++) {
    saved[i * 2] = st.lo[FRAME_REGS[i]];
    saved[i * 2 + 1] = st.hi[FRAME_REGS[i]];
  }
  st.frames.push({ I: st.I, prog: st.prog, retP: p + 4, saved, stackStart: st.stack.start });
  st.depth++;
  if (st.depth > st.maxDepth) st.maxDepth = st.depth;
  // Each frame owns 512 bytes below its caller's; the caller's frames stay reachable through pointers.
  st.lo[10] = (st.lo[10] - MAX_BPF_STACK) | 0;
  st.stack.start -= MAX_BPF_STACK;
  st.nextP = target;
}

function popFrame(st: ExecState): void {
  const f = st.frames.pop() as Frame;
  st.depth--;
  for (let i = 0; i < 5; i++) {
    st.lo[FRAME_REGS[i]] = f.saved[i * 2];
    st.hi[FRAME_REGS[i]] = f.saved[i * 2 + 1];
  }
  st.stack.start = f.stackStart;
  st.prog = f.prog;
  st.nextP = f.retP;
  st.I = f.I;
}

function setInt(st: ExecState, d: number, q: number): void {
  // Helpers mostly return small integers (0, errnos, verdicts): no pair array for those.
  if (q === (q | 0)) {
    st.lo[d] = q;
    st.hi[d] = q >> 31;
    return;
  }
  const [l, h] = fromInt(q);
  st.lo[d] = l;
  st.hi[d] = h;
}

/** 0: continue; 1: tail call taken (st.I switched); 2: program ends (unwind). */
function callHelper(st: ExecState, pc: number, id: number): number {
  const fn = st.prog.helpers.get(id);
  if (!fn) vmError('unknown_helper', pc, `call to unknown helper ${id}`);
  st.callPc = pc;
  st.helperCalls++;
  let res;
  try {
    res = fn(st.ctx);
  } catch (e) {
    if (e instanceof VmError) throw e;
    if (e instanceof MemoryFault) vmError('memory', pc, `helper ${id}: ${e.message}`);
    vmError('helper', pc, `helper ${id} failed: ${(e as Error).message ?? String(e)}`);
  }
  if (typeof res === 'number') {
    setInt(st, 0, res);
    return 0;
  }
  if (res === R0_SET) return 0;
  if (typeof res === 'bigint') {
    // Addresses and counts are non-negative and below 2^64: no asUintN needed (fromBig handles the rest).
    if (res >= 0n && res <= 0xffff_ffff_ffff_ffffn) {
      st.lo[0] = Number(res & 0xffff_ffffn) | 0;
      st.hi[0] = Number(res >> 32n) | 0;
    } else {
      const [l, h] = fromBig(res);
      st.lo[0] = l;
      st.hi[0] = h;
    }
    return 0;
  }
  if (res instanceof TailCall) {
    const t = res.target;
    if (!(t instanceof InterpretedProgram)) vmError('tail_call', pc, `tail call target '${t.image.name}' was not loaded by the interpreter`);
    st.tailCalls++;
    st.steps.push({ name: st.prog.image.name, insns: st.n });
    st.prog = t;
    st.I = t.I;
    return 1;
  }
  if (res instanceof Unwind) {
    const [l, h] = fromBig(res.r0);
    st.lo[0] = l;
    st.hi[0] = h;
    return 2;
  }
  return vmError('helper', pc, `helper ${id} returned an invalid value`);
}

function ldAbs(st: ExecState, off: number, size: number): boolean {
  const src = st.prog.legacyPacket?.(st.env);
  let buf: Uint8Array | undefined;
  let at = -1;
  if (src instanceof Uint8Array) {
    if (off >= 0 && off + size <= src.length) [buf, at] = [src, off];
  } else if (src) {
    // bpf_skb_load_helper_*: a non-negative offset reads from skb->data; a negative one at or above
    // SKF_LL_OFF from the network or MAC header (bpf_internal_load_pointer_neg_helper), anywhere
    // between the buffer's head and its tail.
    let p = -1;
    if (off >= 0) p = src.data + off;
    else if (off >= SKF_NET_OFF) p = src.net + (off - SKF_NET_OFF);
    else if (off >= SKF_LL_OFF && src.mac >= 0) p = src.mac + (off - SKF_LL_OFF);
    if (p >= 0 && p + size <= src.end) [buf, at] = [src.buf, p];
  }
  // Out of bounds (or no packet): the kernel ends the program with r0 = 0.
  if (!buf) {
    st.lo[0] = 0;
    st.hi[0] = 0;
    return false;
  }
  let v = 0;
  for (let i = 0; i < size; i++) v = (v << 8) | buf[at + i];
  st.lo[0] = size === 4 ? v | 0 : v;
  st.hi[0] = 0;
  return true;
}

function specialLoad(st: ExecState, r: Region, a: number, size: number, d: number): boolean {
  const v = r.special?.load?.(a, size);
  if (!v) return false;
  st.lo[d] = v[0];
  st.hi[d] = v[1];
  return true;
}

type ExecFn = (st: ExecState) => void;

function specialStore(r: Region, a: number, size: number, lo: number, hi: number): boolean {
  return r.special?.store?.(a, size, lo, hi) === true;
}

const NO_STEPS: readonly { name: string; insns: number }[] = Object.freeze([]);
const NO_ARGS: readonly bigint[] = Object.freeze([]);

/**
 * A finished run; r0 becomes a BigInt, and the per-program steps an array, only when asked: the
 * datapath reads r0Lo and the counts on every packet but the steps only when it traces.
 */
class Finished implements RunResult {
  private stepList?: Step[];
  constructor(
    readonly r0Lo: number,
    private readonly r0Hi: number,
    readonly insns: number,
    readonly tailCalls: number,
    readonly helperCalls: number,
    private readonly handOffs: readonly { name: string; insns: number }[],
    private readonly lastName: string,
    private readonly exitPc: number,
    private readonly verdictPc: number | undefined,
  ) {}
  get r0(): bigint {
    return toU64(this.r0Lo, this.r0Hi);
  }
  get steps(): Step[] {
    return (this.stepList ??= runSteps(this.handOffs, this.lastName, this.insns, this.exitPc, this.verdictPc));
  }
}

/** Per-program instruction counts of a run: the tail-call hand-offs, then the program that exited. */
type Step = { name: string; insns: number; exitPc?: number; verdictPc?: number };

function runSteps(handOffs: readonly { name: string; insns: number }[], lastName: string, n: number, exitPc: number | undefined, verdictPc?: number): Step[] {
  const out: Step[] = [];
  let prev = 0;
  for (const s of handOffs) {
    out.push({ name: s.name, insns: s.insns - prev });
    prev = s.insns;
  }
  const last: Step = { name: lastName, insns: n - prev, exitPc };
  if (verdictPc !== undefined && verdictPc >= 0) last.verdictPc = verdictPc;
  out.push(last);
  return out;
}

// The generated sources refer to these free names, bound in this order.
const FREE_NAMES_EXEC = ['vmError', 'fault', 'pushFrame', 'popFrame', 'setInt', 'callHelper', 'ldAbs', 'specialLoad', 'specialStore', 'mulhiU32', 'divmodU64', 'divmodS64', 'bswap16', 'bswap32', 'TB', 'RW'];
const freeValuesExec = (): unknown[] => [vmError, fault, pushFrame, popFrame, setInt, callHelper, ldAbs, specialLoad, specialStore, mulhiU32, divmodU64, divmodS64, bswap16, bswap32, TAG_BASE, R0_WRITES];

/** Compile the generated dispatch loop once, binding its free names to this module's functions. */
const exec: ExecFn = (() => {
  const factory = new Function(...FREE_NAMES_EXEC, generateExecSource()) as (...a: unknown[]) => ExecFn;
  return factory(...freeValuesExec());
})();

/** The same loop, noting which instruction set r0 last: for traced runs only (it costs a table lookup per instruction). */
const execTraced: ExecFn = (() => {
  const factory = new Function(...FREE_NAMES_EXEC, generateExecSource({ traceR0: true })) as (...a: unknown[]) => ExecFn;
  return factory(...freeValuesExec());
})();

/**
 * Compile a program; undefined when it is too large to be worth it, or when the generator meets
 * something it cannot express (then the program stays interpreted: same results, slower). Tests
 * compile every opcode (test/ebpf/vm/jit.test.ts), so the second case is a bug to report.
 */
export function compileProgram(prog: InterpretedProgram): JitFn | undefined {
  if (prog.image.insns.length > JIT_MAX_INSNS) return undefined;
  try {
    return compile(prog);
  } catch {
    return undefined;
  }
}

function compile(prog: InterpretedProgram): JitFn {
  const src = generateJitSource(prog.image.insns, prog.image.name);
  const factory = new Function(...FREE_NAMES_EXEC, 'SELF', src) as (...a: unknown[]) => JitFn;
  return factory(...freeValuesExec(), prog.I);
}

/**
 * Run st.prog from st.p to the end of the run: its compiled function when it has one, else the
 * interpreter. A compiled function hands back when the run moves into another program's code.
 */
function drive(st: ExecState): void {
  if (st.traceR0) {
    // Traced runs stay interpreted: same results, and the loop that sees every instruction.
    execTraced(st);
    return;
  }
  for (;;) {
    // Every entry into a program's code counts towards its tier-up: a run, a tail call into it.
    const f = st.prog.compiled ?? st.prog.entered();
    if (f === undefined) {
      exec(st);
      return;
    }
    const k = f(st);
    if (k === 0) return;
    if (k === 2) {
      // The budget runs out in the next block: the interpreter stops at the exact instruction.
      exec(st);
      return;
    }
  }
}

/** Pack instructions into the interpreter's slot format: 4 int32 words per slot. */
function pack(image: ProgramImage): Int32Array {
  let n = 0;
  for (const i of image.insns) n += slots(i);
  const I = new Int32Array(n * 4).fill(255); // 255: no op has this id, so a jump into LD_IMM64's 2nd slot faults
  for (const i of image.insns) {
    const b = i.pc * 4;
    I[b] = i.op.id | (i.dst << 8) | (i.src << 12);
    I[b + 1] = i.off;
    I[b + 2] = i.imm;
    I[b + 3] = i.imm2 ?? 0;
    if (slots(i) === 2) I[b + 4] = 255;
  }
  return I;
}

class HelperCtx implements HelperContext {
  constructor(private readonly st: ExecState) {}
  get mem(): Memory {
    return this.st.mem;
  }
  arg(i: number): bigint {
    return toU64(this.st.lo[i], this.st.hi[i]);
  }
  argLo(i: number): number {
    return this.st.lo[i];
  }
  argHi(i: number): number {
    return this.st.hi[i];
  }
  get insns(): number {
    return this.st.n;
  }
  get pc(): number {
    return this.st.callPc;
  }
  get env(): unknown {
    return this.st.env;
  }
  get tailCalls(): number {
    return this.st.tailCalls;
  }
  setR0(lo: number, hi: number): typeof R0_SET {
    this.st.lo[0] = lo | 0;
    this.st.hi[0] = hi | 0;
    return R0_SET;
  }
  callFunction(pc: number, args: readonly bigint[]): bigint {
    const st = this.st;
    // A callback's own r0 writes are not the caller's verdict: r0P/r0I come back with the rest.
    const saved = { I: st.I, p: st.p, base: st.base, prog: st.prog, callPc: st.callPc, r0P: st.r0P, r0I: st.r0I };
    // Enter the callback as a bpf-to-bpf call whose return leaves exec() (st.base marks the boundary).
    pushFrame(st, st.callPc * 4, pc * 4);
    for (let i = 0; i < 5; i++) {
      const [l, h] = fromBig(args[i] ?? 0n);
      st.lo[i + 1] = l;
      st.hi[i + 1] = h;
    }
    st.base = st.depth;
    st.p = st.nextP;
    drive(st);
    const r0 = toU64(st.lo[0], st.hi[0]);
    popFrame(st);
    Object.assign(st, saved);
    return r0;
  }
}

export class InterpretedProgram implements LoadedProgram {
  readonly I: Int32Array;
  private idle: ExecState | undefined;
  /** The compiled function once the program is hot (see InterpreterOptions.tierUpAfter). */
  compiled: JitFn | undefined;
  private runs = 0;
  private tiered = false;
  private readonly argVals: (bigint | undefined)[] = [undefined, undefined, undefined, undefined, undefined];
  private readonly argHalves = new Int32Array(10);

  /** Count an entry (a run, or a tail call into it); compile once hot. The compiled code, if any. */
  entered(): JitFn | undefined {
    if (!this.tiered && ++this.runs > this.tierUpAfter) {
      this.tiered = true;
      this.compiled = compileProgram(this);
    }
    return this.compiled;
  }

  constructor(
    readonly image: ProgramImage,
    readonly engine: Interpreter,
    readonly mem: Memory,
    readonly helpers: HelperTable,
    readonly legacyPacket: LegacyPacketFn | undefined,
    private readonly tierUpAfter = DEFAULT_TIER_UP,
  ) {
    this.I = pack(image);
  }

  private state(): ExecState {
    const st = this.idle;
    if (st) {
      this.idle = undefined;
      return st;
    }
    return new ExecState(this.mem, this, this.mem.add('stack', 'stack', new Uint8Array(STACK_SIZE)));
  }

  run(opts: RunOptions = {}): RunResult {
    const st = this.state();
    // A loop, not fill(): for 11 registers the builtin's call costs more than the stores.
    const lo = st.lo;
    const hi = st.hi;
    for (let i = 0; i < 11; i++) {
      lo[i] = 0;
      hi[i] = 0;
    }
    const args = opts.args ?? NO_ARGS;
    const vals = this.argVals;
    const halves = this.argHalves;
    for (let i = 0; i < 5 && i < args.length; i++) {
      const a = args[i];
      // Arguments (the context pointer) repeat run after run: BigInt equality is cheaper than the split.
      if (a !== vals[i]) {
        vals[i] = a;
        halves[2 * i] = Number(a & 0xffff_ffffn) | 0;
        halves[2 * i + 1] = Number((a >> 32n) & 0xffff_ffffn) | 0;
      }
      lo[i + 1] = halves[2 * i];
      hi[i + 1] = halves[2 * i + 1];
    }
    // Zero the frames the previous run used, if anything wrote to the stack (every store marks
    // the region dirty): a fresh stack per run keeps runs independent.
    if (st.stack.dirty) {
      st.stack.bytes.fill(0, STACK_SIZE - MAX_BPF_STACK * (st.maxDepth + 1));
      st.stack.dirty = false;
    }
    st.maxDepth = 0;
    st.stack.start = STACK_SIZE - MAX_BPF_STACK;
    st.lo[10] = STACK_SIZE;
    st.hi[10] = st.stack.tag;
    st.budget = opts.budget ?? DEFAULT_INSN_BUDGET;
    st.I = this.I;
    st.p = 0;
    st.n = 0;
    st.depth = 0;
    st.base = 0;
    if (st.frames.length !== 0) st.frames.length = 0;
    st.prog = this;
    st.tailCalls = 0;
    st.helperCalls = 0;
    st.exitP = -4;
    st.traceR0 = opts.traceVerdict === true;
    st.r0P = -4;
    st.r0I = undefined;
    if (st.steps.length) st.steps = [];
    st.env = opts.env;
    try {
      drive(st);
      // The hand-off list is handed over (a run that tail-called starts the next one with a new list).
      // The verdict's instruction counts only if it belongs to the program that exited (a tail call starts afresh).
      const verdictPc = st.traceR0 && st.r0I === st.prog.I ? st.r0P >> 2 : undefined;
      return new Finished(st.lo[0], st.hi[0], st.n, st.tailCalls, st.helperCalls, st.steps.length ? st.steps : NO_STEPS, st.prog.image.name, st.exitP >> 2, verdictPc);
    } catch (e) {
      const err = e instanceof VmError ? e : new VmError('helper', st.p >> 2, `internal error: ${(e as Error)?.message ?? String(e)}`);
      const line = st.prog.image.lineOf?.(err.pc);
      const withLine = line && !err.line ? new VmError(err.kind, err.pc, `${err.detail} in '${st.prog.image.name}'`, line) : err;
      return { insns: st.n, tailCalls: st.tailCalls, helperCalls: st.helperCalls, steps: runSteps(st.steps, st.prog.image.name, st.n, undefined), error: withLine };
    } finally {
      st.env = undefined;
      this.idle = st;
    }
  }
}

export class Interpreter implements Engine {
  readonly name = 'interpreter';
  constructor(private readonly opts: InterpreterOptions = {}) {}

  load(image: ProgramImage, mem: Memory, helpers: HelperTable): InterpretedProgram {
    return new InterpretedProgram(image, this, mem, helpers, this.opts.legacyPacket, this.opts.tierUpAfter);
  }
}
