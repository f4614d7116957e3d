/** Reading registers before they are written (check_reg_arg: "R%d !read_ok"). */
import { Add, Call, Exit, JEq, JGT, Label, LoadMem, Mov, R0, R1, R2, R3, R4, R6, R7, R10, StoreMem, program, Ja } from '../../../src/ebpf/isa/dsl.ts';
import { type AsmCase } from '../corpus.ts';
import { H, SOCK, TC, XDP, rnd } from '../lib.ts';

export const cases: AsmCase[] = [
  { name: 'r0_unset_at_exit', rule: 'uninit_reg', progType: XDP, prog: program(Exit()), expect: 'reject' },
  { name: 'r0_set_at_exit', rule: 'uninit_reg', progType: XDP, prog: program(Mov.imm(R0, 2), Exit()), expect: 'accept' },
  { name: 'read_r2', rule: 'uninit_reg', progType: XDP, prog: program(Mov.reg(R0, R2), Exit()), expect: 'reject' },
  { name: 'add_uninit_src', rule: 'uninit_reg', progType: SOCK, prog: program(Mov.imm(R0, 1), Add.reg(R0, R7), Exit()), expect: 'reject' },
  { name: 'add_uninit_dst', rule: 'uninit_reg', progType: SOCK, prog: program(Add.imm(R3, 1), Mov.imm(R0, 0), Exit()), expect: 'reject' },
  { name: 'cmp_uninit', rule: 'uninit_reg', progType: TC, prog: program(Mov.imm(R0, 0), JGT.imm(R4, 3, 'x'), Label('x'), Exit()), expect: 'reject' },
  { name: 'store_uninit_value', rule: 'uninit_reg', progType: TC, prog: program(StoreMem(R10, -8, R6, 'DW'), Mov.imm(R0, 0), Exit()), expect: 'reject' },
  { name: 'load_uninit_base', rule: 'uninit_reg', progType: TC, prog: program(LoadMem(R0, R6, 0, 'W'), Exit()), expect: 'reject' },
  { name: 'r1_clobbered_by_call', rule: 'uninit_reg', progType: XDP, prog: program(Call(H.ktime_get_ns), Mov.reg(R0, R1), Exit()), expect: 'reject' },
  { name: 'r5_clobbered_by_call', rule: 'uninit_reg', progType: XDP, prog: program(Mov.imm(R5_, 1), Call(H.ktime_get_ns), Mov.reg(R0, R5_), Exit()), expect: 'reject' },
  { name: 'r6_survives_call', rule: 'uninit_reg', progType: XDP, prog: program(Mov.imm(R6, 1), Call(H.ktime_get_ns), Mov.reg(R0, R6), Exit()), expect: 'accept' },
  { name: 'r0_from_helper', rule: 'uninit_reg', progType: XDP, prog: program(Call(H.ktime_get_ns), Exit()), expect: 'accept' },
  {
    name: 'one_branch_sets_r0',
    rule: 'uninit_reg',
    progType: XDP,
    prog: program(...rnd, JEq.imm(R0, 0, 'x'), Mov.imm(R0, 1), Exit(), Label('x'), Mov.reg(R2, R7), Mov.imm(R0, 2), Exit()),
    expect: 'reject',
  },
  {
    name: 'dead_branch_reads_uninit',
    rule: 'uninit_reg',
    progType: XDP,
    prog: program(Mov.imm(R2, 5), JEq.imm(R2, 5, 'x'), Mov.reg(R0, R7), Exit(), Label('x'), Mov.imm(R0, 2), Exit()),
    expect: 'accept',
  },
  {
    name: 'both_branches_set',
    rule: 'uninit_reg',
    progType: XDP,
    prog: program(...rnd, JEq.imm(R0, 0, 'x'), Mov.imm(R7, 1), Ja('y'), Label('x'), Mov.imm(R7, 2), Label('y'), Mov.reg(R0, R7), Exit()),
    expect: 'accept',
  },
  { name: 'write_fp', rule: 'invalid_insn', progType: XDP, prog: program(Mov.imm(R10, 0), Mov.imm(R0, 0), Exit()), expect: 'reject' },
  { name: 'add_to_fp', rule: 'invalid_insn', progType: XDP, prog: program(Add.imm(R10, -8), Mov.imm(R0, 0), Exit()), expect: 'reject' },
  { name: 'r2_uninit_as_helper_arg', rule: 'uninit_reg', progType: XDP, prog: program(Mov.imm(R1, 0), Call(H.redirect), Exit()), expect: 'reject' },
  { name: 'r1_ctx_readable', rule: 'uninit_reg', progType: XDP, prog: program(Mov.reg(R0, R1), Mov.imm(R0, 0), Exit()), expect: 'accept' },
];
import { R5 as R5_ } from '../../../src/ebpf/isa/dsl.ts';
