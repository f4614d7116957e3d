/** Direct packet access: ranges proven by comparisons with data_end (find_good_pkt_pointers). */
import {
  Add,
  And,
  Call,
  Exit,
  JGE,
  JGT,
  JLE,
  JLT,
  JEq,
  Label,
  LoadMem,
  Mov,
  R0,
  R1,
  R2,
  R3,
  R4,
  R5,
  R6,
  RSh,
  StoreImm,
  StoreMem,
  Sub,
  program,
  JGT32,
  JSGT,
  LSh,
  Ja,
} from '../../../src/ebpf/isa/dsl.ts';
import type { AsmCase } from '../corpus.ts';
import { ACT, CGSKB, H, LWTIN, LWTXMIT, loadPkt, out, pktChecked, SKMSG, SKSKB, TC, XDP } from '../lib.ts';

const cases: AsmCase[] = [];
const add = (c: AsmCase): void => {
  cases.push(c);
};

for (const t of [XDP, TC, ACT, CGSKB, SKSKB, LWTIN, SKMSG]) {
  const s = t.replace('BPF_PROG_TYPE_', '').toLowerCase();
  add({ name: `${s}_unchecked_read`, rule: 'pkt_bounds', progType: t, prog: program(...loadPkt(t), LoadMem(R0, R2, 0, 'B'), Exit()), expect: 'reject' });
  add({ name: `${s}_checked_read`, rule: 'pkt_bounds', progType: t, prog: program(...pktChecked(t, 14), LoadMem(R0, R2, 12, 'H'), Exit(), ...out()), expect: 'accept' });
  add({ name: `${s}_read_past_check`, rule: 'pkt_bounds', progType: t, prog: program(...pktChecked(t, 14), LoadMem(R0, R2, 13, 'H'), Exit(), ...out()), expect: 'reject' });
  add({ name: `${s}_read_in_failed_branch`, rule: 'pkt_bounds', progType: t, prog: program(...loadPkt(t), Mov.reg(R4, R2), Add.imm(R4, 8), JGT.reg(R4, R3, 'bad'), Mov.imm(R0, 0), Exit(), Label('bad'), LoadMem(R0, R2, 0, 'B'), Exit()), expect: 'reject' });
  add({ name: `${s}_write_checked`, rule: 'pkt_bounds', progType: t, prog: program(...pktChecked(t, 4), StoreImm(R2, 0, 1, 'W'), Mov.imm(R0, 0), Exit(), ...out()) });
  add({ name: `${s}_write_unchecked`, rule: 'pkt_bounds', progType: t, prog: program(...loadPkt(t), StoreImm(R2, 0, 1, 'B'), Mov.imm(R0, 0), Exit()), expect: 'reject' });
}

