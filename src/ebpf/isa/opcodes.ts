/**
 * The one eBPF opcode table (RFC 9669, Linux include/uapi/linux/bpf.h + bpf_common.h).
 *
 * Every other part of chainlab — decoder, encoder, disassembler, assembler and the engines —
 * derives from `OPS` below. Nothing else spells an opcode as a magic number: use the field
 * constants (BPF_ALU64 | BPF_ADD | BPF_K) or an `Op` id.
 */

// Instruction classes (code & 0x07).
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_JMP32 = 0x06;
export const BPF_ALU64 = 0x07;

// Size (code & 0x18) for load/store classes.
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;
export const BPF_DW = 0x18;

// Mode (code & 0xe0) for load/store classes.
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_MEMSX = 0x80;
export const BPF_ATOMIC = 0xc0;

// Source (code & 0x08) for ALU/JMP classes.
export const BPF_K = 0x00;
export const BPF_X = 0x08;
/** For BPF_END: BPF_TO_LE shares the K bit, BPF_TO_BE the X bit. */
export const BPF_TO_LE = 0x00;
export const BPF_TO_BE = 0x08;

// ALU operations (code & 0xf0).
export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;
export const BPF_MOV = 0xb0;
export const BPF_ARSH = 0xc0;
export const BPF_END = 0xd0;

// Jump operations (code & 0xf0).
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;
export const BPF_JNE = 0x50;
export const BPF_JSGT = 0x60;
export const BPF_JSGE = 0x70;
export const BPF_CALL = 0x80;
export const BPF_EXIT = 0x90;
export const BPF_JLT = 0xa0;
export const BPF_JLE = 0xb0;
export const BPF_JSLT = 0xc0;
export const BPF_JSLE = 0xd0;

// Atomic operations (imm of BPF_STX | BPF_ATOMIC).
export const BPF_FETCH = 0x01;
export const BPF_XCHG = 0xe0 | BPF_FETCH;
export const BPF_CMPXCHG = 0xf0 | BPF_FETCH;

// src_reg of BPF_LD | BPF_IMM | BPF_DW.
export const BPF_PSEUDO_MAP_FD = 1;
export const BPF_PSEUDO_MAP_VALUE = 2;
export const BPF_PSEUDO_BTF_ID = 3;
export const BPF_PSEUDO_FUNC = 4;
export const BPF_PSEUDO_MAP_IDX = 5;
export const BPF_PSEUDO_MAP_IDX_VALUE = 6;

// src_reg of BPF_JMP | BPF_CALL.
export const BPF_PSEUDO_CALL = 1;
export const BPF_PSEUDO_KFUNC_CALL = 2;

export const INSN_SIZE = 8;
export const MAX_BPF_REG = 11;
export const BPF_REG_FP = 10;

/** What an instruction does, coarsely; engines and tools switch on this. */
export type OpKind =
  | 'alu' // arithmetic/logic, 32 or 64 bit
  | 'neg'
  | 'mov'
  | 'movsx'
  | 'end' // le/be conversions (ALU) and bswap (ALU64)
  | 'ja'
  | 'jcond'
  | 'call' // helper call by id
  | 'call_local' // bpf-to-bpf call (src = BPF_PSEUDO_CALL)
  | 'call_kfunc'
  | 'callx' // helper id in dst register (bpf_conformance "callx" group; the kernel refuses it)
  | 'exit'
  | 'ldx'
  | 'ldxsx'
  | 'st'
  | 'stx'
  | 'atomic'
  | 'lddw'
  | 'ldabs'
  | 'ldind';

/** Which of the four operand fields an instruction uses; the others must be zero. */
export interface Uses {
  dst: boolean;
  src: boolean;
  off: boolean;
  imm: boolean;
}

export interface OpSpec {
  /** Dense id, the engines' dispatch key. */
  readonly id: number;
  /** Kernel-style name, e.g. ALU64_ADD_K, JMP32_JSGT_X, STX_ATOMIC_FETCH_ADD_DW. */
  readonly name: string;
  /** uBPF/bpf_conformance assembler mnemonic, e.g. add, add32, ldxsb, "lock fetch add32". */
  readonly mnemonic: string;
  readonly code: number;
  readonly kind: OpKind;
  /** Discriminating off value (sdiv/smod: 1, movsx: 8/16/32), when the opcode byte alone is ambiguous. */
  readonly offIs?: number;
  /** Discriminating imm value (END width, atomic op), when the opcode byte alone is ambiguous. */
  readonly immIs?: number;
  readonly uses: Uses;
  /** Lowest -mcpu version that emits it (RFC 9669 conformance groups). */
  readonly cpu: 1 | 2 | 3 | 4;
  /** 32-bit operation (ALU, JMP32, 32-bit atomics). */
  readonly is32: boolean;
  /** Access size in bytes for memory ops, END/bswap width in bits for 'end', movsx source bits. */
  readonly width: number;
  /** The BPF_OP / atomic operation field, for engines. */
  readonly op: number;
  /** BPF_K or BPF_X for ALU/JMP. */
  readonly srcKind: number;
}

