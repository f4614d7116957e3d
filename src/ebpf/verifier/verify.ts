/**
 * The verifier's main pass, as kernel/bpf/verifier.c's bpf_check() → do_check(): walk every
 * path from the first instruction, forking at conditional jumps (push_stack/pop_stack: the
 * fall-through first, the jump target later), storing states at prune points and stopping a
 * path when a stored, fully explored state covers it (is_state_visited()), detecting loops
 * that cannot terminate, and giving up past 1,000,000 processed instructions. Afterwards
 * check_max_stack_depth() sums the stack of every call chain.
 *
 * The log follows the kernel's log_level 1: the instructions of the path that failed, each
 * with the registers it touched, the error, and the statistics line. Verification runs once
 * without a log; a refused program is verified again to write the log of its failing path.
 */
import type { Insn } from '../isa/insn.ts';
import { BPF_CMPXCHG, BPF_FETCH, BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, BPF_PSEUDO_MAP_VALUE } from '../isa/opcodes.ts';
import { ATTACH_TYPES, MAP_TYPES, PROG_TYPES } from '../elf/kernel-names.ts';
import { checkAlu } from './alu-check.ts';
import { buildCfg, CALLBACK_HELPERS, type Cfg, CfgError } from './cfg.ts';
import { checkCondJmp } from './jmp.ts';
import { checkHelperCall, checkResourceLeak, checkReturnCode, enterSubprog, exitSubprog } from './call.ts';
import { Env, type Rule, type SourceLine, VerifyFail, type VerifyOptions } from './env.ts';
import { helperProto, MAP } from './helpers.ts';
import { checkMemAccess, checkRegInit, checkRegWrite } from './mem.ts';
import { alignComment, frameStr, kernelInsnText, stateStr } from './print.ts';
import { maybeLooping, statesEqual } from './prune.ts';
import { isConst, markKnown, markNotInit as markNotInitReg, markUnknown, type MapInfo, pointer, scalarUnknown } from './reg.ts';
import { allRegs, type Checkpoint, cloneState, curFrame, type FuncState, MAX_BPF_STACK, MAX_CALL_FRAMES, newFrame, type VState } from './state.ts';
import { regTypeStr } from './print.ts';
import type { FuncDesc } from './btf-funcs.ts';
import { computePrecision, type Precision } from './precision.ts';

/** Program types whose return value the kernel range-checks (check_return_code). */
const RETURN_CHECKED = new Set(['BPF_PROG_TYPE_CGROUP_SKB', 'BPF_PROG_TYPE_CGROUP_SOCK', 'BPF_PROG_TYPE_SOCK_OPS', 'BPF_PROG_TYPE_CGROUP_DEVICE', 'BPF_PROG_TYPE_CGROUP_SYSCTL', 'BPF_PROG_TYPE_CGROUP_SOCKOPT', 'BPF_PROG_TYPE_SK_LOOKUP']);
import { checkHelperMem, checkPtrOffReg } from './mem.ts';

/** A map as the program sees it; `type` is the kernel's name or number. */
export interface VerifierMapDef {
  readonly name: string;
  readonly type: string | number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags?: number;
  readonly innerMap?: VerifierMapDef;
  /** Frozen after initialisation (.rodata): with `initial`, the program reads constants. */
  readonly frozen?: boolean;
  readonly initial?: Uint8Array;
  /** Key and value are described by BTF (btfValueType of the loader's MapSpec). */
  readonly btfValueType?: number;
  /** Offset of a struct bpf_spin_lock in the value (programFromObject finds it in BTF). */
  readonly spinLockOff?: number;
}

/** Which map an LD_IMM64 refers to (the loader's MapRef). */
export interface VerifierMapRef {
  readonly pc: number;
  /** Map name, or index into `maps`. */
  readonly map: string | number;
  readonly kind?: 'fd' | 'value';
  readonly offset?: number;
}

export interface VerifierProgram {
  readonly insns: readonly Insn[];
  /** 'BPF_PROG_TYPE_XDP', 'xdp' or the kernel's number. */
  readonly progType: string | number;
  /** expected_attach_type: 'BPF_CGROUP_INET_EGRESS' or the kernel's number. */
  readonly attachType?: string | number;
  readonly name?: string;
  readonly lineInfo?: readonly { pc: number; text: string; file?: string; line?: number }[];
  readonly maps?: readonly VerifierMapDef[];
  /** LD_IMM64 → map; without it, an LD_IMM64 of a map uses its imm as an index into `maps`. */
  readonly mapRefs?: readonly VerifierMapRef[] | ReadonlyMap<number, string | number>;
  /** The program comes with BTF func_info (needed for callbacks), as libbpf loads ELF objects. */
  readonly funcInfo?: boolean;
  /** Its functions as BTF describes them (describeFuncs): global ones are verified on their own. */
  readonly funcs?: readonly FuncDesc[];
  /** Default GPL. */
  readonly license?: string;
}