// Comparison forms, on XDP: each operand order and each operator.
const x = XDP;
const forms: [string, import('../../../src/ebpf/isa/dsl.ts').ProgramItem[], number, boolean][] = [
  // name, compare-and-branch-to-out, bytes read at offset 0..n-1 allowed, expected ok for reading n bytes
  ['jgt_ptr_end', [JGT.reg(R4, R3, 'out')], 8, true],
  ['jge_ptr_end', [JGE.reg(R4, R3, 'out')], 8, true],
  ['jlt_end_ptr', [JLT.reg(R3, R4, 'out')], 8, true],
  ['jle_end_ptr', [JLE.reg(R3, R4, 'out')], 8, true],
];
for (const [n, cmp] of forms) {
  add({ name: `form_${n}_read8`, rule: 'pkt_bounds', progType: x, prog: program(...loadPkt(x), Mov.reg(R4, R2), Add.imm(R4, 8), ...cmp, LoadMem(R0, R2, 0, 'DW'), Exit(), ...out()) });
  add({ name: `form_${n}_read9`, rule: 'pkt_bounds', progType: x, prog: program(...loadPkt(x), Mov.reg(R4, R2), Add.imm(R4, 8), ...cmp, LoadMem(R0, R2, 1, 'DW'), Exit(), ...out()) });
}
// Taken-branch forms: the good side is the jump target.
const taken: [string, import('../../../src/ebpf/isa/dsl.ts').ProgramItem][] = [
  ['jle_ptr_end', JLE.reg(R4, R3, 'ok')],
  ['jlt_ptr_end', JLT.reg(R4, R3, 'ok')],
  ['jge_end_ptr', JGE.reg(R3, R4, 'ok')],
  ['jgt_end_ptr', JGT.reg(R3, R4, 'ok')],
];
for (const [n, cmp] of taken) {
  for (const [what, off, size] of [['read8', 0, 'DW'], ['read_last', 7, 'B'], ['read_over', 8, 'B']] as const) {
    add({ name: `taken_${n}_${what}`, rule: 'pkt_bounds', progType: x, prog: program(...loadPkt(x), Mov.reg(R4, R2), Add.imm(R4, 8), cmp, Mov.imm(R0, 0), Exit(), Label('ok'), LoadMem(R0, R2, off, size), Exit()) });
  }
}
// The range follows copies of the checked pointer and pointers derived before the check.
add({ name: 'range_on_copy', rule: 'pkt_bounds', progType: x, prog: program(...pktChecked(x, 20), Mov.reg(R5, R2), LoadMem(R0, R5, 16, 'W'), Exit(), ...out()), expect: 'accept' });
add({ name: 'range_on_offset_copy', rule: 'pkt_bounds', progType: x, prog: program(...loadPkt(x), Mov.reg(R5, R2), Add.imm(R5, 14), Mov.reg(R4, R2), Add.imm(R4, 20), JGT.reg(R4, R3, 'out'), LoadMem(R0, R5, 4, 'H'), Exit(), ...out()), expect: 'accept' });
add({ name: 'range_on_offset_copy_over', rule: 'pkt_bounds', progType: x, prog: program(...loadPkt(x), Mov.reg(R5, R2), Add.imm(R5, 14), Mov.reg(R4, R2), Add.imm(R4, 20), JGT.reg(R4, R3, 'out'), LoadMem(R0, R5, 5, 'H'), Exit(), ...out()), expect: 'reject' });
add({ name: 'negative_offset_read', rule: 'pkt_bounds', progType: x, prog: program(...pktChecked(x, 8), LoadMem(R0, R2, -1, 'B'), Exit(), ...out()), expect: 'reject' });
add({ name: 'check_then_sub', rule: 'pkt_bounds', progType: x, prog: program(...pktChecked(x, 8), Sub.imm(R4, 4), LoadMem(R0, R4, 0, 'W'), Exit(), ...out()), expect: 'accept' });
add({ name: 'check_then_sub_over', rule: 'pkt_bounds', progType: x, prog: program(...pktChecked(x, 8), Sub.imm(R4, 4), LoadMem(R0, R4, 1, 'W'), Exit(), ...out()), expect: 'reject' });
add({ name: 'jmp32_does_not_prove', rule: 'pkt_bounds', progType: x, prog: program(...loadPkt(x), Mov.reg(R4, R2), Add.imm(R4, 8), JGT32.reg(R4, R3, 'out'), LoadMem(R0, R2, 0, 'B'), Exit(), ...out()), expect: 'reject' });
add({ name: 'signed_cmp_does_not_prove', rule: 'pkt_bounds', progType: x, prog: program(...loadPkt(x), Mov.reg(R4, R2), Add.imm(R4, 8), JSGT.reg(R4, R3, 'out'), LoadMem(R0, R2, 0, 'B'), Exit(), ...out()), expect: 'reject' });
add({ name: 'zero_offset_check', rule: 'pkt_bounds', progType: x, prog: program(...loadPkt(x), JGE.reg(R2, R3, 'out'), LoadMem(R0, R2, 0, 'B'), Exit(), ...out()), expect: 'accept' });
add({ name: 'zero_offset_check_gt', rule: 'pkt_bounds', progType: x, prog: program(...loadPkt(x), JGT.reg(R2, R3, 'out'), LoadMem(R0, R2, 0, 'B'), Exit(), ...out()), expect: 'reject' });

