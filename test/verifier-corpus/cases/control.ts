/** Control flow, loops, return values, subprograms and stack limits. */
import {
  Add,
  And,
  Call,
  CallLocal,
  Exit,
  Ja,
  JEq,
  JGE,
  JGT,
  JLT,
  JNE,
  JSGT,
  Label,
  LoadAbs,
  LoadInd,
  LoadMapFd,
  LoadMem,
  Mov,
  R0,
  R1,
  R2,
  R3,
  R6,
  R7,
  R10,
  StoreImm,
  StoreMem,
  Sub,
  ins,
  program,
  LoadImm64,
  Mov32,
  type ProgramItem,
} from '../../../src/ebpf/isa/dsl.ts';
import type { AsmCase } from '../corpus.ts';
import { CGSKB, H, M, rnd, SKSKB, SOCK, TC, XDP, LWTIN } from '../lib.ts';

const cases: AsmCase[] = [];
const add = (c: AsmCase): void => {
  cases.push(c);
};

// Return values (check_return_code).
const retConst = (t: string, v: number, attachType?: number, name = ''): void =>
  add({ name: `ret_${name || t.replace('BPF_PROG_TYPE_', '').toLowerCase()}_${v}${attachType ? `_at${attachType}` : ''}`, rule: 'return_range', progType: t, attachType, prog: program(Mov.imm(R0, v), Exit()) });
for (const v of [0, 1, 2, -1]) retConst(CGSKB, v);
for (const v of [2, 3, 4]) retConst(CGSKB, v, 1);
for (const v of [0, 4, 5, 100, -1]) retConst(XDP, v);
for (const v of [0, 2, 7, -1]) retConst(TC, v);
for (const v of [0, 1, 3]) retConst(SKSKB, v);
retConst(SOCK, 65535);
retConst(LWTIN, 7);
add({ name: 'ret_cgskb_unknown', rule: 'return_range', progType: CGSKB, prog: program(...rnd, Exit()), expect: 'reject' });
add({ name: 'ret_cgskb_masked', rule: 'return_range', progType: CGSKB, prog: program(...rnd, And.imm(R0, 1), Exit()), expect: 'accept' });
add({ name: 'ret_cgskb_bounded_branch', rule: 'return_range', progType: CGSKB, prog: program(...rnd, JGT.imm(R0, 1, 'x'), Exit(), Label('x'), Mov.imm(R0, 0), Exit()), expect: 'accept' });
add({ name: 'ret_cgskb_pointer', rule: 'return_range', progType: CGSKB, prog: program(Mov.reg(R0, R1), Exit()), expect: 'reject' });
add({ name: 'ret_xdp_pointer', rule: 'return_range', progType: XDP, prog: program(Mov.reg(R0, R1), Exit()) });
add({ name: 'ret_xdp_stack_pointer', rule: 'return_range', progType: XDP, prog: program(Mov.reg(R0, R10), Exit()) });
add({ name: 'ret_cgskb_32bit_mov', rule: 'return_range', progType: CGSKB, prog: program(Mov32.imm(R0, -1), Exit()), expect: 'reject' });
add({ name: 'ret_cgskb_egress_3', rule: 'return_range', progType: CGSKB, attachType: 1, prog: program(...rnd, And.imm(R0, 3), Exit()), expect: 'accept' });
add({ name: 'ret_cgskb_ingress_3', rule: 'return_range', progType: CGSKB, prog: program(...rnd, And.imm(R0, 3), Exit()), expect: 'reject' });