export interface VerifyError {
  /** Slot of the instruction the verifier refused. */
  readonly pc: number;
  readonly message: string;
  readonly rule: Rule;
}

export interface VerifyResult {
  readonly accepted: boolean;
  /** Instructions processed over all paths (the kernel's insn_processed). */
  readonly processed: number;
  readonly log: string;
  readonly error?: VerifyError;
  /** Stack depth per subprogram. */
  readonly stackDepth: readonly number[];
  readonly totalStates: number;
  readonly peakStates: number;
}

/** Normalise 'xdp' / 6 / 'BPF_PROG_TYPE_XDP' to the kernel name. */
export function progTypeName(t: string | number): string {
  if (typeof t === 'number') return PROG_TYPES[t] ?? `BPF_PROG_TYPE_${t}`;
  if (t.startsWith('BPF_PROG_TYPE_')) return t;
  return `BPF_PROG_TYPE_${t.toUpperCase()}`;
}

function attachTypeId(t: string | number | undefined): number {
  if (t === undefined) return 0;
  if (typeof t === 'number') return t;
  const i = ATTACH_TYPES.indexOf(t);
  return i < 0 ? 0 : i;
}

function mapTypeId(t: string | number): number {
  if (typeof t === 'number') return t;
  const i = MAP_TYPES.indexOf(t.startsWith('BPF_MAP_TYPE_') ? t : `BPF_MAP_TYPE_${t.toUpperCase()}`);
  return i;
}

/** Map types whose creation forces BPF_F_RDONLY_PROG (dev_map_alloc, cpu_map_alloc). */
const FORCED_RDONLY = new Set<number>([MAP.DEVMAP, MAP.DEVMAP_HASH, MAP.CPUMAP]);

function toMapInfo(d: VerifierMapDef, index: number): MapInfo {
  const type = mapTypeId(d.type);
  return {
    name: d.name,
    type,
    keySize: d.keySize,
    valueSize: d.valueSize,
    maxEntries: d.maxEntries,
    flags: (d.flags ?? 0) | (FORCED_RDONLY.has(type) ? 1 << 7 : 0),
    inner: d.innerMap ? toMapInfo(d.innerMap, -1) : undefined,
    index,
    frozen: d.frozen && d.initial && (d.flags ?? 0) & (1 << 7) ? d.initial : undefined,
    btf: d.btfValueType !== undefined || d.spinLockOff !== undefined,
    spinLockOff: d.spinLockOff,
  };
}

interface LdMap {
  map: MapInfo;
  kind: 'fd' | 'value';
  offset: number;
}

/** resolve_pseudo_ldimm64(): the map each LD_IMM64 loads. */
function resolveMaps(prog: VerifierProgram, maps: MapInfo[]): Map<number, LdMap> {
  const out = new Map<number, LdMap>();
  const byName = new Map(maps.map((m) => [m.name, m]));
  const lookup = (ref: string | number): MapInfo | undefined => (typeof ref === 'number' ? maps[ref] : byName.get(ref));
  const refs = new Map<number, { map: string | number; kind?: 'fd' | 'value'; offset?: number }>();
  if (prog.mapRefs instanceof Map) {
    for (const [pc, m] of prog.mapRefs) refs.set(pc, { map: m });
  } else if (prog.mapRefs) {
    for (const r of prog.mapRefs as readonly VerifierMapRef[]) refs.set(r.pc, r);
  }
  for (const i of prog.insns) {
    if (i.op.kind !== 'lddw' || i.src === 0 || i.src === BPF_PSEUDO_FUNC) continue;
    if (i.src !== BPF_PSEUDO_MAP_FD && i.src !== BPF_PSEUDO_MAP_VALUE && i.src !== BPF_PSEUDO_MAP_IDX && i.src !== BPF_PSEUDO_MAP_IDX_VALUE) {
      throw new VerifyFail([`unsupported LD_IMM64 pseudo source ${i.src} (BTF ids need kernel BTF)`], 'unsupported', i.pc);
    }
    const r = refs.get(i.pc);
    const map = r ? lookup(r.map) : maps[i.imm];
    if (!map) throw new VerifyFail([`fd ${i.imm} is not pointing to valid bpf_map`], 'invalid_insn', i.pc);
    const isValue = r?.kind === 'value' || i.src === BPF_PSEUDO_MAP_VALUE || i.src === BPF_PSEUDO_MAP_IDX_VALUE;
    const offset = r?.offset ?? (isValue ? (i.imm2 ?? 0) : 0);
    if (isValue) {
      if (map.type !== MAP.ARRAY || map.maxEntries !== 1) throw new VerifyFail(['direct value access on this map type is not supported'], 'invalid_insn', i.pc);
      if (offset >= map.valueSize) throw new VerifyFail([`invalid access to map value pointer, value_size=${map.valueSize} off=${offset}`], 'map_bounds', i.pc);
    }
    out.set(i.pc, { map, kind: isValue ? 'value' : 'fd', offset });
  }
  return out;
}

