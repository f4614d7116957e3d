/**
 * Decoding and encoding of eBPF instructions (RFC 9669 §3), derived from the opcode table.
 * Fields an instruction does not use must be zero; the decoder refuses them as the kernel's
 * check for reserved fields does (kernel/bpf/verifier.c: "BPF_ALU uses reserved fields").
 */
import {
  BPF_PSEUDO_CALL,
  BPF_PSEUDO_KFUNC_CALL,
  INSN_SIZE,
  MAX_BPF_REG,
  OPS_BY_CODE,
  type OpSpec,
} from './opcodes.ts';

/** One decoded instruction. LD_IMM64 is one `Insn` that occupies two slots. */
export interface Insn {
  readonly op: OpSpec;
  /** Slot index (8-byte units) of the instruction within its program. */
  pc: number;
  dst: number;
  src: number;
  off: number;
  /** Signed 32-bit immediate (for LD_IMM64: the low half). */
  imm: number;
  /** LD_IMM64 only: signed 32-bit high half (the second slot's imm). */
  imm2?: number;
}

export class IsaError extends Error {
  constructor(
    message: string,
    readonly pc: number,
  ) {
    super(message);
    this.name = 'IsaError';
  }
}

export const slots = (insn: Insn): number => (insn.op.kind === 'lddw' ? 2 : 1);

/** The 64-bit value an LD_IMM64 loads, as an unsigned BigInt. */
export function imm64(insn: Insn): bigint {
  return (BigInt(insn.imm2 ?? 0) << 32n | BigInt(insn.imm >>> 0)) & 0xffff_ffff_ffff_ffffn;
}

function pick(code: number, src: number, off: number, imm: number): OpSpec | undefined {
  const cands = OPS_BY_CODE.get(code);
  if (!cands) return undefined;
  if (cands.length === 1) return cands[0];
  for (const o of cands) {
    if (o.kind === 'call') {
      if (src === 0) return o;
      continue;
    }
    if (o.kind === 'call_local') {
      if (src === BPF_PSEUDO_CALL) return o;
      continue;
    }
    if (o.kind === 'call_kfunc') {
      if (src === BPF_PSEUDO_KFUNC_CALL) return o;
      continue;
    }
    if (o.offIs !== undefined && o.offIs !== off) continue;
    if (o.immIs !== undefined && o.immIs !== imm) continue;
    return o;
  }
  return undefined;
}

const hex = (n: number): string => '0x' + (n >>> 0).toString(16).padStart(2, '0');

/**
 * Why no op matched: an opcode the table does not know, or a known one whose off/imm (which pick
 * among its variants: sdiv, movsx, bswap, atomics) takes a reserved value — the kernel's
 * "BPF_MOV uses reserved fields".
 */
function unknownOp(code: number, src: number, off: number, imm: number): string {
  const all = OPS_BY_CODE.get(code) ?? [];
  if (all.some((o) => o.kind === 'call')) {
    return `opcode ${hex(code)} (${all.map((o) => o.name).join(', ')}) uses reserved fields: src must be 0 (helper), ${BPF_PSEUDO_CALL} (bpf-to-bpf) or ${BPF_PSEUDO_KFUNC_CALL} (kfunc), is ${src}`;
  }
  const cands = all.filter((o) => o.kind !== 'call_local' && o.kind !== 'call_kfunc');
  const field = cands.some((o) => o.offIs !== undefined) ? 'off' : cands.some((o) => o.immIs !== undefined) ? 'imm' : undefined;
  if (!field) return `unknown opcode ${hex(code)} (off ${off}, imm ${imm})`;
  const allowed = [...new Set(cands.map((o) => (field === 'off' ? o.offIs : o.immIs) ?? 0))].sort((a, b) => a - b);
  const list = allowed.length === 1 ? String(allowed[0]) : `${allowed.slice(0, -1).join(', ')} or ${allowed[allowed.length - 1]}`;
  return `opcode ${hex(code)} (${cands.map((o) => o.name).join(', ')}) uses reserved fields: ${field} must be ${list}, is ${field === 'off' ? off : imm}`;
}