// Jumps and reachability (check_cfg / check_subprogs).
const raw = (items: ProgramItem[]): ProgramItem[] => items;
add({ name: 'jump_past_end', rule: 'invalid_jump', progType: XDP, prog: program(...raw([Mov.imm(R0, 0), Ja(5), Exit()])), expect: 'reject' });
add({ name: 'jump_before_start', rule: 'invalid_jump', progType: XDP, prog: program(Mov.imm(R0, 0), Ja(-3), Exit()), expect: 'reject' });
add({ name: 'jump_into_ldimm64', rule: 'invalid_jump', progType: XDP, prog: program(Mov.imm(R0, 0), JEq.imm(R0, 0, 1), LoadImm64(R1, 0x1234567890n), Exit()), expect: 'reject' });
add({ name: 'fall_off_end', rule: 'invalid_jump', progType: XDP, prog: program(Mov.imm(R0, 0)), expect: 'reject' });
add({ name: 'last_is_cond_jump', rule: 'invalid_jump', progType: XDP, prog: program(Mov.imm(R0, 0), Label('top'), JEq.imm(R0, 0, 'top')), expect: 'reject' });
add({ name: 'unreachable_insn', rule: 'unreachable', progType: XDP, prog: program(Mov.imm(R0, 0), Exit(), Mov.imm(R0, 1), Exit()), expect: 'reject' });
add({ name: 'unreachable_after_ja', rule: 'unreachable', progType: XDP, prog: program(Mov.imm(R0, 0), Ja('x'), Mov.imm(R0, 1), Label('x'), Exit()), expect: 'reject' });
add({ name: 'dead_code_reachable_in_cfg', rule: 'unreachable', progType: XDP, prog: program(Mov.imm(R0, 0), JEq.imm(R0, 0, 'x'), Mov.imm(R0, 1), Label('x'), Exit()), expect: 'accept' });
add({ name: 'ja_zero', rule: 'invalid_jump', progType: XDP, prog: program(Mov.imm(R0, 0), Ja(0), Exit()), expect: 'accept' });
add({ name: 'gotol_forward', rule: 'invalid_jump', progType: XDP, prog: program(Mov.imm(R0, 0), ins('JMP32_JA', { target: 'x' }), Mov.imm(R0, 1), Label('x'), Exit()) });

