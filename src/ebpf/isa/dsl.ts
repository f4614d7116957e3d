/**
 * A builder DSL for writing eBPF programs in tests, after cilium/ebpf's asm package:
 *
 *   program(
 *     Mov.imm(R0, 0),
 *     JEq.imm(R1, 0, 'out'),
 *     LoadMapFd(R1, 'counters'),
 *     Call(1),
 *     Label('out'),
 *     Exit(),
 *   )
 *
 * Every builder resolves to an OpSpec by the table's kernel-style name (ALU64_ADD_K,
 * STX_ATOMIC_FETCH_ADD_W, ...), and `ins(name, fields)` reaches any op directly. Jump and
 * local-call targets are labels or raw slot offsets; `program` resolves labels counting
 * LD_IMM64 as two slots.
 */
import { BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE, opByName, type OpSpec } from './opcodes.ts';
import { layout, make, slots, type Insn } from './insn.ts';

export type Reg = number;
export const R0: Reg = 0;
export const R1: Reg = 1;
export const R2: Reg = 2;
export const R3: Reg = 3;
export const R4: Reg = 4;
export const R5: Reg = 5;
export const R6: Reg = 6;
export const R7: Reg = 7;
export const R8: Reg = 8;
export const R9: Reg = 9;
export const R10: Reg = 10;
/** The read-only frame pointer. */
export const RFP: Reg = R10;

/** Access size by the kernel's BPF_SIZE names. */
export type Size = 'B' | 'H' | 'W' | 'DW';
/** A label, or a raw offset in slots relative to the next instruction. */
export type Target = string | number;

export interface Fields {
  dst?: number;
  src?: number;
  off?: number;
  imm?: number;
  imm2?: number;
}

/** One instruction not yet placed in a program. Immutable: `label()` returns a copy. */
export class Item {
  constructor(
    readonly op: OpSpec,
    readonly fields: Fields,
    /** Symbolic target patched into `off` (jumps) or `imm` (gotol, local calls). */
    readonly target?: { to: Target; field: 'off' | 'imm' },
    /** A map or symbol the instruction refers to (LoadMapFd), for the loader to patch. */
    readonly reference?: string,
    readonly labels: readonly string[] = [],
  ) {}

  /** Name this instruction's slot, a jump or call target (cilium's WithSymbol). */
  label(name: string): Item {
    return new Item(this.op, this.fields, this.target, this.reference, [...this.labels, name]);
  }
}

/** A label marking the slot of the instruction that follows it. */
export class LabelMark {
  constructor(readonly name: string) {}
}

export const Label = (name: string): LabelMark => new LabelMark(name);

const item = (name: string, fields: Fields = {}, target?: Item['target'], reference?: string): Item =>
  new Item(opByName(name), fields, target, reference);

/** Any op by its table name, e.g. `ins('ALU64_ADD_K', { dst: R1, imm: 2 })`; `target` labels jumps. */
export function ins(name: string, fields: Fields & { target?: Target } = {}): Item {
  const op = opByName(name);
  const { target, ...rest } = fields;
  if (target === undefined) return new Item(op, rest);
  const field = op.kind === 'jcond' || (op.kind === 'ja' && !op.is32) ? 'off' : 'imm';
  return new Item(op, rest, { to: target, field });
}

export interface AluOp {
  imm(dst: Reg, imm: number): Item;
  reg(dst: Reg, src: Reg): Item;
}

function aluOp(cls: 'ALU64' | 'ALU', op: string): AluOp {
  return {
    imm: (dst, imm) => item(`${cls}_${op}_K`, { dst, imm }),
    reg: (dst, src) => item(`${cls}_${op}_X`, { dst, src }),
  };
}

export const Add = aluOp('ALU64', 'ADD');
export const Sub = aluOp('ALU64', 'SUB');
export const Mul = aluOp('ALU64', 'MUL');
export const Div = aluOp('ALU64', 'DIV');
export const SDiv = aluOp('ALU64', 'SDIV');
export const Or = aluOp('ALU64', 'OR');
export const And = aluOp('ALU64', 'AND');
export const LSh = aluOp('ALU64', 'LSH');
export const RSh = aluOp('ALU64', 'RSH');
export const Mod = aluOp('ALU64', 'MOD');
export const SMod = aluOp('ALU64', 'SMOD');
export const Xor = aluOp('ALU64', 'XOR');
export const Mov = aluOp('ALU64', 'MOV');
export const ArSh = aluOp('ALU64', 'ARSH');
export const Add32 = aluOp('ALU', 'ADD');
export const Sub32 = aluOp('ALU', 'SUB');
export const Mul32 = aluOp('ALU', 'MUL');
export const Div32 = aluOp('ALU', 'DIV');
export const SDiv32 = aluOp('ALU', 'SDIV');
export const Or32 = aluOp('ALU', 'OR');
export const And32 = aluOp('ALU', 'AND');
export const LSh32 = aluOp('ALU', 'LSH');
export const RSh32 = aluOp('ALU', 'RSH');
export const Mod32 = aluOp('ALU', 'MOD');
export const SMod32 = aluOp('ALU', 'SMOD');
export const Xor32 = aluOp('ALU', 'XOR');
export const Mov32 = aluOp('ALU', 'MOV');
export const ArSh32 = aluOp('ALU', 'ARSH');