/** Decode raw bytecode (little endian) into instructions, refusing unknown opcodes and non-zero unused fields. */
export function decode(bytes: Uint8Array): Insn[] {
  if (bytes.length % INSN_SIZE !== 0) {
    throw new IsaError(`program length ${bytes.length} is not a multiple of ${INSN_SIZE} bytes`, Math.floor(bytes.length / INSN_SIZE));
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length / INSN_SIZE;
  const out: Insn[] = [];
  for (let pc = 0; pc < n; pc++) {
    const b = pc * INSN_SIZE;
    const code = dv.getUint8(b);
    const regs = dv.getUint8(b + 1);
    const dst = regs & 0x0f;
    const src = regs >> 4;
    const off = dv.getInt16(b + 2, true);
    const imm = dv.getInt32(b + 4, true);
    const op = pick(code, src, off, imm);
    if (!op) throw new IsaError(unknownOp(code, src, off, imm), pc);
    const insn: Insn = { op, pc, dst, src, off, imm };
    checkFields(insn);
    if (op.kind === 'lddw') {
      if (pc + 1 >= n) throw new IsaError('LD_IMM64 is missing its second slot', pc);
      const b2 = b + INSN_SIZE;
      if (dv.getUint8(b2) !== 0 || dv.getUint8(b2 + 1) !== 0 || dv.getInt16(b2 + 2, true) !== 0) {
        throw new IsaError('LD_IMM64 second slot must have code, registers and offset zero', pc + 1);
      }
      insn.imm2 = dv.getInt32(b2 + 4, true);
      pc++;
    }
    out.push(insn);
  }
  return out;
}

/** Refuse register numbers out of range and non-zero unused fields, naming the field. */
export function checkFields(insn: Insn): void {
  const { op, pc } = insn;
  if (insn.dst >= MAX_BPF_REG) throw new IsaError(`${op.name}: invalid dst register r${insn.dst}`, pc);
  if (insn.src >= MAX_BPF_REG) throw new IsaError(`${op.name}: invalid src register r${insn.src}`, pc);
  const u = op.uses;
  if (!u.dst && insn.dst !== 0) throw new IsaError(`${op.name} uses reserved fields: dst_reg must be 0, is r${insn.dst}`, pc);
  // src is the discriminator of LD_IMM64 (pseudo kind) and of calls (helper/local/kfunc).
  if (op.kind === 'lddw') {
    if (insn.src > 6) throw new IsaError(`LD_IMM64: unknown src pseudo kind ${insn.src}`, pc);
  } else if (op.kind !== 'call' && op.kind !== 'call_local' && op.kind !== 'call_kfunc' && !u.src && insn.src !== 0) {
    throw new IsaError(`${op.name} uses reserved fields: src_reg must be 0, is r${insn.src}`, pc);
  }
  if (op.offIs === undefined && !u.off && insn.off !== 0) throw new IsaError(`${op.name} uses reserved fields: off must be 0, is ${insn.off}`, pc);
  if (op.immIs === undefined && !u.imm && insn.imm !== 0) throw new IsaError(`${op.name} uses reserved fields: imm must be 0, is ${insn.imm}`, pc);
}

/** Encode instructions to bytecode. LD_IMM64 takes two slots. */
export function encode(insns: readonly Insn[]): Uint8Array {
  let n = 0;
  for (const i of insns) n += slots(i);
  const out = new Uint8Array(n * INSN_SIZE);
  const dv = new DataView(out.buffer);
  let pc = 0;
  for (const i of insns) {
    const b = pc * INSN_SIZE;
    dv.setUint8(b, i.op.code);
    dv.setUint8(b + 1, ((i.src & 0x0f) << 4) | (i.dst & 0x0f));
    dv.setInt16(b + 2, i.off, true);
    dv.setInt32(b + 4, i.imm | 0, true);
    if (i.op.kind === 'lddw') dv.setInt32(b + 12, (i.imm2 ?? 0) | 0, true);
    pc += slots(i);
  }
  return out;
}

/** Build an instruction from its op and fields, filling discriminators (sdiv off, END width, atomic op). */
export function make(op: OpSpec, f: { dst?: number; src?: number; off?: number; imm?: number; imm2?: number } = {}): Insn {
  const insn: Insn = {
    op,
    pc: 0,
    dst: f.dst ?? 0,
    src: f.src ?? (op.kind === 'call_local' ? BPF_PSEUDO_CALL : op.kind === 'call_kfunc' ? BPF_PSEUDO_KFUNC_CALL : 0),
    off: op.offIs ?? f.off ?? 0,
    imm: op.immIs ?? f.imm ?? 0,
  };
  if (op.kind === 'lddw') insn.imm2 = f.imm2 ?? 0;
  return insn;
}

/** Assign slot indices (pc) to a list of instructions in order. */
export function layout(insns: Insn[]): Insn[] {
  let pc = 0;
  for (const i of insns) {
    i.pc = pc;
    pc += slots(i);
  }
  return insns;
}

export function hexToBytes(h: string): Uint8Array {
  const s = h.replace(/\s+/g, '');
  if (s.length % 2 !== 0 || /[^0-9a-fA-F]/.test(s)) throw new Error('not a hex string: odd length or non-hex digit');
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function bytesToHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}
