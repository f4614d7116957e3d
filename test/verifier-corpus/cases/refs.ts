/** Acquired references (sockets, ringbuf records): released on every path (check_reference_leak). */
import { Add, Call, Exit, JEq, JNE, Ja, Label, LoadMapFd, LoadMem, Mov, R0, R1, R2, R3, R4, R5, R6, R7, R10, StoreImm, StoreMem, program, type ProgramItem } from '../../../src/ebpf/isa/dsl.ts';
import type { AsmCase } from '../corpus.ts';
import { H, M, out, rnd, SKSKB, TC, XDP } from '../lib.ts';

const cases: AsmCase[] = [];
const add = (c: AsmCase): void => {
  cases.push(c);
};

/** r0 = bpf_sk_lookup_tcp(ctx, &tuple(36 zero bytes on the stack), 36, 0, 0); ctx kept in r6. */
const skLookup = (helper: number = H.sk_lookup_tcp): ProgramItem[] => [
  Mov.reg(R6, R1),
  StoreImm(R10, -8, 0, 'DW'),
  StoreImm(R10, -16, 0, 'DW'),
  StoreImm(R10, -24, 0, 'DW'),
  StoreImm(R10, -32, 0, 'DW'),
  StoreImm(R10, -40, 0, 'DW'),
  Mov.reg(R2, R10),
  Add.imm(R2, -40),
  Mov.imm(R3, 36),
  Mov.imm(R4, 0),
  Mov.imm(R5, 0),
  Call(helper),
];
const release = (reg = R0): ProgramItem[] => [Mov.reg(R1, reg), Call(H.sk_release)];

