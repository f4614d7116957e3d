/**
 * Executed eBPF instructions per second of the reference interpreter and of the compiled tier on three programs:
 * (a) a tight arithmetic loop, (b) a loop through the stack, (c) packet parsing run once per
 * packet (per-run overhead included). Each figure is the median of several timed runs.
 */
import { type Insn, layout, make } from '../src/ebpf/isa/insn.ts';
import { opByName } from '../src/ebpf/isa/opcodes.ts';
import { Interpreter } from '../src/ebpf/vm/interpreter.ts';
import { Memory } from '../src/ebpf/vm/memory.ts';

const I = (name: string, f: Parameters<typeof make>[1] = {}): Insn => make(opByName(name), f);

export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Sum 1..n: 3 instructions per iteration. */
export function sumLoop(n: number): Insn[] {
  return layout([
    I('ALU64_MOV_K', { dst: 0, imm: 0 }),
    I('ALU64_MOV_K', { dst: 1, imm: 1 }),
    I('ALU64_ADD_X', { dst: 0, src: 1 }),
    I('ALU64_ADD_K', { dst: 1, imm: 1 }),
    I('JMP_JLE_K', { dst: 1, imm: n, off: -3 }),
    I('JMP_EXIT'),
  ]);
}

/** An accumulator kept in a stack slot: load, add, store per iteration. */
export function stackLoop(n: number): Insn[] {
  return layout([
    I('ALU64_MOV_K', { dst: 1, imm: 0 }),
    I('ST_MEM_DW', { dst: 10, off: -8, imm: 0 }),
    I('LDX_MEM_DW', { dst: 2, src: 10, off: -8 }),
    I('ALU64_ADD_X', { dst: 2, src: 1 }),
    I('STX_MEM_DW', { dst: 10, src: 2, off: -8 }),
    I('STX_MEM_W', { dst: 10, src: 1, off: -16 }),
    I('ALU64_ADD_K', { dst: 1, imm: 1 }),
    I('JMP_JLT_K', { dst: 1, imm: n, off: -6 }),
    I('LDX_MEM_DW', { dst: 0, src: 10, off: -8 }),
    I('JMP_EXIT'),
  ]);
}

/**
 * r1 = packet start, r2 = packet end. Parse Ethernet → IPv4 → UDP with bounds checks as an XDP
 * program does; return 1 (drop) for UDP port 53, 2 (pass) otherwise.
 */
export function parsePacket(): Insn[] {
  return layout([
    I('ALU64_MOV_X', { dst: 3, src: 1 }),
    I('ALU64_ADD_K', { dst: 3, imm: 14 }),
    I('JMP_JGT_X', { dst: 3, src: 2, off: 17 }), // -> pass
    I('LDX_MEM_H', { dst: 4, src: 1, off: 12 }),
    I('JMP_JNE_K', { dst: 4, imm: 0x0008, off: 15 }), // not IPv4 (0x0800 in network order)
    I('ALU64_MOV_X', { dst: 5, src: 3 }),
    I('ALU64_ADD_K', { dst: 5, imm: 20 }),
    I('JMP_JGT_X', { dst: 5, src: 2, off: 12 }),
    I('LDX_MEM_B', { dst: 4, src: 3, off: 0 }),
    I('ALU64_AND_K', { dst: 4, imm: 0x0f }),
    I('ALU64_LSH_K', { dst: 4, imm: 2 }),
    I('LDX_MEM_B', { dst: 6, src: 3, off: 9 }),
    I('JMP_JNE_K', { dst: 6, imm: 17, off: 7 }),
    I('ALU64_ADD_X', { dst: 3, src: 4 }),
    I('ALU64_MOV_X', { dst: 5, src: 3 }),
    I('ALU64_ADD_K', { dst: 5, imm: 8 }),
    I('JMP_JGT_X', { dst: 5, src: 2, off: 3 }),
    I('LDX_MEM_H', { dst: 4, src: 3, off: 2 }),
    I('ALU_END_TO_BE_16', { dst: 4 }),
    I('JMP_JEQ_K', { dst: 4, imm: 53, off: 2 }),
    I('ALU64_MOV_K', { dst: 0, imm: 2 }), // pass
    I('JMP_EXIT'),
    I('ALU64_MOV_K', { dst: 0, imm: 1 }), // drop
    I('JMP_EXIT'),
  ]);
}

export function udpPacket(dport: number): Uint8Array {
  const p = new Uint8Array(64);
  p[12] = 0x08;
  p[13] = 0x00;
  p[14] = 0x45;
  p[23] = 17;
  p[36] = dport >> 8;
  p[37] = dport & 0xff;
  return p;
}

/** Both tiers: `interp_*` the reference interpreter, `jit_*` the compiled tier (jit-gen.ts). */
export function runInterpreterBench(reps = 5): BenchFigure[] {
  return [...tierBench('interp', Infinity, reps), ...tierBench('jit', 0, reps)];
}

function tierBench(prefix: string, tierUpAfter: number, reps: number): BenchFigure[] {
  const figs: BenchFigure[] = [];
  const mem = new Memory();
  const engine = new Interpreter({ tierUpAfter });
  const helpers = new Map();
  const loop = (name: string, insns: Insn[]): void => {
    const prog = engine.load({ name, insns }, mem, helpers);
    prog.run({ budget: 1e9 }); // warm-up
    const rates: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t0 = process.hrtime.bigint();
      const r = prog.run({ budget: 1e9 });
      const dt = Number(process.hrtime.bigint() - t0) / 1e9;
      if (r.error) throw r.error;
      rates.push(r.insns / dt);
    }
    figs.push({ name: `${prefix}_${name}`, value: median(rates), unit: 'insn/s' });
  };
  loop('sum_loop', sumLoop(10_000_000));
  loop('stack_loop', stackLoop(2_000_000));

  const prog = engine.load({ name: 'parse', insns: parsePacket() }, mem, helpers);
  const pkts = [53, 80, 443, 53].map((p) => mem.add('packet', 'packet', udpPacket(p)));
  const args = pkts.map((r) => [Memory.addr(r, 0), Memory.addr(r, r.end)]);
  const runs = 500_000;
  const once = (): [number, number] => {
    let insns = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < runs; i++) insns += prog.run({ args: args[i & 3] }).insns;
    return [insns, Number(process.hrtime.bigint() - t0) / 1e9];
  };
  once();
  const rates: number[] = [];
  const perRun: number[] = [];
  for (let i = 0; i < reps; i++) {
    const [n, dt] = once();
    rates.push(n / dt);
    perRun.push((dt / runs) * 1e9);
  }
  figs.push({ name: `${prefix}_packet_parse`, value: median(rates), unit: 'insn/s' });
  figs.push({ name: `${prefix}_packet_parse_per_run`, value: median(perRun), unit: 'ns/run' });
  return figs;
}