const PROG_WITHOUT_CTX = new Set<string>([]);

function initialState(env: Env): VState {
  const f = newFrame(0, -1, 0);
  if (!PROG_WITHOUT_CTX.has(env.progType)) {
    const r1 = pointer('ctx');
    Object.assign(f.regs[1], r1);
  }
  return { frames: [f], refs: [], parent: undefined };
}

interface Pending {
  st: VState;
  pc: number;
  /** Log lines to keep and the jump line to continue, when the path is resumed. */
  logLen: number;
  logLine: string;
}

class Walker {
  readonly checkpoints = new Map<number, Checkpoint[]>();
  readonly pending: Pending[] = [];
  jmps = 0;
  prevJmps = 0;
  prevInsns = 0;
  /** Deepest stack seen per subprogram. */
  readonly depth: number[];
  readonly unbound = scalarUnknown();

  constructor(
    readonly env: Env,
    readonly mapAt: Map<number, LdMap>,
    readonly withLog: boolean,
    readonly funcInfo: boolean,
    readonly precision: Precision,
  ) {
    this.depth = env.cfg.subprogs.map(() => 0);
  }

  /** print_verifier_state(…, print_all): one frame in full, and the references the state holds. */
  private frameDump(f: FuncState): string {
    const refs = this.env.st.refs;
    return frameStr(f) + (refs.length ? ` refs=${refs.map((r) => r.id).join(',')}` : '');
  }

  private logLine(s: string): void {
    if (this.withLog) this.env.log.push(s);
  }

  /** push_stack(): explore `st` from `pc` later. */
  push(st: VState, pc: number): void {
    // BPF_COMPLEXITY_LIMIT_JMP_SEQ: too many paths waiting.
    if (this.pending.length + 1 > 8192) this.env.fail('too_large', `The sequence of ${this.pending.length + 1} jumps is too complex.`);
    if (st.parent) st.parent.branches++;
    const log = this.env.log;
    this.pending.push({ st, pc, logLen: log.length, logLine: log[log.length - 1] ?? '' });
  }

  /** update_branch_counts(): the current path ended. */
  private endPath(st: VState): void {
    let p = st.parent;
    while (p) {
      p.branches--;
      if (p.branches > 0) break;
      p = p.parent;
    }
  }

  private recordDepth(st: VState): void {
    for (const f of st.frames) if (f.depth > this.depth[f.subprog]) this.depth[f.subprog] = f.depth;
  }

