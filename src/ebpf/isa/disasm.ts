/**
 * Disassembler: eBPF instructions to text, in llvm-objdump's C-like BPF syntax
 * (llvm/lib/Target/BPF/BPFInstrInfo.td, BPFInstPrinter.cpp) or in the uBPF/bpf_conformance
 * assembler syntax. Everything is derived from the opcode table: an instruction is spelled
 * from its OpSpec's kind, op, srcKind, width and is32, never from its opcode byte.
 *
 * llvm-objdump's output depends on the release and on the subtarget, so both are options:
 * LLVM 19 prints immediates in hex (`--print-imm-hex` is its default), `--mattr=+alu32`
 * names w registers in sub-64-bit loads/stores and 32-bit atomics (without it llvm knows no
 * 32-bit atomic but add), and LLVM 14 cannot decode BPF_ST, mod, jset or most cpu v4
 * instructions. By default we print the newest spelling with decimal immediates and never
 * print `<unknown>` for a valid instruction; `llvm: 14 | 19` reproduces a release exactly.
 * The tests check all of this against the real llvm-objdump 14 and 19.
 */
import {
  BPF_ADD,
  BPF_AND,
  BPF_ARSH,
  BPF_CMPXCHG,
  BPF_DIV,
  BPF_FETCH,
  BPF_JEQ,
  BPF_JGE,
  BPF_JGT,
  BPF_JLE,
  BPF_JLT,
  BPF_JNE,
  BPF_JSET,
  BPF_JSGE,
  BPF_JSGT,
  BPF_JSLE,
  BPF_JSLT,
  BPF_K,
  BPF_LSH,
  BPF_MOD,
  BPF_MUL,
  BPF_OR,
  BPF_RSH,
  BPF_SUB,
  BPF_TO_BE,
  BPF_XCHG,
  BPF_XOR,
  INSN_SIZE,
  opByName,
} from './opcodes.ts';
import { encode, imm64, type Insn } from './insn.ts';

/** llvm-objdump releases whose exact output (gaps included) can be reproduced. */
export type LlvmRelease = 14 | 19;

export interface DisasmOptions {
  /** `llvm` (default): llvm-objdump's syntax. `ubpf`: the uBPF/bpf_conformance assembler syntax. */
  syntax?: 'llvm' | 'ubpf';
  /** Immediates and offsets in hex, as llvm-objdump 19 prints them by default (`--print-imm-hex`). */
  hex?: boolean;
  /** As `llvm-objdump --mattr=+alu32`: w registers in sub-64-bit loads/stores and 32-bit atomics. */
  alu32?: boolean;
  /**
   * Reproduce one llvm-objdump release exactly, gaps included: `<unknown>` where it cannot
   * decode an instruction, LLVM 14's `r0 = r1` for movsx, `/=` for sdiv and `callx r<imm>`,
   * and (without alu32) fetch_add32 read as `lock *(u32 *)(..) += r`.
   * Without it nothing valid is printed as `<unknown>`.
   */
  llvm?: LlvmRelease;
  /**
   * Where llvm's syntax loses information, print the extensions our assembler reads back so that
   * assemble(disasm(x)) encodes x: `call local -3`, `call kfunc 5`, `skb[r1 + 4]`,
   * `ld_pseudo r1, 2, 5, 8` (the second slot's imm). Only affects the llvm syntax.
   */
  roundTrip?: boolean;
}

export const UNKNOWN = '<unknown>';

/** The off value that makes div/mod signed (sdiv/smod), read from the table. */
export const SIGNED_OFF = opByName('ALU64_SDIV_K').offIs;

// Operators of llvm's syntax, keyed by the table's BPF_OP field.
export const ALU_SYMBOL: ReadonlyMap<number, string> = new Map([
  [BPF_ADD, '+'],
  [BPF_SUB, '-'],
  [BPF_MUL, '*'],
  [BPF_DIV, '/'],
  [BPF_OR, '|'],
  [BPF_AND, '&'],
  [BPF_LSH, '<<'],
  [BPF_RSH, '>>'],
  [BPF_MOD, '%'],
  [BPF_XOR, '^'],
  [BPF_ARSH, 's>>'],
]);

export const JMP_SYMBOL: ReadonlyMap<number, string> = new Map([
  [BPF_JEQ, '=='],
  [BPF_JGT, '>'],
  [BPF_JGE, '>='],
  [BPF_JSET, '&'],
  [BPF_JNE, '!='],
  [BPF_JSGT, 's>'],
  [BPF_JSGE, 's>='],
  [BPF_JLT, '<'],
  [BPF_JLE, '<='],
  [BPF_JSLT, 's<'],
  [BPF_JSLE, 's<='],
]);

