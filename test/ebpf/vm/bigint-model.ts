/**
 * An independent, obviously-correct model of ALU and JMP semantics in BigInt (RFC 9669 §4),
 * for differential property tests of the engines. Slow and simple by design.
 */
import { BPF_ADD, BPF_AND, BPF_ARSH, BPF_DIV, BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT, BPF_JSLE, BPF_JSLT, BPF_LSH, BPF_MOD, BPF_MUL, BPF_OR, BPF_RSH, BPF_SUB, BPF_TO_BE, BPF_X, BPF_XOR, type OpSpec } from '../../../src/ebpf/isa/opcodes.ts';

const M64 = (1n << 64n) - 1n;
const u = (v: bigint, bits: number): bigint => BigInt.asUintN(bits, v);
const s = (v: bigint, bits: number): bigint => BigInt.asIntN(bits, v);

function bswap(v: bigint, bits: number): bigint {
  let r = 0n;
  for (let i = 0; i < bits / 8; i++) r = (r << 8n) | ((v >> BigInt(i * 8)) & 0xffn);
  return r;
}

/** New dst value of an ALU-class op. dst and src are u64; imm is the signed 32-bit immediate. */
export function aluModel(o: OpSpec, dst: bigint, src: bigint, imm: number): bigint {
  const bits = o.is32 ? 32 : 64;
  const a = u(dst, bits);
  const b = o.srcKind === BPF_X ? u(src, bits) : u(BigInt(imm), bits);
  const signed = o.offIs === 1;
  let r: bigint;
  switch (o.kind) {
    case 'neg':
      return u(-a, bits);
    case 'mov':
      return o.is32 ? u(b, 32) : o.srcKind === BPF_X ? src : u(BigInt(imm), 64);
    case 'movsx':
      return u(s(src, o.width), bits);
    case 'end':
      if (o.name.startsWith('ALU64_') || o.srcKind === BPF_TO_BE) return bswap(u(dst, o.width), o.width);
      return u(dst, o.width);
  }
  switch (o.op) {
    case BPF_ADD: r = a + b; break;
    case BPF_SUB: r = a - b; break;
    case BPF_MUL: r = a * b; break;
    case BPF_DIV:
      if (b === 0n) r = 0n;
      else r = signed ? s(a, bits) / s(b, bits) : a / b;
      break;
    case BPF_MOD:
      if (b === 0n) r = a;
      else r = signed ? s(a, bits) % s(b, bits) : a % b;
      break;
    case BPF_OR: r = a | b; break;
    case BPF_AND: r = a & b; break;
    case BPF_XOR: r = a ^ b; break;
    case BPF_LSH: r = a << (b & BigInt(bits - 1)); break;
    case BPF_RSH: r = a >> (b & BigInt(bits - 1)); break;
    case BPF_ARSH: r = s(a, bits) >> (b & BigInt(bits - 1)); break;
    default: throw new Error(`no model for ${o.name}`);
  }
  return u(r, bits) & M64;
}

/** Whether a conditional jump is taken. */
export function jmpModel(o: OpSpec, dst: bigint, src: bigint, imm: number): boolean {
  const bits = o.is32 ? 32 : 64;
  const a = u(dst, bits);
  const b = o.srcKind === BPF_X ? u(src, bits) : u(BigInt(imm), bits);
  const sa = s(a, bits), sb = s(b, bits);
  switch (o.op) {
    case BPF_JEQ: return a === b;
    case BPF_JNE: return a !== b;
    case BPF_JSET: return (a & b) !== 0n;
    case BPF_JGT: return a > b;
    case BPF_JGE: return a >= b;
    case BPF_JLT: return a < b;
    case BPF_JLE: return a <= b;
    case BPF_JSGT: return sa > sb;
    case BPF_JSGE: return sa >= sb;
    case BPF_JSLT: return sa < sb;
    case BPF_JSLE: return sa <= sb;
  }
  throw new Error(`no model for ${o.name}`);
}
