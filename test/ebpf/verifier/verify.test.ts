/**
 * verify() on small programs: verdicts, rule ids, the instruction blamed, and a log in the
 * kernel's style (the expected texts are Linux 6.18's own logs for the same programs).
 */
import { describe, expect, it } from 'vitest';
import { Add, And, Call, Exit, JEq, JGT, Label, LoadMapFd, LoadMem, Mov, R0, R1, R2, R3, R4, R5, R6, R10, StoreImm, program, CallLocal, CallKfunc, Ja, ins } from '../../../src/ebpf/isa/dsl.ts';
import { join } from 'node:path';
import { loadObjectFile } from '../../../src/ebpf/elf/index.ts';
import { programFromObject, verify, type VerifierMapDef } from '../../../src/ebpf/verifier/index.ts';

const xdpPkt = (n: number, readOff: number) =>
  program(LoadMem(R2, R1, 0, 'W'), LoadMem(R3, R1, 4, 'W'), Mov.reg(R4, R2), Add.imm(R4, n), JGT.reg(R4, R3, 'out'), LoadMem(R0, R2, readOff, 'W'), Exit(), Label('out'), Mov.imm(R0, 0), Exit());

const hash: VerifierMapDef = { name: 'h', type: 'BPF_MAP_TYPE_HASH', keySize: 4, valueSize: 8, maxEntries: 4 };