const U = (dst: boolean, src: boolean, off: boolean, imm: boolean): Uses => ({ dst, src, off, imm });

const ALU_OPS: ReadonlyArray<[number, string, 1 | 2 | 3 | 4]> = [
  [BPF_ADD, 'add', 1],
  [BPF_SUB, 'sub', 1],
  [BPF_MUL, 'mul', 1],
  [BPF_DIV, 'div', 1],
  [BPF_OR, 'or', 1],
  [BPF_AND, 'and', 1],
  [BPF_LSH, 'lsh', 1],
  [BPF_RSH, 'rsh', 1],
  [BPF_MOD, 'mod', 1],
  [BPF_XOR, 'xor', 1],
  [BPF_ARSH, 'arsh', 1],
];

const JMP_OPS: ReadonlyArray<[number, string, 1 | 2 | 3 | 4]> = [
  [BPF_JEQ, 'jeq', 1],
  [BPF_JGT, 'jgt', 1],
  [BPF_JGE, 'jge', 1],
  [BPF_JSET, 'jset', 1],
  [BPF_JNE, 'jne', 1],
  [BPF_JSGT, 'jsgt', 1],
  [BPF_JSGE, 'jsge', 1],
  [BPF_JLT, 'jlt', 2],
  [BPF_JLE, 'jle', 2],
  [BPF_JSLT, 'jslt', 2],
  [BPF_JSLE, 'jsle', 2],
];

const SIZES: ReadonlyArray<[number, string, number]> = [
  [BPF_W, 'w', 4],
  [BPF_H, 'h', 2],
  [BPF_B, 'b', 1],
  [BPF_DW, 'dw', 8],
];

const SIZE_NAME: Record<number, string> = { [BPF_W]: 'W', [BPF_H]: 'H', [BPF_B]: 'B', [BPF_DW]: 'DW' };

const ATOMIC_OPS: ReadonlyArray<[number, string, string]> = [
  [BPF_ADD, 'ADD', 'add'],
  [BPF_OR, 'OR', 'or'],
  [BPF_AND, 'AND', 'and'],
  [BPF_XOR, 'XOR', 'xor'],
  [BPF_ADD | BPF_FETCH, 'FETCH_ADD', 'fetch add'],
  [BPF_OR | BPF_FETCH, 'FETCH_OR', 'fetch or'],
  [BPF_AND | BPF_FETCH, 'FETCH_AND', 'fetch and'],
  [BPF_XOR | BPF_FETCH, 'FETCH_XOR', 'fetch xor'],
  [BPF_XCHG, 'XCHG', 'xchg'],
  [BPF_CMPXCHG, 'CMPXCHG', 'cmpxchg'],
];