// Variable offsets: an index must be bounded before the range check counts.
add({
  name: 'var_off_bounded_then_checked',
  rule: 'pkt_bounds',
  progType: x,
  prog: program(...loadPkt(x), LoadMem(R5, R1, 16, 'W'), And.imm(R5, 0xff), Add.reg(R2, R5), Mov.reg(R4, R2), Add.imm(R4, 4), JGT.reg(R4, R3, 'out'), LoadMem(R0, R2, 0, 'W'), Exit(), ...out()),
  expect: 'accept',
});
add({
  name: 'var_off_unbounded',
  rule: 'pkt_bounds',
  progType: x,
  prog: program(...loadPkt(x), LoadMem(R5, R1, 16, 'W'), Add.reg(R2, R5), Mov.reg(R4, R2), Add.imm(R4, 4), JGT.reg(R4, R3, 'out'), LoadMem(R0, R2, 0, 'W'), Exit(), ...out()),
  expect: 'reject',
});
add({
  name: 'var_off_too_large',
  rule: 'pkt_bounds',
  progType: x,
  prog: program(...loadPkt(x), LoadMem(R5, R1, 16, 'W'), And.imm(R5, 0x1ffff), Add.reg(R2, R5), Mov.reg(R4, R2), Add.imm(R4, 4), JGT.reg(R4, R3, 'out'), LoadMem(R0, R2, 0, 'W'), Exit(), ...out()),
  expect: 'reject',
});
add({
  name: 'var_off_after_check',
  rule: 'pkt_bounds',
  progType: x,
  prog: program(...pktChecked(x, 64), LoadMem(R5, R1, 16, 'W'), And.imm(R5, 0x3f), Add.reg(R2, R5), LoadMem(R0, R2, 0, 'B'), Exit(), ...out()),
  expect: 'reject',
});
add({
  name: 'var_off_shifted_index',
  rule: 'pkt_bounds',
  progType: x,
  prog: program(...pktChecked(x, 40), LoadMem(R5, R2, 0, 'B'), And.imm(R5, 0xf), LSh.imm(R5, 2), Mov.reg(R6, R2), Add.reg(R6, R5), Mov.reg(R4, R6), Add.imm(R4, 4), JGT.reg(R4, R3, 'out'), LoadMem(R0, R6, 0, 'W'), Exit(), ...out()),
  expect: 'accept',
});
add({
  name: 'ihl_header_walk',
  rule: 'pkt_bounds',
  progType: x,
  prog: program(
    ...pktChecked(x, 34),
    LoadMem(R5, R2, 14, 'B'),
    And.imm(R5, 0xf),
    LSh.imm(R5, 2),
    Add.reg(R5, R2),
    Add.imm(R5, 14),
    Mov.reg(R4, R5),
    Add.imm(R4, 8),
    JGT.reg(R4, R3, 'out'),
    LoadMem(R0, R5, 2, 'H'),
    Exit(),
    ...out(),
  ),
  expect: 'accept',
});
add({ name: 'pkt_end_deref', rule: 'invalid_mem', progType: x, prog: program(...loadPkt(x), LoadMem(R0, R3, 0, 'B'), Exit()), expect: 'reject' });
add({ name: 'pkt_end_arith', rule: 'ptr_arith', progType: x, prog: program(...loadPkt(x), Sub.imm(R3, 4), Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'pkt_minus_pkt', rule: 'ptr_arith', progType: x, prog: program(...loadPkt(x), Sub.reg(R3, R2), Mov.reg(R0, R3), Exit()), expect: 'accept' });
add({
  name: 'len_from_sub_bounds_read',
  rule: 'pkt_bounds',
  progType: x,
  prog: program(...loadPkt(x), Mov.reg(R5, R3), Sub.reg(R5, R2), JLT.imm(R5, 8, 'out'), LoadMem(R0, R2, 0, 'B'), Exit(), ...out()),
  expect: 'reject',
});

// Packet metadata, checked against data.
add({
  name: 'meta_checked',
  rule: 'pkt_bounds',
  progType: x,
  prog: program(LoadMem(R2, R1, 8, 'W'), LoadMem(R3, R1, 0, 'W'), Mov.reg(R4, R2), Add.imm(R4, 4), JGT.reg(R4, R3, 'out'), LoadMem(R0, R2, 0, 'W'), Exit(), ...out()),
  expect: 'accept',
});
add({
  name: 'meta_unchecked',
  rule: 'pkt_bounds',
  progType: x,
  prog: program(LoadMem(R2, R1, 8, 'W'), LoadMem(R0, R2, 0, 'W'), Exit()),
  expect: 'reject',
});
add({
  name: 'meta_checked_against_end',
  rule: 'pkt_bounds',
  progType: x,
  prog: program(LoadMem(R2, R1, 8, 'W'), LoadMem(R3, R1, 4, 'W'), Mov.reg(R4, R2), Add.imm(R4, 4), JGT.reg(R4, R3, 'out'), LoadMem(R0, R2, 0, 'W'), Exit(), ...out()),
  expect: 'reject',
});
add({
  name: 'tc_meta_checked',
  rule: 'pkt_bounds',
  progType: TC,
  prog: program(LoadMem(R2, R1, 140, 'W'), LoadMem(R3, R1, 76, 'W'), Mov.reg(R4, R2), Add.imm(R4, 4), JGT.reg(R4, R3, 'out'), LoadMem(R0, R2, 0, 'W'), Exit(), ...out()),
  expect: 'accept',
});

// Helpers that move packet data invalidate pointers.
add({
  name: 'xdp_adjust_head_invalidates',
  rule: 'pkt_bounds',
  progType: x,
  prog: program(Mov.reg(R6, R1), ...pktChecked(x, 8), Mov.reg(R7_, R2), Mov.reg(R1, R6), Mov.imm(R2, 4), Call(H.xdp_adjust_head), LoadMem(R0, R7_, 0, 'B'), Exit(), ...out()),
  expect: 'reject',
});
add({
  name: 'xdp_adjust_head_reload',
  rule: 'pkt_bounds',
  progType: x,
  prog: program(Mov.reg(R6, R1), Mov.imm(R2, -4), Call(H.xdp_adjust_head), Mov.reg(R1, R6), ...pktChecked(x, 8), LoadMem(R0, R2, 0, 'B'), Exit(), ...out()),
  expect: 'accept',
});
add({
  name: 'tc_pull_data_invalidates',
  rule: 'pkt_bounds',
  progType: TC,
  prog: program(Mov.reg(R6, R1), ...pktChecked(TC, 8), Mov.reg(R7_, R2), Mov.reg(R1, R6), Mov.imm(R2, 20), Call(H.skb_pull_data), LoadMem(R0, R7_, 0, 'B'), Exit(), ...out()),
  expect: 'reject',
});
add({
  name: 'tc_store_bytes_invalidates',
  rule: 'pkt_bounds',
  progType: TC,
  prog: program(
    Mov.reg(R6, R1),
    ...pktChecked(TC, 8),
    Mov.reg(R7_, R2),
    StoreImm(R10_, -8, 0, 'DW'),
    Mov.reg(R1, R6),
    Mov.imm(R2, 0),
    Mov.reg(R3, R10_),
    Add.imm(R3, -8),
    Mov.imm(R4, 4),
    Mov.imm(R5, 0),
    Call(H.skb_store_bytes),
    LoadMem(R0, R7_, 0, 'B'),
    Exit(),
    ...out(),
  ),
  expect: 'reject',
});
add({
  name: 'tc_load_bytes_keeps_pointers',
  rule: 'pkt_bounds',
  progType: TC,
  prog: program(Mov.reg(R6, R1), ...pktChecked(TC, 8), Mov.reg(R7_, R2), Mov.reg(R1, R6), Mov.imm(R2, 0), Mov.reg(R3, R10_), Add.imm(R3, -8), Mov.imm(R4, 8), Call(H.skb_load_bytes), LoadMem(R0, R7_, 0, 'B'), Exit(), ...out()),
  expect: 'accept',
});
// Read-only packet access in cgroup_skb and lwt_in; socket filters have none.
add({ name: 'cgskb_write', rule: 'pkt_bounds', progType: CGSKB, prog: program(...pktChecked(CGSKB, 4), StoreImm(R2, 0, 1, 'B'), Mov.imm(R0, 1), Exit(), ...out()), expect: 'reject' });
add({ name: 'lwt_in_write', rule: 'pkt_bounds', progType: LWTIN, prog: program(...pktChecked(LWTIN, 4), StoreImm(R2, 0, 1, 'B'), Mov.imm(R0, 1), Exit(), ...out()), expect: 'reject' });
add({ name: 'lwt_xmit_write', rule: 'pkt_bounds', progType: LWTXMIT, prog: program(...pktChecked(TC, 4), StoreImm(R2, 0, 1, 'B'), Mov.imm(R0, 1), Exit(), ...out()), expect: 'accept' });
add({ name: 'store_pkt_ptr_into_pkt', rule: 'pkt_bounds', progType: x, prog: program(...pktChecked(x, 8), StoreMem(R2, 0, R2, 'DW'), Mov.imm(R0, 0), Exit(), ...out()), expect: 'accept' });
add({ name: 'pkt_ptr_to_map_lookup_key', rule: 'helper_arg', progType: x, maps: [{ name: 'h', type: 'BPF_MAP_TYPE_HASH', keySize: 4, valueSize: 8, maxEntries: 4 }], prog: program(...pktChecked(x, 4), LoadMapFd(R1, 'h'), Call(H.map_lookup_elem), Mov.imm(R0, 0), Exit(), ...out()), expect: 'accept' });
add({ name: 'pkt_ptr_to_map_lookup_short', rule: 'helper_arg', progType: x, maps: [{ name: 'h', type: 'BPF_MAP_TYPE_HASH', keySize: 8, valueSize: 8, maxEntries: 4 }], prog: program(...pktChecked(x, 4), LoadMapFd(R1, 'h'), Call(H.map_lookup_elem), Mov.imm(R0, 0), Exit(), ...out()), expect: 'reject' });
add({ name: 'pkt_ptr_to_redirect', rule: 'helper_arg', progType: x, prog: program(...pktChecked(x, 4), Mov.reg(R1, R2), Mov.imm(R2, 0), Call(H.redirect), Exit(), ...out()), expect: 'accept' });
add({ name: 'pkt_ptr_to_csum_diff', rule: 'helper_arg', progType: TC, prog: program(...pktChecked(TC, 8), Mov.reg(R1, R2), Mov.imm(R2, 8), Mov.imm(R3, 0), Mov.imm(R4, 0), Mov.imm(R5, 0), Call(H.csum_diff), Exit(), ...out()), expect: 'accept' });
add({ name: 'pkt_ptr_to_csum_diff_over', rule: 'helper_arg', progType: TC, prog: program(...pktChecked(TC, 8), Mov.reg(R1, R2), Mov.imm(R2, 12), Mov.imm(R3, 0), Mov.imm(R4, 0), Mov.imm(R5, 0), Call(H.csum_diff), Exit(), ...out()), expect: 'reject' });
add({ name: 'pkt_ptr_to_perf_output', rule: 'helper_arg', progType: x, maps: [{ name: 'events', type: 'BPF_MAP_TYPE_PERF_EVENT_ARRAY', keySize: 4, valueSize: 4, maxEntries: 2 }], prog: program(Mov.reg(R6, R1), ...pktChecked(x, 8), Mov.reg(R4, R2), Mov.reg(R1, R6), LoadMapFd(R2, 'events'), Mov.imm(R3, 0), Mov.imm(R5, 8), Call(H.perf_event_output), Exit(), ...out()), expect: 'reject' });
add({
  name: 'loop_over_packet',
  rule: 'pkt_bounds',
  progType: x,
  prog: program(...loadPkt(x), Mov.imm(R0, 0), Label('top'), Mov.reg(R4, R2), Add.imm(R4, 1), JGT.reg(R4, R3, 'done'), LoadMem(R5, R2, 0, 'B'), Add.reg(R0, R5), Mov.reg(R2, R4), Ja('top'), Label('done'), Mov.imm(R0, 0), Exit()),
});
add({ name: 'byte_at_zero_after_jeq', rule: 'pkt_bounds', progType: x, prog: program(...loadPkt(x), JEq.reg(R2, R3, 'out'), LoadMem(R0, R2, 0, 'B'), Exit(), ...out()), expect: 'reject' });
add({ name: 'rsh_index', rule: 'pkt_bounds', progType: x, prog: program(...pktChecked(x, 32), LoadMem(R5, R1, 16, 'W'), RSh.imm(R5, 28), Add.reg(R2, R5), LoadMem(R0, R2, 15, 'B'), Exit(), ...out()), expect: 'reject' });

export { cases };
import { LoadMapFd, R7 as R7_, R10 as R10_ } from '../../../src/ebpf/isa/dsl.ts';