export const Neg = (dst: Reg): Item => item('ALU64_NEG', { dst });
export const Neg32 = (dst: Reg): Item => item('ALU_NEG', { dst });
/** dst = (s<bits>)src, 64-bit. */
export const MovSX = (dst: Reg, src: Reg, bits: 8 | 16 | 32): Item => item(`ALU64_MOVSX${bits}_X`, { dst, src });
/** dst = (s<bits>)src, 32-bit. */
export const MovSX32 = (dst: Reg, src: Reg, bits: 8 | 16): Item => item(`ALU_MOVSX${bits}_X`, { dst, src });
export const ToLE = (dst: Reg, bits: 16 | 32 | 64): Item => item(`ALU_END_TO_LE_${bits}`, { dst });
export const ToBE = (dst: Reg, bits: 16 | 32 | 64): Item => item(`ALU_END_TO_BE_${bits}`, { dst });
export const BSwap = (dst: Reg, bits: 16 | 32 | 64): Item => item(`ALU64_BSWAP_${bits}`, { dst });

export interface JumpOp {
  imm(dst: Reg, imm: number, to: Target): Item;
  reg(dst: Reg, src: Reg, to: Target): Item;
}

function jumpOp(cls: 'JMP' | 'JMP32', op: string): JumpOp {
  return {
    imm: (dst, imm, to) => item(`${cls}_${op}_K`, { dst, imm }, { to, field: 'off' }),
    reg: (dst, src, to) => item(`${cls}_${op}_X`, { dst, src }, { to, field: 'off' }),
  };
}

export const JEq = jumpOp('JMP', 'JEQ');
export const JGT = jumpOp('JMP', 'JGT');
export const JGE = jumpOp('JMP', 'JGE');
export const JSet = jumpOp('JMP', 'JSET');
export const JNE = jumpOp('JMP', 'JNE');
export const JSGT = jumpOp('JMP', 'JSGT');
export const JSGE = jumpOp('JMP', 'JSGE');
export const JLT = jumpOp('JMP', 'JLT');
export const JLE = jumpOp('JMP', 'JLE');
export const JSLT = jumpOp('JMP', 'JSLT');
export const JSLE = jumpOp('JMP', 'JSLE');
export const JEq32 = jumpOp('JMP32', 'JEQ');
export const JGT32 = jumpOp('JMP32', 'JGT');
export const JGE32 = jumpOp('JMP32', 'JGE');
export const JSet32 = jumpOp('JMP32', 'JSET');
export const JNE32 = jumpOp('JMP32', 'JNE');
export const JSGT32 = jumpOp('JMP32', 'JSGT');
export const JSGE32 = jumpOp('JMP32', 'JSGE');
export const JLT32 = jumpOp('JMP32', 'JLT');
export const JLE32 = jumpOp('JMP32', 'JLE');
export const JSLT32 = jumpOp('JMP32', 'JSLT');
export const JSLE32 = jumpOp('JMP32', 'JSLE');

/** goto: 16-bit offset. */
export const Ja = (to: Target): Item => item('JMP_JA', {}, { to, field: 'off' });
/** gotol: 32-bit offset in imm (cpu v4). */
export const Ja32 = (to: Target): Item => item('JMP32_JA', {}, { to, field: 'imm' });
/** Helper call by id. */
export const Call = (helper: number): Item => item('JMP_CALL', { imm: helper });
/** bpf-to-bpf call; imm is the callee's slot relative to the next instruction. */
export const CallLocal = (to: Target): Item => item('JMP_CALL_LOCAL', {}, { to, field: 'imm' });
export const CallKfunc = (btfId: number): Item => item('JMP_CALL_KFUNC', { imm: btfId });
/** Helper id in a register (bpf_conformance's callx; the kernel refuses it). */
export const CallX = (reg: Reg): Item => item('JMP_CALLX', { dst: reg });
export const Exit = (): Item => item('JMP_EXIT');
/** cilium's name for exit. */
export const Return = Exit;

