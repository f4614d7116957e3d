/**
 * The verifier environment (struct bpf_verifier_env): the program, its maps and type, the
 * current path's state, the id generator, the log, and the typed failure that ends a
 * verification with the kernel's message and a rule id.
 */
import type { Insn } from '../isa/insn.ts';
import type { Cfg } from './cfg.ts';
import type { MapInfo, RegState } from './reg.ts';
import { curFrame, type FuncState, type VState } from './state.ts';

/** Rule ids, for per-rule statistics of verdicts. */
export type Rule =
  | 'uninit_reg'
  | 'pkt_bounds'
  | 'map_value_null'
  | 'map_bounds'
  | 'mem_bounds'
  | 'stack_uninit'
  | 'stack_bounds'
  | 'ctx_access'
  | 'sock_access'
  | 'invalid_mem'
  | 'helper_arg'
  | 'helper_unavailable'
  | 'map_compat'
  | 'unreleased_ref'
  | 'release'
  | 'return_range'
  | 'too_large'
  | 'infinite_loop'
  | 'invalid_jump'
  | 'unreachable'
  | 'div_by_zero'
  | 'invalid_shift'
  | 'ptr_arith'
  | 'ptr_leak'
  | 'stack_limit'
  | 'call_depth'
  | 'global_func'
  | 'spin_lock'
  | 'callback'
  | 'readonly'
  | 'invalid_insn'
  | 'ld_abs'
  | 'unsupported';

export class VerifyFail extends Error {
  constructor(
    readonly lines: readonly string[],
    readonly rule: Rule,
    readonly pc: number,
  ) {
    super(lines.join('\n'));
    this.name = 'VerifyFail';
  }
}

export interface VerifyOptions {
  /** enum bpf_attach_type of the program (expected_attach_type), default 0. */
  attachType?: number;
  /** Processed-instruction limit (BPF_COMPLEXITY_LIMIT_INSNS), default 1,000,000. */
  insnLimit?: number;
  /** nr_cpu_ids, the bound of bpf_get_smp_processor_id(), default 64. */
  nrCpus?: number;
  /** The program's license is GPL-compatible (GPL-only helpers), default true. */
  gpl?: boolean;
  /** Log every processed instruction (the kernel's log_level 2), default false. */
  logAll?: boolean;
  /** The JIT is on (stack depths round up to 16 instead of 32), default true. */
  jit?: boolean;
}

export interface SourceLine {
  /** Slot of the first instruction of the line. */
  readonly pc: number;
  /** Source text, as BTF line info keeps it. */
  readonly text: string;
  readonly file?: string;
  readonly line?: number;
}

export class Env {
  /** The current path. */
  st!: VState;
  /** Instruction being checked. */
  pc = 0;
  idGen = 0;
  processed = 0;
  log: string[] = [];
  /** pc of the last line-info entry printed, to print each source line once. */
  prevLine = -1;
  readonly insnLimit: number;
  readonly nrCpus: number;
  readonly attachType: number;
  readonly gpl: boolean;
  readonly logAll: boolean;
  readonly jit: boolean;
  totalStates = 0;
  peakStates = 0;
  curStates = 0;
  maxStatesPerInsn = 0;
  /** Registers (bit mask) and stack slots the current instruction touched, for the log. */
  scratchRegs = 0;
  scratchSlots = new Set<number>();
  /** A helper that changes packet data was called somewhere (bpf_helper_changes_pkt_data). */
  changesPktData = false;

  constructor(
    readonly insns: readonly Insn[],
    readonly progType: string,
    readonly cfg: Cfg,
    /** Map referenced by the LD_IMM64 at a slot. */
    readonly mapAt: ReadonlyMap<number, MapInfo>,
    readonly lines: readonly SourceLine[],
    opts: VerifyOptions,
  ) {
    this.insnLimit = opts.insnLimit ?? 1_000_000;
    this.nrCpus = opts.nrCpus ?? 64;
    this.attachType = opts.attachType ?? 0;
    this.gpl = opts.gpl ?? true;
    this.logAll = opts.logAll ?? false;
    this.jit = opts.jit ?? true;
  }

  get frame(): FuncState {
    return curFrame(this.st);
  }

  get regs(): RegState[] {
    return curFrame(this.st).regs;
  }

  newId(): number {
    return ++this.idGen;
  }

  fail(rule: Rule, ...lines: string[]): never {
    throw new VerifyFail(lines, rule, this.pc);
  }

  /** verbose_linfo(): the source line of `pc`, once per line. */
  sourceLine(pc: number): string | undefined {
    if (this.lines.length === 0) return undefined;
    let best: SourceLine | undefined;
    for (const l of this.lines) {
      if (l.pc <= pc) best = l;
      else break;
    }
    if (!best || best.pc === this.prevLine) return undefined;
    // Records of the same file and line differ only in their column, which the log does not show.
    const prev = this.lines.find((l) => l.pc === this.prevLine);
    this.prevLine = best.pc;
    if (prev && prev.file === best.file && prev.line === best.line && prev.text === best.text) return undefined;
    // kbasename(): the log names the file without its directory.
    const where = best.file !== undefined ? ` @ ${best.file.slice(best.file.lastIndexOf('/') + 1)}:${best.line ?? 0}` : '';
    return `; ${best.text.trim()}${where}`;
  }
}
