/**
 * The compiled tier (jit-gen.ts) against the reference interpreter: every opcode compiles, the
 * instruction budget stops both at the same instruction, and real clang-built programs give the
 * same verdicts, instruction counts, packets and maps on random packets when one runtime runs
 * them many times (the datapath's case). interpreter.test.ts and the conformance suite also run
 * on both tiers; the kernel differential test runs every other packet compiled.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dumpMaps } from '../../../src/cli/map-json.ts';
import { loadObjectFile } from '../../../src/ebpf/elf/index.ts';
import { type Insn, layout, make } from '../../../src/ebpf/isa/insn.ts';
import { OPS, opByName } from '../../../src/ebpf/isa/opcodes.ts';
import { Runtime } from '../../../src/ebpf/runtime/runtime.ts';
import { TestRunError, testRun } from '../../../src/ebpf/runtime/test-run.ts';
import { StandaloneHost } from '../../../src/ebpf/runtime/host.ts';
import { compileProgram, Interpreter, type InterpretedProgram } from '../../../src/ebpf/vm/interpreter.ts';
import { generateJitSource } from '../../../src/ebpf/vm/jit-gen.ts';
import { Memory } from '../../../src/ebpf/vm/memory.ts';
import { packetCorpus } from '../runtime/packet-corpus.ts';

const FIX = join(import.meta.dirname, '..', '..', 'fixtures');
const I = (name: string, f: Parameters<typeof make>[1] = {}): Insn => make(opByName(name), f);

describe('compiled tier', () => {
  it('compiles every opcode of the table', () => {
    const insns = layout([...OPS.map((o) => make(o, { dst: 1, src: o.kind === 'call_local' ? 1 : 2, imm: o.kind === 'call_local' ? 0 : 1 })), I('JMP_EXIT')]);
    const src = generateJitSource(insns, 'every_op');
    expect(() => new Function(src)).not.toThrow();
    const prog = new Interpreter({ tierUpAfter: Infinity }).load({ name: 'every_op', insns }, new Memory(), new Map());
    expect(compileProgram(prog)).toBeTypeOf('function');
  });

  it('stops at the same instruction as the interpreter for every budget', () => {
    // r0 = 0; loop: r0 += 1; call 7 (a helper); if r0 < 20 goto loop; exit
    const insns = layout([I('ALU64_MOV_K', { dst: 0, imm: 0 }), I('ALU64_ADD_K', { dst: 0, imm: 1 }), I('ALU64_MOV_X', { dst: 6, src: 0 }), I('JMP_CALL', { imm: 7 }), I('ALU64_MOV_X', { dst: 0, src: 6 }), I('JMP_JLT_K', { dst: 0, imm: 20, off: -5 }), I('JMP_EXIT')]);
    const helpers = new Map([[7, () => 0]]);
    for (let budget = 1; budget <= 110; budget++) {
      const run = (tierUpAfter: number) => new Interpreter({ tierUpAfter }).load({ name: 'loop', insns }, new Memory(), helpers).run({ budget });
      const a = run(Infinity);
      const b = run(0);
      expect({ kind: b.error?.kind, pc: b.error?.pc, insns: b.insns, r0: b.r0, helperCalls: b.helperCalls }, `budget ${budget}`).toEqual({
        kind: a.error?.kind,
        pc: a.error?.pc,
        insns: a.insns,
        r0: a.r0,
        helperCalls: a.helperCalls,
      });
    }
  });

  const corpus = packetCorpus({ truncations: true, random: 40 });
  const cases: [string, string][] = [
    ['xdp_proto_count', 'xdp_proto_count'],
    ['tc_nat', 'tc_dnat'],
    ['tc_nat', 'tc_snat'],
    ['xdp_encap', 'xdp_ipip_encap'],
    ['xdp_encap', 'xdp_ipip_decap'],
    ['tail_chain', 'chain_entry'],
    ['bpf_calls', 'calls_check'],
    ['bpf_calls', 'calls_len'],
  ];
  it.each(cases)('%s:%s gives the same answers compiled as interpreted, run after run', (obj, progName) => {
    const spec = loadObjectFile(join(FIX, `${obj}.o`));
    const names = [...spec.programs.map((p) => p.name)];
    if (!names.includes(progName)) throw new Error(`${obj}.o has no program ${progName} (has ${names.join(', ')})`);
    // One runtime per tier, every packet through it in turn: maps accumulate as in a simulation.
    const tiers = [Infinity, 0].map((tierUpAfter) => {
      const rt = new Runtime({ host: new StandaloneHost(1), tierUpAfter });
      return { rt, obj: rt.load(spec) };
    });
    const packets = fc.sample(fc.constantFrom(...corpus), { numRuns: 150, seed: 7 });
    for (const [i, p] of packets.entries()) {
      const [a, b] = tiers.map(({ rt, obj: o }) => {
        try {
          const out = testRun(rt, o.program(progName), { dataIn: p.bytes });
          // Program arrays hold program ids, which differ between the two runtimes: compare data maps.
          const maps = Object.entries(dumpMaps(o)).filter(([name]) => o.maps.get(name)?.def.type !== 'BPF_MAP_TYPE_PROG_ARRAY');
          return { retval: out.retval, data: Buffer.from(out.dataOut).toString('hex'), error: out.error?.message, maps: JSON.stringify(maps) };
        } catch (e) {
          // BPF_PROG_TEST_RUN's own refusals (a frame too short for an skb) come before any run.
          if (e instanceof TestRunError) return { refused: e.message };
          throw e;
        }
      });
      expect(b, `packet ${i} (${p.name})`).toEqual(a);
    }
    const code = tiers[1].obj.program(progName).code as InterpretedProgram;
    expect(code.compiled, 'the compiled tier ran').toBeTypeOf('function');
  });
});

describe('compiled tier: tail calls', () => {
  it('compiles the programs a chain tail-calls into, not only its entry', () => {
    const rt = new Runtime({ host: new StandaloneHost(1), tierUpAfter: 0 });
    const obj = rt.load(loadObjectFile(join(FIX, 'tail_chain.o')));
    const frame = packetCorpus().find((p) => p.name === 'udp4')?.bytes ?? new Uint8Array(64);
    const out = testRun(rt, obj.program('chain_entry'), { dataIn: frame });
    expect(out.error).toBeUndefined();
    for (const name of ['chain_entry', 'stage_one', 'stage_two']) expect((obj.program(name).code as InterpretedProgram).compiled, name).toBeTypeOf('function');
  });
});
