/**
 * ALU instructions, as kernel/bpf/verifier.c's check_alu_op(), adjust_reg_min_max_vals()
 * and adjust_ptr_min_max_vals() treat them for a privileged loader: moves copy register
 * state (linking scalar copies by id), scalar arithmetic goes through alu.ts, pointer
 * arithmetic keeps a fixed and a variable offset and is allowed only where the kernel
 * allows it (ctx, map values and keys, stack, packet, memory; never on maybe-null pointers).
 */
import type { Insn } from '../isa/insn.ts';
import { BPF_ADD, BPF_ARSH, BPF_DIV, BPF_LSH, BPF_MOD, BPF_MOV, BPF_NEG, BPF_RSH, BPF_SUB, BPF_END, BPF_TO_BE } from '../isa/opcodes.ts';
import { scalarAlu, scalarEnd } from './alu.ts';
import type { Env } from './env.ts';
import { BPF_MAX_VAR_OFF, checkRegInit, checkRegWrite } from './mem.ts';
import { regTypeStr } from './print.ts';
import {
  assignScalarIdBeforeMov,
  boundsSync,
  clearScalarId,
  coerceToSizeSx,
  constValue,
  copyInto,
  isPktPointer,
  mark32Unbounded,
  markKnown,
  markUnknown,
  type RegState,
  regIsConst,
  regWidth,
  S32_MAX,
  S32_MIN,
  S64_MAX,
  S64_MIN,
  scalarUnknown,
  u32,
  zext32to64,
} from './reg.ts';
import { tnumAdd, tnumIsConst, tnumSub, U64_MAX } from './tnum.ts';

const ALU_NAME: Record<number, string> = {
  0x00: '+=',
  0x10: '-=',
  0x20: '*=',
  0x30: '/=',
  0x40: '|=',
  0x50: '&=',
  0x60: '<<=',
  0x70: '>>=',
  0x80: 'neg',
  0x90: '%=',
  0xa0: '^=',
  0xb0: '=',
  0xc0: 's>>=',
  0xd0: 'endian',
};

/** assign_scalar_id_before_mov(): link a scalar to its copies (a copy of `rX += k` starts afresh). */
function checkMov(env: Env, insn: Insn): void {
  const o = insn.op;
  const regs = env.regs;
  if (o.srcKind) checkRegInit(env, insn.src);
  checkRegWrite(env, insn.dst);
  const dst = regs[insn.dst];
  if (!o.srcKind) {
    markUnknown(dst);
    markKnown(dst, o.is32 ? u32(BigInt(insn.imm)) : BigInt(insn.imm));
    return;
  }
  const src = regs[insn.src];
  if (o.kind === 'movsx') {
    const bits = o.width;
    if (src.type !== 'scalar') {
      markUnknown(dst);
      if (o.is32) zext32to64(dst);
      return;
    }
    const noSext = src.umax < 1n << BigInt(bits - 1);
    if (noSext) assignScalarIdBeforeMov(() => env.newId(), src);
    copyInto(dst, src);
    if (!noSext) clearScalarId(dst);
    coerceToSizeSx(dst, bits / 8, o.is32);
    if (o.is32) {
      zext32to64(dst);
      boundsSync(dst);
    }
    return;
  }
  if (!o.is32) {
    assignScalarIdBeforeMov(() => env.newId(), src);
    copyInto(dst, src);
    return;
  }
  // 32-bit move: a pointer's low half is a meaningless scalar.
  if (src.type !== 'scalar') {
    markUnknown(dst);
    mark32Unbounded(dst);
    zext32to64(dst);
    boundsSync(dst);
    return;
  }
  const fits = regWidth(src) <= 32;
  if (fits) assignScalarIdBeforeMov(() => env.newId(), src);
  copyInto(dst, src);
  if (!fits) clearScalarId(dst);
  zext32to64(dst);
  boundsSync(dst);
}