function buildTable(): OpSpec[] {
  const t: OpSpec[] = [];
  const add = (s: Omit<OpSpec, 'id'>): void => {
    t.push({ ...s, id: t.length });
  };
  for (const [cls, cname, suffix, is32] of [
    [BPF_ALU64, 'ALU64', '', false],
    [BPF_ALU, 'ALU', '32', true],
  ] as const) {
    for (const [op, m, cpu] of ALU_OPS) {
      const N = m.toUpperCase();
      add({ name: `${cname}_${N}_K`, mnemonic: m + suffix, code: cls | op | BPF_K, kind: 'alu', offIs: op === BPF_DIV || op === BPF_MOD ? 0 : undefined, uses: U(true, false, false, true), cpu, is32, width: 0, op, srcKind: BPF_K });
      add({ name: `${cname}_${N}_X`, mnemonic: m + suffix, code: cls | op | BPF_X, kind: 'alu', offIs: op === BPF_DIV || op === BPF_MOD ? 0 : undefined, uses: U(true, true, false, false), cpu, is32, width: 0, op, srcKind: BPF_X });
      if (op === BPF_DIV || op === BPF_MOD) {
        const sm = op === BPF_DIV ? 'sdiv' : 'smod';
        add({ name: `${cname}_${sm.toUpperCase()}_K`, mnemonic: sm + suffix, code: cls | op | BPF_K, kind: 'alu', offIs: 1, uses: U(true, false, false, true), cpu: 4, is32, width: 0, op, srcKind: BPF_K });
        add({ name: `${cname}_${sm.toUpperCase()}_X`, mnemonic: sm + suffix, code: cls | op | BPF_X, kind: 'alu', offIs: 1, uses: U(true, true, false, false), cpu: 4, is32, width: 0, op, srcKind: BPF_X });
      }
    }
    add({ name: `${cname}_NEG`, mnemonic: 'neg' + suffix, code: cls | BPF_NEG | BPF_K, kind: 'neg', uses: U(true, false, false, false), cpu: 1, is32, width: 0, op: BPF_NEG, srcKind: BPF_K });
    add({ name: `${cname}_MOV_K`, mnemonic: 'mov' + suffix, code: cls | BPF_MOV | BPF_K, kind: 'mov', uses: U(true, false, false, true), cpu: 1, is32, width: 0, op: BPF_MOV, srcKind: BPF_K });
    add({ name: `${cname}_MOV_X`, mnemonic: 'mov' + suffix, code: cls | BPF_MOV | BPF_X, kind: 'mov', offIs: 0, uses: U(true, true, false, false), cpu: 1, is32, width: 0, op: BPF_MOV, srcKind: BPF_X });
    for (const bits of is32 ? [8, 16] : [8, 16, 32]) {
      add({ name: `${cname}_MOVSX${bits}_X`, mnemonic: `movsx${bits}${is32 ? '32' : '64'}`, code: cls | BPF_MOV | BPF_X, kind: 'movsx', offIs: bits, uses: U(true, true, false, false), cpu: 4, is32, width: bits, op: BPF_MOV, srcKind: BPF_X });
    }
  }
  for (const bits of [16, 32, 64]) {
    add({ name: `ALU_END_TO_LE_${bits}`, mnemonic: `le${bits}`, code: BPF_ALU | BPF_END | BPF_TO_LE, kind: 'end', immIs: bits, uses: U(true, false, false, false), cpu: 1, is32: true, width: bits, op: BPF_END, srcKind: BPF_TO_LE });
    add({ name: `ALU_END_TO_BE_${bits}`, mnemonic: `be${bits}`, code: BPF_ALU | BPF_END | BPF_TO_BE, kind: 'end', immIs: bits, uses: U(true, false, false, false), cpu: 1, is32: true, width: bits, op: BPF_END, srcKind: BPF_TO_BE });
    add({ name: `ALU64_BSWAP_${bits}`, mnemonic: `bswap${bits}`, code: BPF_ALU64 | BPF_END | BPF_TO_LE, kind: 'end', immIs: bits, uses: U(true, false, false, false), cpu: 4, is32: false, width: bits, op: BPF_END, srcKind: BPF_K });
  }
  for (const [cls, cname, suffix, is32] of [
    [BPF_JMP, 'JMP', '', false],
    [BPF_JMP32, 'JMP32', '32', true],
  ] as const) {
    for (const [op, m, cpu] of JMP_OPS) {
      const c = is32 ? 3 : cpu;
      const N = m.toUpperCase();
      add({ name: `${cname}_${N}_K`, mnemonic: m + suffix, code: cls | op | BPF_K, kind: 'jcond', uses: U(true, false, true, true), cpu: c, is32, width: 0, op, srcKind: BPF_K });
      add({ name: `${cname}_${N}_X`, mnemonic: m + suffix, code: cls | op | BPF_X, kind: 'jcond', uses: U(true, true, true, false), cpu: c, is32, width: 0, op, srcKind: BPF_X });
    }
  }
  add({ name: 'JMP_JA', mnemonic: 'ja', code: BPF_JMP | BPF_JA, kind: 'ja', uses: U(false, false, true, false), cpu: 1, is32: false, width: 0, op: BPF_JA, srcKind: BPF_K });
  // gotol: the 32-bit jump offset lives in imm.
  add({ name: 'JMP32_JA', mnemonic: 'ja32', code: BPF_JMP32 | BPF_JA, kind: 'ja', uses: U(false, false, false, true), cpu: 4, is32: true, width: 0, op: BPF_JA, srcKind: BPF_K });
  add({ name: 'JMP_CALL', mnemonic: 'call', code: BPF_JMP | BPF_CALL, kind: 'call', uses: U(false, false, false, true), cpu: 1, is32: false, width: 0, op: BPF_CALL, srcKind: BPF_K });
  add({ name: 'JMP_CALL_LOCAL', mnemonic: 'call local', code: BPF_JMP | BPF_CALL, kind: 'call_local', uses: U(false, true, false, true), cpu: 1, is32: false, width: 0, op: BPF_CALL, srcKind: BPF_K });
  add({ name: 'JMP_CALL_KFUNC', mnemonic: 'call kfunc', code: BPF_JMP | BPF_CALL, kind: 'call_kfunc', uses: U(false, true, true, true), cpu: 1, is32: false, width: 0, op: BPF_CALL, srcKind: BPF_K });
  add({ name: 'JMP_CALLX', mnemonic: 'callx', code: BPF_JMP | BPF_CALL | BPF_X, kind: 'callx', uses: U(true, false, false, false), cpu: 1, is32: false, width: 0, op: BPF_CALL, srcKind: BPF_X });
  add({ name: 'JMP_EXIT', mnemonic: 'exit', code: BPF_JMP | BPF_EXIT, kind: 'exit', uses: U(false, false, false, false), cpu: 1, is32: false, width: 0, op: BPF_EXIT, srcKind: BPF_K });

  for (const [size, s, bytes] of SIZES) {
    const S = SIZE_NAME[size];
    add({ name: `LDX_MEM_${S}`, mnemonic: `ldx${s}`, code: BPF_LDX | BPF_MEM | size, kind: 'ldx', uses: U(true, true, true, false), cpu: 1, is32: false, width: bytes, op: 0, srcKind: BPF_X });
    if (size !== BPF_DW) {
      add({ name: `LDX_MEMSX_${S}`, mnemonic: `ldxs${s}`, code: BPF_LDX | BPF_MEMSX | size, kind: 'ldxsx', uses: U(true, true, true, false), cpu: 4, is32: false, width: bytes, op: 0, srcKind: BPF_X });
    }
    add({ name: `ST_MEM_${S}`, mnemonic: `st${s}`, code: BPF_ST | BPF_MEM | size, kind: 'st', uses: U(true, false, true, true), cpu: 1, is32: false, width: bytes, op: 0, srcKind: BPF_K });
    add({ name: `STX_MEM_${S}`, mnemonic: `stx${s}`, code: BPF_STX | BPF_MEM | size, kind: 'stx', uses: U(true, true, true, false), cpu: 1, is32: false, width: bytes, op: 0, srcKind: BPF_X });
    if (size === BPF_W || size === BPF_DW) {
      for (const [aop, A, am] of ATOMIC_OPS) {
        add({ name: `STX_ATOMIC_${A}_${S}`, mnemonic: `lock ${am}${size === BPF_W ? '32' : ''}`, code: BPF_STX | BPF_ATOMIC | size, kind: 'atomic', immIs: aop, uses: U(true, true, true, false), cpu: 3, is32: size === BPF_W, width: bytes, op: aop, srcKind: BPF_X });
      }
    }
    if (size !== BPF_DW) {
      add({ name: `LD_ABS_${S}`, mnemonic: `ldabs${s}`, code: BPF_LD | BPF_ABS | size, kind: 'ldabs', uses: U(false, false, false, true), cpu: 1, is32: false, width: bytes, op: 0, srcKind: BPF_K });
      add({ name: `LD_IND_${S}`, mnemonic: `ldind${s}`, code: BPF_LD | BPF_IND | size, kind: 'ldind', uses: U(false, true, false, true), cpu: 1, is32: false, width: bytes, op: 0, srcKind: BPF_X });
    }
  }
  add({ name: 'LD_IMM64', mnemonic: 'lddw', code: BPF_LD | BPF_IMM | BPF_DW, kind: 'lddw', uses: U(true, true, false, true), cpu: 1, is32: false, width: 8, op: 0, srcKind: BPF_K });
  return t;
}