  /** is_state_visited(): true when the current path can stop here. */
  private visited(pc: number): boolean {
    const env = this.env;
    const cur = env.st;
    const force = env.cfg.forceCheckpoint[pc] === 1;
    const at = env.cfg.at[pc];
    const callsCallback = at !== undefined && at.op.kind === 'call' && CALLBACK_HELPERS.has(at.imm);
    let addNew = force || (this.jmps - this.prevJmps >= 2 && env.processed - this.prevInsns >= 8);
    const list = this.checkpoints.get(pc) ?? [];
    let n = 0;
    for (let k = 0; k < list.length; k++) {
      const sl = list[k];
      n++;
      if (sl.branches > 0 && callsCallback) {
        // A callback's iterations converge when the state at its call site repeats.
        if (statesEqual(env.cfg, sl.state, cur, pc, false, this.unbound, this.precision)) {
          sl.hits++;
          return true;
        }
      } else if (sl.branches > 0) {
        if (maybeLooping(sl.state, cur) && statesEqual(env.cfg, sl.state, cur, pc, true, this.unbound)) {
          env.fail('infinite_loop', `infinite loop detected at insn ${pc}`);
        }
        // Inside a loop, store states sparingly: each iteration differs anyway.
        if (!force && this.jmps - this.prevJmps < 20 && env.processed - this.prevInsns < 100) addNew = false;
      } else if (statesEqual(env.cfg, sl.state, cur, pc, false, this.unbound, this.precision)) {
        sl.hits++;
        return true;
      }
      // A miss counts only when a new state will be stored, so that loop iterations that add
      // none do not evict the states of earlier iterations.
      if (addNew) sl.misses++;
      // Drop states that keep failing to match (the kernel's miss_cnt heuristic).
      const lim = force && sl.branches > 0 ? 64 : 3;
      if (sl.misses > sl.hits * lim + lim) {
        list.splice(k, 1);
        k--;
        env.curStates--;
      }
    }
    if (n > env.maxStatesPerInsn) env.maxStatesPerInsn = n;
    if (!addNew) return false;
    this.prevJmps = this.jmps;
    this.prevInsns = env.processed;
    const cp: Checkpoint = { state: cloneState(cur), pc, branches: 1, parent: cur.parent, hits: 0, misses: 0 };
    cur.parent = cp;
    list.push(cp);
    this.checkpoints.set(pc, list);
    env.totalStates++;
    env.curStates++;
    if (env.curStates > env.peakStates) env.peakStates = env.curStates;
    return false;
  }

  /** Resume the next pending path, or report that none is left. */
  private pop(): boolean {
    const p = this.pending.pop();
    if (!p) return false;
    const env = this.env;
    env.st = p.st;
    this.pc = p.pc;
    if (this.withLog) {
      env.log.length = p.logLen;
      env.log[p.logLen - 1] = `${p.logLine} ${p.pc}:${stateStr(p.st)}`;
      // prev_linfo survives the pop: a line already shown is not shown again.
    }
    return true;
  }

  pc = 0;

  /** Global functions by subprogram index, and the ones called so far (in call order). */
  globals = new Map<number, FuncDesc>();
  readonly called: number[] = [];
  /** Lines the kernel prints even for an accepted program (global functions). */
  readonly notes: string[] = [];

  run(): void {
    const env = this.env;
    this.explore(initialState(env), 0);
    // do_check_subprogs(): each global function called, once, from its prototype.
    for (let k = 0; k < this.called.length; k++) {
      const sub = this.called[k];
      const desc = this.globals.get(sub) as FuncDesc;
      this.explore(this.globalEntry(sub, desc), env.cfg.subprogs[sub].start);
      this.notes.push(`Func#${sub} ('${desc.name}') is safe for any args that match its prototype`);
    }
  }

  /** The state a global function starts in: its arguments typed by BTF. */
  private globalEntry(sub: number, desc: FuncDesc): VState {
    const f = newFrame(0, -1, sub);
    (desc.args ?? []).forEach((a, i) => {
      const r = f.regs[i + 1];
      if (a.kind === 'scalar') markUnknown(r);
      else if (a.kind === 'ctx') Object.assign(r, pointer('ctx'));
      else if (a.kind === 'mem') {
        Object.assign(r, pointer('mem'));
        r.memSize = a.size;
        r.maybeNull = true;
        r.id = this.env.newId();
      }
    });
    return { frames: [f], refs: [], parent: undefined };
  }

  /** btf_check_subprog_call(): the caller's registers must match the callee's prototype. */
  private checkGlobalArgs(sub: number, desc: FuncDesc): void {
    const env = this.env;
    const bad = (why: string): never => env.fail('global_func', why, `Caller passes invalid args into func#${sub} ('${desc.name}')`);
    (desc.args ?? []).forEach((a, i) => {
      const regno = i + 1;
      const r = env.regs[regno];
      switch (a.kind) {
        case 'invalid':
          bad(`arg#${i} ${a.why}`);
          break;
        case 'scalar':
          if (r.type !== 'scalar') bad(`R${regno} is not a scalar`);
          break;
        case 'ctx':
          if (r.type !== 'ctx') bad(`arg#${i} expects pointer to ctx`);
          try {
            checkPtrOffReg(env, regno, r, false);
          } catch (e) {
            if (e instanceof VerifyFail) bad(e.lines.join('\n'));
            throw e;
          }
          break;
        case 'mem': {
          if (r.type === 'scalar' && isConst(r) && r.var.value === 0n) break;
          const saved = { ...r };
          r.maybeNull = false;
          try {
            checkHelperMem(env, regno, a.size, false, true, false);
            checkHelperMem(env, regno, a.size, true, true, false);
          } catch (e) {
            if (e instanceof VerifyFail) bad(e.lines.join('\n'));
            throw e;
          } finally {
            Object.assign(r, saved);
          }
          break;
        }
      }
    });
  }

