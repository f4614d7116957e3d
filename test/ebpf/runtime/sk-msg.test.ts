/**
 * SK_MSG programs on a message (runSkMsg): struct sk_msg_md as sk_msg_convert_ctx_access() reads
 * it, the socket behind msg->sk, the verdict as sk_psock_map_verd() maps it, and the msg helpers.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AF_INET, AF_INET6 } from '../../../src/ebpf/ctx/sock.ts';
import { fieldByName, SK_MSG_MD } from '../../../src/ebpf/ctx/layout.ts';
import { loadObjectFile } from '../../../src/ebpf/elf/index.ts';
import type { ObjectSpec } from '../../../src/ebpf/elf/spec.ts';
import { Call, Exit, LoadMem, Mov, program, R0, R1, R2, R3, R4, R6, StoreImm, Sub } from '../../../src/ebpf/isa/dsl.ts';
import type { SockMap } from '../../../src/ebpf/maps/index.ts';
import { Runtime } from '../../../src/ebpf/runtime/runtime.ts';
import { runSkMsg, type SkMsgInput } from '../../../src/ebpf/runtime/sk-msg.ts';

const FIX = join(import.meta.dirname, '..', '..', 'fixtures');
const u32le = (v: number): Uint8Array => new Uint8Array(new Uint32Array([v]).buffer);

const SOCK = {
  family: AF_INET,
  type: 1, // SOCK_STREAM
  protocol: 6,
  state: 1, // TCP_ESTABLISHED
  src_ip4: Uint8Array.of(10, 0, 0, 1),
  dst_ip4: Uint8Array.of(10, 0, 0, 2),
  src_port: 8080,
  dst_port: 443,
};

function inline(insns: ReturnType<typeof program>): ObjectSpec {
  return {
    path: 'inline.o',
    license: 'GPL',
    maps: [],
    programs: [{ name: 'p', section: 'sk_msg', progType: 'BPF_PROG_TYPE_SK_MSG', flags: 0, insns: [...insns], mapRefs: [], funcRefs: [], lineInfo: [], funcs: [{ pc: 0, name: 'p' }], coreRelos: [] }],
  };
}

/** r0 = the u32 at `off` of sk_msg_md (the program is not verified: it returns raw values). */
function readField(name: string, input: Partial<SkMsgInput> = {}): number {
  const rt = new Runtime({ verify: false });
  const obj = rt.load(inline(program(LoadMem(R0, R1, fieldByName(SK_MSG_MD, name).off, 'W'), Exit())));
  return runSkMsg(rt, obj.program('p'), { data: new Uint8Array(100), sock: SOCK, ...input }).retval;
}