describe('verify', () => {
  it('accepts a checked packet read and reports the statistics line', () => {
    const r = verify({ insns: xdpPkt(8, 4), progType: 'BPF_PROG_TYPE_XDP' });
    expect(r.accepted).toBe(true);
    expect(r.error).toBeUndefined();
    expect(r.processed).toBe(9);
    expect(r.log).toMatch(/^processed 9 insns \(limit 1000000\) max_states_per_insn \d+ total_states \d+ peak_states \d+ mark_read 0\n$/);
  });

  it('refuses a read past the proven range with the kernel log of the failing path', () => {
    // The same program as the kernel's log below (Linux 6.18, log_level 1).
    const p = program(LoadMem(R2, R1, 0, 'W'), LoadMem(R3, R1, 4, 'W'), Mov.reg(R4, R2), Add.imm(R4, 8), JGT.reg(R4, R3, 2), LoadMem(R0, R2, 0, 'W'), Exit(), LoadMem(R0, R2, 4, 'W'), Exit());
    const r = verify({ insns: p, progType: 'xdp' });
    expect(r.accepted).toBe(false);
    expect(r.error).toEqual({ pc: 7, rule: 'pkt_bounds', message: 'invalid access to packet, off=4 size=4, R2(id=0,off=4,r=0)\nR2 offset is outside of the packet' });
    const kernel = [
      '0: R1=ctx() R10=fp0',
      '0: (61) r2 = *(u32 *)(r1 +0)          ; R1=ctx() R2=pkt(r=0)',
      '1: (61) r3 = *(u32 *)(r1 +4)          ; R1=ctx() R3=pkt_end()',
      '2: (bf) r4 = r2                       ; R2=pkt(r=0) R4=pkt(r=0)',
      '3: (07) r4 += 8                       ; R4=pkt(off=8,r=0)',
      '4: (2d) if r4 > r3 goto pc+2 7: R1=ctx() R2=pkt(r=0) R3=pkt_end() R4=pkt(off=8,r=0xfffffffffffffffe) R10=fp0',
      '7: (61) r0 = *(u32 *)(r2 +4)',
      'invalid access to packet, off=4 size=4, R2(id=0,off=4,r=0)',
      'R2 offset is outside of the packet',
    ];
    expect(r.log.split('\n').slice(0, kernel.length)).toEqual(kernel);
    expect(r.log).toMatch(/\nprocessed 8 insns \(limit 1000000\)/);
  });

  it('prints the C source line from line info', () => {
    const p = program(LoadMem(R2, R1, 0, 'W'), LoadMem(R0, R2, 0, 'B'), Exit());
    const r = verify({ insns: p, progType: 'xdp', lineInfo: [{ pc: 0, text: '\tvoid *data = (void *)(long)ctx->data;', file: 'xdp.c', line: 41 }, { pc: 1, text: 'return *(char *)data;', file: 'xdp.c', line: 42 }] });
    expect(r.log).toContain('; void *data = (void *)(long)ctx->data; @ xdp.c:41\n0: (61) r2 = *(u32 *)(r1 +0)');
    expect(r.log).toContain('; return *(char *)data; @ xdp.c:42\n1: (71) r0 = *(u8 *)(r2 +0)');
  });

  it('logs as Linux 6.18 does: decimal up to S16/U16, no stack after a helper reads it, one line per source line, base names', () => {
    // The kernel's log of the same program (its map unnamed, at a kernel address): only the map differs.
    const p = program(Call(7), And.imm(R0, 0x3fc), Mov.reg(R6, R0), StoreImm(R10, -4, 0, 'W'), Mov.reg(R2, R10), Add.imm(R2, -4), LoadMapFd(R1, 'h'), Call(1), JEq.imm(R0, 0, 2), Add.reg(R0, R6), LoadMem(R0, R0, 0, 'B'), Exit());
    const lineInfo = [
      { pc: 0, text: 'u32 i = rnd() & 1020;', file: './src/x.c', line: 7 },
      { pc: 1, text: 'u32 i = rnd() & 1020;', file: './src/x.c', line: 7 },
      { pc: 3, text: 'v = lookup(&h, &k);', file: './src/x.c', line: 8 },
    ];
    const r = verify({ insns: p, progType: 'xdp', maps: [hash], mapRefs: p.references, lineInfo });
    const range = 'smin=smin32=0,smax=umax=smax32=umax32=1020,var_off=(0x0; 0x3fc)';
    expect(r.log.split('\n')).toEqual([
      '0: R1=ctx() R10=fp0',
      '; u32 i = rnd() & 1020; @ x.c:7',
      '0: (85) call bpf_get_prandom_u32#7    ; R0=scalar()',
      `1: (57) r0 &= 1020                    ; R0=scalar(${range})`,
      `2: (bf) r6 = r0                       ; R0=scalar(id=1,${range}) R6=scalar(id=1,${range})`,
      '; v = lookup(&h, &k); @ x.c:8',
      '3: (62) *(u32 *)(r10 -4) = 0          ; R10=fp0 fp-8=0000????',
      '4: (bf) r2 = r10                      ; R2=fp0 R10=fp0',
      '5: (07) r2 += -4                      ; R2=fp-4',
      '6: (18) r1 = map[id:0]                ; R1=map_ptr(map=h,ks=4,vs=8)',
      '8: (85) call bpf_map_lookup_elem#1    ; R0=map_value_or_null(id=2,map=h,ks=4,vs=8)',
      '9: (15) if r0 == 0x0 goto pc+2        ; R0=map_value(map=h,ks=4,vs=8)',
      `10: (0f) r0 += r6                     ; R0=map_value(map=h,ks=4,vs=8,${range}) R6=scalar(id=1,${range})`,
      '11: (71) r0 = *(u8 *)(r0 +0)',
      'invalid access to map value, value_size=8 off=1020 size=1',
      'R0 max value is outside of the allowed memory range',
      'processed 11 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0',
      '',
    ]);
  });

  it('logs bpf-to-bpf calls as Linux 6.18 does: both frames on a static call, a note on a global one', () => {
    const spec = loadObjectFile(join(import.meta.dirname, '..', '..', 'verifier-corpus', 'c', 'subprog_pkt_c.o'));
    const run = (name: string): string[] => {
      const p = spec.programs.find((x) => x.name === name);
      if (!p) throw new Error(name);
      return verify(programFromObject(spec, p)).log.trimEnd().split('\n');
    };
    // The kernel's own logs of these two programs (log_level 1), statistics line aside.
    expect(run('pkt_bounds__pkt_to_static_unchecked_bad').slice(0, -1)).toEqual([
      '0: R1=ctx() R10=fp0',
      '; return first_byte((void *)(long)ctx->data) & 1; @ subprog_pkt_c.c:96',
      '0: (61) r1 = *(u32 *)(r1 +0)          ; R1=pkt(r=0)',
      '1: (85) call pc+2',
      'caller:',
      ' R10=fp0',
      'callee:',
      ' frame1: R1=pkt(r=0) R10=fp0',
      '4: frame1: R1=pkt(r=0) R10=fp0',
      '; return *p; @ subprog_pkt_c.c:90',
      '4: (71) r0 = *(u8 *)(r1 +0)',
      'invalid access to packet, off=0 size=1, R1(id=0,off=0,r=0)',
      'R1 offset is outside of the packet',
    ]);
    const g = run('pkt_bounds__global_pull_stale_bad');
    expect(g.slice(g.indexOf('6: (85) call pc+2'), -1)).toEqual([
      '6: (85) call pc+2',
      "Func#1 ('gpull') is global and assumed valid.",
      '7: R0=scalar()',
      '; return *p; @ subprog_pkt_c.c:50',
      '7: (71) r0 = *(u8 *)(r6 +0)',
      "R6 invalid mem access 'scalar'",
    ]);
  });

  it('names the rule of each refusal', () => {
    const cases: [string, ReturnType<typeof verify>][] = [
      ['uninit_reg', verify({ insns: program(Exit()), progType: 'xdp' })],
      ['div_by_zero', verify({ insns: program(Mov.imm(R0, 1), ins('ALU64_DIV_K', { dst: R0, imm: 0 }), Exit()), progType: 'socket_filter' })],
      ['invalid_jump', verify({ insns: program(Mov.imm(R0, 0), Ja(3), Exit()), progType: 'xdp' })],
      ['unreachable', verify({ insns: program(Mov.imm(R0, 0), Exit(), Exit()), progType: 'xdp' })],
      ['helper_unavailable', verify({ insns: program(Mov.imm(R2, 0), Call(23), Exit()), progType: 'socket_filter' })],
      ['return_range', verify({ insns: program(Mov.imm(R0, 2), Exit()), progType: 'cgroup_skb' })],
      ['stack_bounds', verify({ insns: program(StoreImm(R10, -520, 0, 'DW'), Mov.imm(R0, 0), Exit()), progType: 'xdp' })],
      ['ctx_access', verify({ insns: program(LoadMem(R0, R1, 24, 'W'), Exit()), progType: 'xdp' })],
    ];
    for (const [rule, r] of cases) expect(r.error?.rule, rule).toBe(rule);
  });

  it('tracks a socket reference to its release', () => {
    const lookup = [StoreImm(R10, -8, 0, 'DW'), StoreImm(R10, -16, 0, 'DW'), Mov.reg(R2, R10), Add.imm(R2, -16), Mov.imm(R3, 12), Mov.imm(R4, 0), Mov.imm(R5, 0), Call(84)];
    const leak = verify({ insns: program(...lookup, Mov.imm(R0, 0), Exit()), progType: 'sched_cls' });
    expect(leak.error?.rule).toBe('unreleased_ref');
    expect(leak.error?.message).toBe('Unreleased reference id=2 alloc_insn=7\nBPF_EXIT instruction in main prog would lead to reference leak');
    const ok = verify({ insns: program(...lookup, JEq.imm(R0, 0, 'out'), Mov.reg(R1, R0), Call(86), Label('out'), Mov.imm(R0, 0), Exit()), progType: 'sched_cls' });
    expect(ok.accepted).toBe(true);
  });

  it('resolves maps by name through mapRefs and requires null checks on hash lookups', () => {
    const p = program(StoreImm(R10, -4, 0, 'W'), Mov.reg(R2, R10), Add.imm(R2, -4), LoadMapFd(R1, 'h'), Call(1), LoadMem(R0, R0, 0, 'DW'), Exit());
    const r = verify({ insns: p, progType: 6, maps: [hash], mapRefs: p.references });
    expect(r.error).toMatchObject({ rule: 'map_value_null', pc: 6, message: "R0 invalid mem access 'map_value_or_null'" });
    const arr = verify({ insns: p, progType: 6, maps: [{ ...hash, type: 'BPF_MAP_TYPE_ARRAY' }], mapRefs: [{ pc: 3, map: 'h' }] });
    expect(arr.accepted).toBe(true);
  });

  it('stops at the processed-instruction limit', () => {
    const p = program(Mov.imm(R1, 0), Label('l'), Add.imm(R1, 1), JGT.imm(R1, 0, 'l'), Mov.imm(R0, 0), Exit());
    const r = verify({ insns: p, progType: 'xdp' }, { insnLimit: 5000 });
    expect(r.error).toMatchObject({ rule: 'too_large', message: 'BPF program is too large. Processed 5001 insn' });
  });

  it('reports the stack depth of each subprogram and sums call chains', () => {
    const p = program(StoreImm(R10, -40, 0, 'DW'), CallLocal('f'), Exit(), Label('f'), StoreImm(R10, -8, 0, 'DW'), Mov.imm(R0, 0), Exit());
    const r = verify({ insns: p, progType: 'xdp' });
    expect(r.accepted).toBe(true);
    expect(r.stackDepth).toEqual([40, 8]);
  });

  it('names a kfunc call as unsupported, not as a refusal', () => {
    const r = verify({ insns: program(Mov.imm(R0, 0), CallKfunc(1234), Exit()), progType: 'xdp' });
    expect(r.accepted).toBe(false);
    expect(r.error?.rule).toBe('unsupported');
    expect(r.error?.message).toBe('calling kernel function 1234: kfuncs are not supported by chainlab');
  });
});
