/**
 * Assembler: text to eBPF instructions. Reads, line by line and mixed freely,
 *  - llvm's C-like BPF syntax as llvm-objdump prints it (`r1 = *(u32 *)(r1 + 4)`,
 *    `if r1 > r2 goto +3`), including whole objdump lines (`  12:\t61 12 .. \tr2 = ...`,
 *    `<sym>` headers, relocation lines), and
 *  - the uBPF/bpf_conformance syntax (`ldxw %r0, [%r1+4]`, `jeq %r1, 0x11, label`), with the
 *    error messages bpf_conformance's own assembler gives, so its negative tests pass.
 * Opcodes come from the table: an instruction is found by its OpSpec fields or mnemonic.
 */
import {
  BPF_CMPXCHG,
  BPF_FETCH,
  BPF_K,
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_KFUNC_CALL,
  BPF_REG_FP,
  BPF_TO_BE,
  BPF_TO_LE,
  BPF_X,
  BPF_XCHG,
  OPS,
  OPS_BY_MNEMONIC,
  type OpKind,
  type OpSpec,
} from './opcodes.ts';
import { decode, hexToBytes, layout, make, slots, type Insn } from './insn.ts';
import { ALU_SYMBOL, ATOMIC_NAME, JMP_SYMBOL, SIGNED_OFF, UNKNOWN } from './disasm.ts';

/** A line that does not assemble. `message` is the bare reason (bpf_conformance's wording). */
export class AsmError extends Error {
  constructor(
    message: string,
    /** 1-based line number in the source text. */
    readonly line: number,
    /** The offending source line. */
    readonly source: string = '',
  ) {
    super(message);
    this.name = 'AsmError';
  }
}

export interface AsmOptions {
  /** Labels defined outside the text (e.g. function entry points), by slot index. */
  labels?: Readonly<Record<string, number>>;
}

/** Where a symbolic target is patched once all labels are known. */
interface Fixup {
  index: number;
  label: string;
  field: 'off' | 'imm';
}

/** Thrown inside one line; the caller adds the line number. */
class LineError extends Error {}
const fail = (msg: string): never => {
  throw new LineError(msg);
};

const INT32_MIN = -(2n ** 31n);
const UINT32_END = 2n ** 32n;
const INT16_MIN = -(2 ** 15);
const INT16_MAX = 2 ** 15 - 1;

const NUM_RE = /^[+-]?(?:0x[0-9a-f]+|\d+)$/i;
const LABEL_RE = /^[A-Za-z_.$][\w.$]*$/;

function parseNum(text: string): bigint | undefined {
  const t = text.replace(/\s+/g, '');
  if (!NUM_RE.test(t)) return undefined;
  const neg = t.startsWith('-');
  const mag = BigInt(t.replace(/^[+-]/, ''));
  return neg ? -mag : mag;
}

const isHex = (text: string): boolean => /0x/i.test(text);

/**
 * A 32-bit immediate as the signed value stored in `imm`. bpf_conformance reads hex as unsigned
 * (up to 0xffffffff) and decimal as signed; llvm takes either radix in [-2^31, 2^32).
 */
function imm32(text: string, llvm: boolean): number {
  const v = parseNum(text);
  if (v === undefined) return fail(`Invalid immediate: ${text}`);
  const max = llvm || isHex(text) ? UINT32_END : -INT32_MIN;
  if (v < INT32_MIN || v >= max) fail(`Immediate out of 32-bit range: ${text}`);
  return Number(BigInt.asIntN(32, v));
}

/** A 64-bit LD_IMM64 constant, two's complement. */
function imm64(text: string): bigint {
  const v = parseNum(text);
  if (v === undefined) return fail(`Invalid immediate: ${text}`);
  if (v < -(2n ** 63n) || v >= 2n ** 64n) fail(`Immediate out of 64-bit range: ${text}`);
  return BigInt.asUintN(64, v);
}

