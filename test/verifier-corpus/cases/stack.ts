/** The stack: bounds, alignment, spills and fills, uninitialised reads (check_stack_read/write). */
import {
  Add,
  And,
  Atomic,
  Call,
  Exit,
  JEq,
  JGT,
  Label,
  LoadMapFd,
  LoadMem,
  LoadMemSX,
  Mov,
  Neg,
  R0,
  R1,
  R2,
  R3,
  R4,
  R6,
  R7,
  R10,
  StoreImm,
  StoreMem,
  Sub,
  program,
} from '../../../src/ebpf/isa/dsl.ts';
import type { AsmCase } from '../corpus.ts';
import { H, M, out, pktChecked, rnd, TC, XDP, SOCK } from '../lib.ts';

const cases: AsmCase[] = [];
const add = (c: AsmCase): void => {
  cases.push(c);
};
const S = SOCK;

for (const [off, size, ok] of [[-8, 'DW', 1], [-512, 'DW', 1], [-520, 'DW', 0], [0, 'DW', 0], [-4, 'W', 1], [-2, 'DW', 0], [-1, 'B', 1], [-513, 'B', 0], [-4, 'DW', 0], [-6, 'H', 1], [-7, 'H', 0], [-12, 'DW', 0]] as const) {
  add({ name: `write_${-off}_${size}`, rule: 'stack_bounds', progType: S, prog: program(StoreImm(R10, off, 0, size), Mov.imm(R0, 0), Exit()), expect: ok ? 'accept' : 'reject' });
  add({ name: `read_${-off}_${size}`, rule: 'stack_bounds', progType: S, prog: program(StoreImm(R10, -8, 0, 'DW'), LoadMem(R0, R10, off, size), Exit()), expect: ok ? 'accept' : 'reject' });
}
add({ name: 'read_uninit_8', rule: 'stack_uninit', progType: S, prog: program(LoadMem(R0, R10, -8, 'DW'), Exit()) });
add({ name: 'read_uninit_1', rule: 'stack_uninit', progType: S, prog: program(LoadMem(R0, R10, -100, 'B'), Exit()) });
add({ name: 'read_partially_init', rule: 'stack_uninit', progType: S, prog: program(StoreImm(R10, -8, 1, 'W'), LoadMem(R0, R10, -8, 'DW'), Exit()) });
add({ name: 'uninit_key_to_helper', rule: 'stack_uninit', progType: S, maps: [M.hash('h')], prog: program(LoadMapFd(R1, 'h'), Mov.reg(R2, R10), Add.imm(R2, -4), Call(H.map_delete_elem), Exit()) });
add({ name: 'spill_fill_ctx', rule: 'stack_spill', progType: XDP, prog: program(StoreMem(R10, -8, R1, 'DW'), LoadMem(R6, R10, -8, 'DW'), LoadMem(R0, R6, 12, 'W'), Exit()), expect: 'accept' });
add({ name: 'spill_fill_ctx_narrow', rule: 'stack_spill', progType: XDP, prog: program(StoreMem(R10, -8, R1, 'DW'), LoadMem(R6, R10, -8, 'W'), Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'spill_ctx_narrow', rule: 'stack_spill', progType: XDP, prog: program(StoreMem(R10, -8, R1, 'W'), Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'spill_ptr_misaligned', rule: 'stack_bounds', progType: XDP, prog: program(StoreMem(R10, -12, R1, 'DW'), Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'overwrite_spill_partially', rule: 'stack_spill', progType: XDP, prog: program(StoreMem(R10, -8, R1, 'DW'), StoreImm(R10, -8, 0, 'W'), LoadMem(R6, R10, -8, 'DW'), LoadMem(R0, R6, 0, 'W'), Exit()), expect: 'reject' });
add({ name: 'overwrite_spill_partially_read_scalar', rule: 'stack_spill', progType: XDP, prog: program(StoreMem(R10, -8, R1, 'DW'), StoreImm(R10, -4, 0, 'W'), LoadMem(R0, R10, -8, 'DW'), Exit()) });
add({ name: 'spill_fill_fp', rule: 'stack_spill', progType: XDP, prog: program(Mov.reg(R6, R10), Add.imm(R6, -16), StoreMem(R10, -8, R6, 'DW'), LoadMem(R7, R10, -8, 'DW'), StoreImm(R7, 0, 3, 'DW'), LoadMem(R0, R10, -16, 'DW'), Exit()), expect: 'accept' });
add({ name: 'spill_fill_pkt_keeps_range', rule: 'stack_spill', progType: XDP, prog: program(...pktChecked(XDP, 8), StoreMem(R10, -8, R2, 'DW'), LoadMem(R6, R10, -8, 'DW'), LoadMem(R0, R6, 4, 'W'), Exit(), ...out()), expect: 'accept' });
add({
  name: 'spill_scalar_keeps_bounds',
  rule: 'stack_spill',
  progType: XDP,
  maps: [M.array('arr', 16, 4)],
  prog: program(...rnd, And.imm(R0, 7), StoreMem(R10, -16, R0, 'DW'), StoreImm(R10, -4, 0, 'W'), Mov.reg(R2, R10), Add.imm(R2, -4), LoadMapFd(R1, 'arr'), Call(H.map_lookup_elem), JEq.imm(R0, 0, 'out'), LoadMem(R1, R10, -16, 'DW'), Add.reg(R0, R1), LoadMem(R0, R0, 0, 'DW'), Exit(), ...out()),
  expect: 'accept',
});
add({
  name: 'spill_scalar_bound_after_spill',
  rule: 'stack_spill',
  progType: XDP,
  maps: [M.array('arr', 16, 4)],
  prog: program(...rnd, Mov.reg(R6, R0), StoreMem(R10, -16, R0, 'DW'), JGT.imm(R6, 8, 'out'), StoreImm(R10, -4, 0, 'W'), Mov.reg(R2, R10), Add.imm(R2, -4), LoadMapFd(R1, 'arr'), Call(H.map_lookup_elem), JEq.imm(R0, 0, 'out'), LoadMem(R1, R10, -16, 'DW'), Add.reg(R0, R1), LoadMem(R0, R0, 0, 'DW'), Exit(), ...out()),
  expect: 'accept',
});
add({
  name: 'spill_scalar_narrow_loses_bounds',
  rule: 'stack_spill',
  progType: XDP,
  maps: [M.array('arr', 16, 4)],
  prog: program(...rnd, And.imm(R0, 7), StoreMem(R10, -16, R0, 'DW'), StoreImm(R10, -4, 0, 'W'), Mov.reg(R2, R10), Add.imm(R2, -4), LoadMapFd(R1, 'arr'), Call(H.map_lookup_elem), JEq.imm(R0, 0, 'out'), LoadMem(R1, R10, -16, 'B'), Add.reg(R0, R1), LoadMem(R0, R0, 0, 'DW'), Exit(), ...out()),
  expect: 'accept',
});
add({
  name: 'spill_scalar_upper_half_read',
  rule: 'stack_spill',
  progType: XDP,
  maps: [M.array('arr', 16, 4)],
  prog: program(...rnd, And.imm(R0, 7), StoreMem(R10, -16, R0, 'DW'), StoreImm(R10, -4, 0, 'W'), Mov.reg(R2, R10), Add.imm(R2, -4), LoadMapFd(R1, 'arr'), Call(H.map_lookup_elem), JEq.imm(R0, 0, 'out'), LoadMem(R1, R10, -12, 'W'), Add.reg(R0, R1), LoadMem(R0, R0, 0, 'DW'), Exit(), ...out()),
  expect: 'reject',
});
add({
  name: 'misc_bytes_unbounded',
  rule: 'stack_spill',
  progType: XDP,
  maps: [M.array('arr', 16, 4)],
  prog: program(StoreImm(R10, -16, 3, 'B'), StoreImm(R10, -4, 0, 'W'), Mov.reg(R2, R10), Add.imm(R2, -4), LoadMapFd(R1, 'arr'), Call(H.map_lookup_elem), JEq.imm(R0, 0, 'out'), LoadMem(R1, R10, -16, 'DW'), Add.reg(R0, R1), LoadMem(R0, R0, 0, 'B'), Exit(), ...out()),
  expect: 'reject',
});
add({
  name: 'byte_store_then_byte_load_const',
  rule: 'stack_spill',
  progType: XDP,
  maps: [M.array('arr', 16, 4)],
  prog: program(StoreImm(R10, -16, 3, 'B'), StoreImm(R10, -4, 0, 'W'), Mov.reg(R2, R10), Add.imm(R2, -4), LoadMapFd(R1, 'arr'), Call(H.map_lookup_elem), JEq.imm(R0, 0, 'out'), LoadMem(R1, R10, -16, 'B'), Add.reg(R0, R1), LoadMem(R0, R0, 0, 'B'), Exit(), ...out()),
});
add({
  name: 'zero_store_fill_const',
  rule: 'stack_spill',
  progType: XDP,
  maps: [M.array('arr', 16, 4)],
  prog: program(StoreImm(R10, -16, 0, 'DW'), StoreImm(R10, -4, 0, 'W'), Mov.reg(R2, R10), Add.imm(R2, -4), LoadMapFd(R1, 'arr'), Call(H.map_lookup_elem), JEq.imm(R0, 0, 'out'), LoadMem(R1, R10, -12, 'W'), Add.reg(R0, R1), LoadMem(R0, R0, 0, 'DW'), Exit(), ...out()),
  expect: 'accept',
});
add({
  name: 'zero_bytes_fill_const',
  rule: 'stack_spill',
  progType: XDP,
  maps: [M.array('arr', 16, 4)],
  prog: program(Mov.imm(R6, 0), StoreMem(R10, -13, R6, 'B'), StoreMem(R10, -14, R6, 'B'), StoreImm(R10, -4, 0, 'W'), Mov.reg(R2, R10), Add.imm(R2, -4), LoadMapFd(R1, 'arr'), Call(H.map_lookup_elem), JEq.imm(R0, 0, 'out'), LoadMem(R1, R10, -14, 'H'), Add.reg(R0, R1), LoadMem(R0, R0, 8, 'DW'), Exit(), ...out()),
  expect: 'accept',
});
// Variable offsets into the stack.
add({ name: 'var_off_write_bounded', rule: 'stack_bounds', progType: S, prog: program(...rnd, And.imm(R0, 0x1f), Mov.reg(R6, R10), Add.imm(R6, -64), Add.reg(R6, R0), StoreImm(R6, 0, 1, 'B'), Mov.imm(R0, 0), Exit()), expect: 'accept' });
add({ name: 'var_off_write_over_top', rule: 'stack_bounds', progType: S, prog: program(...rnd, And.imm(R0, 0x3f), Mov.reg(R6, R10), Add.imm(R6, -32), Add.reg(R6, R0), StoreImm(R6, 0, 1, 'B'), Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'var_off_write_unbounded', rule: 'stack_bounds', progType: S, prog: program(...rnd, Mov.reg(R6, R10), Add.imm(R6, -32), Add.reg(R6, R0), StoreImm(R6, 0, 1, 'B'), Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'var_off_read_bounded', rule: 'stack_bounds', progType: S, prog: program(StoreImm(R10, -64, 0, 'DW'), ...rnd, And.imm(R0, 0x7), Mov.reg(R6, R10), Add.imm(R6, -64), Add.reg(R6, R0), LoadMem(R0, R6, 0, 'B'), Exit()), expect: 'accept' });
add({ name: 'var_off_read_uninit', rule: 'stack_uninit', progType: S, prog: program(...rnd, And.imm(R0, 0x7), Mov.reg(R6, R10), Add.imm(R6, -64), Add.reg(R6, R0), LoadMem(R0, R6, 0, 'B'), Exit()) });
add({ name: 'var_off_misaligned_dw', rule: 'stack_bounds', progType: S, prog: program(...rnd, And.imm(R0, 0x7), Mov.reg(R6, R10), Add.imm(R6, -64), Add.reg(R6, R0), StoreImm(R6, 0, 1, 'DW'), Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'var_off_aligned_dw', rule: 'stack_bounds', progType: S, prog: program(...rnd, And.imm(R0, 0x18), Mov.reg(R6, R10), Add.imm(R6, -64), Add.reg(R6, R0), StoreImm(R6, 0, 1, 'DW'), Mov.imm(R0, 0), Exit()), expect: 'accept' });
add({ name: 'var_off_negative_index', rule: 'stack_bounds', progType: S, prog: program(...rnd, And.imm(R0, 0x7), Neg(R0), Mov.reg(R6, R10), Add.imm(R6, -8), Add.reg(R6, R0), StoreImm(R6, 0, 1, 'B'), Mov.imm(R0, 0), Exit()) });
add({ name: 'fp_minus_reg', rule: 'ptr_arith', progType: S, prog: program(Mov.imm(R1, 8), Mov.reg(R6, R10), Sub.reg(R6, R1), StoreImm(R6, 0, 1, 'B'), Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'fp_sub_imm', rule: 'ptr_arith', progType: S, prog: program(Mov.reg(R6, R10), Sub.imm(R6, 8), StoreImm(R6, 0, 1, 'DW'), Mov.imm(R0, 0), Exit()), expect: 'accept' });
add({ name: 'fp_plus_large', rule: 'stack_bounds', progType: S, prog: program(Mov.reg(R6, R10), Add.imm(R6, -(1 << 29)), StoreImm(R6, 0, 1, 'DW'), Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'fp_plus_const_ok', rule: 'stack_bounds', progType: S, prog: program(Mov.reg(R6, R10), Add.imm(R6, -256), StoreImm(R6, 248, 1, 'DW'), LoadMem(R0, R6, 248, 'DW'), Exit()), expect: 'accept' });
add({ name: 'fp_plus_const_over', rule: 'stack_bounds', progType: S, prog: program(Mov.reg(R6, R10), Add.imm(R6, -256), StoreImm(R6, 256, 1, 'DW'), Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'sx_load_from_stack', rule: 'stack_spill', progType: S, prog: program(StoreImm(R10, -8, -1, 'DW'), LoadMemSX(R0, R10, -8, 'B'), Exit()) });
add({ name: 'atomic_on_stack', rule: 'stack_spill', progType: S, prog: program(StoreImm(R10, -8, 0, 'DW'), Mov.imm(R1, 1), Atomic('ADD', R10, -8, R1, 'DW'), LoadMem(R0, R10, -8, 'DW'), Exit()), expect: 'accept' });
add({ name: 'atomic_on_uninit_stack', rule: 'stack_uninit', progType: S, prog: program(Mov.imm(R1, 1), Atomic('ADD', R10, -8, R1, 'DW'), Mov.imm(R0, 0), Exit()) });
add({ name: 'atomic_fetch_on_spilled_ptr', rule: 'stack_spill', progType: S, prog: program(StoreMem(R10, -8, R1, 'DW'), Mov.imm(R1, 1), Atomic('FETCH_ADD', R10, -8, R1, 'DW'), Mov.imm(R0, 0), Exit()) });
add({ name: 'atomic_misaligned_stack', rule: 'stack_bounds', progType: S, prog: program(StoreImm(R10, -8, 0, 'DW'), Mov.imm(R1, 1), Atomic('ADD', R10, -6, R1, 'W'), Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'stack_ptr_to_ctx_field', rule: 'stack_spill', progType: TC, prog: program(StoreMem(R1, 8, R10, 'W'), Mov.imm(R0, 0), Exit()) });
add({ name: 'ptr_store_into_stack_var', rule: 'stack_spill', progType: S, prog: program(...rnd, And.imm(R0, 8), Mov.reg(R6, R10), Add.imm(R6, -16), Add.reg(R6, R0), StoreMem(R6, 0, R1, 'DW'), Mov.imm(R0, 0), Exit()) });
add({ name: 'big_stack_512', rule: 'stack_bounds', progType: S, prog: program(StoreImm(R10, -512, 0, 'DW'), StoreImm(R10, -8, 0, 'DW'), LoadMem(R0, R10, -512, 'DW'), Exit()), expect: 'accept' });
add({ name: 'fill_after_helper_clobber', rule: 'stack_spill', progType: TC, prog: program(Mov.reg(R6, R1), StoreMem(R10, -8, R1, 'DW'), Mov.reg(R1, R6), Mov.imm(R2, 0), Mov.reg(R3, R10), Add.imm(R3, -8), Mov.imm(R4, 8), Call(H.skb_load_bytes), LoadMem(R7, R10, -8, 'DW'), LoadMem(R0, R7, 0, 'W'), Exit()), expect: 'reject' });
add({ name: 'helper_writes_uninit_then_read', rule: 'stack_uninit', progType: TC, prog: program(Mov.reg(R6, R1), Mov.imm(R2, 0), Mov.reg(R3, R10), Add.imm(R3, -16), Mov.imm(R4, 16), Call(H.skb_load_bytes), LoadMem(R0, R10, -16, 'DW'), Exit()), expect: 'accept' });
add({ name: 'helper_write_past_stack', rule: 'stack_bounds', progType: TC, prog: program(Mov.imm(R2, 0), Mov.reg(R3, R10), Add.imm(R3, -8), Mov.imm(R4, 16), Call(H.skb_load_bytes), Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'helper_write_var_len', rule: 'helper_arg', progType: TC, prog: program(Mov.reg(R6, R1), ...rnd, And.imm(R0, 15), Mov.reg(R4, R0), Add.imm(R4, 1), Mov.reg(R1, R6), Mov.imm(R2, 0), Mov.reg(R3, R10), Add.imm(R3, -16), Call(H.skb_load_bytes), Mov.imm(R0, 0), Exit()) });
add({ name: 'helper_write_var_len_over', rule: 'helper_arg', progType: TC, prog: program(Mov.reg(R6, R1), ...rnd, And.imm(R0, 31), Mov.reg(R4, R0), Add.imm(R4, 1), Mov.reg(R1, R6), Mov.imm(R2, 0), Mov.reg(R3, R10), Add.imm(R3, -16), Call(H.skb_load_bytes), Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'helper_write_len_maybe_zero', rule: 'helper_arg', progType: TC, prog: program(Mov.reg(R6, R1), ...rnd, And.imm(R0, 15), Mov.reg(R4, R0), Mov.reg(R1, R6), Mov.imm(R2, 0), Mov.reg(R3, R10), Add.imm(R3, -16), Call(H.skb_load_bytes), Mov.imm(R0, 0), Exit()), expect: 'reject' });

export { cases };
void R3;
void R4;
void Label;