  /** Whether a subprogram, or one it calls, calls a helper that changes packet data. */
  private changesPkt(sub: number, seen = new Set<number>()): boolean {
    if (seen.has(sub)) return false;
    seen.add(sub);
    const cfg = this.env.cfg;
    const sp = cfg.subprogs[sub];
    for (let pc = sp.start; pc < sp.end; pc++) {
      const i = cfg.at[pc];
      if (!i) continue;
      if (i.op.kind === 'call') {
        const p = helperProto(this.env.progType, i.imm);
        if (p.ok && p.proto.changesPkt) return true;
      }
      if (i.op.kind === 'call_local' && this.changesPkt(cfg.subprogOf[pc + 1 + i.imm], seen)) return true;
    }
    return false;
  }

  /** A call to a global function: checked against its prototype, then treated as a helper. */
  private callGlobal(insn: Insn, sub: number, desc: FuncDesc): number {
    const env = this.env;
    if (env.st.lock) env.fail('spin_lock', 'global function calls are not allowed while holding a lock');
    this.checkGlobalArgs(sub, desc);
    if (!this.called.includes(sub)) this.called.push(sub);
    this.logLine(`Func#${sub} ('${desc.name}') is global and assumed valid.`);
    // A function that may move packet data invalidates the caller's packet pointers.
    if (this.changesPkt(sub)) {
      for (const r of allRegs(env.st)) if (r.type === 'pkt' || r.type === 'pkt_meta' || r.type === 'pkt_end') markUnknown(r);
    }
    const regs = env.regs;
    for (let r = 0; r <= 5; r++) {
      markNotInitReg(regs[r]);
      env.scratchRegs |= 1 << r;
    }
    markUnknown(regs[0]);
    return insn.pc + 1;
  }

  /** do_check() from one entry state until every path has ended. */
  private explore(start: VState, startPc: number): void {
    const env = this.env;
    env.st = start;
    this.pc = startPc;
    this.logLine(`${startPc}:${stateStr(env.st)}`);
    for (;;) {
      const pc = this.pc;
      env.pc = pc;
      if (++env.processed > env.insnLimit) env.fail('too_large', `BPF program is too large. Processed ${env.processed} insn`);
      if (env.cfg.prunePoint[pc] && this.visited(pc)) {
        this.logLine(`${pc}: safe`);
        this.recordDepth(env.st);
        this.endPath(env.st);
        if (!this.pop()) return;
        continue;
      }
      const insn = env.cfg.at[pc] as Insn;
      if (this.withLog) {
        const src = env.sourceLine(pc);
        if (src) env.log.push(src);
        env.log.push(`${pc}: ${kernelInsnText(insn)}`);
      }
      env.scratchRegs = 0;
      env.scratchSlots.clear();
      const logged = env.log.length;
      const next = this.step(insn);
      if (this.withLog && (env.scratchRegs || env.scratchSlots.size) && next !== 'popped') {
        const i = env.log.length - 1;
        const s = stateStr(env.st, env.scratchRegs, env.scratchSlots);
        // print_insn_state(): after other output the state goes on a line of its own, under the next insn.
        if (s && i >= logged) env.log.push(`${next === 'done' ? pc : next}:${s}`);
        else if (s) env.log[i] = `${alignComment(env.log[i])};${s}`;
      }
      if (next === 'done') return;
      if (next === 'popped') continue;
      this.pc = next;
    }
  }

