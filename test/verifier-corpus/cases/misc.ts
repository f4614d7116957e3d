/** Assorted kernel behaviours found while comparing: sign-extending ctx loads, pointer null tests. */
import { Exit, JEq, JNE, Label, LoadMem, LoadMemSX, Mov, R0, R1, R2, R10, program } from '../../../src/ebpf/isa/dsl.ts';
import type { AsmCase } from '../corpus.ts';
import { TC, XDP } from '../lib.ts';

export const cases: AsmCase[] = [
  { name: 'ldsx_ctx_scalar_field', rule: 'ctx_access', progType: XDP, prog: program(LoadMemSX(R0, R1, 12, 'W'), Exit()) },
  { name: 'ldsx_ctx_scalar_narrow', rule: 'ctx_access', progType: TC, prog: program(LoadMemSX(R0, R1, 0, 'B'), Exit()) },
  { name: 'ldsx_ctx_pointer_field', rule: 'ctx_access', progType: XDP, prog: program(LoadMemSX(R0, R1, 0, 'W'), Mov.imm(R0, 0), Exit()) },
  { name: 'ldsx_ctx_tc_data', rule: 'ctx_access', progType: TC, prog: program(LoadMemSX(R0, R1, 76, 'W'), Mov.imm(R0, 0), Exit()) },
  { name: 'ctx_null_test', rule: 'uninit_reg', progType: XDP, prog: program(JEq.imm(R1, 0, 'x'), Mov.imm(R0, 0), Label('x'), Exit()) },
  { name: 'fp_null_test', rule: 'uninit_reg', progType: XDP, prog: program(Mov.reg(R2, R10), JNE.imm(R2, 0, 'x'), Mov.imm(R0, 0), Label('x'), Exit()) },
  { name: 'pkt_null_test', rule: 'uninit_reg', progType: XDP, prog: program(LoadMem(R2, R1, 0, 'W'), JEq.imm(R2, 0, 'x'), Mov.imm(R0, 0), Label('x'), Exit()) },
];
