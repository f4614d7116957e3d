/**
 * Scalar range tracking: an index computed by ALU and branch instructions, then used to
 * read one byte of a 64-byte map value. The kernel accepts exactly when its bounds prove
 * the index in [0, 63] (adjust_scalar_min_max_vals, reg_set_min_max, reg_bounds_sync).
 */
import {
  Add,
  Add32,
  And,
  And32,
  ArSh,
  ArSh32,
  BSwap,
  Call,
  Div,
  Exit,
  JEq,
  JGE,
  JGT,
  JGT32,
  JLE,
  JLT,
  JLT32,
  JNE,
  JSet,
  JSGE,
  JSGT,
  JSLT,
  JSLT32,
  JSGT32,
  Label,
  LoadMapFd,
  LoadMem,
  LoadMemSX,
  LSh,
  LSh32,
  Mod,
  Mov,
  Mov32,
  MovSX,
  Mul,
  Neg,
  Or,
  R0,
  R1,
  R2,
  R6,
  R7,
  R8,
  R10,
  RSh,
  RSh32,
  StoreImm,
  StoreMem,
  Sub,
  Sub32,
  ToBE,
  ToLE,
  Xor,
  program,
  type ProgramItem,
  Mul32,
  JLE32,
  Neg32,
} from '../../../src/ebpf/isa/dsl.ts';
import type { AsmCase } from '../corpus.ts';
import { H, M, out, XDP } from '../lib.ts';

const cases: AsmCase[] = [];
const MAPS = [M.array('v64', 64, 2)];

/** r6 = &v64[0]; r0 = random; <body> computes the index in r0; read v64[r0]. */
function idx(name: string, body: ProgramItem[], expect?: 'accept' | 'reject'): void {
  cases.push({
    name,
    rule: 'bounds',
    progType: XDP,
    maps: MAPS,
    prog: program(
      StoreImm(R10, -4, 0, 'W'),
      Mov.reg(R2, R10),
      Add.imm(R2, -4),
      LoadMapFd(R1, 'v64'),
      Call(H.map_lookup_elem),
      Mov.reg(R6, R0),
      JEq.imm(R6, 0, 'out'),
      Call(H.get_prandom_u32),
      Mov.reg(R7, R0),
      Call(H.get_prandom_u32),
      ...body,
      Add.reg(R6, R0),
      LoadMem(R0, R6, 0, 'B'),
      Exit(),
      ...out(),
    ),
    expect,
  });
}