  /** One instruction; the next pc, or 'popped' when the path ended and another resumed. */
  private step(insn: Insn): number | 'popped' | 'done' {
    const env = this.env;
    const pc = insn.pc;
    const o = insn.op;
    switch (o.kind) {
      case 'alu':
      case 'neg':
      case 'mov':
      case 'movsx':
      case 'end':
        checkAlu(env, insn);
        return pc + 1;
      case 'ldx':
      case 'ldxsx':
        checkRegInit(env, insn.src);
        checkRegWrite(env, insn.dst);
        checkMemAccess(env, insn.src, insn.off, o.width, false, insn.dst, { sx: o.kind === 'ldxsx' });
        return pc + 1;
      case 'stx':
        checkRegInit(env, insn.src);
        checkRegInit(env, insn.dst);
        checkMemAccess(env, insn.dst, insn.off, o.width, true, insn.src);
        return pc + 1;
      case 'st': {
        checkRegInit(env, insn.dst);
        checkMemAccess(env, insn.dst, insn.off, o.width, true, -1, { imm: insn.imm });
        return pc + 1;
      }
      case 'atomic':
        this.atomic(insn);
        return pc + 1;
      case 'lddw':
        this.ldImm64(insn);
        return pc + 2;
      case 'ldabs':
      case 'ldind':
        this.ldAbs(insn);
        return pc + 1;
      case 'ja':
        this.jmps++;
        return pc + 1 + (o.is32 ? insn.imm : insn.off);
      case 'jcond': {
        this.jmps++;
        const r = checkCondJmp(env, insn, (st, target) => this.push(st, target));
        if (r === 'dead') {
          // Neither side is possible: this path ends here.
          this.recordDepth(env.st);
          this.endPath(env.st);
          return this.pop() ? 'popped' : 'done';
        }
        return r;
      }
      case 'call': {
        this.jmps++;
        const cb = checkHelperCall(env, insn);
        if (cb) this.push(cb, env.cfg.subprogs[curFrame(cb).subprog].start);
        return pc + 1;
      }
      case 'call_local': {
        this.jmps++;
        const sub = env.cfg.subprogOf[pc + 1 + insn.imm];
        const g = this.globals.get(sub);
        if (g) return this.callGlobal(insn, sub, g);
        const target = enterSubprog(env, insn);
        if (this.withLog) {
          // __check_func_call(): both frames in full, then the callee's registers under its first insn.
          const fr = env.st.frames;
          this.logLine('caller:');
          this.logLine(this.frameDump(fr[fr.length - 2]));
          this.logLine('callee:');
          this.logLine(this.frameDump(fr[fr.length - 1]));
          env.scratchRegs = 0x7ff;
          env.scratchSlots.clear();
        }
        return target;
      }
      case 'call_kfunc':
        env.fail('unsupported', `calling kernel function ${insn.imm}: kfuncs are not supported by chainlab`);
        break;
      case 'callx':
        env.fail('invalid_insn', 'unknown opcode 8d');
        break;
      case 'exit': {
        this.jmps++;
        this.recordDepth(env.st);
        if (env.st.frames.length > 1) {
          const callee = this.withLog ? this.frameDump(env.frame) : '';
          const back = exitSubprog(env);
          if (this.withLog) {
            // prepare_func_exit(): both frames in full.
            this.logLine('returning from callee:');
            this.logLine(callee);
            this.logLine(`to caller at ${back}:`);
            this.logLine(this.frameDump(env.frame));
            env.scratchRegs = 0;
            env.scratchSlots.clear();
          }
          return back;
        }
        if (env.st.lock) env.fail('spin_lock', 'BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region');
        checkResourceLeak(env, 'BPF_EXIT instruction in main prog');
        if (env.frame.subprog !== 0) {
          // A global function returns a scalar to whoever called it.
          const r0 = checkRegInit(env, 0);
          if (r0.type !== 'scalar') env.fail('global_func', `At subprogram exit the register R0 is not a scalar value (${regTypeStr(r0)})`);
        } else {
          checkReturnCode(env);
        }
        this.endPath(env.st);
        return this.pop() ? 'popped' : 'done';
      }
    }
    return pc + 1;
  }

  /** check_atomic_rmw(). */
  private atomic(insn: Insn): void {
    const env = this.env;
    const o = insn.op;
    checkRegInit(env, insn.src);
    const d = checkRegInit(env, insn.dst);
    const cmpxchg = o.op === BPF_CMPXCHG;
    if (cmpxchg) checkRegInit(env, 0);
    if (d.type === 'ctx' || d.type === 'pkt' || d.type === 'pkt_meta' || d.type === 'flow_keys' || d.type === 'sock' || d.type === 'sock_common' || d.type === 'tcp_sock' || d.type === 'xdp_sock') {
      env.fail('invalid_mem', `BPF_ATOMIC stores into R${insn.dst} ${regTypeStr(d)} is not allowed`);
    }
    let load = -1;
    if (o.op & BPF_FETCH) {
      load = cmpxchg ? 0 : insn.src;
      checkRegWrite(env, load);
    }
    checkMemAccess(env, insn.dst, insn.off, o.width, false, -1, { atomic: true });
    if (load >= 0) {
      markUnknown(env.regs[load]);
      checkMemAccess(env, insn.dst, insn.off, o.width, false, load, { atomic: true });
    }
    checkMemAccess(env, insn.dst, insn.off, o.width, true, -1, { atomic: true });
  }