export const ATOMIC_NAME: ReadonlyMap<number, string> = new Map([
  [BPF_ADD, 'add'],
  [BPF_OR, 'or'],
  [BPF_AND, 'and'],
  [BPF_XOR, 'xor'],
]);

/** Number formatting shared by both syntaxes. */
class Fmt {
  constructor(readonly hex: boolean) {}
  /** A signed value: `-3` or `-0x3`. */
  num(v: number | bigint): string {
    if (!this.hex) return v.toString();
    return v < 0 ? `-0x${(-BigInt(v)).toString(16)}` : `0x${v.toString(16)}`;
  }
  /** A relative jump or call target: `+5`, `-3`, `+0x5`. */
  rel(v: number): string {
    return v < 0 ? this.num(v) : `+${this.num(v)}`;
  }
  /** llvm's `(r10 - 8)` base-plus-offset, without parentheses. */
  memOff(reg: string, off: number): string {
    return off < 0 ? `${reg} - ${this.num(-off)}` : `${reg} + ${this.num(off)}`;
  }
}

// LLVM 14's BPF decoder has no BPF_ST, mod, jset nor any cpu v4 instruction but movsx/sdiv,
// which it misreads as mov/div because it ignores the offset field.
function unknownToLlvm14(insn: Insn): boolean {
  const o = insn.op;
  switch (o.kind) {
    case 'st':
    case 'ldxsx':
      return true;
    case 'alu':
      return o.op === BPF_MOD;
    case 'jcond':
      return o.op === BPF_JSET;
    case 'ja':
      return o.is32; // gotol
    case 'end':
      return !o.is32; // bswap
    default:
      return false;
  }
}

/**
 * Without the alu32 feature llvm decodes 32-bit atomics only through the legacy XADDW pattern:
 * `lock *(u32 *)(..) += rS`, which ignores imm and so also swallows fetch_add. Every other
 * 32-bit atomic is `<unknown>` there (LLVM 14 and 19 alike).
 */
function legacyAtomic32(insn: Insn): 'xadd' | 'unknown' | undefined {
  const o = insn.op;
  if (o.kind !== 'atomic' || !o.is32) return undefined;
  return o.op === BPF_ADD || o.op === (BPF_ADD | BPF_FETCH) ? 'xadd' : 'unknown';
}

function llvmText(insn: Insn, opts: DisasmOptions): string {
  const o = insn.op;
  const strict = opts.llvm;
  const alu32 = opts.alu32 ?? false;
  const f = new Fmt(opts.hex ?? false);
  if (strict === 14 && unknownToLlvm14(insn)) return UNKNOWN;
  if (strict !== undefined && !alu32) {
    const legacy = legacyAtomic32(insn);
    if (legacy === 'unknown') return UNKNOWN;
    if (legacy === 'xadd') return `lock *(u32 *)(${f.memOff(`r${insn.dst}`, insn.off)}) += r${insn.src}`;
  }
  const w = o.is32 ? 'w' : 'r';
  const d = `${w}${insn.dst}`;
  const s = `${w}${insn.src}`;
  const bits = o.width * 8;
  // Sub-64-bit loads and stores name w registers under alu32.
  const memReg = (n: number): string => `${alu32 && o.width < 8 ? 'w' : 'r'}${n}`;
  switch (o.kind) {
    case 'alu': {
      const signed = o.offIs === SIGNED_OFF && strict !== 14 ? 's' : '';
      const rhs = o.srcKind === BPF_K ? f.num(insn.imm) : s;
      return `${d} ${signed}${ALU_SYMBOL.get(o.op)}= ${rhs}`;
    }
    case 'neg':
      return `${d} = -${d}`;
    case 'mov':
      return `${d} = ${o.srcKind === BPF_K ? f.num(insn.imm) : s}`;
    case 'movsx':
      return strict === 14 ? `${d} = ${s}` : `${d} = (s${o.width})${s}`;
    case 'end': {
      const name = !o.is32 ? 'bswap' : o.srcKind === BPF_TO_BE ? 'be' : 'le';
      return `r${insn.dst} = ${name}${o.width} r${insn.dst}`;
    }
    case 'ja':
      return o.is32 ? `gotol ${f.rel(insn.imm)}` : `goto ${f.rel(insn.off)}`;
    case 'jcond': {
      const rhs = o.srcKind === BPF_K ? f.num(insn.imm) : s;
      return `if ${d} ${JMP_SYMBOL.get(o.op)} ${rhs} goto ${f.rel(insn.off)}`;
    }
    case 'call':
      return `call ${f.num(insn.imm)}`;
    case 'call_local':
      return opts.roundTrip ? `call local ${f.rel(insn.imm)}` : `call ${f.num(insn.imm)}`;
    case 'call_kfunc':
      return opts.roundTrip ? `call kfunc ${f.num(insn.imm)}` : `call ${f.num(insn.imm)}`;
    case 'callx':
      // LLVM 14 encoded callx's register in imm; LLVM 19 and the kernel use dst.
      return `callx r${strict === 14 ? insn.imm : insn.dst}`;
    case 'exit':
      return 'exit';
    case 'ldx':
      return `${memReg(insn.dst)} = *(u${bits} *)(${f.memOff(`r${insn.src}`, insn.off)})`;
    case 'ldxsx':
      return `r${insn.dst} = *(s${bits} *)(${f.memOff(`r${insn.src}`, insn.off)})`;
    case 'st':
      return `*(u${bits} *)(${f.memOff(`r${insn.dst}`, insn.off)}) = ${f.num(insn.imm)}`;
    case 'stx':
      return `*(u${bits} *)(${f.memOff(`r${insn.dst}`, insn.off)}) = ${memReg(insn.src)}`;
    case 'atomic':
      // The alu32 spelling is the only one llvm has for 32-bit atomics other than add.
      return llvmAtomic(insn, f, alu32 || o.op !== BPF_ADD);
    case 'lddw': {
      if (insn.src === 0) return `r${insn.dst} = ${f.num(BigInt.asIntN(64, imm64(insn)))} ll`;
      // llvm prints pseudo loads raw, imm as unsigned 32 bits, and ignores the second slot.
      const lo = f.hex ? `0x${(insn.imm >>> 0).toString(16)}` : `${insn.imm >>> 0}`;
      const hi = opts.roundTrip && (insn.imm2 ?? 0) !== 0 ? `, ${f.num(insn.imm2 ?? 0)}` : '';
      return `ld_pseudo\tr${insn.dst}, ${f.num(insn.src)}, ${lo}${hi}`;
    }
    case 'ldabs':
      return `r0 = *(u${bits} *)skb[${f.num(insn.imm)}]`;
    case 'ldind': {
      // llvm drops LD_IND's imm; keep it when asked to round-trip.
      const add = opts.roundTrip && insn.imm !== 0 ? ` ${insn.imm < 0 ? '-' : '+'} ${f.num(Math.abs(insn.imm))}` : '';
      return `r0 = *(u${bits} *)skb[r${insn.src}${add}]`;
    }
  }
}