idx('and_63', [And.imm(R0, 63)], 'accept');
idx('and_64', [And.imm(R0, 64)], 'reject');
idx('and_127', [And.imm(R0, 127)], 'reject');
idx('and_neg', [And.imm(R0, -1)], 'reject');
idx('and32_63', [And32.imm(R0, 63)], 'accept');
idx('and_reg_masked', [And.imm(R7, 31), And.reg(R0, R7)], 'accept');
idx('and_then_add', [And.imm(R0, 31), Add.imm(R0, 32)], 'accept');
idx('and_then_add_over', [And.imm(R0, 31), Add.imm(R0, 33)], 'reject');
idx('and_then_sub', [And.imm(R0, 63), Sub.imm(R0, 1)], 'reject');
idx('and_then_or', [And.imm(R0, 31), Or.imm(R0, 32)], 'accept');
idx('or_only', [Or.imm(R0, 32)], 'reject');
idx('and_xor', [And.imm(R0, 31), Xor.imm(R0, 48)], 'accept');
idx('xor_self', [Xor.reg(R0, R0)], 'accept');
idx('sub_self', [Sub.reg(R0, R0)], 'accept');
idx('rsh_58', [RSh.imm(R0, 58)], 'accept');
idx('rsh_57', [RSh.imm(R0, 57)], 'reject');
idx('rsh32_26', [RSh32.imm(R0, 26)], 'accept');
idx('rsh32_25', [RSh32.imm(R0, 25)], 'reject');
idx('lsh_after_and', [And.imm(R0, 7), LSh.imm(R0, 3)], 'accept');
idx('lsh_after_and_over', [And.imm(R0, 15), LSh.imm(R0, 3)], 'reject');
idx('lsh32_after_and', [And.imm(R0, 3), LSh32.imm(R0, 4)], 'accept');
idx('lsh_rsh_pair', [LSh.imm(R0, 58), RSh.imm(R0, 58)], 'accept');
idx('lsh32_rsh32', [LSh32.imm(R0, 26), RSh32.imm(R0, 26)], 'accept');
idx('arsh_known_positive', [And.imm(R0, 0xff), ArSh.imm(R0, 2)], 'reject');
idx('arsh_known_positive_ok', [And.imm(R0, 0xff), ArSh.imm(R0, 2), And.imm(R0, 63)], 'accept');
idx('arsh_sign', [RSh.imm(R0, 1), ArSh.imm(R0, 57)], 'accept');
idx('arsh32', [And32.imm(R0, 0xff), ArSh32.imm(R0, 2)], 'reject');
idx('mul_small', [And.imm(R0, 7), Mul.imm(R0, 9)], 'accept');
idx('mul_over', [And.imm(R0, 7), Mul.imm(R0, 10)], 'reject');
idx('mul32_small', [And.imm(R0, 3), Mul32.imm(R0, 21)], 'accept');
idx('mul_by_reg', [And.imm(R0, 7), And.imm(R7, 7), Mul.reg(R0, R7)], 'accept');
idx('mul_by_reg_over', [And.imm(R0, 15), And.imm(R7, 7), Mul.reg(R0, R7)], 'reject');
idx('div_by_const', [And.imm(R0, 255), Div.imm(R0, 4)], 'reject');
idx('mod_by_const', [Mod.imm(R0, 64)], 'reject');
idx('mod_then_and', [Mod.imm(R0, 64), And.imm(R0, 63)], 'accept');
idx('neg_twice', [And.imm(R0, 63), Neg(R0), Neg(R0)], 'accept');
idx('neg_once', [And.imm(R0, 63), Neg(R0)], 'reject');
idx('neg32_twice', [And.imm(R0, 31), Neg32(R0), Neg32(R0)], 'accept');
idx('be16', [And.imm(R0, 63), ToBE(R0, 16)], 'reject');
idx('bswap_masked', [BSwap(R0, 64), And.imm(R0, 63)], 'accept');
idx('be16_then_rsh', [ToBE(R0, 16), RSh.imm(R0, 10)]);
idx('be16_then_rsh9', [ToBE(R0, 16), RSh.imm(R0, 9)]);
idx('be32_then_rsh', [ToBE(R0, 32), RSh.imm(R0, 26)]);
idx('le16_then_rsh', [ToLE(R0, 16), RSh.imm(R0, 10)]);
idx('le64_then_rsh', [ToLE(R0, 64), RSh.imm(R0, 58)]);
idx('bswap16_then_rsh', [BSwap(R0, 16), RSh.imm(R0, 10)]);
idx('bswap32_then_rsh', [BSwap(R0, 32), RSh.imm(R0, 26)]);
idx('be16_const', [Mov.imm(R0, 0x2000), ToBE(R0, 16)]);
idx('be16_const_big', [Mov.imm(R0, 0x40), ToBE(R0, 16)]);
idx('le16_const', [Mov.imm(R0, 0x2000), ToLE(R0, 16)]);
idx('be16_masked_low', [And.imm(R0, 0x3f00), ToBE(R0, 16)]);
idx('be16_masked_high', [And.imm(R0, 0x3f), ToBE(R0, 16)]);
idx('mov32_zext', [Mov32.reg(R0, R0), RSh.imm(R0, 26)], 'accept');
idx('mov32_then_cmp', [Mov32.reg(R0, R0), JGT.imm(R0, 63, 'out')], 'accept');
idx('add32_wraps', [And.imm(R0, 63), Add32.imm(R0, -1)], 'reject');
idx('sub32_of_bounded', [And.imm(R0, 31), Add32.imm(R0, 40), Sub32.imm(R0, 8)], 'accept');
idx('add_two_bounded', [And.imm(R0, 31), And.imm(R7, 31), Add.reg(R0, R7)], 'accept');
idx('add_two_bounded_over', [And.imm(R0, 31), And.imm(R7, 63), Add.reg(R0, R7)], 'reject');
idx('sub_two_bounded', [And.imm(R0, 31), Add.imm(R0, 32), And.imm(R7, 31), Sub.reg(R0, R7)], 'accept');
// Branch refinement.
idx('jgt_63', [JGT.imm(R0, 63, 'out')], 'accept');
idx('jgt_64', [JGT.imm(R0, 64, 'out')], 'reject');
idx('jge_64', [JGE.imm(R0, 64, 'out')], 'accept');
idx('jle_taken', [JLE.imm(R0, 63, 'ok'), Mov.imm(R0, 0), Label('ok')], 'accept');
idx('jne_63_only', [JNE.imm(R0, 63, 'out')], 'accept');
idx('jeq_tests_nothing', [JEq.imm(R0, 63, 'out')], 'reject');
idx('jsgt_only', [JSGT.imm(R0, 63, 'out')], 'reject');
idx('jsgt_jslt', [JSGT.imm(R0, 63, 'out'), JSLT.imm(R0, 0, 'out')], 'accept');
idx('jsge_0_jgt', [JSLT.imm(R0, 0, 'out'), JSGT.imm(R0, 63, 'out')], 'accept');
idx('jgt32_only', [JGT32.imm(R0, 63, 'out')], 'reject');
idx('jgt32_after_mov32', [Mov32.reg(R0, R0), JGT32.imm(R0, 63, 'out')], 'accept');
idx('jlt32_taken', [Mov32.reg(R0, R0), JLT32.imm(R0, 64, 'ok'), Mov.imm(R0, 0), Label('ok')], 'accept');
idx('jle32_then_rsh', [JLE32.imm(R0, 63, 'ok'), Mov.imm(R0, 0), Label('ok'), LSh.imm(R0, 32), RSh.imm(R0, 32)], 'accept');
idx('jslt32_both', [Mov32.reg(R0, R0), JSGT32.imm(R0, 63, 'out'), JSLT32.imm(R0, 0, 'out')], 'accept');
idx('jset_bit', [And.imm(R0, 127), JSet.imm(R0, 64, 'out')], 'accept');
idx('jset_two_bits', [And.imm(R0, 255), JSet.imm(R0, 192, 'out')], 'accept');
idx('jset_taken_side', [And.imm(R0, 127), JSet.imm(R0, 64, 'use'), Mov.imm(R0, 0), Label('use'), And.imm(R0, 127)], 'reject');
idx('cmp_with_reg_bound', [And.imm(R7, 63), JGT.reg(R0, R7, 'out')], 'accept');
idx('cmp_with_reg_unbounded', [JGT.reg(R0, R7, 'out')], 'reject');
idx('cmp_reg_reversed', [And.imm(R7, 63), JLT.reg(R7, R0, 'out')], 'accept');
idx('cmp_eq_reg_bounded', [And.imm(R7, 63), JNE.reg(R0, R7, 'out')], 'accept');
idx('cmp_linked_copy', [Mov.reg(R8, R0), JGT.imm(R8, 63, 'out')], 'accept');
idx('cmp_linked_delta', [Mov.reg(R8, R0), Add.imm(R8, 10), JGT.imm(R8, 73, 'out'), JLT.imm(R8, 10, 'out')], 'accept');
idx('cmp_linked_broken', [Mov.reg(R8, R0), Add.imm(R0, 0), JGT.imm(R8, 63, 'out')], 'accept');
idx('cmp_linked_mul', [Mov.reg(R8, R0), Mul.imm(R8, 2), JGT.imm(R8, 63, 'out')], 'reject');
idx('cmp_after_spill', [StoreMem(R10, -16, R0, 'DW'), JGT.imm(R0, 63, 'out'), LoadMem(R0, R10, -16, 'DW')], 'accept');
idx('cmp_spill_fill_order', [JGT.imm(R0, 63, 'out'), StoreMem(R10, -16, R0, 'DW'), Call(H.ktime_get_ns), LoadMem(R0, R10, -16, 'DW')], 'accept');
idx('cmp_32bit_spill', [Mov32.reg(R0, R0), StoreMem(R10, -16, R0, 'W'), JGT.imm(R0, 63, 'out'), LoadMem(R0, R10, -16, 'W')], 'accept');
// Sign extension.
idx('movsx8', [MovSX(R0, R0, 8)], 'reject');
idx('movsx8_masked', [And.imm(R0, 63), MovSX(R0, R0, 8)], 'accept');
idx('movsx8_then_and', [MovSX(R0, R0, 8), And.imm(R0, 63)], 'accept');
idx('movsx32_positive', [RSh.imm(R0, 40), MovSX(R0, R0, 32), JGT.imm(R0, 63, 'out')], 'accept');
idx('ldxsx_byte', [StoreMem(R10, -16, R0, 'DW'), LoadMemSX(R0, R10, -16, 'B'), JSGT.imm(R0, 63, 'out'), JSLT.imm(R0, 0, 'out')], 'accept');
idx('ldxsx_byte_one_side', [StoreMem(R10, -16, R0, 'DW'), LoadMemSX(R0, R10, -16, 'B'), JSGT.imm(R0, 63, 'out')], 'reject');
idx('lsh32_arsh32_sext', [LSh.imm(R0, 32), ArSh.imm(R0, 32), JSGT.imm(R0, 63, 'out'), JSGE.imm(R0, 0, 'ok'), Mov.imm(R0, 0), Label('ok')], 'accept');
// Known constants from operations.
idx('const_from_ops', [Mov.imm(R0, 5), LSh.imm(R0, 3), Or.imm(R0, 7), Sub.imm(R0, 10)], 'accept');
idx('const_too_big', [Mov.imm(R0, 5), LSh.imm(R0, 4)], 'reject');
idx('const_negative', [Mov.imm(R0, -1)], 'reject');
idx('const_via_and_zero', [And.imm(R0, 0)], 'accept');
idx('rsh_by_reg_const', [Mov.imm(R7, 60), RSh.reg(R0, R7)], 'accept');
idx('rsh_by_reg_unknown', [And.imm(R7, 63), RSh.reg(R0, R7)], 'reject');
idx('lsh_by_reg_64', [Mov.imm(R7, 64), LSh.reg(R0, R7), And.imm(R0, 63)], 'accept');
idx('u8_load_bounds', [StoreMem(R10, -16, R0, 'DW'), LoadMem(R0, R10, -16, 'B'), RSh.imm(R0, 2)], 'accept');
idx('u8_load_bounds_over', [StoreMem(R10, -16, R0, 'DW'), LoadMem(R0, R10, -16, 'B'), RSh.imm(R0, 1)], 'reject');
idx('u16_load_and', [StoreMem(R10, -16, R0, 'DW'), LoadMem(R0, R10, -16, 'H'), And.imm(R0, 0x3f)], 'accept');
idx('two_branch_join', [JGT.imm(R0, 10, 'big'), Ja_('use'), Label('big'), And.imm(R0, 31), Label('use')], 'accept');
idx('two_branch_join_over', [JGT.imm(R0, 10, 'big'), Ja_('use'), Label('big'), And.imm(R0, 127), Label('use')], 'reject');

export { cases };
import { Ja as Ja_ } from '../../../src/ebpf/isa/dsl.ts';