/** check_reg_sane_offset(). */
function saneOffset(env: Env, r: RegState, ptrType: string): void {
  const val = BigInt.asIntN(64, r.var.value);
  if (tnumIsConst(r.var) && (val >= BigInt(BPF_MAX_VAR_OFF) || val <= -BigInt(BPF_MAX_VAR_OFF))) env.fail('ptr_arith', `math between ${ptrType} pointer and ${val} is not allowed`);
  // A linked scalar keeps its delta where a pointer keeps its offset, and the kernel checks both.
  const off = r.type === 'scalar' ? r.delta : r.off;
  if (off >= BPF_MAX_VAR_OFF || off <= -BPF_MAX_VAR_OFF) env.fail('ptr_arith', `${ptrType} pointer offset ${off} is not allowed`);
  if (r.smin === S64_MIN) env.fail('ptr_arith', `math between ${ptrType} pointer and register with unbounded min value is not allowed`);
  if (r.smin >= BigInt(BPF_MAX_VAR_OFF) || r.smin <= -BigInt(BPF_MAX_VAR_OFF)) env.fail('ptr_arith', `value ${r.smin} makes ${ptrType} pointer be out of bounds`);
}

const fitsS32 = (x: bigint): boolean => x >= S32_MIN && x <= S32_MAX;

/** adjust_ptr_min_max_vals(): dst = ptr op off. */
function ptrArith(env: Env, insn: Insn, dst: RegState, ptr: RegState, offReg: RegState): void {
  const op = insn.op.op;
  const known = tnumIsConst(offReg.var);
  const smin = offReg.smin;
  const smax = offReg.smax;
  const umin = offReg.umin;
  const umax = offReg.umax;
  if ((known && (smin !== smax || umin !== umax)) || smin > smax || umin > umax) {
    markUnknown(dst);
    return;
  }
  if (insn.op.is32) {
    if (op === BPF_SUB) {
      markUnknown(dst);
      return;
    }
    env.fail('ptr_arith', `R${insn.dst} 32-bit pointer arithmetic prohibited`);
  }
  const t = regTypeStr(ptr);
  if (ptr.maybeNull) env.fail('ptr_arith', `R${insn.dst} pointer arithmetic on ${t} prohibited, null-check it first`);
  switch (ptr.type) {
    case 'ctx':
    case 'map_value':
    case 'map_key':
    case 'fp':
    case 'pkt_meta':
    case 'pkt':
    case 'ptr_':
    case 'mem':
    case 'func':
      break;
    case 'flow_keys':
      if (known) break;
      env.fail('ptr_arith', `R${insn.dst} pointer arithmetic on ${t} prohibited`);
      break;
    case 'map_ptr':
      if (known && smin === 0n && op === BPF_ADD) break;
      env.fail('ptr_arith', `R${insn.dst} pointer arithmetic on ${t} prohibited`);
      break;
    default:
      env.fail('ptr_arith', `R${insn.dst} pointer arithmetic on ${t} prohibited`);
  }
  saneOffset(env, offReg, t);
  saneOffset(env, ptr, t);
  const p = { ...ptr };
  const out: RegState = { ...p };
  out.s32min = S32_MIN;
  out.s32max = S32_MAX;
  out.u32min = 0n;
  out.u32max = 0xffff_ffffn;
  switch (op) {
    case BPF_ADD: {
      if (known && fitsS32(BigInt(p.off) + smin)) {
        out.off = p.off + Number(smin);
        break;
      }
      out.smin = p.smin + smin;
      out.smax = p.smax + smax;
      if (out.smin < S64_MIN || out.smax > S64_MAX) {
        out.smin = S64_MIN;
        out.smax = S64_MAX;
      }
      out.umin = p.umin + umin;
      out.umax = p.umax + umax;
      if (out.umin > U64_MAX || out.umax > U64_MAX) {
        out.umin = 0n;
        out.umax = U64_MAX;
      }
      out.var = tnumAdd(p.var, offReg.var);
      if (isPktPointer(p)) {
        out.id = env.newId();
        out.range = 0;
      }
      break;
    }
    case BPF_SUB: {
      if (dst === offReg) env.fail('ptr_arith', `R${insn.dst} tried to subtract pointer from scalar`);
      if (p.type === 'fp') env.fail('ptr_arith', `R${insn.dst} subtraction from stack pointer prohibited`);
      if (known && fitsS32(BigInt(p.off) - smin)) {
        out.off = p.off - Number(smin);
        break;
      }
      out.smin = p.smin - smax;
      out.smax = p.smax - smin;
      if (out.smin < S64_MIN || out.smax > S64_MAX) {
        out.smin = S64_MIN;
        out.smax = S64_MAX;
      }
      if (p.umin < umax) {
        out.umin = 0n;
        out.umax = U64_MAX;
      } else {
        out.umin = p.umin - umax;
        out.umax = p.umax - umin;
      }
      out.var = tnumSub(p.var, offReg.var);
      if (isPktPointer(p)) {
        out.id = env.newId();
        if (smin < 0n) out.range = 0;
      }
      break;
    }
    default:
      if (op === 0x40 || op === 0x50 || op === 0xa0) env.fail('ptr_arith', `R${insn.dst} bitwise operator ${ALU_NAME[op]} on pointer prohibited`);
      env.fail('ptr_arith', `R${insn.dst} pointer arithmetic with ${ALU_NAME[op]} operator prohibited`);
  }
  saneOffset(env, out, t);
  boundsSync(out);
  copyInto(dst, out);
}