// Loops (bounded ones are explored; the rest hit a limit).
add({ name: 'self_loop', rule: 'infinite_loop', progType: XDP, prog: program(Mov.imm(R0, 0), Label('l'), Ja('l'), Exit()), expect: 'reject' });
add({ name: 'loop_no_progress', rule: 'infinite_loop', progType: XDP, prog: program(Mov.imm(R0, 0), Label('l'), Mov.imm(R1, 1), JEq.imm(R1, 1, 'l'), Exit()), expect: 'reject' });
add({ name: 'loop_bounded_16', rule: 'too_large', progType: XDP, prog: program(Mov.imm(R0, 0), Mov.imm(R1, 0), Label('l'), Add.imm(R0, 3), Add.imm(R1, 1), JLT.imm(R1, 16, 'l'), Exit()), expect: 'accept' });
add({ name: 'loop_bounded_1000', rule: 'too_large', progType: XDP, prog: program(Mov.imm(R0, 0), Mov.imm(R1, 0), Label('l'), Add.imm(R0, 3), Add.imm(R1, 1), JLT.imm(R1, 1000, 'l'), Mov.imm(R0, 0), Exit()), expect: 'accept' });
add({ name: 'loop_countdown', rule: 'too_large', progType: XDP, prog: program(Mov.imm(R1, 100), Label('l'), Sub.imm(R1, 1), JNE.imm(R1, 0, 'l'), Mov.imm(R0, 0), Exit()), expect: 'accept' });
add({ name: 'loop_unknown_bound', rule: 'too_large', progType: XDP, prog: program(...rnd, Mov.reg(R6, R0), Mov.imm(R1, 0), Label('l'), Add.imm(R1, 1), JLT.reg(R1, R6, 'l'), Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'loop_unknown_bound_capped', rule: 'too_large', progType: XDP, prog: program(...rnd, Mov.reg(R6, R0), And.imm(R6, 63), Mov.imm(R1, 0), Label('l'), Add.imm(R1, 1), JLT.reg(R1, R6, 'l'), Mov.imm(R0, 0), Exit()), expect: 'accept' });
add({ name: 'loop_too_many_iterations', rule: 'too_large', progType: XDP, prog: program(Mov.imm(R1, 0), Label('l'), Add.imm(R1, 1), JLT.imm(R1, 1_000_000, 'l'), Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'loop_counter_only_grows', rule: 'too_large', progType: XDP, prog: program(Mov.imm(R1, 0), Label('l'), Add.imm(R1, 1), JGE.imm(R1, 0, 'l'), Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'loop_signed_wrap', rule: 'too_large', progType: XDP, prog: program(Mov.imm(R1, 0), Label('l'), Add.imm(R1, 1), JSGT.imm(R1, 0, 'l'), Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'loop_nested_10x10', rule: 'too_large', progType: XDP, prog: program(Mov.imm(R0, 0), Mov.imm(R1, 0), Label('o'), Mov.imm(R2, 0), Label('i'), Add.imm(R0, 1), Add.imm(R2, 1), JLT.imm(R2, 10, 'i'), Add.imm(R1, 1), JLT.imm(R1, 10, 'o'), Mov.imm(R0, 0), Exit()), expect: 'accept' });
add({ name: 'loop_with_stack_sum', rule: 'too_large', progType: XDP, prog: program(StoreImm(R10, -8, 0, 'DW'), Mov.imm(R1, 0), Label('l'), LoadMem(R2, R10, -8, 'DW'), Add.reg(R2, R1), StoreMem(R10, -8, R2, 'DW'), Add.imm(R1, 1), JLT.imm(R1, 50, 'l'), Mov.imm(R0, 0), Exit()), expect: 'accept' });

// bpf-to-bpf calls.
const sub = (items: ProgramItem[]): ProgramItem[] => [Label('f'), ...items];
add({ name: 'call_simple', rule: 'call_depth', progType: XDP, prog: program(Mov.imm(R1, 2), CallLocal('f'), Exit(), ...sub([Mov.reg(R0, R1), Exit()])), expect: 'accept' });
add({ name: 'call_returns_uninit', rule: 'uninit_reg', progType: XDP, prog: program(CallLocal('f'), Exit(), ...sub([Exit()])), expect: 'reject' });
add({ name: 'call_clobbers_r1', rule: 'uninit_reg', progType: XDP, prog: program(CallLocal('f'), Mov.reg(R0, R1), Exit(), ...sub([Mov.imm(R0, 0), Exit()])), expect: 'reject' });
add({ name: 'call_keeps_r6', rule: 'call_depth', progType: XDP, prog: program(Mov.imm(R6, 3), CallLocal('f'), Mov.reg(R0, R6), Exit(), ...sub([Mov.imm(R6, 9), Mov.imm(R0, 0), Exit()])), expect: 'accept' });
add({ name: 'callee_reads_r6', rule: 'uninit_reg', progType: XDP, prog: program(Mov.imm(R6, 3), CallLocal('f'), Exit(), ...sub([Mov.reg(R0, R6), Exit()])), expect: 'reject' });
add({ name: 'callee_uses_caller_stack', rule: 'call_depth', progType: XDP, prog: program(StoreImm(R10, -8, 7, 'DW'), Mov.reg(R1, R10), Add.imm(R1, -8), CallLocal('f'), Exit(), ...sub([LoadMem(R0, R1, 0, 'DW'), Exit()])), expect: 'accept' });
add({ name: 'callee_returns_stack_ptr', rule: 'ptr_leak', progType: XDP, prog: program(CallLocal('f'), Mov.imm(R0, 0), Exit(), ...sub([Mov.reg(R0, R10), Exit()])), expect: 'reject' });
add({ name: 'callee_returns_ctx', rule: 'call_depth', progType: XDP, prog: program(CallLocal('f'), LoadMem(R0, R0, 12, 'W'), Exit(), ...sub([Mov.reg(R0, R1), Exit()])) });
add({ name: 'callee_spills_caller_fp', rule: 'stack_spill', progType: XDP, prog: program(Mov.reg(R1, R10), Add.imm(R1, -8), CallLocal('f'), Mov.imm(R0, 0), Exit(), ...sub([StoreMem(R1, 0, R10, 'DW'), Mov.imm(R0, 0), Exit()])), expect: 'reject' });
add({ name: 'call_out_of_range', rule: 'invalid_jump', progType: XDP, prog: program(CallLocal(10), Exit()), expect: 'reject' });
add({ name: 'jump_across_subprog', rule: 'invalid_jump', progType: XDP, prog: program(Mov.imm(R0, 0), JEq.imm(R0, 0, 'g'), CallLocal('f'), Exit(), ...sub([Mov.imm(R0, 0), Label('g'), Exit()])), expect: 'reject' });
add({ name: 'subprog_not_ending_in_exit', rule: 'invalid_jump', progType: XDP, prog: program(CallLocal('f'), Exit(), ...sub([Mov.imm(R0, 0)])), expect: 'reject' });
const chain = (depth: number): ProgramItem[] => {
  const items: ProgramItem[] = [Mov.imm(R0, 0), CallLocal('f1'), Exit()];
  for (let i = 1; i <= depth; i++) {
    items.push(Label(`f${i}`));
    if (i < depth) items.push(CallLocal(`f${i + 1}`));
    else items.push(Mov.imm(R0, 0));
    items.push(Exit());
  }
  return items;
};
for (const d of [6, 7, 8]) add({ name: `call_chain_${d}`, rule: 'call_depth', progType: XDP, prog: program(...chain(d)), expect: d < 8 ? 'accept' : 'reject' });
add({ name: 'recursion', rule: 'call_depth', progType: XDP, prog: program(CallLocal('f'), Exit(), ...sub([CallLocal('f'), Exit()])), expect: 'reject' });
const stackUse = (n: number): ProgramItem[] => [StoreImm(R10, -n, 0, 'DW')];
add({ name: 'stack_300_plus_200', rule: 'stack_limit', progType: XDP, prog: program(...stackUse(304), CallLocal('f'), Mov.imm(R0, 0), Exit(), ...sub([...stackUse(200), Mov.imm(R0, 0), Exit()])), expect: 'accept' });
add({ name: 'stack_300_plus_220', rule: 'stack_limit', progType: XDP, prog: program(...stackUse(304), CallLocal('f'), Mov.imm(R0, 0), Exit(), ...sub([...stackUse(224), Mov.imm(R0, 0), Exit()])), expect: 'reject' });
add({ name: 'stack_three_frames_over', rule: 'stack_limit', progType: XDP, prog: program(...stackUse(200), CallLocal('f'), Mov.imm(R0, 0), Exit(), Label('f'), ...stackUse(200), CallLocal('g'), Mov.imm(R0, 0), Exit(), Label('g'), ...stackUse(120), Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'stack_three_frames_ok', rule: 'stack_limit', progType: XDP, prog: program(...stackUse(200), CallLocal('f'), Mov.imm(R0, 0), Exit(), Label('f'), ...stackUse(200), CallLocal('g'), Mov.imm(R0, 0), Exit(), Label('g'), ...stackUse(104), Mov.imm(R0, 0), Exit()), expect: 'accept' });
const tailSub = (callerStack: number, calleeStack: number): ProgramItem[] => [
  ...stackUse(callerStack),
  CallLocal('f'),
  Mov.imm(R0, 0),
  Exit(),
  Label('f'),
  ...stackUse(calleeStack),
  LoadMapFd(R2, 'jmp'),
  Mov.imm(R3, 0),
  Call(H.tail_call),
  Mov.imm(R0, 0),
  Exit(),
];
add({ name: 'tail_call_in_subprog_small', rule: 'stack_limit', progType: XDP, maps: [M.progArray('jmp')], prog: program(...tailSub(64, 64)), expect: 'accept' });
add({ name: 'tail_call_in_subprog_caller_256', rule: 'stack_limit', progType: XDP, maps: [M.progArray('jmp')], prog: program(...tailSub(256, 16)), expect: 'reject' });
add({ name: 'tail_call_in_subprog_caller_248', rule: 'stack_limit', progType: XDP, maps: [M.progArray('jmp')], prog: program(...tailSub(248, 16)), expect: 'accept' });
add({ name: 'tail_call_in_subprog_callee_400', rule: 'stack_limit', progType: XDP, maps: [M.progArray('jmp')], prog: program(...tailSub(64, 400)), expect: 'accept' });
add({ name: 'tail_call_main', rule: 'map_compat', progType: XDP, maps: [M.progArray('jmp')], prog: program(LoadMapFd(R2, 'jmp'), Mov.imm(R3, 0), Call(H.tail_call), Mov.imm(R0, 2), Exit()), expect: 'accept' });
add({ name: 'tail_call_r0_after', rule: 'uninit_reg', progType: XDP, maps: [M.progArray('jmp')], prog: program(LoadMapFd(R2, 'jmp'), Mov.imm(R3, 0), Call(H.tail_call), Exit()), expect: 'reject' });
add({ name: 'tail_call_ctx_modified', rule: 'helper_arg', progType: XDP, maps: [M.progArray('jmp')], prog: program(Add.imm(R1, 4), LoadMapFd(R2, 'jmp'), Mov.imm(R3, 0), Call(H.tail_call), Mov.imm(R0, 2), Exit()), expect: 'reject' });

// LD_ABS / LD_IND: only for socket filters and tc, with the context in r6.
for (const t of [SOCK, TC, XDP, CGSKB]) {
  const s = t.replace('BPF_PROG_TYPE_', '').toLowerCase();
  add({ name: `ld_abs_${s}`, rule: 'ld_abs', progType: t, prog: program(Mov.reg(R6, R1), LoadAbs(12, 'H'), Mov.imm(R0, 0), Exit()) });
}
add({ name: 'ld_abs_without_r6', rule: 'ld_abs', progType: SOCK, prog: program(LoadAbs(12, 'H'), Exit()), expect: 'reject' });
add({ name: 'ld_abs_r6_not_ctx', rule: 'ld_abs', progType: SOCK, prog: program(Mov.imm(R6, 0), LoadAbs(12, 'H'), Exit()), expect: 'reject' });
add({ name: 'ld_abs_clobbers_r1', rule: 'ld_abs', progType: SOCK, prog: program(Mov.reg(R6, R1), LoadAbs(12, 'H'), Mov.reg(R0, R1), Exit()), expect: 'reject' });
add({ name: 'ld_ind_ok', rule: 'ld_abs', progType: SOCK, prog: program(Mov.reg(R6, R1), Mov.imm(R7, 14), LoadInd(R7, 2, 'B'), Exit()), expect: 'accept' });
add({ name: 'ld_ind_uninit_src', rule: 'ld_abs', progType: SOCK, prog: program(Mov.reg(R6, R1), LoadInd(R7, 2, 'B'), Exit()), expect: 'reject' });
add({ name: 'ld_abs_in_subprog', rule: 'ld_abs', progType: SOCK, prog: program(Mov.reg(R6, R1), CallLocal('f'), Exit(), ...sub([LoadAbs(0, 'B'), Exit()])) });
add({ name: 'ld_abs_with_ref', rule: 'ld_abs', progType: TC, prog: program(Mov.reg(R6, R1), StoreImm(R10, -8, 0, 'DW'), StoreImm(R10, -16, 0, 'DW'), Mov.reg(R2, R10), Add.imm(R2, -16), Mov.imm(R3, 12), Mov.imm(R4_, 0), Mov.imm(R5_, 0), Call(H.sk_lookup_tcp), Mov.reg(R7, R0), LoadAbs(0, 'B'), JEq.imm(R7, 0, 'x'), Mov.reg(R1, R7), Call(H.sk_release), Label('x'), Mov.imm(R0, 0), Exit()), expect: 'reject' });

// Division and shifts.
add({ name: 'div_imm_zero', rule: 'div_by_zero', progType: SOCK, prog: program(Mov.imm(R0, 5), ins('ALU64_DIV_K', { dst: R0, imm: 0 }), Exit()), expect: 'reject' });
add({ name: 'mod_imm_zero', rule: 'div_by_zero', progType: SOCK, prog: program(Mov.imm(R0, 5), ins('ALU64_MOD_K', { dst: R0, imm: 0 }), Exit()), expect: 'reject' });
add({ name: 'div32_imm_zero', rule: 'div_by_zero', progType: SOCK, prog: program(Mov.imm(R0, 5), ins('ALU_DIV_K', { dst: R0, imm: 0 }), Exit()), expect: 'reject' });
add({ name: 'div_reg_zero', rule: 'div_by_zero', progType: SOCK, prog: program(Mov.imm(R0, 5), Mov.imm(R1, 0), ins('ALU64_DIV_X', { dst: R0, src: R1 }), Exit()), expect: 'accept' });
add({ name: 'mod_reg_unknown', rule: 'div_by_zero', progType: SOCK, prog: program(Mov.reg(R6, R1), ...rnd, Mov.imm(R1, 100), ins('ALU64_MOD_X', { dst: R1, src: R0 }), Mov.reg(R0, R1), Exit()), expect: 'accept' });
add({ name: 'div_imm_ok', rule: 'div_by_zero', progType: SOCK, prog: program(Mov.imm(R0, 100), ins('ALU64_DIV_K', { dst: R0, imm: 7 }), Exit()), expect: 'accept' });
for (const [n, imm, ok] of [['lsh64_63', 63, 1], ['lsh64_64', 64, 0], ['lsh64_neg', -1, 0], ['rsh32_31', 31, 1], ['rsh32_32', 32, 0], ['arsh32_40', 40, 0]] as const) {
  const op = n.startsWith('lsh64') ? 'ALU64_LSH_K' : n.startsWith('rsh32') ? 'ALU_RSH_K' : 'ALU_ARSH_K';
  add({ name: `shift_${n}`, rule: 'invalid_shift', progType: SOCK, prog: program(Mov.imm(R0, 1), ins(op, { dst: R0, imm }), Exit()), expect: ok ? 'accept' : 'reject' });
}
add({ name: 'shift_by_reg_large', rule: 'invalid_shift', progType: SOCK, prog: program(Mov.imm(R0, 1), Mov.imm(R1, 70), ins('ALU64_LSH_X', { dst: R0, src: R1 }), Exit()), expect: 'accept' });
add({ name: 'callx', rule: 'invalid_insn', progType: SOCK, prog: program(Mov.imm(R1, 5), ins('JMP_CALLX', { dst: R1 }), Mov.imm(R0, 0), Exit()), expect: 'reject' });

export { cases };
import { R4 as R4_, R5 as R5_ } from '../../../src/ebpf/isa/dsl.ts';
void R3;
void R4_;
void R2;