  /** check_ld_imm(). */
  private ldImm64(insn: Insn): void {
    const env = this.env;
    checkRegWrite(env, insn.dst);
    const d = env.regs[insn.dst];
    markUnknown(d);
    if (insn.src === 0) {
      markKnown(d, (BigInt(insn.imm2 ?? 0) << 32n) | BigInt(insn.imm >>> 0));
      return;
    }
    markKnown(d, 0n);
    if (insn.src === BPF_PSEUDO_FUNC) {
      if (!this.funcInfo) env.fail('callback', 'missing btf func_info');
      d.type = 'func';
      d.subprog = env.cfg.subprogOf[insn.pc + 1 + insn.imm];
      return;
    }
    const m = this.mapAt.get(insn.pc) as LdMap;
    d.map = m.map;
    if (m.kind === 'value') {
      d.type = 'map_value';
      d.off = m.offset;
    } else {
      d.type = 'map_ptr';
    }
  }

  /** check_ld_abs(). */
  private ldAbs(insn: Insn): void {
    const env = this.env;
    const t = env.progType;
    if (t !== 'BPF_PROG_TYPE_SOCKET_FILTER' && t !== 'BPF_PROG_TYPE_SCHED_CLS' && t !== 'BPF_PROG_TYPE_SCHED_ACT') {
      env.fail('ld_abs', 'BPF_LD_[ABS|IND] instructions not allowed for this program type');
    }
    const r6 = checkRegInit(env, 6);
    if (env.st.lock) env.fail('spin_lock', 'BPF_LD_[ABS|IND] cannot be used inside bpf_spin_lock-ed region');
    checkResourceLeak(env, 'BPF_LD_[ABS|IND]');
    if (r6.type !== 'ctx') env.fail('ld_abs', 'at the time of BPF_LD_ABS|IND R6 != pointer to skb');
    if (insn.op.kind === 'ldind') checkRegInit(env, insn.src);
    for (let r = 0; r <= 5; r++) {
      Object.assign(env.regs[r], scalarUnknown());
      env.regs[r].type = 'not_init';
      env.scratchRegs |= 1 << r;
    }
    markUnknown(env.regs[0]);
  }
}

/** check_max_stack_depth(): the stack of every call chain, within 512 bytes (256 per frame with tail calls). */
function checkStackDepth(env: Env, cfg: Cfg, depth: readonly number[]): void {
  const round = (d: number): number => (env.jit ? Math.ceil(d / 16) * 16 : Math.ceil(Math.max(d, 1) / 32) * 32);
  const visit = (idx: number, total: number, frames: number, chain: number): void => {
    const sp = cfg.subprogs[idx];
    if (idx !== 0 && sp.hasTailCall && total >= 256) {
      throw new VerifyFail([`tail_calls are not allowed when call stack of previous frames is ${total} bytes. Too large`], 'stack_limit', sp.start);
    }
    const t = total + round(depth[idx]);
    if (t > MAX_BPF_STACK) throw new VerifyFail([`combined stack size of ${chain} calls is ${t}. Too large`], 'stack_limit', sp.start);
    for (let pc = sp.start; pc < sp.end; pc++) {
      const i = cfg.at[pc];
      if (!i) continue;
      const isCall = i.op.kind === 'call_local' || (i.op.kind === 'lddw' && i.src === BPF_PSEUDO_FUNC);
      if (!isCall) continue;
      const callee = cfg.subprogOf[pc + 1 + i.imm];
      if (frames + 1 >= MAX_CALL_FRAMES) throw new VerifyFail([`the call stack of ${frames + 1} frames is too deep !`], 'call_depth', pc);
      visit(callee, t, frames + 1, chain + 1);
    }
  };
  visit(0, 0, 0, 1);
}

const statsLine = (env: Env): string =>
  `processed ${env.processed} insns (limit ${env.insnLimit}) max_states_per_insn ${env.maxStatesPerInsn} total_states ${env.totalStates} peak_states ${env.peakStates} mark_read 0`;

