/** Helper calls: availability per program type, argument types, map compatibility. */
import { Add, Call, Exit, JEq, Label, LoadMapFd, LoadMem, Mov, R0, R1, R2, R3, R4, R5, R6, R7, R10, StoreImm, program, And } from '../../../src/ebpf/isa/dsl.ts';
import type { AsmCase } from '../corpus.ts';
import { CGSKB, H, LWTIN, M, out, pktChecked, rnd, SKMSG, SKSKB, SOCK, TC, XDP } from '../lib.ts';

const cases: AsmCase[] = [];
const add = (c: AsmCase): void => {
  cases.push(c);
};
const short = (t: string): string => t.replace('BPF_PROG_TYPE_', '').toLowerCase();

// Availability: a helper called with r1 = ctx and the rest zero.
const avail: [string, number][] = [
  [XDP, H.xdp_adjust_head],
  [XDP, H.skb_load_bytes],
  [XDP, H.redirect],
  [XDP, H.skb_store_bytes],
  [XDP, H.xdp_adjust_tail],
  [XDP, H.get_socket_cookie],
  [XDP, H.skb_pull_data],
  [XDP, H.csum_diff],
  [TC, H.xdp_adjust_head],
  [TC, H.skb_load_bytes],
  [TC, H.skb_pull_data],
  [TC, H.redirect],
  [TC, H.skb_vlan_pop],
  [TC, H.get_hash_recalc],
  [TC, H.msg_apply_bytes],
  [TC, H.get_socket_cookie],
  [SOCK, H.skb_load_bytes],
  [SOCK, H.redirect],
  [SOCK, H.skb_store_bytes],
  [SOCK, H.get_socket_cookie],
  [SOCK, H.get_socket_uid],
  [SOCK, H.skb_pull_data],
  [CGSKB, H.skb_load_bytes],
  [CGSKB, H.skb_store_bytes],
  [CGSKB, H.redirect],
  [CGSKB, H.get_socket_uid],
  [SKSKB, H.skb_pull_data],
  [SKSKB, H.skb_change_tail],
  [SKSKB, H.redirect],
  [SKSKB, H.msg_apply_bytes],
  [SKMSG, H.msg_apply_bytes],
  [SKMSG, H.msg_cork_bytes],
  [SKMSG, H.skb_load_bytes],
  [SKMSG, H.msg_pull_data],
  [LWTIN, H.skb_store_bytes],
  [LWTIN, H.skb_load_bytes],
  [XDP, H.get_smp_processor_id],
  [SOCK, H.ktime_get_ns],
  [XDP, 36],
  [TC, 58],
  [XDP, 212],
  [XDP, 1000],
  [XDP, 0],
];
for (const [t, h] of avail) {
  add({ name: `avail_${short(t)}_${h}`, rule: 'helper_unavailable', progType: t, prog: program(Mov.imm(R2, 1), Mov.imm(R3, 0), Mov.imm(R4, 1), Mov.imm(R5, 0), Call(h), Mov.imm(R0, 0), Exit()) });
}