describe('sk_msg_md', () => {
  it('reads the socket fields as the kernel rewrites them', () => {
    expect(readField('family')).toBe(AF_INET);
    expect(readField('remote_ip4')).toBe(0x0200000a); // network order in memory
    expect(readField('local_ip4')).toBe(0x0100000a);
    expect(readField('remote_port')).toBe(0xbb010000); // be16 skc_dport (0x01bb) << 16
    expect(readField('local_port')).toBe(8080);
    expect(readField('size', { data: new Uint8Array(1234) })).toBe(1234);
    const six = { family: AF_INET6, src_ip6: Uint8Array.from({ length: 16 }, (_, i) => i), dst_ip6: Uint8Array.from({ length: 16 }, (_, i) => 0x20 + i) };
    expect(readField('remote_ip6', { sock: six })).toBe(0x23222120);
    expect(readField('local_ip6', { sock: six })).toBe(0x03020100);
    expect(readField('remote_ip4', { sock: six })).toBe(0);
  });

  it('gives data/data_end over the message and msg->sk as a struct bpf_sock', () => {
    const rt = new Runtime({ verify: false });
    const span = rt.load(inline(program(LoadMem(R0, R1, 8, 'DW'), LoadMem(R1, R1, 0, 'DW'), Sub.reg(R0, R1), Exit())));
    expect(runSkMsg(rt, span.program('p'), { data: new Uint8Array(300), sock: SOCK }).retval).toBe(300);
    const sk = rt.load(inline(program(LoadMem(R1, R1, 72, 'DW'), LoadMem(R0, R1, 48, 'W'), Exit())));
    expect(runSkMsg(rt, sk.program('p'), { data: new Uint8Array(8), sock: SOCK }).retval).toBe(((443 & 0xff) << 8) | (443 >> 8)); // __be16 dst_port
  });

  it('gives the msg helpers the message: pull_data narrows data..data_end, apply/cork bytes are reported', () => {
    const rt = new Runtime({ verify: false });
    const obj = rt.load(
      inline(
        program(
          Mov.reg(R6, R1),
          Mov.imm(R2, 10),
          Call(61), // bpf_msg_apply_bytes(msg, 10)
          Mov.reg(R1, R6),
          Mov.imm(R2, 20),
          Call(62), // bpf_msg_cork_bytes(msg, 20)
          Mov.reg(R1, R6),
          Mov.imm(R2, 2),
          Mov.imm(R3, 5),
          Mov.imm(R4, 0),
          Call(63), // bpf_msg_pull_data(msg, 2, 5, 0)
          LoadMem(R0, R6, 8, 'DW'),
          LoadMem(R1, R6, 0, 'DW'),
          Sub.reg(R0, R1),
          Exit(),
        ),
      ),
    );
    const out = runSkMsg(rt, obj.program('p'), { data: new Uint8Array(50), sock: SOCK });
    expect(out).toMatchObject({ retval: 3, applyBytes: 10, corkBytes: 20 });
  });

  it('lets the program write the message but not the context', () => {
    const rt = new Runtime({ verify: false });
    const w = rt.load(inline(program(LoadMem(R1, R1, 0, 'DW'), StoreImm(R1, 0, 0x41, 'B'), Mov.imm(R0, 1), Exit())));
    const out = runSkMsg(rt, w.program('p'), { data: new Uint8Array(4), sock: SOCK });
    expect(out).toMatchObject({ verdict: 'pass', retval: 1 });
    expect([...out.data]).toEqual([0x41, 0, 0, 0]);
    const bad = rt.load(inline(program(StoreImm(R1, 68, 1, 'W'), Mov.imm(R0, 1), Exit())));
    const r = runSkMsg(rt, bad.program('p'), { data: new Uint8Array(4), sock: SOCK });
    expect(r.verdict).toBe('drop');
    expect(r.error?.message).toMatch(/sk_msg_md\.size: the context is read-only/);
  });
});

describe('runSkMsg verdicts (sections.o sec_sk_msg: bpf_msg_redirect_hash keyed by local_port)', () => {
  const setup = () => {
    const rt = new Runtime();
    const obj = rt.load(loadObjectFile(join(FIX, 'sections.o')));
    const target = { cookie: 99n };
    expect((obj.map('sock_hash') as SockMap).setSocket(u32le(8080), target)).toBe(0);
    return { rt, prog: obj.program('sec_sk_msg'), target };
  };

  it('redirects to the socket under the key', () => {
    const { rt, prog, target } = setup();
    const out = runSkMsg(rt, prog, { data: new TextEncoder().encode('hello'), sock: SOCK });
    expect(out.verdict).toBe('redirect');
    expect(out.redirect).toMatchObject({ kind: 'sock', target });
  });

  it('drops when the key has no socket (the helper returns SK_DROP)', () => {
    const { rt, prog } = setup();
    const out = runSkMsg(rt, prog, { data: new Uint8Array(5), sock: { ...SOCK, src_port: 9 } });
    expect(out).toMatchObject({ verdict: 'drop', retval: 0 });
    expect(out.redirect).toBeUndefined();
  });

  it('refuses a program of another type', () => {
    const { rt } = setup();
    const obj = rt.load(loadObjectFile(join(FIX, 'xdp_proto_count.o')));
    expect(() => runSkMsg(rt, obj.program('xdp_proto_count'), { data: new Uint8Array(1), sock: SOCK })).toThrow(/not an SK_MSG program/);
  });
});