function runOnce(prog: VerifierProgram, opts: VerifyOptions, withLog: boolean): { env: Env | undefined; fail?: VerifyFail; depth: number[]; extra?: string[] } {
  const progType = progTypeName(prog.progType);
  const maps = (prog.maps ?? []).map(toMapInfo);
  const lines: SourceLine[] = (prog.lineInfo ?? []).map((l) => ({ pc: l.pc, text: l.text, file: l.file, line: l.line }));
  const arity = (id: number): number => {
    const p = helperProto(progType, id);
    return p.ok ? p.proto.args.length : 5;
  };
  let cfg: Cfg;
  let mapAt: Map<number, LdMap>;
  try {
    mapAt = resolveMaps(prog, maps);
    cfg = buildCfg(prog.insns, arity);
  } catch (e) {
    if (e instanceof CfgError) return { env: undefined, fail: new VerifyFail([e.message], e.rule as Rule, e.pc), depth: [] };
    if (e instanceof VerifyFail) return { env: undefined, fail: e, depth: [] };
    throw e;
  }
  // check_abnormal_return(): without BTF func info, subprograms may not end abnormally.
  if (!prog.funcInfo) {
    for (const sp of cfg.subprogs.slice(1)) {
      if (sp.hasLdAbs) return { env: undefined, fail: new VerifyFail(['LD_ABS is not allowed in subprogs without BTF'], 'ld_abs', sp.start), depth: [] };
      if (sp.hasTailCall) return { env: undefined, fail: new VerifyFail(['tail_call is not allowed in subprogs without BTF'], 'call_depth', sp.start), depth: [] };
    }
  }
  const ldMaps = new Map<number, MapInfo>();
  for (const [pc, m] of mapAt) ldMaps.set(pc, m.map);
  const env = new Env(prog.insns, progType, cfg, ldMaps, lines, { ...opts, attachType: opts.attachType ?? attachTypeId(prog.attachType), gpl: opts.gpl ?? /GPL|Dual/.test(prog.license ?? 'GPL') });
  const w = new Walker(env, mapAt, withLog, prog.funcInfo ?? false, computePrecision(cfg, arity, RETURN_CHECKED.has(progType)));
  for (const f of prog.funcs ?? []) {
    if (!f.global || f.pc === 0) continue;
    const sub = cfg.subprogs.findIndex((sp) => sp.start === f.pc);
    if (sub > 0) w.globals.set(sub, f);
  }
  try {
    w.run();
    checkStackDepth(env, cfg, w.depth);
  } catch (e) {
    if (e instanceof VerifyFail) return { env, fail: e, depth: w.depth };
    throw e;
  }
  return { env, depth: w.depth, extra: w.notes };
}

/**
 * Verify a program for its program type as the Linux verifier (6.18, privileged loader)
 * would: the verdict, the number of processed instructions and a kernel-style log.
 */
export function verify(prog: VerifierProgram, opts: VerifyOptions = {}): VerifyResult {
  const first = runOnce(prog, opts, opts.logAll ?? false);
  const env = first.env;
  if (!first.fail) {
    const log = [...(opts.logAll ? (env as Env).log : []), ...(first.extra ?? []), statsLine(env as Env)].join('\n') + '\n';
    return { accepted: true, processed: env?.processed ?? 0, log, stackDepth: first.depth, totalStates: env?.totalStates ?? 0, peakStates: env?.peakStates ?? 0 };
  }
  // Refused: walk again with the log on, to show the failing path (not worth it past the limit).
  const again = opts.logAll || first.fail.rule === 'too_large' ? first : runOnce(prog, opts, true);
  const e2 = again.env;
  const fail = again.fail ?? first.fail;
  const logLines = e2 ? [...e2.log] : [];
  logLines.push(...fail.lines);
  const statsEnv = e2 ?? env;
  logLines.push(statsEnv ? statsLine(statsEnv) : 'processed 0 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0');
  return {
    accepted: false,
    processed: statsEnv?.processed ?? 0,
    log: logLines.join('\n') + '\n',
    error: { pc: fail.pc, message: fail.lines.join('\n'), rule: fail.rule },
    stackDepth: first.depth,
    totalStates: statsEnv?.totalStates ?? 0,
    peakStates: statsEnv?.peakStates ?? 0,
  };
}

export { MAX_CALL_FRAMES };
