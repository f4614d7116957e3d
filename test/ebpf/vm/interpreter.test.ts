import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Insn, layout, make } from '../../../src/ebpf/isa/insn.ts';
import { BPF_X, OPS, opByName, type OpSpec } from '../../../src/ebpf/isa/opcodes.ts';
import { type HelperFn, TailCall, Unwind } from '../../../src/ebpf/vm/engine.ts';
import { Interpreter } from '../../../src/ebpf/vm/interpreter.ts';
import { fromBig } from '../../../src/ebpf/vm/int64.ts';
import { Memory } from '../../../src/ebpf/vm/memory.ts';
import { aluModel, jmpModel } from './bigint-model.ts';

const I = (name: string, f: Parameters<typeof make>[1] = {}): Insn => make(opByName(name), f);
const lddw = (dst: number, v: bigint): Insn => {
  const [lo, hi] = fromBig(v);
  return I('LD_IMM64', { dst, imm: lo, imm2: hi });
};


const u64 = fc.oneof(
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.constantFrom(0n, 1n, 2n, 31n, 32n, 63n, 64n, 0x7fffffffn, 0x80000000n, 0xffffffffn, 1n << 32n, (1n << 63n) - 1n, 1n << 63n, (1n << 64n) - 1n, (1n << 64n) - 2n),
);
const imm32 = fc.oneof(fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.constantFrom(0, 1, -1, 31, 32, 63, -0x80000000, 0x7fffffff));

/** Every test runs on the interpreter and on the compiled tier (jit-gen.ts), which must agree. */
const ENGINES = [
  { name: 'interpreter', opts: { tierUpAfter: Infinity } },
  { name: 'compiled', opts: { tierUpAfter: 0 } },
];

