/** Map values: null checks (PTR_TO_MAP_VALUE_OR_NULL) and bounds (check_map_access). */
import {
  Add,
  And,
  Call,
  Exit,
  JEq,
  JGE,
  JGT,
  JLT,
  JNE,
  JSGT,
  JSLT,
  Label,
  LoadMapFd,
  LoadMapValue,
  LoadMem,
  LSh,
  Mov,
  Mov32,
  Mul,
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
  JLE,
  Atomic,
} from '../../../src/ebpf/isa/dsl.ts';
import type { ProgramItem } from '../../../src/ebpf/isa/dsl.ts';
import type { AsmCase } from '../corpus.ts';
import { H, lookup, M, out, rnd, TC, XDP, SOCK } from '../lib.ts';

const cases: AsmCase[] = [];
const add = (c: AsmCase): void => {
  cases.push(c);
};
const A = [M.array('arr', 16, 4)];
const Hm = [M.hash('hash', 4, 16, 8)];

// Hash lookups may fail: the pointer must be null-checked.
add({ name: 'hash_deref_without_null_check', rule: 'map_value_null', progType: XDP, maps: Hm, prog: program(...lookup('hash'), LoadMem(R0, R0, 0, 'DW'), Exit()), expect: 'reject' });
add({ name: 'hash_deref_after_null_check', rule: 'map_value_null', progType: XDP, maps: Hm, prog: program(...lookup('hash', 0, 'out'), LoadMem(R0, R0, 0, 'DW'), Exit(), ...out()), expect: 'accept' });
add({ name: 'hash_deref_in_null_branch', rule: 'map_value_null', progType: XDP, maps: Hm, prog: program(...lookup('hash'), JNE.imm(R0, 0, 'out'), LoadMem(R0, R0, 0, 'DW'), Exit(), ...out()), expect: 'reject' });
add({ name: 'hash_jne_check', rule: 'map_value_null', progType: XDP, maps: Hm, prog: program(...lookup('hash'), JNE.imm(R0, 0, 'ok'), Exit(), Label('ok'), LoadMem(R0, R0, 8, 'DW'), Exit()), expect: 'accept' });
add({ name: 'hash_hash_deref_unchecked', rule: 'map_value_null', progType: TC, maps: Hm, prog: program(...lookup('hash'), StoreImm(R0, 0, 1, 'DW'), Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'hash_hash_write_checked', rule: 'map_value_null', progType: TC, maps: Hm, prog: program(...lookup('hash', 0, 'out'), StoreImm(R0, 0, 1, 'DW'), Mov.imm(R0, 0), Exit(), ...out()), expect: 'accept' });
add({ name: 'hash_check_copy_then_use_original', rule: 'map_value_null', progType: XDP, maps: Hm, prog: program(...lookup('hash'), Mov.reg(R6, R0), JEq.imm(R6, 0, 'out'), LoadMem(R0, R0, 0, 'W'), Exit(), ...out()), expect: 'accept' });
add({ name: 'hash_check_original_use_copy', rule: 'map_value_null', progType: XDP, maps: Hm, prog: program(...lookup('hash'), Mov.reg(R6, R0), JEq.imm(R0, 0, 'out'), LoadMem(R0, R6, 0, 'W'), Exit(), ...out()), expect: 'accept' });
add({ name: 'hash_check_wrong_lookup', rule: 'map_value_null', progType: XDP, maps: Hm, prog: program(...lookup('hash'), Mov.reg(R6, R0), ...lookup('hash', 1), JEq.imm(R0, 0, 'out'), LoadMem(R0, R6, 0, 'W'), Exit(), ...out()), expect: 'reject' });
add({ name: 'hash_arith_before_check', rule: 'ptr_arith', progType: XDP, maps: Hm, prog: program(...lookup('hash'), Add.imm(R0, 8), JEq.imm(R0, 0, 'out'), LoadMem(R0, R0, 0, 'W'), Exit(), ...out()), expect: 'reject' });
add({ name: 'hash_spilled_then_checked', rule: 'map_value_null', progType: XDP, maps: Hm, prog: program(...lookup('hash'), StoreMem(R10, -16, R0, 'DW'), JEq.imm(R0, 0, 'out'), LoadMem(R1, R10, -16, 'DW'), LoadMem(R0, R1, 0, 'W'), Exit(), ...out()), expect: 'accept' });
add({ name: 'hash_null_compare_32bit', rule: 'map_value_null', progType: XDP, maps: Hm, prog: program(...lookup('hash'), JEq32_.imm(R0, 0, 'out'), LoadMem(R0, R0, 0, 'W'), Exit(), ...out()), expect: 'reject' });
add({ name: 'hash_null_compare_with_1', rule: 'map_value_null', progType: XDP, maps: Hm, prog: program(...lookup('hash'), JEq.imm(R0, 1, 'out'), LoadMem(R0, R0, 0, 'W'), Exit(), ...out()), expect: 'reject' });
add({ name: 'hash_or_null_to_helper', rule: 'helper_arg', progType: XDP, maps: Hm, prog: program(...lookup('hash'), Mov.reg(R2, R0), LoadMapFd(R1, 'hash'), Call(H.map_lookup_elem), Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'hash_value_as_key', rule: 'helper_arg', progType: XDP, maps: Hm, prog: program(...lookup('hash', 0, 'out'), Mov.reg(R2, R0), LoadMapFd(R1, 'hash'), Call(H.map_lookup_elem), Mov.imm(R0, 0), Exit(), ...out()), expect: 'accept' });
add({ name: 'hash_null_is_zero_scalar', rule: 'map_value_null', progType: XDP, maps: Hm, prog: program(...lookup('hash'), JNE.imm(R0, 0, 'out'), Exit(), ...out()), expect: 'accept' });
add({ name: 'hash_return_map_value_ptr', rule: 'ptr_leak', progType: XDP, maps: Hm, prog: program(...lookup('hash', 0, 'out'), Exit(), ...out()) });

// Array lookups with a constant key in range cannot fail (the kernel drops PTR_MAYBE_NULL).
add({ name: 'array_deref_without_null_check', rule: 'map_value_null', progType: XDP, maps: A, prog: program(...lookup('arr'), LoadMem(R0, R0, 0, 'DW'), Exit()) });
add({ name: 'array_deref_after_null_check', rule: 'map_value_null', progType: XDP, maps: A, prog: program(...lookup('arr', 0, 'out'), LoadMem(R0, R0, 0, 'DW'), Exit(), ...out()) });
add({ name: 'array_deref_in_null_branch', rule: 'map_value_null', progType: XDP, maps: A, prog: program(...lookup('arr'), JNE.imm(R0, 0, 'out'), LoadMem(R0, R0, 0, 'DW'), Exit(), ...out()) });
add({ name: 'array_jne_check', rule: 'map_value_null', progType: XDP, maps: A, prog: program(...lookup('arr'), JNE.imm(R0, 0, 'ok'), Exit(), Label('ok'), LoadMem(R0, R0, 8, 'DW'), Exit()) });
add({ name: 'array_hash_deref_unchecked', rule: 'map_value_null', progType: TC, maps: Hm, prog: program(...lookup('hash'), StoreImm(R0, 0, 1, 'DW'), Mov.imm(R0, 0), Exit()) });
add({ name: 'array_hash_write_checked', rule: 'map_value_null', progType: TC, maps: Hm, prog: program(...lookup('hash', 0, 'out'), StoreImm(R0, 0, 1, 'DW'), Mov.imm(R0, 0), Exit(), ...out()) });
add({ name: 'array_check_copy_then_use_original', rule: 'map_value_null', progType: XDP, maps: A, prog: program(...lookup('arr'), Mov.reg(R6, R0), JEq.imm(R6, 0, 'out'), LoadMem(R0, R0, 0, 'W'), Exit(), ...out()) });
add({ name: 'array_check_original_use_copy', rule: 'map_value_null', progType: XDP, maps: A, prog: program(...lookup('arr'), Mov.reg(R6, R0), JEq.imm(R0, 0, 'out'), LoadMem(R0, R6, 0, 'W'), Exit(), ...out()) });
add({ name: 'array_check_wrong_lookup', rule: 'map_value_null', progType: XDP, maps: A, prog: program(...lookup('arr'), Mov.reg(R6, R0), ...lookup('arr', 1), JEq.imm(R0, 0, 'out'), LoadMem(R0, R6, 0, 'W'), Exit(), ...out()) });
add({ name: 'array_arith_before_check', rule: 'ptr_arith', progType: XDP, maps: A, prog: program(...lookup('arr'), Add.imm(R0, 8), JEq.imm(R0, 0, 'out'), LoadMem(R0, R0, 0, 'W'), Exit(), ...out()) });
add({ name: 'array_spilled_then_checked', rule: 'map_value_null', progType: XDP, maps: A, prog: program(...lookup('arr'), StoreMem(R10, -16, R0, 'DW'), JEq.imm(R0, 0, 'out'), LoadMem(R1, R10, -16, 'DW'), LoadMem(R0, R1, 0, 'W'), Exit(), ...out()) });
add({ name: 'array_null_compare_32bit', rule: 'map_value_null', progType: XDP, maps: A, prog: program(...lookup('arr'), JEq32_.imm(R0, 0, 'out'), LoadMem(R0, R0, 0, 'W'), Exit(), ...out()) });
add({ name: 'array_null_compare_with_1', rule: 'map_value_null', progType: XDP, maps: A, prog: program(...lookup('arr'), JEq.imm(R0, 1, 'out'), LoadMem(R0, R0, 0, 'W'), Exit(), ...out()) });
add({ name: 'array_or_null_to_helper', rule: 'helper_arg', progType: XDP, maps: A, prog: program(...lookup('arr'), Mov.reg(R2, R0), LoadMapFd(R1, 'arr'), Call(H.map_lookup_elem), Mov.imm(R0, 0), Exit()) });
add({ name: 'array_value_as_key', rule: 'helper_arg', progType: XDP, maps: A, prog: program(...lookup('arr', 0, 'out'), Mov.reg(R2, R0), LoadMapFd(R1, 'arr'), Call(H.map_lookup_elem), Mov.imm(R0, 0), Exit(), ...out()) });
add({ name: 'array_null_is_zero_scalar', rule: 'map_value_null', progType: XDP, maps: A, prog: program(...lookup('arr'), JNE.imm(R0, 0, 'out'), Exit(), ...out()) });
add({ name: 'array_return_map_value_ptr', rule: 'ptr_leak', progType: XDP, maps: A, prog: program(...lookup('arr', 0, 'out'), Exit(), ...out()) });

// Bounds.
for (const [off, size, ok] of [[0, 'DW', 1], [8, 'DW', 1], [9, 'DW', 0], [12, 'W', 1], [13, 'W', 0], [15, 'B', 1], [16, 'B', 0], [-1, 'B', 0], [14, 'H', 1], [15, 'H', 0]] as const) {
  add({ name: `read_off${off}_${size}`, rule: 'map_bounds', progType: XDP, maps: A, prog: program(...lookup('arr', 0, 'out'), LoadMem(R0, R0, off, size), Exit(), ...out()), expect: ok ? 'accept' : 'reject' });
  add({ name: `write_off${off}_${size}`, rule: 'map_bounds', progType: XDP, maps: A, prog: program(...lookup('arr', 0, 'out'), StoreImm(R0, off, 7, size), Mov.imm(R0, 0), Exit(), ...out()), expect: ok ? 'accept' : 'reject' });
}
add({ name: 'ptr_plus_const_in_bounds', rule: 'map_bounds', progType: XDP, maps: A, prog: program(...lookup('arr', 0, 'out'), Add.imm(R0, 12), LoadMem(R0, R0, 0, 'W'), Exit(), ...out()), expect: 'accept' });
add({ name: 'ptr_plus_const_out', rule: 'map_bounds', progType: XDP, maps: A, prog: program(...lookup('arr', 0, 'out'), Add.imm(R0, 16), LoadMem(R0, R0, 0, 'B'), Exit(), ...out()), expect: 'reject' });
add({ name: 'ptr_minus_const_back', rule: 'map_bounds', progType: XDP, maps: A, prog: program(...lookup('arr', 0, 'out'), Add.imm(R0, 16), Sub.imm(R0, 8), LoadMem(R0, R0, 0, 'DW'), Exit(), ...out()), expect: 'accept' });
const idx = (mask: number): import('../../../src/ebpf/isa/dsl.ts').ProgramItem[] => [Mov.reg(R6, R0), ...rnd, And.imm(R0, mask), Add.reg(R6, R0)];
add({ name: 'var_index_masked_ok', rule: 'map_bounds', progType: XDP, maps: A, prog: program(...lookup('arr', 0, 'out'), ...idx(7), LoadMem(R0, R6, 0, 'DW'), Exit(), ...out()), expect: 'accept' });
add({ name: 'var_index_masked_over', rule: 'map_bounds', progType: XDP, maps: A, prog: program(...lookup('arr', 0, 'out'), ...idx(15), LoadMem(R0, R6, 0, 'DW'), Exit(), ...out()), expect: 'reject' });
add({ name: 'var_index_unbounded', rule: 'map_bounds', progType: XDP, maps: A, prog: program(...lookup('arr', 0, 'out'), Mov.reg(R6, R0), ...rnd, Add.reg(R6, R0), LoadMem(R0, R6, 0, 'B'), Exit(), ...out()), expect: 'reject' });
add({
  name: 'var_index_jlt_checked',
  rule: 'map_bounds',
  progType: XDP,
  maps: A,
  prog: program(...lookup('arr', 0, 'out'), Mov.reg(R6, R0), ...rnd, JGE.imm(R0, 16, 'out'), Add.reg(R6, R0), LoadMem(R0, R6, 0, 'B'), Exit(), ...out()),
  expect: 'accept',
});
add({
  name: 'var_index_jlt_off_by_one',
  rule: 'map_bounds',
  progType: XDP,
  maps: A,
  prog: program(...lookup('arr', 0, 'out'), Mov.reg(R6, R0), ...rnd, JGT.imm(R0, 16, 'out'), Add.reg(R6, R0), LoadMem(R0, R6, 0, 'B'), Exit(), ...out()),
  expect: 'reject',
});
add({
  name: 'var_index_signed_check_only',
  rule: 'map_bounds',
  progType: XDP,
  maps: A,
  prog: program(...lookup('arr', 0, 'out'), Mov.reg(R6, R0), ...rnd, JSGT.imm(R0, 15, 'out'), Add.reg(R6, R0), LoadMem(R0, R6, 0, 'B'), Exit(), ...out()),
  expect: 'reject',
});
add({
  name: 'var_index_signed_both',
  rule: 'map_bounds',
  progType: XDP,
  maps: A,
  prog: program(...lookup('arr', 0, 'out'), Mov.reg(R6, R0), ...rnd, JSGT.imm(R0, 15, 'out'), JSLT.imm(R0, 0, 'out'), Add.reg(R6, R0), LoadMem(R0, R6, 0, 'B'), Exit(), ...out()),
  expect: 'accept',
});
add({
  name: 'var_index_times_8',
  rule: 'map_bounds',
  progType: XDP,
  maps: A,
  prog: program(...lookup('arr', 0, 'out'), Mov.reg(R6, R0), ...rnd, And.imm(R0, 1), Mul.imm(R0, 8), Add.reg(R6, R0), LoadMem(R0, R6, 0, 'DW'), Exit(), ...out()),
  expect: 'accept',
});
add({
  name: 'var_index_shift_3',
  rule: 'map_bounds',
  progType: XDP,
  maps: A,
  prog: program(...lookup('arr', 0, 'out'), Mov.reg(R6, R0), ...rnd, And.imm(R0, 3), LSh.imm(R0, 3), Add.reg(R6, R0), LoadMem(R0, R6, 0, 'DW'), Exit(), ...out()),
  expect: 'reject',
});
add({
  name: 'var_index_u32_move',
  rule: 'map_bounds',
  progType: XDP,
  maps: A,
  prog: program(...lookup('arr', 0, 'out'), Mov.reg(R6, R0), ...rnd, Mov32.reg(R0, R0), JGT.imm(R0, 15, 'out'), Add.reg(R6, R0), LoadMem(R0, R6, 0, 'B'), Exit(), ...out()),
  expect: 'accept',
});
add({
  name: 'var_index_negative_possible',
  rule: 'map_bounds',
  progType: XDP,
  maps: A,
  prog: program(...lookup('arr', 0, 'out'), Mov.reg(R6, R0), ...rnd, JSGT.imm(R0, 4, 'out'), Add.reg(R6, R0), LoadMem(R0, R6, 0, 'B'), Exit(), ...out()),
  expect: 'reject',
});
add({
  name: 'bound_through_register_compare',
  rule: 'map_bounds',
  progType: XDP,
  maps: A,
  prog: program(...lookup('arr', 0, 'out'), Mov.reg(R6, R0), ...rnd, Mov.imm(R7, 12), JGT.reg(R0, R7, 'out'), Add.reg(R6, R0), LoadMem(R0, R6, 0, 'W'), Exit(), ...out()),
  expect: 'accept',
});
add({
  name: 'bound_on_copy_before_add',
  rule: 'map_bounds',
  progType: XDP,
  maps: A,
  prog: program(...lookup('arr', 0, 'out'), Mov.reg(R6, R0), ...rnd, Mov.reg(R7, R0), JGT.imm(R7, 12, 'out'), Add.reg(R6, R0), LoadMem(R0, R6, 0, 'W'), Exit(), ...out()),
  expect: 'accept',
});
add({
  name: 'bound_lost_after_add',
  rule: 'map_bounds',
  progType: XDP,
  maps: A,
  prog: program(...lookup('arr', 0, 'out'), Mov.reg(R6, R0), ...rnd, Mov.reg(R7, R0), Add.imm(R0, 0), JGT.imm(R7, 12, 'out'), Add.reg(R6, R0), LoadMem(R0, R6, 0, 'W'), Exit(), ...out()),
});
add({
  name: 'bound_linked_with_delta',
  rule: 'map_bounds',
  progType: XDP,
  maps: A,
  prog: program(...lookup('arr', 0, 'out'), Mov.reg(R6, R0), ...rnd, Mov.reg(R7, R0), Add.imm(R7, 4), JGT.imm(R7, 12, 'out'), JLT.imm(R7, 4, 'out'), Add.reg(R6, R0), LoadMem(R0, R6, 0, 'DW'), Exit(), ...out()),
});
add({ name: 'atomic_add_value', rule: 'map_bounds', progType: XDP, maps: A, prog: program(...lookup('arr', 0, 'out'), Mov.imm(R1, 1), Atomic('ADD', R0, 8, R1, 'DW'), Mov.imm(R0, 0), Exit(), ...out()), expect: 'accept' });
add({ name: 'atomic_add_value_over', rule: 'map_bounds', progType: XDP, maps: A, prog: program(...lookup('arr', 0, 'out'), Mov.imm(R1, 1), Atomic('ADD', R0, 12, R1, 'DW'), Mov.imm(R0, 0), Exit(), ...out()), expect: 'reject' });
add({ name: 'atomic_fetch_value', rule: 'map_bounds', progType: XDP, maps: A, prog: program(...lookup('arr', 0, 'out'), Mov.imm(R1, 1), Atomic('FETCH_ADD', R0, 0, R1, 'W'), Mov.reg(R0, R1), Exit(), ...out()), expect: 'accept' });
add({ name: 'cmpxchg_value', rule: 'map_bounds', progType: XDP, maps: A, prog: program(...lookup('arr', 0, 'out'), Mov.reg(R2, R0), Mov.imm(R0, 0), Mov.imm(R1, 1), Atomic('CMPXCHG', R2, 0, R1, 'DW'), Exit(), ...out()), expect: 'accept' });
add({ name: 'xchg_value', rule: 'map_bounds', progType: XDP, maps: A, prog: program(...lookup('arr', 0, 'out'), Mov.imm(R1, 1), Atomic('XCHG', R0, 4, R1, 'W'), Mov.reg(R0, R1), Exit(), ...out()), expect: 'accept' });
add({ name: 'store_pointer_into_value', rule: 'map_bounds', progType: XDP, maps: A, prog: program(...lookup('arr', 0, 'out'), StoreMem(R0, 0, R10, 'DW'), Mov.imm(R0, 0), Exit(), ...out()), expect: 'accept' });
add({ name: 'store_pointer_narrow', rule: 'map_bounds', progType: XDP, maps: A, prog: program(...lookup('arr', 0, 'out'), StoreMem(R0, 0, R10, 'W'), Mov.imm(R0, 0), Exit(), ...out()) });

// Read-only / write-only maps (BPF_F_RDONLY_PROG / BPF_F_WRONLY_PROG).
add({ name: 'rdonly_read', rule: 'readonly', progType: XDP, maps: [M.rdonly()], prog: program(...lookup('ro', 0, 'out'), LoadMem(R0, R0, 0, 'DW'), Exit(), ...out()), expect: 'accept' });
add({ name: 'rdonly_write', rule: 'readonly', progType: XDP, maps: [M.rdonly()], prog: program(...lookup('ro', 0, 'out'), StoreImm(R0, 0, 1, 'DW'), Mov.imm(R0, 0), Exit(), ...out()), expect: 'reject' });
add({ name: 'wronly_read', rule: 'readonly', progType: XDP, maps: [M.wronly()], prog: program(...lookup('wo', 0, 'out'), LoadMem(R0, R0, 0, 'DW'), Exit(), ...out()), expect: 'reject' });
add({ name: 'wronly_write', rule: 'readonly', progType: XDP, maps: [M.wronly()], prog: program(...lookup('wo', 0, 'out'), StoreImm(R0, 0, 1, 'DW'), Mov.imm(R0, 0), Exit(), ...out()), expect: 'accept' });
add({ name: 'rdonly_update_from_prog', rule: 'readonly', progType: XDP, maps: [M.rdonly()], prog: program(StoreImm(R10, -4, 0, 'W'), StoreImm(R10, -16, 0, 'DW'), LoadMapFd(R1, 'ro'), Mov.reg(R2, R10), Add.imm(R2, -4), Mov.reg(R3, R10), Add.imm(R3, -16), Mov.imm(R4, 0), Call(H.map_update_elem), Mov.imm(R0, 0), Exit()) });

// Direct value access (global data).
const G = [M.global('gdata', 16)];
add({ name: 'direct_value_read', rule: 'map_bounds', progType: TC, maps: G, prog: program(LoadMapValue(R1, 'gdata', 0), LoadMem(R0, R1, 8, 'DW'), Exit()), expect: 'accept' });
add({ name: 'direct_value_offset_read', rule: 'map_bounds', progType: TC, maps: G, prog: program(LoadMapValue(R1, 'gdata', 8), LoadMem(R0, R1, 0, 'DW'), Exit()), expect: 'accept' });
add({ name: 'direct_value_offset_over', rule: 'map_bounds', progType: TC, maps: G, prog: program(LoadMapValue(R1, 'gdata', 8), LoadMem(R0, R1, 4, 'DW'), Exit()), expect: 'reject' });
add({ name: 'direct_value_on_hash', rule: 'invalid_insn', progType: TC, maps: Hm, prog: program(LoadMapValue(R1, 'hash', 0), LoadMem(R0, R1, 0, 'DW'), Exit()), expect: 'reject' });
add({ name: 'direct_value_off_past_end', rule: 'map_bounds', progType: TC, maps: G, prog: program(LoadMapValue(R1, 'gdata', 16), Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'map_ptr_deref', rule: 'invalid_mem', progType: TC, maps: Hm, prog: program(LoadMapFd(R1, 'hash'), LoadMem(R0, R1, 0, 'DW'), Exit()), expect: 'reject' });
add({ name: 'map_ptr_plus_0', rule: 'ptr_arith', progType: TC, maps: Hm, prog: program(LoadMapFd(R1, 'hash'), Add.imm(R1, 0), Mov.imm(R0, 0), Exit()) });
add({ name: 'map_ptr_plus_8', rule: 'ptr_arith', progType: TC, maps: Hm, prog: program(LoadMapFd(R1, 'hash'), Add.imm(R1, 8), Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'map_fd_not_a_map', rule: 'invalid_insn', progType: TC, prog: program(LoadMapFd(R1, 'missing'), Mov.imm(R0, 0), Exit()), expect: 'reject' });

// Percpu and LRU maps behave as arrays/hashes for values.
add({ name: 'percpu_value_read', rule: 'map_bounds', progType: XDP, maps: [M.percpuArray('pca', 8)], prog: program(...lookup('pca', 0, 'out'), LoadMem(R0, R0, 0, 'DW'), Exit(), ...out()), expect: 'accept' });
add({ name: 'percpu_value_over', rule: 'map_bounds', progType: XDP, maps: [M.percpuArray('pca', 8)], prog: program(...lookup('pca', 0, 'out'), LoadMem(R0, R0, 4, 'DW'), Exit(), ...out()), expect: 'reject' });
add({
  name: 'lru_key_from_stack_8',
  rule: 'helper_arg',
  progType: SOCK,
  maps: [M.lruHash('lru')],
  prog: program(StoreImm(R10, -8, 0, 'DW'), Mov.reg(R2, R10), Add.imm(R2, -8), LoadMapFd(R1, 'lru'), Call(H.map_lookup_elem), JEq.imm(R0, 0, 'out'), LoadMem(R0, R0, 12, 'W'), Exit(), ...out()),
  expect: 'accept',
});
add({
  name: 'lru_key_too_short',
  rule: 'helper_arg',
  progType: SOCK,
  maps: [M.lruHash('lru')],
  prog: program(StoreImm(R10, -8, 0, 'DW'), Mov.reg(R2, R10), Add.imm(R2, -4), LoadMapFd(R1, 'lru'), Call(H.map_lookup_elem), Mov.imm(R0, 0), Exit()),
  expect: 'reject',
});

// Map of maps: the lookup gives a map pointer once checked.
add({
  name: 'map_in_map_lookup',
  rule: 'map_value_null',
  progType: XDP,
  maps: [M.arrayOfMaps('outer')],
  prog: program(...lookup('outer', 0, 'out'), StoreImm(R10, -8, 0, 'W'), Mov.reg(R2, R10), Add.imm(R2, -8), Mov.reg(R1, R0), Call(H.map_lookup_elem), JEq.imm(R0, 0, 'out'), LoadMem(R0, R0, 0, 'DW'), Exit(), ...out()),
  expect: 'accept',
});
add({
  name: 'map_in_map_inner_over',
  rule: 'map_bounds',
  progType: XDP,
  maps: [M.arrayOfMaps('outer')],
  prog: program(...lookup('outer', 0, 'out'), StoreImm(R10, -8, 0, 'W'), Mov.reg(R2, R10), Add.imm(R2, -8), Mov.reg(R1, R0), Call(H.map_lookup_elem), JEq.imm(R0, 0, 'out'), LoadMem(R0, R0, 4, 'DW'), Exit(), ...out()),
  expect: 'reject',
});
add({
  name: 'map_in_map_deref_outer',
  rule: 'invalid_mem',
  progType: XDP,
  maps: [M.arrayOfMaps('outer')],
  prog: program(...lookup('outer', 0, 'out'), LoadMem(R0, R0, 0, 'W'), Exit(), ...out()),
  expect: 'reject',
});
add({
  name: 'map_in_map_unchecked',
  rule: 'map_value_null',
  progType: XDP,
  maps: [M.hashOfMaps('outerh')],
  prog: program(...lookup('outerh'), StoreImm(R10, -8, 0, 'W'), Mov.reg(R2, R10), Add.imm(R2, -8), Mov.reg(R1, R0), Call(H.map_lookup_elem), Mov.imm(R0, 0), Exit()),
  expect: 'reject',
});
add({
  name: 'update_elem_ok',
  rule: 'helper_arg',
  progType: TC,
  maps: Hm,
  prog: program(StoreImm(R10, -4, 1, 'W'), StoreImm(R10, -24, 0, 'DW'), StoreImm(R10, -16, 0, 'DW'), LoadMapFd(R1, 'hash'), Mov.reg(R2, R10), Add.imm(R2, -4), Mov.reg(R3, R10), Add.imm(R3, -24), Mov.imm(R4, 0), Call(H.map_update_elem), Mov.imm(R0, 0), Exit()),
  expect: 'accept',
});
add({
  name: 'update_elem_value_too_small',
  rule: 'helper_arg',
  progType: TC,
  maps: Hm,
  prog: program(StoreImm(R10, -4, 1, 'W'), StoreImm(R10, -16, 0, 'DW'), LoadMapFd(R1, 'hash'), Mov.reg(R2, R10), Add.imm(R2, -4), Mov.reg(R3, R10), Add.imm(R3, -8), Mov.imm(R4, 0), Call(H.map_update_elem), Mov.imm(R0, 0), Exit()),
  expect: 'reject',
});
add({
  name: 'update_elem_value_from_map',
  rule: 'helper_arg',
  progType: TC,
  maps: Hm,
  prog: program(...lookup('hash', 0, 'out'), Mov.reg(R3, R0), LoadMapFd(R1, 'hash'), Mov.reg(R2, R10), Add.imm(R2, -4), Mov.imm(R4, 0), Call(H.map_update_elem), Mov.imm(R0, 0), Exit(), ...out()),
  expect: 'accept',
});
add({ name: 'delete_elem_ok', rule: 'helper_arg', progType: TC, maps: Hm, prog: program(StoreImm(R10, -4, 1, 'W'), LoadMapFd(R1, 'hash'), Mov.reg(R2, R10), Add.imm(R2, -4), Call(H.map_delete_elem), Exit()), expect: 'accept' });
add({ name: 'delete_elem_key_scalar', rule: 'helper_arg', progType: TC, maps: Hm, prog: program(LoadMapFd(R1, 'hash'), Mov.imm(R2, 0), Call(H.map_delete_elem), Exit()), expect: 'reject' });
add({ name: 'lookup_key_uninit_stack', rule: 'helper_arg', progType: TC, maps: Hm, prog: program(LoadMapFd(R1, 'hash'), Mov.reg(R2, R10), Add.imm(R2, -4), Call(H.map_lookup_elem), Mov.imm(R0, 0), Exit()) });
add({ name: 'lookup_key_from_map_ptr', rule: 'helper_arg', progType: TC, maps: Hm, prog: program(LoadMapFd(R1, 'hash'), Mov.reg(R2, R1), Call(H.map_lookup_elem), Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'lookup_map_arg_scalar', rule: 'helper_arg', progType: TC, maps: Hm, prog: program(Mov.imm(R1, 0), Mov.reg(R2, R10), Add.imm(R2, -4), Call(H.map_lookup_elem), Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'lookup_ctx_as_key', rule: 'helper_arg', progType: TC, maps: Hm, prog: program(Mov.reg(R2, R1), LoadMapFd(R1, 'hash'), Call(H.map_lookup_elem), Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'key_above_stack_top', rule: 'helper_arg', progType: TC, maps: Hm, prog: program(StoreImm(R10, -4, 1, 'W'), LoadMapFd(R1, 'hash'), Mov.reg(R2, R10), Add.imm(R2, -2), Call(H.map_lookup_elem), Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({
  name: 'value_used_after_null_branch_merge',
  rule: 'map_value_null',
  progType: XDP,
  maps: A,
  prog: program(...lookup('arr'), Mov.reg(R6, R0), JEq.imm(R0, 0, 'skip'), StoreImm(R0, 0, 1, 'DW'), Label('skip'), LoadMem(R0, R6, 0, 'DW'), Exit()),
  expect: 'reject',
});
add({
  name: 'value_checked_twice',
  rule: 'map_value_null',
  progType: XDP,
  maps: A,
  prog: program(...lookup('arr'), Mov.reg(R6, R0), JEq.imm(R0, 0, 'skip'), StoreImm(R0, 0, 1, 'DW'), Label('skip'), JEq.imm(R6, 0, 'out'), LoadMem(R0, R6, 0, 'DW'), Exit(), ...out()),
  expect: 'accept',
});
add({ name: 'jle_var_ok', rule: 'map_bounds', progType: XDP, maps: A, prog: program(...lookup('arr', 0, 'out'), Mov.reg(R6, R0), ...rnd, JLE.imm(R0, 8, 'ok'), Mov.imm(R0, 0), Exit(), Label('ok'), Add.reg(R6, R0), LoadMem(R0, R6, 0, 'DW'), Exit(), ...out()), expect: 'accept' });
add({ name: 'ptr_minus_var', rule: 'map_bounds', progType: XDP, maps: A, prog: program(...lookup('arr', 0, 'out'), Mov.reg(R6, R0), Add.imm(R6, 8), ...rnd, And.imm(R0, 7), Sub.reg(R6, R0), LoadMem(R0, R6, 0, 'B'), Exit(), ...out()) });
add({ name: 'stack_and_map_value_cmp', rule: 'map_bounds', progType: XDP, maps: A, prog: program(...lookup('arr', 0, 'out'), LoadMem(R1, R0, 0, 'B'), JGT.imm(R1, 8, 'out'), Add.reg(R0, R1), LoadMem(R0, R0, 0, 'DW'), Exit(), ...out()), expect: 'accept' });

// Since 6.x map keys and values may be any readable memory (mem_types), a ringbuf record included.
const RBH = [M.ringbuf('rb'), M.hash('hash', 4, 16, 8)];
const rbReserve = (size: number): ProgramItem[] => [LoadMapFd(R1, 'rb'), Mov.imm(R2, size), Mov.imm(R3, 0), Call(H.ringbuf_reserve), JEq.imm(R0, 0, 'out'), Mov.reg(R6, R0)];
const rbSubmit: ProgramItem[] = [Mov.reg(R1, R6), Mov.imm(R2, 0), Call(H.ringbuf_submit), Mov.imm(R0, 0), Exit()];
add({ name: 'key_in_ringbuf_record', rule: 'helper_arg', progType: XDP, maps: RBH, prog: program(...rbReserve(8), StoreImm(R6, 0, 0, 'DW'), Mov.reg(R2, R6), LoadMapFd(R1, 'hash'), Call(H.map_lookup_elem), ...rbSubmit, ...out()), expect: 'accept' });
add({ name: 'key_in_short_ringbuf_record', rule: 'helper_arg', progType: XDP, maps: RBH, prog: program(...rbReserve(2), StoreImm(R6, 0, 0, 'H'), Mov.reg(R2, R6), LoadMapFd(R1, 'hash'), Call(H.map_lookup_elem), ...rbSubmit, ...out()), expect: 'reject' });
add({
  name: 'value_in_ringbuf_record',
  rule: 'helper_arg',
  progType: XDP,
  maps: RBH,
  prog: program(...rbReserve(16), StoreImm(R6, 0, 0, 'DW'), StoreImm(R6, 8, 0, 'DW'), StoreImm(R10, -4, 0, 'W'), Mov.reg(R2, R10), Add.imm(R2, -4), Mov.reg(R3, R6), Mov.imm(R4, 0), LoadMapFd(R1, 'hash'), Call(H.map_update_elem), ...rbSubmit, ...out()),
  expect: 'accept',
});
add({ name: 'key_ringbuf_record_unchecked', rule: 'helper_arg', progType: XDP, maps: RBH, prog: program(LoadMapFd(R1, 'rb'), Mov.imm(R2, 8), Mov.imm(R3, 0), Call(H.ringbuf_reserve), Mov.reg(R6, R0), Mov.reg(R2, R6), LoadMapFd(R1, 'hash'), Call(H.map_lookup_elem), ...out()), expect: 'reject' });

export { cases };
import { JEq32 as JEq32_ } from '../../../src/ebpf/isa/dsl.ts';
void R3;
void R4;