// Argument types.
add({ name: 'ctx_arg_is_scalar', rule: 'helper_arg', progType: TC, prog: program(Mov.imm(R1, 0), Call(H.get_hash_recalc), Exit()), expect: 'reject' });
add({ name: 'ctx_arg_is_stack', rule: 'helper_arg', progType: TC, prog: program(Mov.reg(R1, R10), Call(H.get_hash_recalc), Exit()), expect: 'reject' });
add({ name: 'ctx_arg_modified', rule: 'helper_arg', progType: TC, prog: program(Add.imm(R1, 4), Call(H.get_hash_recalc), Exit()), expect: 'reject' });
add({ name: 'ctx_arg_ok', rule: 'helper_arg', progType: TC, prog: program(Call(H.get_hash_recalc), Exit()), expect: 'accept' });
add({ name: 'anything_arg_pointer', rule: 'helper_arg', progType: XDP, prog: program(Mov.reg(R2, R10), Call(H.redirect), Exit()), expect: 'accept' });
add({ name: 'load_bytes_ok', rule: 'helper_arg', progType: TC, prog: program(Mov.imm(R2, 14), Mov.reg(R3, R10), Add.imm(R3, -8), Mov.imm(R4, 8), Call(H.skb_load_bytes), Exit()), expect: 'accept' });
add({ name: 'load_bytes_zero_len', rule: 'helper_arg', progType: TC, prog: program(Mov.imm(R2, 14), Mov.reg(R3, R10), Add.imm(R3, -8), Mov.imm(R4, 0), Call(H.skb_load_bytes), Exit()), expect: 'reject' });
add({ name: 'load_bytes_negative_len', rule: 'helper_arg', progType: TC, prog: program(Mov.imm(R2, 14), Mov.reg(R3, R10), Add.imm(R3, -8), Mov.imm(R4, -8), Call(H.skb_load_bytes), Exit()), expect: 'reject' });
add({ name: 'load_bytes_unknown_len', rule: 'helper_arg', progType: TC, prog: program(Mov.reg(R6, R1), ...rnd, Mov.reg(R4, R0), Mov.reg(R1, R6), Mov.imm(R2, 0), Mov.reg(R3, R10), Add.imm(R3, -8), Call(H.skb_load_bytes), Exit()), expect: 'reject' });
add({ name: 'load_bytes_into_map_value', rule: 'helper_arg', progType: TC, maps: [M.array('arr', 32)], prog: program(Mov.reg(R6, R1), StoreImm(R10, -4, 5, 'W'), Mov.reg(R2, R10), Add.imm(R2, -4), LoadMapFd(R1, 'arr'), Call(H.map_lookup_elem), JEq.imm(R0, 0, 'out'), Mov.reg(R3, R0), Mov.reg(R1, R6), Mov.imm(R2, 0), Mov.imm(R4, 32), Call(H.skb_load_bytes), Exit(), ...out()), expect: 'accept' });
add({ name: 'load_bytes_into_map_value_over', rule: 'helper_arg', progType: TC, maps: [M.array('arr', 32)], prog: program(Mov.reg(R6, R1), StoreImm(R10, -4, 5, 'W'), Mov.reg(R2, R10), Add.imm(R2, -4), LoadMapFd(R1, 'arr'), Call(H.map_lookup_elem), JEq.imm(R0, 0, 'out'), Mov.reg(R3, R0), Add.imm(R3, 4), Mov.reg(R1, R6), Mov.imm(R2, 0), Mov.imm(R4, 32), Call(H.skb_load_bytes), Exit(), ...out()), expect: 'reject' });
add({ name: 'load_bytes_into_pkt', rule: 'helper_arg', progType: TC, prog: program(Mov.reg(R6, R1), ...pktChecked(TC, 8), Mov.reg(R3, R2), Mov.reg(R1, R6), Mov.imm(R2, 0), Mov.imm(R4, 8), Call(H.skb_load_bytes), Exit(), ...out()), expect: 'reject' });
add({ name: 'load_bytes_into_ctx', rule: 'helper_arg', progType: TC, prog: program(Mov.reg(R3, R1), Mov.imm(R2, 0), Mov.imm(R4, 8), Call(H.skb_load_bytes), Exit()), expect: 'reject' });
add({ name: 'store_bytes_from_uninit', rule: 'helper_arg', progType: TC, prog: program(Mov.imm(R2, 0), Mov.reg(R3, R10), Add.imm(R3, -8), Mov.imm(R4, 8), Mov.imm(R5, 0), Call(H.skb_store_bytes), Exit()) });
add({ name: 'csum_diff_null_zero', rule: 'helper_arg', progType: TC, prog: program(Mov.imm(R1, 0), Mov.imm(R2, 0), Mov.reg(R3, R10), Add.imm(R3, -8), StoreImm(R10, -8, 0, 'DW'), Mov.imm(R4, 8), Mov.imm(R5, 0), Call(H.csum_diff), Exit()), expect: 'accept' });
add({ name: 'csum_diff_null_nonzero', rule: 'helper_arg', progType: TC, prog: program(Mov.imm(R1, 0), Mov.imm(R2, 4), Mov.imm(R3, 0), Mov.imm(R4, 0), Mov.imm(R5, 0), Call(H.csum_diff), Exit()), expect: 'reject' });
add({ name: 'csum_diff_var_size', rule: 'helper_arg', progType: TC, prog: program(StoreImm(R10, -16, 0, 'DW'), StoreImm(R10, -8, 0, 'DW'), ...rnd, And.imm(R0, 12), Mov.reg(R2, R0), Mov.reg(R1, R10), Add.imm(R1, -16), Mov.imm(R3, 0), Mov.imm(R4, 0), Mov.imm(R5, 0), Call(H.csum_diff), Exit()), expect: 'accept' });
add({ name: 'csum_diff_var_size_over', rule: 'helper_arg', progType: TC, prog: program(StoreImm(R10, -16, 0, 'DW'), StoreImm(R10, -8, 0, 'DW'), ...rnd, And.imm(R0, 31), Mov.reg(R2, R0), Mov.reg(R1, R10), Add.imm(R1, -16), Mov.imm(R3, 0), Mov.imm(R4, 0), Mov.imm(R5, 0), Call(H.csum_diff), Exit()), expect: 'reject' });
add({ name: 'size_arg_is_pointer', rule: 'helper_arg', progType: TC, prog: program(Mov.imm(R2, 0), Mov.reg(R3, R10), Add.imm(R3, -8), Mov.reg(R4, R10), Call(H.skb_load_bytes), Exit()), expect: 'reject' });
add({ name: 'smp_id_indexes_array', rule: 'helper_arg', progType: XDP, maps: [M.array('arr', 8, 256)], prog: program(Call(H.get_smp_processor_id), LSh_.imm(R0, 3), Mov.reg(R6, R0), ...lookupAt('arr'), Add.reg(R0, R6), LoadMem(R0, R0, 0, 'DW'), Exit(), ...out()) });
add({ name: 'trace_printk', rule: 'helper_arg', progType: TC, prog: program(StoreImm(R10, -8, 0x6968, 'DW'), Mov.reg(R1, R10), Add.imm(R1, -8), Mov.imm(R2, 8), Call(H.trace_printk), Exit()), expect: 'accept' });
add({ name: 'trace_printk_gpl_only', rule: 'helper_unavailable', progType: TC, prog: program(StoreImm(R10, -8, 0x6968, 'DW'), Mov.reg(R1, R10), Add.imm(R1, -8), Mov.imm(R2, 8), Call(H.trace_printk), Exit()) });