function llvmAtomic(insn: Insn, f: Fmt, alu32: boolean): string {
  const o = insn.op;
  const bits = o.width * 8;
  const addr = f.memOff(`r${insn.dst}`, insn.off);
  const wide = (n: number): string => `${o.is32 ? 'w' : 'r'}${n}`;
  if (o.op === BPF_XCHG) return `${wide(insn.src)} = xchg${o.is32 ? '32_32' : '_64'}(${addr}, ${wide(insn.src)})`;
  if (o.op === BPF_CMPXCHG) return `${wide(0)} = cmpxchg${o.is32 ? '32_32' : '_64'}(${addr}, ${wide(0)}, ${wide(insn.src)})`;
  const base = o.op & ~BPF_FETCH;
  if (o.op & BPF_FETCH) return `${wide(insn.src)} = atomic_fetch_${ATOMIC_NAME.get(base)}((u${bits} *)(${addr}), ${wide(insn.src)})`;
  const reg = `${o.is32 && alu32 ? 'w' : 'r'}${insn.src}`;
  return `lock *(u${bits} *)(${addr}) ${ALU_SYMBOL.get(base)}= ${reg}`;
}

function ubpfMem(reg: number, off: number): string {
  return off === 0 ? `[%r${reg}]` : `[%r${reg}${off < 0 ? '' : '+'}${off}]`;
}

function ubpfText(insn: Insn): string {
  const o = insn.op;
  const m = o.mnemonic;
  const d = `%r${insn.dst}`;
  const s = `%r${insn.src}`;
  const rel = (v: number): string => (v < 0 ? `${v}` : `+${v}`);
  switch (o.kind) {
    case 'alu':
    case 'mov':
      return `${m} ${d}, ${o.srcKind === BPF_K ? insn.imm : s}`;
    case 'movsx':
      return `${m} ${d}, ${s}`;
    case 'neg':
    case 'end':
    case 'callx':
      return `${m} ${d}`;
    case 'ja':
      return `${m} ${rel(o.is32 ? insn.imm : insn.off)}`;
    case 'jcond':
      return `${m} ${d}, ${o.srcKind === BPF_K ? insn.imm : s}, ${rel(insn.off)}`;
    case 'call':
    case 'call_kfunc':
      return `${m} ${insn.imm}`;
    case 'call_local':
      return `${m} ${rel(insn.imm)}`;
    case 'exit':
      return m;
    case 'ldx':
    case 'ldxsx':
      return `${m} ${d}, ${ubpfMem(insn.src, insn.off)}`;
    case 'st':
      return `${m} ${ubpfMem(insn.dst, insn.off)}, ${insn.imm}`;
    case 'stx':
    case 'atomic':
      return `${m} ${ubpfMem(insn.dst, insn.off)}, ${s}`;
    case 'lddw': {
      if (insn.src === 0) return `${m} ${d}, 0x${imm64(insn).toString(16)}`;
      // bpf_conformance has no spelling for pseudo loads; borrow llvm's.
      const hi = (insn.imm2 ?? 0) !== 0 ? `, ${insn.imm2}` : '';
      return `ld_pseudo ${d}, ${insn.src}, ${insn.imm >>> 0}${hi}`;
    }
    case 'ldabs':
      return `${m} ${insn.imm}`;
    case 'ldind':
      return `${m} ${s}, ${insn.imm}`;
  }
}

