/** Context field access per program type (net/core/filter.c *_is_valid_access). */
import { Add, Exit, LoadMem, Mov, R0, R1, R2, StoreImm, StoreMem, program, type Size } from '../../../src/ebpf/isa/dsl.ts';
import type { AsmCase } from '../corpus.ts';
import { ACT, CGSKB, FLOW, LWTIN, LWTXMIT, SKMSG, SKSKB, SOCK, TC, XDP } from '../lib.ts';

const cases: AsmCase[] = [];
const short = (t: string): string => t.replace('BPF_PROG_TYPE_', '').toLowerCase();
const read = (t: string, off: number, size: Size, attachType?: number): void => {
  cases.push({ name: `${short(t)}_read_${off}_${size}${attachType ? `_at${attachType}` : ''}`, rule: 'ctx_access', progType: t, attachType, prog: program(LoadMem(R0, R1, off, size), Mov.imm(R0, 0), Exit()) });
};
const write = (t: string, off: number, size: Size): void => {
  cases.push({ name: `${short(t)}_write_${off}_${size}`, rule: 'ctx_access', progType: t, prog: program(Mov.imm(R2, 1), StoreMem(R1, off, R2, size), Mov.imm(R0, 0), Exit()) });
};

// struct xdp_md: every field, both directions; egress_ifindex needs BPF_XDP_DEVMAP (41).
for (const off of [0, 4, 8, 12, 16, 20, 24]) read(XDP, off, 'W');
for (const off of [0, 12, 16]) write(XDP, off, 'W');
read(XDP, 20, 'W', 33);
read(XDP, 12, 'B');
read(XDP, 12, 'H');
read(XDP, 0, 'DW');
read(XDP, 2, 'H');

// __sk_buff: a walk over its fields for tc, and the differences of the other types.
const skbFields = [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 64, 68, 72, 76, 80, 84, 88, 92, 96, 100, 116, 132, 136, 140, 144, 152, 160, 164, 168, 176, 180, 184];
for (const off of skbFields) read(TC, off, off === 144 || off === 152 || off === 168 || off === 184 ? 'DW' : 'W');
for (const off of [0, 8, 12, 32, 44, 48, 68, 72, 76, 152, 164]) write(TC, off, off === 152 ? 'DW' : 'W');
for (const off of [0, 2, 3, 8, 9, 10, 11]) read(TC, off, 'B');
for (const [off, size] of [[0, 'H'], [2, 'H'], [4, 'DW'], [76, 'H'], [48, 'DW'], [56, 'DW'], [64, 'DW'], [180, 'B'], [181, 'B'], [184, 'W'], [152, 'W'], [192, 'W']] as const) read(TC, off, size);
write(TC, 48, 'B');
write(TC, 66, 'H');
write(TC, 8, 'H');
write(TC, 184, 'DW');
write(TC, 180, 'B');
for (const off of [8, 72, 76, 80, 88, 100, 140, 152, 160, 184]) read(SOCK, off, off === 152 || off === 184 ? 'DW' : 'W');
for (const off of [8, 48, 64]) write(SOCK, off, 'W');
for (const off of [8, 72, 76, 80, 88, 140, 152, 160, 168]) read(CGSKB, off, off === 152 || off === 168 ? 'DW' : 'W');
for (const off of [8, 32, 44, 48]) write(CGSKB, off, 'W');
write(CGSKB, 152, 'DW');
for (const off of [8, 44, 72, 76, 80, 88, 92, 140, 152, 160]) read(SKSKB, off, off === 152 ? 'DW' : 'W');
for (const off of [8, 32, 44, 48]) write(SKSKB, off, 'W');
for (const off of [8, 76, 88, 140]) read(LWTIN, off, 'W');
for (const off of [8, 48, 44]) write(LWTXMIT, off, 'W');
for (const off of [8, 76]) read(ACT, off, 'W');
write(ACT, 12, 'W');
for (const [off, size] of [[76, 'W'], [80, 'W'], [144, 'DW'], [8, 'W'], [144, 'W']] as const) read(FLOW, off, size);

// struct sk_msg_md: pointers are 8 bytes; the rest 4, read-only.
for (const [off, size] of [[0, 'DW'], [0, 'W'], [8, 'DW'], [16, 'W'], [16, 'B'], [20, 'W'], [28, 'W'], [60, 'W'], [64, 'W'], [68, 'W'], [72, 'DW'], [80, 'W']] as const) read(SKMSG, off, size);
write(SKMSG, 16, 'W');

// A modified or offset context pointer.
cases.push({ name: 'ctx_plus_const_deref', rule: 'ctx_access', progType: TC, prog: program(Add.imm(R1, 8), LoadMem(R0, R1, 0, 'W'), Exit()), expect: 'reject' });
cases.push({ name: 'ctx_plus_const_back', rule: 'ctx_access', progType: TC, prog: program(Add.imm(R1, 8), Add.imm(R1, -8), LoadMem(R0, R1, 0, 'W'), Exit()), expect: 'accept' });
cases.push({ name: 'ctx_st_imm', rule: 'ctx_access', progType: TC, prog: program(StoreImm(R1, 8, 1, 'W'), Mov.imm(R0, 0), Exit()), expect: 'reject' });
cases.push({ name: 'ctx_negative_off', rule: 'ctx_access', progType: TC, prog: program(LoadMem(R0, R1, -4, 'W'), Exit()), expect: 'reject' });
cases.push({ name: 'ctx_store_pointer', rule: 'ctx_access', progType: TC, prog: program(StoreMem(R1, 8, R1, 'W'), Mov.imm(R0, 0), Exit()) });
cases.push({ name: 'ctx_sk_field_null_check', rule: 'ctx_access', progType: TC, prog: program(LoadMem(R2, R1, 168, 'DW'), LoadMem(R0, R2, 4, 'W'), Exit()), expect: 'reject' });

export { cases };