// Map type and helper pairings (check_map_func_compatibility).
const pair = (name: string, t: string, map: import('../../../src/ebpf/verifier/index.ts').VerifierMapDef, body: import('../../../src/ebpf/isa/dsl.ts').ProgramItem[]): void => {
  add({ name, rule: 'map_compat', progType: t, maps: [map], prog: program(...body) });
};
const tail = (m: string): import('../../../src/ebpf/isa/dsl.ts').ProgramItem[] => [LoadMapFd(R2, m), Mov.imm(R3, 0), Call(H.tail_call), Mov.imm(R0, 0), Exit()];
pair('tail_call_prog_array', XDP, M.progArray('jmp'), tail('jmp'));
pair('tail_call_array', XDP, M.array('jmp'), tail('jmp'));
pair('tail_call_hash', XDP, M.hash('jmp'), tail('jmp'));
const redir = (m: string): import('../../../src/ebpf/isa/dsl.ts').ProgramItem[] => [LoadMapFd(R1, m), Mov.imm(R2, 0), Mov.imm(R3, 0), Call(H.redirect_map), Exit()];
pair('redirect_map_devmap', XDP, M.devmap('m'), redir('m'));
pair('redirect_map_cpumap', XDP, M.cpumap('m'), redir('m'));
pair('redirect_map_xskmap', XDP, M.xskmap('m'), redir('m'));
pair('redirect_map_array', XDP, M.array('m'), redir('m'));
pair('redirect_map_prog_array', XDP, M.progArray('m'), redir('m'));
const lk = (m: string): import('../../../src/ebpf/isa/dsl.ts').ProgramItem[] => [StoreImm(R10, -4, 0, 'W'), Mov.reg(R2, R10), Add.imm(R2, -4), LoadMapFd(R1, m), Call(H.map_lookup_elem), Mov.imm(R0, 0), Exit()];
pair('lookup_prog_array', XDP, M.progArray('m'), lk('m'));
pair('lookup_perf_array', XDP, M.perf('m'), lk('m'));
pair('lookup_devmap', XDP, M.devmap('m'), lk('m'));
pair('lookup_cpumap', XDP, M.cpumap('m'), lk('m'));
pair('lookup_xskmap', XDP, M.xskmap('m'), lk('m'));
pair('lookup_sockmap', TC, M.sockmap('m'), lk('m'));
pair('lookup_ringbuf', XDP, M.ringbuf('m'), [LoadMapFd(R1, 'm'), Mov.reg(R2, R10), Add.imm(R2, -8), Call(H.map_lookup_elem), Mov.imm(R0, 0), Exit()]);
pair('lookup_queue', XDP, M.queue('m'), [LoadMapFd(R1, 'm'), Mov.reg(R2, R10), Add.imm(R2, -8), Call(H.map_lookup_elem), Mov.imm(R0, 0), Exit()]);
const upd = (m: string): import('../../../src/ebpf/isa/dsl.ts').ProgramItem[] => [StoreImm(R10, -4, 0, 'W'), StoreImm(R10, -16, 0, 'DW'), LoadMapFd(R1, m), Mov.reg(R2, R10), Add.imm(R2, -4), Mov.reg(R3, R10), Add.imm(R3, -16), Mov.imm(R4, 0), Call(H.map_update_elem), Mov.imm(R0, 0), Exit()];
pair('update_sockmap_tc', TC, M.sockmap('m'), upd('m'));
pair('update_sockmap_skskb', SKSKB, M.sockmap('m'), upd('m'));
pair('update_sockmap_xdp', XDP, M.sockmap('m'), upd('m'));
pair('update_sockmap_cgskb', CGSKB, M.sockmap('m'), upd('m'));
pair('update_devmap', XDP, M.devmap('m'), upd('m'));
pair('update_prog_array', XDP, M.progArray('m'), upd('m'));
const perf = (m: string): import('../../../src/ebpf/isa/dsl.ts').ProgramItem[] => [StoreImm(R10, -8, 0, 'DW'), LoadMapFd(R2, m), Mov.imm(R3, 0), Mov.reg(R4, R10), Add.imm(R4, -8), Mov.imm(R5, 8), Call(H.perf_event_output), Mov.imm(R0, 0), Exit()];
pair('perf_output_perf_array', XDP, M.perf('m'), perf('m'));
pair('perf_output_array', XDP, M.array('m'), perf('m'));
pair('perf_output_ringbuf', TC, M.ringbuf('m'), perf('m'));
const rbo = (m: string): import('../../../src/ebpf/isa/dsl.ts').ProgramItem[] => [StoreImm(R10, -8, 0, 'DW'), LoadMapFd(R1, m), Mov.reg(R2, R10), Add.imm(R2, -8), Mov.imm(R3, 8), Mov.imm(R4, 0), Call(H.ringbuf_output), Mov.imm(R0, 0), Exit()];
pair('ringbuf_output_ringbuf', XDP, M.ringbuf('m'), rbo('m'));
pair('ringbuf_output_perf', XDP, M.perf('m'), rbo('m'));
pair('ringbuf_output_uninit_data', XDP, M.ringbuf('m'), [LoadMapFd(R1, 'm'), Mov.reg(R2, R10), Add.imm(R2, -8), Mov.imm(R3, 8), Mov.imm(R4, 0), Call(H.ringbuf_output), Mov.imm(R0, 0), Exit()]);
const push = (m: string): import('../../../src/ebpf/isa/dsl.ts').ProgramItem[] => [StoreImm(R10, -8, 0, 'DW'), LoadMapFd(R1, m), Mov.reg(R2, R10), Add.imm(R2, -8), Mov.imm(R3, 0), Call(H.map_push_elem), Mov.imm(R0, 0), Exit()];
pair('push_queue', XDP, M.queue('m'), push('m'));
pair('push_stack', XDP, M.stack('m'), push('m'));
pair('push_array', XDP, M.array('m'), push('m'));
const pop = (m: string): import('../../../src/ebpf/isa/dsl.ts').ProgramItem[] => [LoadMapFd(R1, m), Mov.reg(R2, R10), Add.imm(R2, -8), Call(H.map_pop_elem), LoadMem(R0, R10, -8, 'DW'), Exit()];
pair('pop_queue', XDP, M.queue('m'), pop('m'));
pair('pop_hash', XDP, M.hash('m'), pop('m'));
pair('peek_stack_short_buf', XDP, M.stack('m'), [LoadMapFd(R1, 'm'), Mov.reg(R2, R10), Add.imm(R2, -4), Call(H.map_peek_elem), Mov.imm(R0, 0), Exit()]);
const skr = (m: string): import('../../../src/ebpf/isa/dsl.ts').ProgramItem[] => [LoadMapFd(R2, m), Mov.imm(R3, 0), Mov.imm(R4, 0), Call(H.sk_redirect_map), Exit()];
pair('sk_redirect_map_sockmap', SKSKB, M.sockmap('m'), skr('m'));
pair('sk_redirect_map_sockhash', SKSKB, M.sockhash('m'), skr('m'));
pair('msg_redirect_map_sockmap', SKMSG, M.sockmap('m'), [LoadMapFd(R2, 'm'), Mov.imm(R3, 0), Mov.imm(R4, 0), Call(H.msg_redirect_map), Exit()]);
pair('sk_redirect_hash_sockhash', SKSKB, M.sockhash('m'), [StoreImm(R10, -4, 0, 'W'), LoadMapFd(R2, 'm'), Mov.reg(R3, R10), Add.imm(R3, -4), Mov.imm(R4, 0), Call(H.sk_redirect_hash), Exit()]);
pair('sk_redirect_hash_sockmap', SKSKB, M.sockmap('m'), [StoreImm(R10, -4, 0, 'W'), LoadMapFd(R2, 'm'), Mov.reg(R3, R10), Add.imm(R3, -4), Mov.imm(R4, 0), Call(H.sk_redirect_hash), Exit()]);
pair('lpm_lookup', XDP, M.lpm('m'), [StoreImm(R10, -8, 32, 'DW'), LoadMapFd(R1, 'm'), Mov.reg(R2, R10), Add.imm(R2, -8), Call(H.map_lookup_elem), Mov.imm(R0, 0), Exit()]);