/** One instruction as text, without address or bytes. */
export function disasmInsn(insn: Insn, opts: DisasmOptions = {}): string {
  return opts.syntax === 'ubpf' ? ubpfText(insn) : llvmText(insn, opts);
}

/** A program as text, one line per instruction (LD_IMM64 is one line). */
export function disasm(insns: readonly Insn[], opts: DisasmOptions = {}): string[] {
  return insns.map((i) => disasmInsn(i, opts));
}

export interface ObjdumpOptions extends DisasmOptions {
  /** Symbol at a slot, printed as a `0000000000000000 <xdp_prog>:` header and used for jump targets. */
  names?: (pc: number) => string | undefined;
  /** Relocation(s) at a slot, e.g. `R_BPF_64_64\tmy_map`, printed after it as llvm-objdump -r does. */
  relocs?: (pc: number) => string | readonly string[] | undefined;
  /** Source text before a slot (llvm-objdump -S / -l); each line is printed after `; `. */
  lines?: (pc: number) => string | undefined;
  /** Show the instruction bytes (default true; false is `--no-show-raw-insn`). */
  rawInsn?: boolean;
  /** Section name, the fallback symbol when no name covers slot 0 (default `.text`). */
  section?: string;
}

const hex16 = (n: bigint): string => n.toString(16).padStart(16, '0');
const U64 = (1n << 64n) - 1n;

/**
 * Lines as `llvm-objdump -d [-r] [-S]` prints one section's instructions, from the first
 * symbol header on: headers separated by a blank line, `<sym+0x..>` after jump targets.
 * Addresses are the instructions' `pc` (slots of 8 bytes).
 */
export function formatObjdump(insns: readonly Insn[], opts: ObjdumpOptions = {}): string[] {
  const syms: { pc: number; name: string }[] = [];
  const nameAt = (pc: number): string | undefined => opts.names?.(pc) ?? (pc === 0 ? (opts.section ?? '.text') : undefined);
  for (const i of insns) {
    const n = nameAt(i.pc);
    if (n !== undefined) syms.push({ pc: i.pc, name: n });
  }
  const targetNote = (target: number): string => {
    const addr = BigInt.asUintN(64, BigInt(target) * BigInt(INSN_SIZE));
    let best: { pc: number; name: string } | undefined;
    for (const s of syms) if (BigInt(s.pc * INSN_SIZE) <= addr) best = s;
    if (!best) return '';
    const delta = (addr - BigInt(best.pc * INSN_SIZE)) & U64;
    return delta === 0n ? ` <${best.name}>` : ` <${best.name}+0x${delta.toString(16)}>`;
  };
  const out: string[] = [];
  for (const i of insns) {
    const name = nameAt(i.pc);
    if (name !== undefined) {
      if (out.length > 0) out.push('');
      out.push(`${hex16(BigInt(i.pc * INSN_SIZE))} <${name}>:`);
    }
    const src = opts.lines?.(i.pc);
    if (src !== undefined) for (const l of src.split('\n')) out.push(`; ${l}`);
    let text = disasmInsn(i, opts);
    if (text !== UNKNOWN && (opts.syntax ?? 'llvm') === 'llvm' && (i.op.kind === 'ja' || i.op.kind === 'jcond')) {
      text += targetNote(i.pc + 1 + (i.op.kind === 'ja' && i.op.is32 ? i.imm : i.off));
    }
    const addr = `${String(i.pc).padStart(8)}:`;
    if (opts.rawInsn ?? true) {
      const bytes = Array.from(encode([i]), (b) => b.toString(16).padStart(2, '0')).join(' ');
      out.push(`${addr}\t${bytes}\t${text}`);
    } else {
      out.push(`${addr}\t${text}`);
    }
    const r = opts.relocs?.(i.pc);
    if (r !== undefined) {
      for (const rel of typeof r === 'string' ? [r] : r) out.push(`\t\t${hex16(BigInt(i.pc * INSN_SIZE))}:  ${rel}`);
    }
  }
  return out;
}