/** The table. Index = `OpSpec.id`. */
export const OPS: readonly OpSpec[] = Object.freeze(buildTable());

/** Op ids by kernel-style name: `Op.ALU64_ADD_K`. */
export const Op: Readonly<Record<string, number>> = Object.freeze(Object.fromEntries(OPS.map((o) => [o.name, o.id])));

export function opByName(name: string): OpSpec {
  const id = Op[name];
  if (id === undefined) throw new Error(`no eBPF op named ${name}`);
  return OPS[id];
}

/** Candidates per opcode byte, for the decoder. */
export const OPS_BY_CODE: ReadonlyMap<number, readonly OpSpec[]> = (() => {
  const m = new Map<number, OpSpec[]>();
  for (const o of OPS) {
    const l = m.get(o.code) ?? [];
    l.push(o);
    m.set(o.code, l);
  }
  return m;
})();

/** Ops by assembler mnemonic (several share one: `add` is both ALU64_ADD_K and ALU64_ADD_X). */
export const OPS_BY_MNEMONIC: ReadonlyMap<string, readonly OpSpec[]> = (() => {
  const m = new Map<string, OpSpec[]>();
  for (const o of OPS) {
    const l = m.get(o.mnemonic) ?? [];
    l.push(o);
    m.set(o.mnemonic, l);
  }
  return m;
})();

export const cls = (code: number): number => code & 0x07;