// bpf_check_mtu's mtu_len: ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_WRITE | MEM_ALIGNED since 6.12 (was ARG_PTR_TO_INT).
const checkMtu: import('../../../src/ebpf/isa/dsl.ts').ProgramItem[] = [Mov.imm(R2, 0), Mov.imm(R4, 0), Mov.imm(R5, 0), Call(163)];
const MTU_RB = [M.ringbuf('rb')];
add({ name: 'check_mtu_len_on_stack', rule: 'helper_arg', progType: TC, prog: program(Mov.reg(R3, R10), Add.imm(R3, -8), ...checkMtu, Mov.imm(R0, 0), Exit()), expect: 'accept' });
add({ name: 'check_mtu_len_misaligned_stack', rule: 'helper_arg', progType: TC, prog: program(Mov.reg(R3, R10), Add.imm(R3, -6), ...checkMtu, Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'check_mtu_len_in_map_value', rule: 'helper_arg', progType: TC, maps: [M.array('arr', 16)], prog: program(Mov.reg(R6, R1), ...lookupAt('arr'), Mov.reg(R3, R0), Add.imm(R3, 4), Mov.reg(R1, R6), ...checkMtu, ...out()), expect: 'accept' });
add({ name: 'check_mtu_len_misaligned_map_value', rule: 'helper_arg', progType: TC, maps: [M.array('arr', 16)], prog: program(Mov.reg(R6, R1), ...lookupAt('arr'), Mov.reg(R3, R0), Add.imm(R3, 2), Mov.reg(R1, R6), ...checkMtu, ...out()), expect: 'reject' });
add({ name: 'check_mtu_len_past_map_value', rule: 'helper_arg', progType: TC, maps: [M.array('arr', 16)], prog: program(Mov.reg(R6, R1), ...lookupAt('arr'), Mov.reg(R3, R0), Add.imm(R3, 16), Mov.reg(R1, R6), ...checkMtu, ...out()), expect: 'reject' });
add({ name: 'check_mtu_len_in_rdonly_map', rule: 'helper_arg', progType: TC, maps: [M.rdonly('ro', 16)], prog: program(Mov.reg(R6, R1), ...lookupAt('ro'), Mov.reg(R3, R0), Mov.reg(R1, R6), ...checkMtu, ...out()), expect: 'reject' });
add({
  name: 'check_mtu_len_in_ringbuf_record',
  rule: 'helper_arg',
  progType: TC,
  maps: MTU_RB,
  prog: program(Mov.reg(R6, R1), LoadMapFd(R1, 'rb'), Mov.imm(R2, 8), Mov.imm(R3, 0), Call(H.ringbuf_reserve), JEq.imm(R0, 0, 'out'), Mov.reg(R7, R0), Mov.reg(R3, R0), Mov.reg(R1, R6), ...checkMtu, Mov.reg(R1, R7), Mov.imm(R2, 0), Call(H.ringbuf_discard), ...out()),
  expect: 'accept',
});
add({ name: 'check_mtu_len_scalar', rule: 'helper_arg', progType: TC, prog: program(Mov.imm(R3, 0), ...checkMtu, Mov.imm(R0, 0), Exit()), expect: 'reject' });
add({ name: 'check_mtu_len_in_packet', rule: 'helper_arg', progType: TC, prog: program(Mov.reg(R6, R1), ...pktChecked(TC, 8), Mov.reg(R3, R2), Mov.reg(R1, R6), ...checkMtu, ...out()), expect: 'reject' });

export { cases };
import { LSh as LSh_ } from '../../../src/ebpf/isa/dsl.ts';
function lookupAt(m: string): import('../../../src/ebpf/isa/dsl.ts').ProgramItem[] {
  return [StoreImm(R10, -4, 0, 'W'), Mov.reg(R2, R10), Add.imm(R2, -4), LoadMapFd(R1, m), Call(H.map_lookup_elem), JEq.imm(R0, 0, 'out')];
}
void Label;
