import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadObjectFile } from '../../../src/ebpf/elf/index.ts';
import type { ObjectSpec } from '../../../src/ebpf/elf/spec.ts';
import { Call, Exit, Mov, program, R0 } from '../../../src/ebpf/isa/dsl.ts';
import { Runtime, RuntimeError } from '../../../src/ebpf/runtime/runtime.ts';
import { testRun } from '../../../src/ebpf/runtime/test-run.ts';

const FIX = join(import.meta.dirname, '..', '..', 'fixtures');

function specWith(insns: ReturnType<typeof program>, progType = 'BPF_PROG_TYPE_SCHED_CLS'): ObjectSpec {
  return {
    path: 'inline.o',
    license: 'GPL',
    maps: [],
    programs: [{ name: 'p', section: 'tc', progType, flags: 0, insns: [...insns], mapRefs: [], funcRefs: [], lineInfo: [], funcs: [{ pc: 0, name: 'p' }], coreRelos: [] }],
  };
}

describe('runtime loading', () => {
  it('shares maps pinned by name (LIBBPF_PIN_BY_NAME) between objects of one runtime', () => {
    const rt = new Runtime();
    const a = rt.load(loadObjectFile(join(FIX, 'maps_user.o')));
    const b = rt.load(loadObjectFile(join(FIX, 'maps_user.o')));
    expect(a.map('blocked_ports')).toBe(b.map('blocked_ports'));
    // Maps without pinning are per object.
    expect(a.map('flows')).not.toBe(b.map('flows'));
    expect(rt.bpffs.get('/sys/fs/bpf/blocked_ports')?.obj).toBe(a.map('blocked_ports'));
  });

  it('refuses to reuse a pinned map whose definition differs, as libbpf does', () => {
    const rt = new Runtime();
    rt.load(loadObjectFile(join(FIX, 'maps_user.o')));
    const spec = loadObjectFile(join(FIX, 'maps_user.o'));
    const other = { ...spec, maps: spec.maps.map((m) => (m.name === 'blocked_ports' ? { ...m, maxEntries: m.maxEntries * 2 } : m)) };
    expect(() => rt.load(other)).toThrow(/create map 'blocked_ports': pinned map at \/sys\/fs\/bpf\/blocked_ports does not match the definition/);
    // Another runtime (another simulation) has its own bpffs.
    expect(() => new Runtime().load(other)).not.toThrow();
  });

  it('keeps tc_index, tc_classid and queue_mapping in 16 bits and ignores queue_mapping ≥ 0xffff, as the kernel', () => {
    const rt = new Runtime();
    const obj = rt.load(loadObjectFile(join(FIX, 'skb_fields.o')));
    const pkt = readFileSync(join(FIX, 'packets', 'udp.bin'));
    expect(testRun(rt, obj.program('tc_skb_writes'), { dataIn: pkt }).retval).toBe(0);
    const slot = (i: number): bigint => new DataView((obj.map('fields').tryLookup(Uint8Array.of(i, 0, 0, 0)).data as Uint8Array).slice().buffer).getBigUint64(0, true);
    // tc_index, queue_mapping 0x12345 (ignored), queue_mapping = len, 0xffff (ignored), tc_classid
    expect([2, 3, 4, 5, 6].map(slot)).toEqual([0x2345n, 0n, BigInt(pkt.length), BigInt(pkt.length), 0xef01n]);
  });

  it('refuses a helper chainlab does not implement, naming it and its id', () => {
    const rt = new Runtime();
    // bpf_skc_to_tcp_sock (137): chainlab has no BTF socket pointers.
    const e = (() => {
      try {
        rt.load(specWith(program(Call(137), Mov.imm(R0, 0), Exit())));
      } catch (err) {
        return err as RuntimeError;
      }
    })();
    expect(e).toBeInstanceOf(RuntimeError);
    expect(e?.exitCode).toBe(1);
    expect(e?.message).toMatch(/inline\.o: load program 'p': helper bpf_skc_to_tcp_sock \(id 137\) is not supported/);
  });

  it('refuses a helper the program type may not call', () => {
    const rt = new Runtime();
    // bpf_xdp_adjust_head (44) from a tc program.
    expect(() => rt.load(specWith(program(Call(44), Mov.imm(R0, 0), Exit())))).toThrow(/bpf_xdp_adjust_head \(id 44\) is not supported for BPF_PROG_TYPE_SCHED_CLS/);
  });

  it('refuses a program whose control flow falls off the end, naming the instruction', () => {
    const rt = new Runtime();
    expect(() => rt.load(specWith(program(Mov.imm(R0, 0))))).toThrow(/verify program 'p': last insn is not an exit or jmp/);
  });

  it('initialises PROG_ARRAY slots from .values and runs the tail-call chain', () => {
    const rt = new Runtime();
    const o = rt.load(loadObjectFile(join(FIX, 'tail_chain.o')));
    const chain = o.map('chain').entries();
    expect(chain.map((e) => e.key[0])).toEqual([0, 1]);
  });
});