for (const E of ENGINES) {
  const run = (insns: Insn[], opts: { helpers?: Map<number, HelperFn>; args?: bigint[]; budget?: number; mem?: Memory } = {}) => {
    const mem = opts.mem ?? new Memory();
    const prog = new Interpreter(E.opts).load({ name: 't', insns: layout(insns) }, mem, opts.helpers ?? new Map());
    return prog.run({ args: opts.args, budget: opts.budget });
  };

  describe(`${E.name}: ALU semantics against a BigInt model`, () => {
    const aluOps = OPS.filter((o) => ['alu', 'neg', 'mov', 'movsx', 'end'].includes(o.kind));
    it.each(aluOps.map((o) => [o.name, o] as [string, OpSpec]))('%s', (_n, o) => {
      fc.assert(
        fc.property(u64, u64, imm32, (dst, src, imm) => {
          const op = make(o, { dst: 1, src: o.srcKind === BPF_X && o.kind !== 'end' ? 2 : 0, imm });
          const r = run([lddw(1, dst), lddw(2, src), op, I('ALU64_MOV_X', { dst: 0, src: 1 }), I('JMP_EXIT')]);
          expect(r.error).toBeUndefined();
          expect(r.r0).toBe(aluModel(o, dst, src, op.imm));
        }),
        { numRuns: 300 },
      );
    });
  });

  describe(`${E.name}: conditional jumps against a BigInt model`, () => {
    const jmps = OPS.filter((o) => o.kind === 'jcond');
    it.each(jmps.map((o) => [o.name, o] as [string, OpSpec]))('%s', (_n, o) => {
      fc.assert(
        fc.property(u64, u64, imm32, (dst, src, imm) => {
          const j = make(o, { dst: 1, src: o.srcKind === BPF_X ? 2 : 0, imm, off: 2 });
          const r = run([lddw(1, dst), lddw(2, src), j, I('ALU64_MOV_K', { dst: 0, imm: 0 }), I('JMP_EXIT'), I('ALU64_MOV_K', { dst: 0, imm: 1 }), I('JMP_EXIT')]);
          expect(r.r0).toBe(jmpModel(o, dst, src, imm) ? 1n : 0n);
        }),
        { numRuns: 300 },
      );
    });
  });

  describe(`${E.name}: memory model`, () => {
    it('reads and writes the stack through r10', () => {
      const r = run([I('ST_MEM_DW', { dst: 10, off: -8, imm: -5 }), I('LDX_MEM_DW', { dst: 0, src: 10, off: -8 }), I('JMP_EXIT')]);
      expect(r.r0).toBe(BigInt.asUintN(64, -5n));
    });

    it('stops an out-of-bounds stack access with the pc, the address and the region', () => {
      const r = run([I('ALU64_MOV_K', { dst: 0, imm: 0 }), I('LDX_MEM_W', { dst: 0, src: 10, off: -516 }), I('JMP_EXIT')]);
      expect(r.error?.kind).toBe('memory');
      expect(r.error?.pc).toBe(1);
      expect(r.error?.message).toMatch(/pc 1: invalid read of 4 bytes at 0x[0-9a-f]{16}: out of bounds of stack/);
    });

    it('refuses a write above the frame pointer', () => {
      const r = run([I('ST_MEM_B', { dst: 10, off: 0, imm: 1 }), I('ALU64_MOV_K', { dst: 0, imm: 0 }), I('JMP_EXIT')]);
      expect(r.error?.message).toMatch(/invalid write of 1 bytes .* out of bounds of stack/);
    });

    it('names the exact address, offset and region of an out-of-bounds access and leaves memory alone', () => {
      const mem = new Memory();
      const bytes = new Uint8Array([1, 2, 3, 4, 5, 6]);
      const region = mem.add('mem', 'memory', bytes);
      const base = Memory.addr(region, 0);
      const at = '0x' + Memory.addr(region, 5).toString(16).padStart(16, '0');
      const read = run([I('LDX_MEM_H', { dst: 0, src: 1, off: 5 }), I('JMP_EXIT')], { mem, args: [base] });
      expect(read.error?.message).toBe(`pc 0: invalid read of 2 bytes at ${at}: out of bounds of memory (offset 5, valid size 6)`);
      const write = run([I('ALU64_MOV_K', { dst: 0, imm: 0 }), I('ST_MEM_W', { dst: 1, off: 5, imm: -1 }), I('JMP_EXIT')], { mem, args: [base] });
      expect(write.error?.pc).toBe(1);
      expect(write.error?.message).toBe(`pc 1: invalid write of 4 bytes at ${at}: out of bounds of memory (offset 5, valid size 6)`);
      expect(Array.from(bytes)).toEqual([1, 2, 3, 4, 5, 6]);
    });

    it('treats a scalar as an unmapped address (NULL dereference)', () => {
      const r = run([I('ALU64_MOV_K', { dst: 1, imm: 0 }), I('LDX_MEM_B', { dst: 0, src: 1, off: 0 }), I('JMP_EXIT')]);
      expect(r.error?.message).toContain('NULL or a scalar used as a pointer');
    });

    it('checks bounds and permission of other regions', () => {
      const mem = new Memory();
      const ro = mem.add('rodata', '.rodata', new Uint8Array([1, 2, 3, 4]), { writable: false });
      const base = Memory.addr(ro, 0);
      expect(run([I('LDX_MEM_W', { dst: 0, src: 1, off: 0 }), I('JMP_EXIT')], { mem, args: [base] }).r0).toBe(0x04030201n);
      expect(run([I('LDX_MEM_W', { dst: 0, src: 1, off: 1 }), I('JMP_EXIT')], { mem, args: [base] }).error?.message).toContain('out of bounds of .rodata');
      expect(run([I('ST_MEM_B', { dst: 1, off: 0, imm: 9 }), I('JMP_EXIT')], { mem, args: [base] }).error?.message).toContain('.rodata is read-only');
      expect(ro.bytes[0]).toBe(1);
    });
  });

  describe(`${E.name}: control`, () => {
    it('a traced run names the instruction that set r0 last in the outermost frame (same results)', () => {
      const traced = (insns: Insn[], helpers = new Map<number, HelperFn>()) => {
        const prog = new Interpreter(E.opts).load({ name: 't', insns: layout(insns) }, new Memory(), helpers);
        const plain = prog.run({});
        const t = prog.run({ traceVerdict: true });
        expect(t.r0).toBe(plain.r0);
        expect(t.insns).toBe(plain.insns);
        expect(plain.steps.at(-1)?.verdictPc).toBeUndefined();
        return t.steps.at(-1)?.verdictPc;
      };
      // r0 = 2 hoisted, then overwritten on the taken path: the second write decided.
      expect(traced([I('ALU64_MOV_K', { dst: 0, imm: 2 }), I('ALU64_MOV_K', { dst: 1, imm: 1 }), I('JMP_JEQ_K', { dst: 1, imm: 1, off: 1 }), I('JMP_EXIT'), I('ALU64_MOV_K', { dst: 0, imm: 1 }), I('JMP_EXIT')])).toBe(4);
      // Writes to other registers, and r0 written by a callee: the call in the outermost frame decided.
      expect(traced([I('ALU64_MOV_K', { dst: 0, imm: 2 }), I('JMP_CALL_LOCAL', { imm: 2 }), I('ALU64_MOV_K', { dst: 3, imm: 9 }), I('JMP_EXIT'), I('ALU64_MOV_K', { dst: 0, imm: 7 }), I('JMP_EXIT')])).toBe(1);
      // A helper's return value, and an atomic fetch into r0 (src operand).
      expect(traced([I('JMP_CALL', { imm: 7 }), I('JMP_EXIT')], new Map([[7, () => 5n]]))).toBe(0);
      expect(traced([I('ST_MEM_DW', { dst: 10, off: -8, imm: 3 }), I('ALU64_MOV_K', { dst: 0, imm: 1 }), I('STX_ATOMIC_FETCH_ADD_DW', { dst: 10, src: 0, off: -8, imm: 0x01 }), I('JMP_EXIT')])).toBe(2);
    });

    it('stops at the instruction budget', () => {
      const r = run([I('ALU64_MOV_K', { dst: 0, imm: 0 }), I('JMP_JA', { off: -1 }), I('JMP_EXIT')], { budget: 1000 });
      expect(r.error?.kind).toBe('budget');
      expect(r.insns).toBe(1001);
    });

    it('preserves r6-r9 and gives each bpf-to-bpf frame its own stack', () => {
      const r = run([
        I('ALU64_MOV_K', { dst: 6, imm: 6 }),
        I('ST_MEM_DW', { dst: 10, off: -8, imm: 77 }),
        I('JMP_CALL_LOCAL', { imm: 3 }),
        I('LDX_MEM_DW', { dst: 0, src: 10, off: -8 }),
        I('ALU64_ADD_X', { dst: 0, src: 6 }),
        I('JMP_EXIT'),
        // callee: clobbers r6 and its own stack slot
        I('ALU64_MOV_K', { dst: 6, imm: 1000 }),
        I('ST_MEM_DW', { dst: 10, off: -8, imm: 5 }),
        I('ALU64_MOV_K', { dst: 0, imm: 0 }),
        I('JMP_EXIT'),
      ]);
      expect(r.error).toBeUndefined();
      expect(r.r0).toBe(83n);
    });

    it('refuses a ninth call frame', () => {
      // A function that calls itself forever.
      const r = run([I('JMP_CALL_LOCAL', { imm: 1 }), I('JMP_EXIT'), I('JMP_CALL_LOCAL', { imm: -1 }), I('JMP_EXIT')]);
      expect(r.error?.kind).toBe('call_depth');
    });

    // A chain main → f1 → … → fN, each callee at the next slot pair; fN returns 42.
    const chain = (n: number): Insn[] => {
      const insns: Insn[] = [];
      for (let i = 0; i < n; i++) insns.push(I('JMP_CALL_LOCAL', { imm: 1 }), I('JMP_EXIT'));
      insns.push(I('ALU64_MOV_K', { dst: 0, imm: 42 }), I('JMP_EXIT'));
      return insns;
    };

    it('runs exactly MAX_CALL_FRAMES (8) frames, as the kernel allows, and names the call that would be the ninth', () => {
      // main + 7 callees = 8 frames.
      const ok = run(chain(7));
      expect(ok.error).toBeUndefined();
      expect(ok.r0).toBe(42n);
      const deep = run(chain(8));
      expect(deep.error?.kind).toBe('call_depth');
      // The eighth call (slot 14) is the one refused: frames 0..7 are in use.
      expect(deep.error?.pc).toBe(14);
      expect(deep.error?.message).toBe('pc 14: bpf-to-bpf call depth exceeds 8 frames');
    });

    it('stops a run past 1,000,000 executed instructions when no budget is given', () => {
      const r = run([I('ALU64_MOV_K', { dst: 0, imm: 0 }), I('JMP_JA', { off: -1 })]);
      expect(r.error?.kind).toBe('budget');
      expect(r.insns).toBe(1_000_001);
      expect(r.error?.message).toContain('instruction budget of 1000000 executed instructions exhausted');
    });

    it('calls helpers by id with their arguments and returns r0', () => {
      const helpers = new Map<number, HelperFn>([[7, (c) => c.arg(1) * 2n + BigInt(c.argLo(2))]]);
      const r = run([I('ALU64_MOV_K', { dst: 1, imm: 20 }), I('ALU64_MOV_K', { dst: 2, imm: 2 }), I('JMP_CALL', { imm: 7 }), I('JMP_EXIT')], { helpers });
      expect(r.r0).toBe(42n);
    });

    it('stops on an unknown helper and contains a failing helper', () => {
      expect(run([I('JMP_CALL', { imm: 99 }), I('JMP_EXIT')]).error?.message).toContain('unknown helper 99');
      const helpers = new Map<number, HelperFn>([[1, () => { throw new Error('boom'); }]]);
      expect(run([I('JMP_CALL', { imm: 1 }), I('JMP_EXIT')], { helpers }).error?.message).toContain('helper 1 failed: boom');
    });

    it('refuses kfunc calls with a clear message', () => {
      const r = run([I('JMP_CALL_KFUNC', { imm: 1234 }), I('JMP_EXIT')]);
      expect(r.error?.message).toContain('kfuncs are not supported');
    });

    it('continues in the tail-called program and never returns', () => {
      const mem = new Memory();
      const engine = new Interpreter(E.opts);
      const target = engine.load({ name: 'target', insns: layout([I('ALU64_MOV_K', { dst: 0, imm: 9 }), I('JMP_EXIT')]) }, mem, new Map());
      const helpers = new Map<number, HelperFn>([[12, () => new TailCall(target)]]);
      const main = engine.load({ name: 'main', insns: layout([I('JMP_CALL', { imm: 12 }), I('ALU64_MOV_K', { dst: 0, imm: 1 }), I('JMP_EXIT')]) }, mem, helpers);
      const r = main.run();
      expect(r.r0).toBe(9n);
      expect(r.tailCalls).toBe(1);
    });

    it('ends the program when a helper unwinds', () => {
      const helpers = new Map<number, HelperFn>([[5, () => new Unwind(3n)]]);
      expect(run([I('JMP_CALL', { imm: 5 }), I('ALU64_MOV_K', { dst: 0, imm: 1 }), I('JMP_EXIT')], { helpers }).r0).toBe(3n);
    });

    it('runs bpf-to-bpf callbacks from helpers (bpf_loop style)', () => {
      // helper 181 calls the function at slot 5 three times, summing its r0.
      const helpers = new Map<number, HelperFn>([[181, (c) => { let s = 0n; for (let i = 0n; i < 3n; i++) s += c.callFunction(5, [i]); return s; }]]);
      const r = run([
        I('ALU64_MOV_K', { dst: 6, imm: 100 }),
        I('JMP_CALL', { imm: 181 }),
        I('ALU64_ADD_X', { dst: 0, src: 6 }),
        I('JMP_EXIT'),
        I('JMP_EXIT'), // padding, never reached
        I('ALU64_MOV_X', { dst: 0, src: 1 }), // callback: r0 = index * 10
        I('ALU64_MUL_K', { dst: 0, imm: 10 }),
        I('ALU64_MOV_K', { dst: 6, imm: 0 }),
        I('JMP_EXIT'),
      ], { helpers });
      expect(r.error).toBeUndefined();
      expect(r.r0).toBe(130n);
    });

    it('LD_ABS without a packet ends the program with r0 = 0', () => {
      const r = run([I('ALU64_MOV_X', { dst: 6, src: 1 }), I('ALU64_MOV_K', { dst: 0, imm: 5 }), I('LD_ABS_B', { imm: 0 }), I('ALU64_MOV_K', { dst: 0, imm: 7 }), I('JMP_EXIT')]);
      expect(r.r0).toBe(0n);
    });

    // As the kernel's bpf_gen_ld_abs(): offset = (s32)(src + imm); out of the packet, r0 = 0 and the program ends.
    it.each<[string, Insn[], bigint]>([
      ['LD_ABS_B', [I('LD_ABS_B', { imm: 4 })], 0x55n],
      ['LD_ABS_H', [I('LD_ABS_H', { imm: 1 })], 0x2233n],
      ['LD_ABS_W', [I('LD_ABS_W', { imm: 1 })], 0x22334455n],
      ['LD_ABS_W with the sign bit set', [I('LD_ABS_W', { imm: 0 }), I('ALU64_RSH_K', { dst: 0, imm: 31 })], 1n],
      ['LD_ABS_W across the end', [I('LD_ABS_W', { imm: 2 })], 0n],
      ['LD_ABS_B at the length', [I('LD_ABS_B', { imm: 5 })], 0n],
      ['LD_ABS_B at a negative offset', [I('LD_ABS_B', { imm: -1 })], 0n],
      ['LD_IND_H with src + imm', [I('ALU64_MOV_K', { dst: 7, imm: 2 }), I('LD_IND_H', { src: 7, imm: 1 })], 0x4455n],
      ['LD_IND_B with src + imm wrapping to 32 bits', [I('ALU64_MOV_K', { dst: 7, imm: -1 }), I('LD_IND_B', { src: 7, imm: 2 })], 0x22n],
      ['LD_IND_B with a high src half ignored', [lddw(7, 0x1_0000_0003n), I('LD_IND_B', { src: 7, imm: 0 })], 0x44n],
      ['LD_IND_B past the end', [I('ALU64_MOV_K', { dst: 7, imm: 3 }), I('LD_IND_B', { src: 7, imm: 2 })], 0n],
    ])('%s', (_name, body, want) => {
      const pkt = new Uint8Array([0x81, 0x22, 0x33, 0x44, 0x55]);
      // r0 = 7 after the load tells "went on" from "ended with r0 = 0".
      const marker = want === 0n ? [I('ALU64_MOV_K', { dst: 0, imm: 7 })] : [];
      const prog = new Interpreter({ ...E.opts, legacyPacket: () => pkt }).load(
        { name: 'ld', insns: layout([I('ALU64_MOV_X', { dst: 6, src: 1 }), ...body, ...marker, I('JMP_EXIT')]) },
        new Memory(),
        new Map(),
      );
      const r = prog.run();
      expect(r.error).toBeUndefined();
      expect(r.r0).toBe(want);
    });

    it('LD_ABS/LD_IND read big-endian packet bytes', () => {
      const pkt = new Uint8Array([0x11, 0x22, 0x33, 0x44, 0x55]);
      const prog = new Interpreter({ ...E.opts, legacyPacket: () => pkt }).load(
        { name: 'ld', insns: layout([I('ALU64_MOV_X', { dst: 6, src: 1 }), I('ALU64_MOV_K', { dst: 7, imm: 1 }), I('LD_IND_W', { src: 7, imm: 0 }), I('JMP_EXIT')]) },
        new Memory(),
        new Map(),
      );
      expect(prog.run().r0).toBe(0x22334455n);
    });
  });
}