/** A 16-bit offset; hex may be written unsigned (0xfff8 is -8), decimal must be signed. */
function off16(text: string, shown: string = text): number {
  const v = parseNum(text);
  if (v === undefined) return fail(`Invalid offset: ${shown}`);
  const lo = BigInt(INT16_MIN);
  const hi = isHex(text) ? 0xffffn : BigInt(INT16_MAX);
  if (v < lo || v > hi) fail(`Offset out of 16-bit range: ${shown}`);
  return Number(BigInt.asIntN(16, v));
}

function findOp(kind: OpKind, pred: (o: OpSpec) => boolean = () => true): OpSpec {
  const o = OPS.find((x) => x.kind === kind && pred(x));
  return o ?? fail(`no ${kind} instruction of that form`);
}

const invert = (m: ReadonlyMap<number, string>): Map<string, number> => new Map([...m].map(([k, v]) => [v, k]));
const ALU_BY_SYMBOL = invert(ALU_SYMBOL);
const JMP_BY_SYMBOL = invert(JMP_SYMBOL);
const ATOMIC_BY_NAME = invert(ATOMIC_NAME);

/** The encoded state of one line before its label (if any) is resolved. */
interface Parsed {
  insn: Insn;
  target?: { label: string; field: 'off' | 'imm' };
}

/** A jump/call target: `+N`/`-N` (relative, in slots) or a label. */
function target(text: string, field: 'off' | 'imm', fields: Record<string, number>, llvm: boolean): Parsed['target'] {
  const t = text.trim();
  if (/^[+-]/.test(t)) {
    fields[field] = field === 'off' ? off16(t) : imm32(t, llvm);
    return undefined;
  }
  if (!LABEL_RE.test(t)) fail(`Invalid label: ${t}`);
  return { label: t, field };
}

// ---------------------------------------------------------------------------------------------
// uBPF / bpf_conformance syntax

function ubpfReg(text: string): number {
  const m = /^%r(\d+)$/.exec(text);
  const n = m ? Number(m[1]) : NaN;
  if (!(n >= 0 && n <= BPF_REG_FP)) fail(`Invalid register: ${text}`);
  return n;
}

/** `[%r1+4]`, `[%r10-8]`, `[%r1]`; the error texts are bpf_conformance's. */
function ubpfMem(text: string): { reg: number; off: number } {
  const open = text.indexOf('[');
  let end = text.indexOf('+');
  if (end < 0) end = text.indexOf('-');
  if (end < 0) end = text.indexOf(']');
  if (open < 0 || end < 0) return fail(`Failed to decode register and offset: ${text}`);
  const reg = ubpfReg(text.slice(open + 1, end));
  if (text[end] === ']') return { reg, off: 0 };
  const close = text.indexOf(']', end);
  return { reg, off: off16(text.slice(end, close < 0 ? undefined : close), text.slice(end)) };
}

/** Operands split on commas and blanks; a bracketed memory operand stays whole. */
function splitOperands(rest: string): string[] {
  const squashed = rest.replace(/\[[^\]]*\]/g, (m) => m.replace(/\s+/g, ''));
  return squashed.split(/[\s,]+/).filter((s) => s.length > 0);
}

const ALIASES: Readonly<Record<string, string>> = { swap16: 'bswap16', swap32: 'bswap32', swap64: 'bswap64' };

function ubpfOps(mnemonic: string): readonly OpSpec[] | undefined {
  const direct = OPS_BY_MNEMONIC.get(mnemonic) ?? OPS_BY_MNEMONIC.get(ALIASES[mnemonic] ?? '');
  if (direct) return direct;
  // uBPF spells 64-bit ALU ops with an optional "64" suffix (add64, mov64, neg64).
  if (mnemonic.endsWith('64')) {
    const base = OPS_BY_MNEMONIC.get(mnemonic.slice(0, -2));
    if (base?.every((o) => (o.kind === 'alu' || o.kind === 'mov' || o.kind === 'neg') && !o.is32)) return base;
  }
  return undefined;
}