for (const t of [TC, XDP]) {
  const s = t === TC ? 'tc' : 'xdp';
  add({ name: `${s}_lookup_no_release`, rule: 'unreleased_ref', progType: t, prog: program(...skLookup(), Mov.imm(R0, 0), Exit()), expect: 'reject' });
  add({ name: `${s}_lookup_release`, rule: 'unreleased_ref', progType: t, prog: program(...skLookup(), JEq.imm(R0, 0, 'out'), ...release(), ...out()), expect: 'accept' });
  add({ name: `${s}_lookup_null_only_checked`, rule: 'unreleased_ref', progType: t, prog: program(...skLookup(), JEq.imm(R0, 0, 'out'), Mov.imm(R0, 0), Exit(), ...out()), expect: 'reject' });
  add({ name: `${s}_release_unchecked`, rule: 'release', progType: t, prog: program(...skLookup(), ...release(), Mov.imm(R0, 0), Exit()), expect: 'reject' });
}
add({ name: 'udp_lookup_release', rule: 'unreleased_ref', progType: TC, prog: program(...skLookup(H.sk_lookup_udp), JEq.imm(R0, 0, 'out'), ...release(), ...out()), expect: 'accept' });
add({ name: 'skc_lookup_release', rule: 'unreleased_ref', progType: TC, prog: program(...skLookup(H.skc_lookup_tcp), JEq.imm(R0, 0, 'out'), ...release(), ...out()), expect: 'accept' });
add({ name: 'skc_lookup_leak', rule: 'unreleased_ref', progType: TC, prog: program(...skLookup(H.skc_lookup_tcp), JEq.imm(R0, 0, 'out'), Mov.imm(R0, 0), Exit(), ...out()), expect: 'reject' });
add({
  name: 'release_on_one_path_only',
  rule: 'unreleased_ref',
  progType: TC,
  prog: program(...skLookup(), JEq.imm(R0, 0, 'out'), Mov.reg(R7, R0), ...rnd, JEq.imm(R0, 0, 'skip'), ...release(R7), Label('skip'), Mov.imm(R0, 0), Exit(), ...out()),
  expect: 'reject',
});
add({
  name: 'release_on_both_paths',
  rule: 'unreleased_ref',
  progType: TC,
  prog: program(...skLookup(), JEq.imm(R0, 0, 'out'), Mov.reg(R7, R0), ...rnd, JEq.imm(R0, 0, 'other'), ...release(R7), Mov.imm(R0, 1), Exit(), Label('other'), ...release(R7), Mov.imm(R0, 2), Exit(), ...out()),
  expect: 'accept',
});
add({ name: 'double_release', rule: 'release', progType: TC, prog: program(...skLookup(), JEq.imm(R0, 0, 'out'), Mov.reg(R7, R0), ...release(R7), ...release(R7), Mov.imm(R0, 0), Exit(), ...out()), expect: 'reject' });
add({ name: 'use_after_release', rule: 'release', progType: TC, prog: program(...skLookup(), JEq.imm(R0, 0, 'out'), Mov.reg(R7, R0), ...release(R7), LoadMem(R0, R7, 4, 'W'), Exit(), ...out()), expect: 'reject' });
add({ name: 'read_sock_field', rule: 'sock_access', progType: TC, prog: program(...skLookup(), JEq.imm(R0, 0, 'out'), Mov.reg(R7, R0), LoadMem(R6, R7, 4, 'W'), ...release(R7), Mov.reg(R0, R6), Exit(), ...out()), expect: 'accept' });
add({ name: 'read_sock_field_unchecked', rule: 'sock_access', progType: TC, prog: program(...skLookup(), Mov.reg(R7, R0), LoadMem(R6, R7, 4, 'W'), Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'read_sock_past_end', rule: 'sock_access', progType: TC, prog: program(...skLookup(), JEq.imm(R0, 0, 'out'), Mov.reg(R7, R0), LoadMem(R6, R7, 80, 'W'), ...release(R7), Mov.imm(R0, 0), Exit(), ...out()), expect: 'reject' });
add({ name: 'write_sock_field', rule: 'sock_access', progType: TC, prog: program(...skLookup(), JEq.imm(R0, 0, 'out'), Mov.reg(R7, R0), StoreImm(R7, 16, 1, 'W'), ...release(R7), Mov.imm(R0, 0), Exit(), ...out()), expect: 'reject' });
add({ name: 'sock_dst_port_narrow', rule: 'sock_access', progType: TC, prog: program(...skLookup(), JEq.imm(R0, 0, 'out'), Mov.reg(R7, R0), LoadMem(R6, R7, 48, 'H'), ...release(R7), Mov.imm(R0, 0), Exit(), ...out()), expect: 'accept' });
add({ name: 'sock_dst_port_pad', rule: 'sock_access', progType: TC, prog: program(...skLookup(), JEq.imm(R0, 0, 'out'), Mov.reg(R7, R0), LoadMem(R6, R7, 50, 'H'), ...release(R7), Mov.imm(R0, 0), Exit(), ...out()), expect: 'reject' });
add({ name: 'sock_ptr_arith', rule: 'ptr_arith', progType: TC, prog: program(...skLookup(), JEq.imm(R0, 0, 'out'), Mov.reg(R7, R0), Add.imm(R7, 4), ...release(R0), Mov.imm(R0, 0), Exit(), ...out()), expect: 'reject' });
add({ name: 'release_scalar', rule: 'release', progType: TC, prog: program(Mov.imm(R1, 0), Call(H.sk_release), Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'release_ctx', rule: 'release', progType: TC, prog: program(Call(H.sk_release), Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'tail_call_with_ref', rule: 'unreleased_ref', progType: TC, maps: [M.progArray('jmp')], prog: program(...skLookup(), JEq.imm(R0, 0, 'out'), Mov.reg(R7, R0), Mov.reg(R1, R6), LoadMapFd(R2, 'jmp'), Mov.imm(R3, 0), Call(H.tail_call), ...release(R7), ...out()), expect: 'reject' });
add({ name: 'ref_spilled_and_released', rule: 'unreleased_ref', progType: TC, prog: program(...skLookup(), JEq.imm(R0, 0, 'out'), StoreMem(R10, -48, R0, 'DW'), Call(H.ktime_get_ns), LoadMem(R1, R10, -48, 'DW'), Call(H.sk_release), ...out()), expect: 'accept' });
add({ name: 'ref_overwritten_on_stack', rule: 'unreleased_ref', progType: TC, prog: program(...skLookup(), JEq.imm(R0, 0, 'out'), StoreMem(R10, -48, R0, 'DW'), StoreImm(R10, -48, 0, 'DW'), Mov.imm(R0, 0), Exit(), ...out()), expect: 'reject' });
add({ name: 'sk_fullsock_of_lookup', rule: 'unreleased_ref', progType: TC, prog: program(...skLookup(H.skc_lookup_tcp), JEq.imm(R0, 0, 'out'), Mov.reg(R7, R0), Mov.reg(R1, R0), Call(H.sk_fullsock), JEq.imm(R0, 0, 'rel'), LoadMem(R6, R0, 8, 'W'), Label('rel'), ...release(R7), ...out()), expect: 'accept' });
add({ name: 'tcp_sock_read', rule: 'sock_access', progType: TC, prog: program(...skLookup(), JEq.imm(R0, 0, 'out'), Mov.reg(R7, R0), Mov.reg(R1, R0), Call(H.tcp_sock), JEq.imm(R0, 0, 'rel'), LoadMem(R6, R0, 80, 'DW'), Label('rel'), ...release(R7), ...out()), expect: 'accept' });
add({ name: 'skb_sk_field', rule: 'sock_access', progType: TC, prog: program(LoadMem(R2, R1, 168, 'DW'), JEq.imm(R2, 0, 'out'), LoadMem(R0, R2, 4, 'W'), Exit(), ...out()), expect: 'accept' });
add({ name: 'skb_sk_field_full_only', rule: 'sock_access', progType: TC, prog: program(LoadMem(R2, R1, 168, 'DW'), JEq.imm(R2, 0, 'out'), LoadMem(R0, R2, 16, 'W'), Exit(), ...out()), expect: 'reject' });
add({ name: 'skb_sk_fullsock', rule: 'sock_access', progType: TC, prog: program(LoadMem(R1, R1, 168, 'DW'), JEq.imm(R1, 0, 'out'), Call(H.sk_fullsock), JEq.imm(R0, 0, 'out'), LoadMem(R0, R0, 16, 'W'), Exit(), ...out()), expect: 'accept' });

// Ring buffer reservations.
const RB = [M.ringbuf('rb')];
const reserve = (size = 16): ProgramItem[] => [LoadMapFd(R1, 'rb'), Mov.imm(R2, size), Mov.imm(R3, 0), Call(H.ringbuf_reserve)];
const submit = (reg = R0, h: number = H.ringbuf_submit): ProgramItem[] => [Mov.reg(R1, reg), Mov.imm(R2, 0), Call(h)];
add({ name: 'rb_reserve_submit', rule: 'unreleased_ref', progType: XDP, maps: RB, prog: program(...reserve(), JEq.imm(R0, 0, 'out'), StoreImm(R0, 8, 1, 'DW'), ...submit(), ...out()), expect: 'accept' });
add({ name: 'rb_reserve_discard', rule: 'unreleased_ref', progType: XDP, maps: RB, prog: program(...reserve(), JEq.imm(R0, 0, 'out'), ...submit(R0, H.ringbuf_discard), ...out()), expect: 'accept' });
add({ name: 'rb_reserve_leak', rule: 'unreleased_ref', progType: XDP, maps: RB, prog: program(...reserve(), JEq.imm(R0, 0, 'out'), StoreImm(R0, 0, 1, 'DW'), Mov.imm(R0, 0), Exit(), ...out()), expect: 'reject' });
add({ name: 'rb_unchecked_write', rule: 'map_value_null', progType: XDP, maps: RB, prog: program(...reserve(), StoreImm(R0, 0, 1, 'DW'), ...submit(), Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'rb_write_past_record', rule: 'mem_bounds', progType: XDP, maps: RB, prog: program(...reserve(), JEq.imm(R0, 0, 'out'), StoreImm(R0, 12, 1, 'DW'), ...submit(), ...out()), expect: 'reject' });
add({ name: 'rb_submit_unchecked', rule: 'release', progType: XDP, maps: RB, prog: program(...reserve(), ...submit(), Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'rb_submit_twice', rule: 'release', progType: XDP, maps: RB, prog: program(...reserve(), JEq.imm(R0, 0, 'out'), Mov.reg(R7, R0), ...submit(R7), ...submit(R7), ...out()), expect: 'reject' });
add({ name: 'rb_submit_stack', rule: 'release', progType: XDP, maps: RB, prog: program(...submit(R10), Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'rb_submit_offset_ptr', rule: 'release', progType: XDP, maps: RB, prog: program(...reserve(), JEq.imm(R0, 0, 'out'), Mov.reg(R7, R0), Add.imm(R7, 8), ...submit(R7), ...out()), expect: 'reject' });
add({ name: 'rb_nonconst_size', rule: 'helper_arg', progType: XDP, maps: RB, prog: program(...rnd, Mov.reg(R2, R0), LoadMapFd(R1, 'rb'), Mov.imm(R3, 0), Call(H.ringbuf_reserve), JEq.imm(R0, 0, 'out'), ...submit(), ...out()), expect: 'reject' });
add({ name: 'rb_reserve_on_array', rule: 'map_compat', progType: XDP, maps: [M.array('rb')], prog: program(...reserve(), JEq.imm(R0, 0, 'out'), ...submit(), ...out()), expect: 'reject' });
add({ name: 'rb_two_records', rule: 'unreleased_ref', progType: XDP, maps: RB, prog: program(...reserve(), JEq.imm(R0, 0, 'out'), Mov.reg(R7, R0), ...reserve(8), JNE.imm(R0, 0, 'both'), ...submit(R7), Ja('out'), Label('both'), ...submit(R0), ...submit(R7), ...out()), expect: 'accept' });
add({ name: 'rb_two_records_leak_second', rule: 'unreleased_ref', progType: XDP, maps: RB, prog: program(...reserve(), JEq.imm(R0, 0, 'out'), Mov.reg(R7, R0), ...reserve(8), ...submit(R7), Mov.imm(R0, 0), Exit(), ...out()), expect: 'reject' });
add({ name: 'rb_record_output_from', rule: 'unreleased_ref', progType: XDP, maps: RB, prog: program(...reserve(), JEq.imm(R0, 0, 'out'), Mov.reg(R7, R0), StoreImm(R7, 0, 0, 'DW'), StoreImm(R7, 8, 0, 'DW'), LoadMapFd(R1, 'rb'), Mov.reg(R2, R7), Mov.imm(R3, 16), Mov.imm(R4, 0), Call(H.ringbuf_output), ...submit(R7), ...out()), expect: 'accept' });
add({ name: 'sockmap_lookup_is_ref', rule: 'unreleased_ref', progType: SKSKB, maps: [M.sockmap('m')], prog: program(StoreImm(R10, -4, 0, 'W'), Mov.reg(R2, R10), Add.imm(R2, -4), LoadMapFd(R1, 'm'), Call(H.map_lookup_elem), JEq.imm(R0, 0, 'out'), Mov.imm(R0, 0), Exit(), ...out()), expect: 'reject' });
add({ name: 'sockmap_lookup_released', rule: 'unreleased_ref', progType: SKSKB, maps: [M.sockmap('m')], prog: program(StoreImm(R10, -4, 0, 'W'), Mov.reg(R2, R10), Add.imm(R2, -4), LoadMapFd(R1, 'm'), Call(H.map_lookup_elem), JEq.imm(R0, 0, 'out'), ...release(), ...out()), expect: 'accept' });

export { cases };