/** dst = *(size *)(src + off) */
export const LoadMem = (dst: Reg, src: Reg, off: number, size: Size): Item => item(`LDX_MEM_${size}`, { dst, src, off });
/** dst = *(s<size> *)(src + off), sign-extending (cpu v4). */
export const LoadMemSX = (dst: Reg, src: Reg, off: number, size: Exclude<Size, 'DW'>): Item => item(`LDX_MEMSX_${size}`, { dst, src, off });
/** *(size *)(dst + off) = src */
export const StoreMem = (dst: Reg, off: number, src: Reg, size: Size): Item => item(`STX_MEM_${size}`, { dst, src, off });
/** *(size *)(dst + off) = imm */
export const StoreImm = (dst: Reg, off: number, imm: number, size: Size): Item => item(`ST_MEM_${size}`, { dst, off, imm });

/** The table's atomic operation names (STX_ATOMIC_<op>_<size>). */
export type AtomicOp = 'ADD' | 'OR' | 'AND' | 'XOR' | 'FETCH_ADD' | 'FETCH_OR' | 'FETCH_AND' | 'FETCH_XOR' | 'XCHG' | 'CMPXCHG';
/** lock *(size *)(dst + off) op= src, and the fetching forms. */
export const Atomic = (op: AtomicOp, dst: Reg, off: number, src: Reg, size: 'W' | 'DW'): Item => item(`STX_ATOMIC_${op}_${size}`, { dst, src, off });

/** Legacy packet load r0 = *(size *)skb[imm]. */
export const LoadAbs = (imm: number, size: Exclude<Size, 'DW'>): Item => item(`LD_ABS_${size}`, { imm });
/** Legacy packet load r0 = *(size *)skb[src + imm]. */
export const LoadInd = (src: Reg, imm: number, size: Exclude<Size, 'DW'>): Item => item(`LD_IND_${size}`, { src, imm });

const split64 = (v: bigint): { imm: number; imm2: number } => {
  const u = BigInt.asUintN(64, v);
  return { imm: Number(BigInt.asIntN(32, u)), imm2: Number(BigInt.asIntN(32, u >> 32n)) };
};

/** dst = 64-bit constant (LD_IMM64, two slots). */
export const LoadImm64 = (dst: Reg, value: bigint | number): Item => item('LD_IMM64', { dst, ...split64(BigInt(value)) });
/** dst = map by fd; the fd (imm) is 0 until the loader patches it from `reference`. */
export const LoadMapFd = (dst: Reg, map: string): Item => item('LD_IMM64', { dst, src: BPF_PSEUDO_MAP_FD }, undefined, map);
/** dst = address of a map's value plus off (BPF_PSEUDO_MAP_VALUE; off lives in the second slot). */
export const LoadMapValue = (dst: Reg, map: string, off = 0): Item => item('LD_IMM64', { dst, src: BPF_PSEUDO_MAP_VALUE, imm2: off }, undefined, map);

/** Laid-out instructions plus what the loader needs: label slots and symbolic references. */
export type Program = Insn[] & {
  readonly labels: ReadonlyMap<string, number>;
  /** Slot → referenced map/symbol name (LoadMapFd, LoadMapValue). */
  readonly references: ReadonlyMap<number, string>;
};

export type ProgramItem = Item | LabelMark | readonly ProgramItem[];

const INT16_MIN = -(2 ** 15);
const INT16_MAX = 2 ** 15 - 1;

/** Place the items, resolve label targets to slot offsets and return the program. */
export function program(...items: ProgramItem[]): Program {
  const flat: (Item | LabelMark)[] = [];
  const walk = (xs: readonly ProgramItem[]): void => {
    for (const x of xs) {
      if (Array.isArray(x)) walk(x);
      else flat.push(x as Item | LabelMark);
    }
  };
  walk(items);

  const labels = new Map<string, number>();
  const define = (name: string, pc: number): void => {
    if (labels.has(name)) throw new Error(`label ${name} defined twice`);
    labels.set(name, pc);
  };
  const placed: { item: Item; insn: Insn }[] = [];
  let pc = 0;
  for (const x of flat) {
    if (x instanceof LabelMark) {
      define(x.name, pc);
      continue;
    }
    for (const l of x.labels) define(l, pc);
    const insn = make(x.op, x.fields);
    insn.pc = pc;
    placed.push({ item: x, insn });
    pc += slots(insn);
  }

  const references = new Map<number, string>();
  for (const { item: it, insn } of placed) {
    if (it.reference !== undefined) references.set(insn.pc, it.reference);
    if (!it.target) continue;
    const { to, field } = it.target;
    let rel: number;
    if (typeof to === 'number') {
      rel = to;
    } else {
      const at = labels.get(to);
      if (at === undefined) throw new Error(`${it.op.name} at slot ${insn.pc}: unknown label ${to}`);
      rel = at - insn.pc - 1;
    }
    if (field === 'off' && (rel < INT16_MIN || rel > INT16_MAX)) {
      throw new Error(`${it.op.name} at slot ${insn.pc}: jump of ${rel} slots does not fit 16 bits; use Ja32`);
    }
    insn[field] = rel;
  }
  return Object.assign(layout(placed.map((p) => p.insn)), { labels, references });
}