function parseUbpf(line: string): Parsed {
  const words = line.trim().split(/\s+/);
  const mnemonic = words[0].toLowerCase();
  const rest = line.trim().slice(words[0].length);
  if (mnemonic === 'lock') return parseUbpfLock(rest);
  if (mnemonic === 'call' || mnemonic === 'callx') return parseCall(splitOperands(rest), mnemonic, false);
  if (mnemonic === 'ld_pseudo') return parsePseudo(splitOperands(rest), false);
  const ops = ubpfOps(mnemonic) ?? fail(`Invalid mnemonic: ${mnemonic}`);
  const operands = splitOperands(rest);
  const o0 = ops[0];
  const count = (n: number): void => {
    if (operands.length !== n) fail(`Invalid number of operands for mnemonic: ${mnemonic}`);
  };
  const byOperand = (text: string): OpSpec => {
    const kind = text.startsWith('%') ? BPF_X : BPF_K;
    return ops.find((o) => o.srcKind === kind) ?? fail(`Invalid operand for mnemonic ${mnemonic}: ${text}`);
  };
  const f: Record<string, number> = {};
  switch (o0.kind) {
    case 'alu':
    case 'mov': {
      count(2);
      f.dst = ubpfReg(operands[0]);
      const op = byOperand(operands[1]);
      if (op.srcKind === BPF_X) f.src = ubpfReg(operands[1]);
      else f.imm = imm32(operands[1], false);
      return { insn: make(op, f) };
    }
    case 'movsx':
      count(2);
      return { insn: make(o0, { dst: ubpfReg(operands[0]), src: ubpfReg(operands[1]) }) };
    case 'neg':
    case 'end':
    case 'callx':
      count(1);
      return { insn: make(o0, { dst: ubpfReg(operands[0]) }) };
    case 'ja': {
      count(1);
      const t = target(operands[0], o0.is32 ? 'imm' : 'off', f, false);
      return { insn: make(o0, f), target: t };
    }
    case 'jcond': {
      count(3);
      f.dst = ubpfReg(operands[0]);
      const op = byOperand(operands[1]);
      if (op.srcKind === BPF_X) f.src = ubpfReg(operands[1]);
      else f.imm = imm32(operands[1], false);
      const t = target(operands[2], 'off', f, false);
      return { insn: make(op, f), target: t };
    }
    case 'exit':
      count(0);
      return { insn: make(o0) };
    case 'ldx':
    case 'ldxsx': {
      count(2);
      const dst = ubpfReg(operands[0]);
      const { reg, off } = ubpfMem(operands[1]);
      return { insn: make(o0, { dst, src: reg, off }) };
    }
    case 'st': {
      count(2);
      const { reg, off } = ubpfMem(operands[0]);
      return { insn: make(o0, { dst: reg, off, imm: imm32(operands[1], false) }) };
    }
    case 'stx': {
      count(2);
      const { reg, off } = ubpfMem(operands[0]);
      return { insn: make(o0, { dst: reg, off, src: ubpfReg(operands[1]) }) };
    }
    case 'lddw': {
      count(2);
      return { insn: lddw(ubpfReg(operands[0]), imm64(operands[1])) };
    }
    case 'ldabs':
      count(1);
      return { insn: make(o0, { imm: imm32(operands[0], false) }) };
    case 'ldind':
      count(2);
      return { insn: make(o0, { src: ubpfReg(operands[0]), imm: imm32(operands[1], false) }) };
    default:
      return fail(`Invalid mnemonic: ${mnemonic}`);
  }
}