/** Scalar linked registers: `r1 = r2; r1 += 5` keeps r1 tied to r2 with a delta (BPF_ADD_CONST). */
function linkAfterAdd(dst: RegState, src: RegState, op: number, is32: boolean): void {
  if ((op === BPF_ADD || op === BPF_SUB) && dst.id && !is32 && regIsConst(src, false)) {
    const v = BigInt.asIntN(64, constValue(src, false));
    if (v < S32_MIN || v > S32_MAX || dst.addConst) {
      clearScalarId(dst);
      return;
    }
    let off = Number(v);
    if (op === BPF_SUB) {
      if (off === -(2 ** 31)) {
        clearScalarId(dst);
        return;
      }
      off = -off;
    }
    dst.addConst = true;
    dst.delta = off;
    return;
  }
  clearScalarId(dst);
}

/** check_alu_op(). */
export function checkAlu(env: Env, insn: Insn): void {
  const o = insn.op;
  const op = o.op;
  if (o.kind === 'mov' || o.kind === 'movsx') {
    checkMov(env, insn);
    return;
  }
  const regs = env.regs;
  if (o.kind === 'neg' || o.kind === 'end') {
    const d = checkRegInit(env, insn.dst);
    checkRegWrite(env, insn.dst);
    if (op === BPF_NEG && d.type === 'scalar') {
      scalarAlu(BPF_NEG, d, d, o.is32);
      clearScalarId(d);
    } else if (op === BPF_END && d.type === 'scalar') {
      // ALU64 bswap always swaps; ALU to_be swaps on a little-endian host, to_le truncates.
      const swap = !o.is32 || o.srcKind === BPF_TO_BE;
      scalarEnd(d, o.width, swap);
      if (swap || o.width < 64) clearScalarId(d);
    } else {
      markUnknown(d);
    }
    return;
  }
  // Binary operations.
  if (o.srcKind) checkRegInit(env, insn.src);
  const d = checkRegInit(env, insn.dst);
  checkRegWrite(env, insn.dst);
  if ((op === BPF_DIV || op === BPF_MOD) && !o.srcKind && insn.imm === 0) env.fail('div_by_zero', 'div by zero');
  if ((op === BPF_LSH || op === BPF_RSH || op === BPF_ARSH) && !o.srcKind) {
    const size = o.is32 ? 32 : 64;
    if (insn.imm < 0 || insn.imm >= size) env.fail('invalid_shift', `invalid shift ${insn.imm}`);
  }
  void BPF_MOV;
  let src: RegState;
  if (o.srcKind) {
    src = regs[insn.src];
    if (src.type !== 'scalar') {
      if (d.type !== 'scalar') {
        if (op === BPF_SUB) {
          markUnknown(d);
          return;
        }
        env.fail('ptr_arith', `R${insn.dst} pointer ${ALU_NAME[op]} pointer prohibited`);
      }
      // scalar += pointer: the result is the pointer moved by the scalar.
      ptrArith(env, insn, d, src, d);
      return;
    }
    if (d.type !== 'scalar') {
      ptrArith(env, insn, d, d, src);
      return;
    }
  } else {
    src = scalarUnknown();
    markKnown(src, BigInt(insn.imm));
    if (d.type !== 'scalar') {
      ptrArith(env, insn, d, d, src);
      return;
    }
  }
  const srcCopy = src === d ? { ...src } : src;
  scalarAlu(op, d, srcCopy, o.is32);
  linkAfterAdd(d, srcCopy, op, o.is32);
}