/** `lock [fetch] op[32] [mem], %src`; error texts follow bpf_conformance. */
function parseUbpfLock(rest: string): Parsed {
  const parts = splitOperands(rest);
  if (parts.length === 0) fail('Invalid number of operands for lock');
  const words: string[] = [];
  while (parts.length > 0 && !/^[[%]/.test(parts[0])) words.push(parts.shift()!.toLowerCase());
  const ops = OPS_BY_MNEMONIC.get(`lock ${words.join(' ')}`);
  if (!ops) return fail(`Invalid mnemonic: lock ${words.join(' ')}`.trimEnd());
  if (parts.length !== 2) fail(`Invalid number of operands for mnemonic: ${words[words.length - 1]}`);
  const { reg, off } = ubpfMem(parts[0]);
  return { insn: make(ops[0], { dst: reg, off, src: ubpfReg(parts[1]) }) };
}

function lddw(dst: number, v: bigint, src = 0): Insn {
  return make(OPS_BY_MNEMONIC.get('lddw')![0], {
    dst,
    src,
    imm: Number(BigInt.asIntN(32, v)),
    imm2: Number(BigInt.asIntN(32, v >> 32n)),
  });
}

// ---------------------------------------------------------------------------------------------
// Forms both syntaxes share: call, callx, ld_pseudo, exit

/** `call 5`, `call %r2`, `call helper 5`, `call local label`, `call kfunc 5` / `call runtime 5`, `callx r2`. */
function parseCall(operands: string[], mnemonic: string, llvm: boolean): Parsed {
  const reg = (t: string): number => (llvm ? llvmReg(t).n : ubpfReg(t));
  const isReg = (t: string): boolean => /^%?r\d+$/.test(t);
  const callx = findOp('callx');
  if (mnemonic === 'callx') {
    if (operands.length !== 1) fail(`Invalid number of operands for mnemonic: ${mnemonic}`);
    return { insn: make(callx, { dst: reg(operands[0]) }) };
  }
  let mode = 'helper';
  let t: string;
  if (operands.length === 2) [mode, t] = operands;
  else if (operands.length === 1) t = operands[0];
  else return fail(`Invalid number of operands for mnemonic: ${mnemonic}`);
  if (mode === 'helper') {
    if (isReg(t)) return { insn: make(callx, { dst: reg(t) }) };
    // A bare name is a bpf-to-bpf call to a label.
    if (parseNum(t) === undefined && LABEL_RE.test(t)) mode = 'local';
    else return { insn: make(findOp('call'), { imm: imm32(t, llvm) }) };
  }
  if (mode === 'local') {
    const f: Record<string, number> = {};
    const tg = target(t, 'imm', f, llvm);
    return { insn: make(findOp('call_local'), { ...f, src: BPF_PSEUDO_CALL }), target: tg };
  }
  if (mode === 'kfunc' || mode === 'runtime') {
    return { insn: make(findOp('call_kfunc'), { imm: imm32(t, llvm), src: BPF_PSEUDO_KFUNC_CALL }) };
  }
  return fail('Invalid call mode');
}

/** llvm's `ld_pseudo r1, 1, 5` (LD_IMM64 with a src pseudo kind); a 4th operand is the second slot's imm. */
function parsePseudo(operands: string[], llvm: boolean): Parsed {
  if (operands.length !== 3 && operands.length !== 4) fail('Invalid number of operands for mnemonic: ld_pseudo');
  const dst = llvm ? llvmReg(operands[0]).n : ubpfReg(operands[0].startsWith('%') ? operands[0] : `%${operands[0]}`);
  const src = parseNum(operands[1]);
  if (src === undefined || src < 1n || src > 15n) fail(`Invalid pseudo source: ${operands[1]}`);
  const lo = imm32(operands[2], true);
  const hi = operands.length === 4 ? imm32(operands[3], true) : 0;
  return { insn: lddw(dst, (BigInt(hi) << 32n) | BigInt(lo >>> 0), Number(src)) };
}

// ---------------------------------------------------------------------------------------------
// llvm syntax

function llvmReg(text: string): { w: boolean; n: number } {
  const m = /^([rw])(\d+)$/.exec(text.trim());
  const n = m ? Number(m[2]) : NaN;
  if (!m || !(n >= 0 && n <= BPF_REG_FP)) fail(`Invalid register: ${text.trim()}`);
  return { w: m![1] === 'w', n };
}

/** Both registers of a 32- or 64-bit operation name the same width. */
function sameWidth(a: { w: boolean }, b: { w: boolean }, text: string): void {
  if (a.w !== b.w) fail(`Mixed w and r registers: ${text}`);
}

const NU = String.raw`(?:0x[0-9a-fA-F]+|\d+)`;
const N = String.raw`[+-]?\s*${NU}`;
const R = String.raw`[rw]\d+`;
const MEM = String.raw`(r\d+)\s*([+-])\s*(${NU})`;
const TGT = String.raw`[+-]\s*(?:0x[0-9a-fA-F]+|\d+)|[A-Za-z_.$][\w.$]*`;
const re = (s: string): RegExp => new RegExp(`^${s}$`);

const L = {
  mov: re(String.raw`(${R})\s*=\s*(${R}|${N})`),
  neg: re(String.raw`(${R})\s*=\s*-\s*(${R})`),
  alu: re(String.raw`(${R})\s*(s/|s%|s>>|<<|>>|\+|-|\*|/|\||&|%|\^)=\s*(${R}|${N})`),
  end: re(String.raw`r(\d+)\s*=\s*(be|le|bswap)(\d+)\s+r(\d+)`),
  movsx: re(String.raw`(${R})\s*=\s*\(s(\d+)\)\s*(${R})`),
  ldx: re(String.raw`(${R})\s*=\s*\*\s*\(\s*([us])(\d+)\s*\*\s*\)\s*\(\s*${MEM}\s*\)`),
  st: re(String.raw`\*\s*\(\s*u(\d+)\s*\*\s*\)\s*\(\s*${MEM}\s*\)\s*=\s*(${R}|${N})`),
  lock: re(String.raw`lock\s+\*\s*\(\s*u(\d+)\s*\*\s*\)\s*\(\s*${MEM}\s*\)\s*(\+|\||&|\^)=\s*(${R})`),
  fetch: re(String.raw`(${R})\s*=\s*atomic_fetch_(\w+)\s*\(\s*\(\s*u(\d+)\s*\*\s*\)\s*\(\s*${MEM}\s*\)\s*,\s*(${R})\s*\)`),
  xchg: re(String.raw`(${R})\s*=\s*xchg(_64|32_32)\s*\(\s*${MEM}\s*,\s*(${R})\s*\)`),
  cmpxchg: re(String.raw`(${R})\s*=\s*cmpxchg(_64|32_32)\s*\(\s*${MEM}\s*,\s*(${R})\s*,\s*(${R})\s*\)`),
  ldabs: re(String.raw`r0\s*=\s*\*\s*\(\s*u(\d+)\s*\*\s*\)\s*skb\s*\[\s*(${N})\s*\]`),
  ldind: re(String.raw`r0\s*=\s*\*\s*\(\s*u(\d+)\s*\*\s*\)\s*skb\s*\[\s*r(\d+)\s*(?:([+-])\s*(${NU}))?\s*\]`),
  lddw: re(String.raw`r(\d+)\s*=\s*(${N})\s+ll`),
  goto: re(String.raw`(goto|gotol)\s+(${TGT})`),
  jcond: re(String.raw`if\s+(${R})\s*(==|!=|s>=|s<=|s>|s<|>=|<=|>|<|&)\s*(${R}|${N})\s+goto\s+(${TGT})`),
};

/** Base register and signed offset of `(r10 - 8)`. */
function llvmMem(reg: string, sign: string, num: string): { reg: number; off: number } {
  const r = llvmReg(reg);
  const v = parseNum(num);
  const off = v === undefined ? NaN : Number(sign === '-' ? -v : v);
  if (!(off >= INT16_MIN && off <= INT16_MAX)) fail(`Offset out of 16-bit range: ${sign} ${num}`);
  return { reg: r.n, off };
}

const bytesOf = (bits: string): number => Number(bits) / 8;

/** Fetching atomics name w registers when 32 bits wide, r registers when 64. */
function atomicReg(text: string, width: number): { w: boolean; n: number } {
  const r = llvmReg(text);
  if (r.w !== (width === 4)) fail(`Invalid register: ${text}`);
  return r;
}

function parseLlvm(line: string): Parsed {
  const t = line.trim().replace(/\s+/g, ' ');
  let m: RegExpExecArray | null;
  const f: Record<string, number> = {};
  if ((m = L.lddw.exec(t))) return { insn: lddw(llvmReg(`r${m[1]}`).n, imm64(m[2])) };
  if ((m = L.neg.exec(t))) {
    const d = llvmReg(m[1]);
    const s = llvmReg(m[2]);
    sameWidth(d, s, t);
    if (d.n !== s.n) fail(`neg takes one register: ${t}`);
    return { insn: make(findOp('neg', (o) => o.is32 === d.w), { dst: d.n }) };
  }
  if ((m = L.mov.exec(t))) {
    const d = llvmReg(m[1]);
    if (/^[rw]/.test(m[2])) {
      const s = llvmReg(m[2]);
      sameWidth(d, s, t);
      return { insn: make(findOp('mov', (o) => o.is32 === d.w && o.srcKind === BPF_X), { dst: d.n, src: s.n }) };
    }
    return { insn: make(findOp('mov', (o) => o.is32 === d.w && o.srcKind === BPF_K), { dst: d.n, imm: imm32(m[2], true) }) };
  }
  if ((m = L.alu.exec(t))) {
    const d = llvmReg(m[1]);
    const signed = m[2] === 's/' || m[2] === 's%';
    const op = ALU_BY_SYMBOL.get(signed ? m[2].slice(1) : m[2])!;
    const isReg = /^[rw]/.test(m[3]);
    const spec = findOp('alu', (o) => o.is32 === d.w && o.op === op && o.srcKind === (isReg ? BPF_X : BPF_K) && (o.offIs === SIGNED_OFF) === signed);
    if (isReg) {
      const s = llvmReg(m[3]);
      sameWidth(d, s, t);
      return { insn: make(spec, { dst: d.n, src: s.n }) };
    }
    return { insn: make(spec, { dst: d.n, imm: imm32(m[3], true) }) };
  }
  if ((m = L.end.exec(t))) {
    if (m[1] !== m[4]) fail(`byte swap takes one register: ${t}`);
    const kind = m[2];
    const spec = findOp('end', (o) => o.width === Number(m![3]) && (kind === 'bswap' ? !o.is32 : o.is32 && o.srcKind === (kind === 'be' ? BPF_TO_BE : BPF_TO_LE)));
    return { insn: make(spec, { dst: llvmReg(`r${m[1]}`).n }) };
  }
  if ((m = L.movsx.exec(t))) {
    const d = llvmReg(m[1]);
    const s = llvmReg(m[3]);
    sameWidth(d, s, t);
    return { insn: make(findOp('movsx', (o) => o.is32 === d.w && o.width === Number(m![2])), { dst: d.n, src: s.n }) };
  }
  if ((m = L.ldx.exec(t))) {
    const d = llvmReg(m[1]);
    const width = bytesOf(m[3]);
    const kind = m[2] === 's' ? 'ldxsx' : 'ldx';
    // alu32 spelling: w destination for loads narrower than 64 bits.
    if (d.w && (kind === 'ldxsx' || width === 8)) fail(`Invalid register: w${d.n}`);
    const { reg, off } = llvmMem(m[4], m[5], m[6]);
    return { insn: make(findOp(kind, (o) => o.width === width), { dst: d.n, src: reg, off }) };
  }
  if ((m = L.st.exec(t))) {
    const width = bytesOf(m[1]);
    const { reg, off } = llvmMem(m[2], m[3], m[4]);
    if (/^[rw]/.test(m[5])) {
      const s = llvmReg(m[5]);
      if (s.w && width === 8) fail(`Invalid register: w${s.n}`);
      return { insn: make(findOp('stx', (o) => o.width === width), { dst: reg, off, src: s.n }) };
    }
    return { insn: make(findOp('st', (o) => o.width === width), { dst: reg, off, imm: imm32(m[5], true) }) };
  }
  if ((m = L.lock.exec(t))) {
    const width = bytesOf(m[1]);
    const { reg, off } = llvmMem(m[2], m[3], m[4]);
    const op = ALU_BY_SYMBOL.get(m[5])!;
    const s = llvmReg(m[6]);
    // Plain 32-bit atomics name an r register unless printed with alu32; 64-bit ones never a w.
    if (s.w && width === 8) fail(`Invalid register: w${s.n}`);
    return { insn: make(findOp('atomic', (o) => o.width === width && o.op === op), { dst: reg, off, src: s.n }) };
  }
  if ((m = L.fetch.exec(t))) {
    const base = ATOMIC_BY_NAME.get(m[2]) ?? fail(`Invalid atomic operation: atomic_fetch_${m[2]}`);
    const width = bytesOf(m[3]);
    const { reg, off } = llvmMem(m[4], m[5], m[6]);
    const s = atomicReg(m[7], width);
    if (m[1] !== m[7]) fail(`atomic_fetch_${m[2]} returns into its source register: ${t}`);
    return { insn: make(findOp('atomic', (o) => o.width === width && o.op === (base | BPF_FETCH)), { dst: reg, off, src: s.n }) };
  }
  if ((m = L.xchg.exec(t))) {
    const width = m[2] === '_64' ? 8 : 4;
    const { reg, off } = llvmMem(m[3], m[4], m[5]);
    if (m[1] !== m[6]) fail(`xchg returns into its source register: ${t}`);
    return { insn: make(findOp('atomic', (o) => o.width === width && o.op === BPF_XCHG), { dst: reg, off, src: atomicReg(m[6], width).n }) };
  }
  if ((m = L.cmpxchg.exec(t))) {
    const width = m[2] === '_64' ? 8 : 4;
    const { reg, off } = llvmMem(m[3], m[4], m[5]);
    // cmpxchg compares with and returns into r0 implicitly.
    if (atomicReg(m[1], width).n !== 0 || atomicReg(m[6], width).n !== 0) fail(`cmpxchg uses r0: ${t}`);
    return { insn: make(findOp('atomic', (o) => o.width === width && o.op === BPF_CMPXCHG), { dst: reg, off, src: atomicReg(m[7], width).n }) };
  }
  if ((m = L.ldabs.exec(t))) {
    const width = bytesOf(m[1]);
    return { insn: make(findOp('ldabs', (o) => o.width === width), { imm: imm32(m[2], true) }) };
  }
  if ((m = L.ldind.exec(t))) {
    const width = bytesOf(m[1]);
    const imm = m[4] === undefined ? 0 : imm32(`${m[3]}${m[4]}`, true);
    return { insn: make(findOp('ldind', (o) => o.width === width), { src: llvmReg(`r${m[2]}`).n, imm }) };
  }
  if ((m = L.goto.exec(t))) {
    const long = m[1] === 'gotol';
    const tg = target(m[2], long ? 'imm' : 'off', f, true);
    return { insn: make(findOp('ja', (o) => o.is32 === long), f), target: tg };
  }
  if ((m = L.jcond.exec(t))) {
    const d = llvmReg(m[1]);
    const op = JMP_BY_SYMBOL.get(m[2])!;
    const isReg = /^[rw]/.test(m[3]);
    f.dst = d.n;
    if (isReg) {
      const s = llvmReg(m[3]);
      sameWidth(d, s, t);
      f.src = s.n;
    } else {
      f.imm = imm32(m[3], true);
    }
    const tg = target(m[4], 'off', f, true);
    return { insn: make(findOp('jcond', (o) => o.is32 === d.w && o.op === op && o.srcKind === (isReg ? BPF_X : BPF_K)), f), target: tg };
  }
  return fail(`Invalid instruction: ${t}`);
}

// ---------------------------------------------------------------------------------------------
// Lines and labels

/** llvm-objdump decoration around an instruction: `  12:\t<hex bytes>\t<text>` and `<sym+0x..>` notes. */
function stripObjdump(line: string): { text: string; bytes?: string } {
  const m = /^\s*\d+:\s+((?:[0-9a-f]{2} ){7}[0-9a-f]{2}(?: (?:[0-9a-f]{2} ){7}[0-9a-f]{2})?)?\s*(.*)$/.exec(line);
  if (!m) return { text: line };
  return { text: m[2], bytes: m[1] };
}

function isLlvmSyntax(t: string): boolean {
  return t.includes('=') || /^(if|goto|gotol)\s/.test(t);
}

function parseLine(text: string): Parsed {
  const t = text.trim();
  const head = t.split(/\s+/)[0].toLowerCase();
  if (isLlvmSyntax(t)) return parseLlvm(t);
  if (head === 'call' || head === 'callx') {
    const ops = splitOperands(t.slice(head.length));
    return parseCall(ops, head, !ops.some((o) => o.startsWith('%')));
  }
  if (head === 'ld_pseudo') {
    const ops = splitOperands(t.slice(head.length));
    return parsePseudo(ops, !ops[0]?.startsWith('%'));
  }
  return parseUbpf(t);
}

function stripComment(line: string): string {
  let cut = line.length;
  for (const c of ['#', ';', '//']) {
    const i = line.indexOf(c);
    if (i >= 0 && i < cut) cut = i;
  }
  return line.slice(0, cut);
}

/** Lines llvm-objdump prints around instructions that carry nothing to assemble. */
const NOISE = [/^\S+:\s+file format /, /^Disassembly of section /, /^[0-9a-f]+:\s+R_[A-Z0-9_]+/, /^\.\.\.$/];
/** Assembler directives in clang -S output (`.text`, `.globl f`); labels are handled first. */
const DIRECTIVE = /^\.[A-Za-z_][\w.]*(\s.*)?$/;

/**
 * Assemble text in either syntax into laid-out instructions (pc set, LD_IMM64 two slots).
 * Labels name the next instruction's slot; jump and `call local` targets may be labels or
 * `+N`/`-N` slot offsets. The first `exit` is also the label `exit` unless one is defined,
 * as in bpf_conformance. Throws AsmError naming the line.
 */
export function assemble(text: string, opts: AsmOptions = {}): Insn[] {
  const out: Insn[] = [];
  const fixups: (Fixup & { line: number; source: string })[] = [];
  const labels = new Map<string, number>(Object.entries(opts.labels ?? {}));
  let firstExit: number | undefined;
  let pc = 0;
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const raw = lines[n];
    const lineNo = n + 1;
    try {
      let t = stripComment(raw).trim();
      if (t === '' || NOISE.some((r) => r.test(t))) continue;
      // objdump symbol header `0000000000000080 <LBB0_3>:` is a label.
      const header = /^[0-9a-f]+\s+<([^<>]+)>:$/.exec(t);
      if (header) {
        defineLabel(labels, header[1], pc);
        continue;
      }
      const lbl = /^([A-Za-z_.$][\w.$]*):\s*(.*)$/.exec(t);
      if (lbl) {
        defineLabel(labels, lbl[1], pc);
        t = lbl[2].trim();
        if (t === '') continue;
      }
      if (DIRECTIVE.test(t)) continue;
      const { text: body, bytes } = stripObjdump(t);
      // objdump's `<sym+0x..>` note after a jump target.
      let insnText = body.trim() === UNKNOWN ? body.trim() : body.replace(/\s*<[^<>]*>\s*$/, '').trim();
      let parsed: Parsed;
      if (insnText === UNKNOWN) {
        if (bytes === undefined) fail('Cannot assemble <unknown> without its bytes');
        parsed = { insn: decodeOne(bytes!) };
        insnText = '';
      } else {
        parsed = parseLine(insnText);
      }
      const insn = parsed.insn;
      insn.pc = pc;
      if (insn.op.kind === 'exit' && firstExit === undefined) firstExit = pc;
      if (parsed.target) fixups.push({ index: out.length, ...parsed.target, line: lineNo, source: raw });
      out.push(insn);
      pc += slots(insn);
    } catch (e) {
      if (e instanceof LineError || e instanceof AsmError) throw new AsmError(e.message, lineNo, raw);
      throw e;
    }
  }
  if (firstExit !== undefined && !labels.has('exit')) labels.set('exit', firstExit);
  for (const fx of fixups) {
    const at = labels.get(fx.label);
    if (at === undefined) throw new AsmError(`Invalid label: ${fx.label}`, fx.line, fx.source);
    const insn = out[fx.index];
    const rel = at - insn.pc - 1;
    if (fx.field === 'off' && (rel < INT16_MIN || rel > INT16_MAX)) {
      throw new AsmError(`Jump to ${fx.label} out of 16-bit range: ${rel}`, fx.line, fx.source);
    }
    insn[fx.field] = rel;
  }
  return layout(out);
}

function defineLabel(labels: Map<string, number>, name: string, pc: number): void {
  if (labels.has(name)) fail(`Duplicate label: ${name}`);
  labels.set(name, pc);
}

function decodeOne(hex: string): Insn {
  try {
    return decode(hexToBytes(hex))[0];
  } catch (e) {
    return fail(`Cannot decode ${hex}: ${(e as Error).message}`);
  }
}
