/**
 * Random programs from a fixed seed: scalars from the context and bpf_get_prandom_u32, a
 * handful of random ALU operations and branches, then an index into a 64-byte map value or
 * the packet. They probe range tracking where hand-written cases do not go; the kernel judges.
 */
import { Add, Call, Exit, ins, JEq, JGT, Label, LoadMapFd, LoadMem, Mov, R0, R1, R2, R3, R6, R7, R8, R9, R10, StoreImm, program, type ProgramItem } from '../../../src/ebpf/isa/dsl.ts';
import type { AsmCase } from '../corpus.ts';
import { H, M, XDP } from '../lib.ts';

/** xorshift32, so the corpus is the same on every machine. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const ALU = ['ADD', 'SUB', 'MUL', 'AND', 'OR', 'XOR', 'LSH', 'RSH', 'ARSH', 'DIV', 'MOD'];
const JMP = ['JEQ', 'JNE', 'JGT', 'JGE', 'JLT', 'JLE', 'JSGT', 'JSGE', 'JSLT', 'JSLE', 'JSET'];
const IMMS = [0, 1, 2, 3, 7, 8, 15, 16, 31, 32, 63, 64, 100, 255, 256, -1, -8, -64, 0x7fffffff, -0x80000000, 4096];

function gen(seed: number): ProgramItem[] {
  const r = rng(seed * 2654435761);
  const pick = <T>(xs: readonly T[]): T => xs[r() % xs.length];
  const regs = [R7, R8, R9];
  const items: ProgramItem[] = [
    StoreImm(R10, -4, 0, 'W'),
    Mov.reg(R2, R10),
    Add.imm(R2, -4),
    LoadMapFd(R1, 'v64'),
    Call(H.map_lookup_elem),
    Mov.reg(R6, R0),
    JEq.imm(R6, 0, 'out'),
    Call(H.get_prandom_u32),
    Mov.reg(R7, R0),
    Call(H.get_prandom_u32),
    Mov.reg(R8, R0),
    Call(H.get_prandom_u32),
    Mov.reg(R9, R0),
  ];
  const n = 3 + (r() % 6);
  for (let k = 0; k < n; k++) {
    const d = pick(regs);
    const w = r() % 4 === 0 ? 'ALU' : 'ALU64';
    if (r() % 4 === 0) {
      // A branch to the exit: narrows the fall-through side.
      const j = `${r() % 3 === 0 ? 'JMP32' : 'JMP'}_${pick(JMP)}`;
      if (r() % 3 === 0) items.push(ins(`${j}_X`, { dst: d, src: pick(regs), target: 'out' }));
      else items.push(ins(`${j}_K`, { dst: d, imm: pick(IMMS), target: 'out' }));
      continue;
    }
    const op = pick(ALU);
    const shift = op === 'LSH' || op === 'RSH' || op === 'ARSH';
    if (!shift && r() % 3 === 0) items.push(ins(`${w}_${op}_X`, { dst: d, src: pick(regs) }));
    else {
      let imm = pick(IMMS);
      if (shift) imm = r() % (w === 'ALU' ? 32 : 64);
      if ((op === 'DIV' || op === 'MOD') && imm === 0) imm = 3;
      items.push(ins(`${w}_${op}_K`, { dst: d, imm }));
    }
  }
  const idx = pick(regs);
  items.push(Add.reg(R6, idx), LoadMem(R0, R6, 0, 'B'), Exit(), Label('out'), Mov.imm(R0, 0), Exit());
  return items;
}

/** The packet flavour: the index moves a packet pointer, checked against data_end. */
function genPkt(seed: number): ProgramItem[] {
  const r = rng(seed * 40503 + 7);
  const pick = <T>(xs: readonly T[]): T => xs[r() % xs.length];
  const items: ProgramItem[] = [LoadMem(R2, R1, 0, 'W'), LoadMem(R3, R1, 4, 'W'), LoadMem(R7, R1, 12, 'W'), LoadMem(R8, R1, 16, 'W')];
  const n = 2 + (r() % 4);
  for (let k = 0; k < n; k++) {
    const d = pick([R7, R8]);
    if (r() % 3 === 0) items.push(ins(`JMP_${pick(JMP)}_K`, { dst: d, imm: pick(IMMS), target: 'out' }));
    else items.push(ins(`ALU64_${pick(['AND', 'RSH', 'ADD', 'OR', 'MUL'])}_K`, { dst: d, imm: pick([1, 3, 7, 15, 63, 255, 1023, 0xffff, 4, 8]) }));
  }
  const size = pick([1, 2, 4, 8]);
  items.push(Add.reg(R2, pick([R7, R8])), Mov.reg(R0, R2), Add.imm(R0, size), JGT.reg(R0, R3, 'out'), LoadMem(R0, R2, 0, size === 1 ? 'B' : size === 2 ? 'H' : size === 4 ? 'W' : 'DW'), Exit(), Label('out'), Mov.imm(R0, 0), Exit());
  return items;
}

/** Stack flavour: random spills, partial stores and fills around the index. */
function genStack(seed: number): ProgramItem[] {
  const r = rng(seed * 69069 + 12345);
  const pick = <T>(xs: readonly T[]): T => xs[r() % xs.length];
  const items: ProgramItem[] = [...gen(seed).slice(0, 13)];
  const offs = [-8, -16, -24, -12, -20, -6, -3];
  const sizes = ['B', 'H', 'W', 'DW'] as const;
  const n = 3 + (r() % 6);
  for (let k = 0; k < n; k++) {
    const reg = pick([R7, R8, R9]);
    const size = pick(sizes);
    const width = { B: 1, H: 2, W: 4, DW: 8 }[size];
    const off = Math.floor(pick(offs) / width) * width;
    switch (r() % 5) {
      case 0:
        items.push(ins(`STX_MEM_${size}`, { dst: R10, src: reg, off }));
        break;
      case 1:
        items.push(ins(`ST_MEM_${size}`, { dst: R10, off, imm: pick(IMMS) }));
        break;
      case 2:
        items.push(ins(`LDX_MEM_${size}`, { dst: reg, src: R10, off }));
        break;
      case 3:
        items.push(ins(`ALU64_${pick(['AND', 'RSH'])}_K`, { dst: reg, imm: pick([3, 7, 15, 31, 63, 255]) }));
        break;
      default:
        items.push(ins(`JMP_${pick(JMP)}_K`, { dst: reg, imm: pick(IMMS), target: 'out' }));
    }
  }
  items.push(Add.reg(R6, pick([R7, R8, R9])), LoadMem(R0, R6, 0, 'B'), Exit(), Label('out'), Mov.imm(R0, 0), Exit());
  return items;
}

/** Linked flavour: copies of a scalar moved by constants, one copy checked, another used. */
function genLink(seed: number): ProgramItem[] {
  const r = rng(seed * 1103515245 + 99);
  const pick = <T>(xs: readonly T[]): T => xs[r() % xs.length];
  const items: ProgramItem[] = [...gen(seed).slice(0, 13)];
  items.push(Mov.reg(R8, R7));
  if (r() % 2) items.push(ins(`ALU64_${pick(['ADD', 'SUB'])}_K`, { dst: R8, imm: pick([1, 4, 16, 100, -5]) }));
  if (r() % 3 === 0) items.push(Mov.reg(R9, R8));
  const n = 1 + (r() % 3);
  for (let k = 0; k < n; k++) {
    const reg = pick([R7, R8, R9]);
    if (r() % 4 === 0) items.push(ins(`JMP32_${pick(JMP)}_K`, { dst: reg, imm: pick(IMMS), target: 'out' }));
    else items.push(ins(`JMP_${pick(JMP)}_K`, { dst: reg, imm: pick(IMMS), target: 'out' }));
  }
  items.push(Add.reg(R6, pick([R7, R8, R9])), LoadMem(R0, R6, 0, 'B'), Exit(), Label('out'), Mov.imm(R0, 0), Exit());
  return items;
}

/** Extended flavour: negation, byte swaps, sign-extending moves and loads, signed division. */
function genExt(seed: number): ProgramItem[] {
  const r = rng(seed * 22695477 + 1);
  const pick = <T>(xs: readonly T[]): T => xs[r() % xs.length];
  const regs = [R7, R8, R9];
  const items: ProgramItem[] = [...gen(seed).slice(0, 13)];
  const n = 3 + (r() % 6);
  for (let k = 0; k < n; k++) {
    const d = pick(regs);
    switch (r() % 8) {
      case 0:
        items.push(ins(pick(['ALU_NEG', 'ALU64_NEG']), { dst: d }));
        break;
      case 1:
        items.push(ins(pick(['ALU_END_TO_LE', 'ALU_END_TO_BE', 'ALU64_BSWAP']) + `_${pick([16, 32, 64])}`, { dst: d }));
        break;
      case 2:
        items.push(ins(pick(['ALU64_MOVSX8_X', 'ALU64_MOVSX16_X', 'ALU64_MOVSX32_X', 'ALU_MOVSX8_X', 'ALU_MOVSX16_X']), { dst: d, src: pick(regs) }));
        break;
      case 3: {
        const w = pick(['ALU', 'ALU64']);
        const op = pick(['SDIV', 'SMOD']);
        if (r() % 2) items.push(ins(`${w}_${op}_X`, { dst: d, src: pick(regs) }));
        else items.push(ins(`${w}_${op}_K`, { dst: d, imm: pick(IMMS.filter((x) => x !== 0)) }));
        break;
      }
      case 4: {
        const size = pick(['B', 'H', 'W'] as const);
        items.push(ins('STX_MEM_DW', { dst: R10, src: pick(regs), off: -16 }), ins(`LDX_MEMSX_${size}`, { dst: d, src: R10, off: -16 }));
        break;
      }
      case 5:
        items.push(ins(`${pick(['ALU', 'ALU64'])}_${pick(['AND', 'RSH', 'ADD', 'MUL'])}_K`, { dst: d, imm: pick(IMMS.filter((x) => x !== 0)) }));
        break;
      default: {
        const j = `${r() % 3 === 0 ? 'JMP32' : 'JMP'}_${pick(JMP)}`;
        if (r() % 3 === 0) items.push(ins(`${j}_X`, { dst: d, src: pick(regs), target: 'out' }));
        else items.push(ins(`${j}_K`, { dst: d, imm: pick(IMMS), target: 'out' }));
      }
    }
  }
  const idx = pick(regs);
  // Half the programs bound the index with one more check, so more of them are accepted.
  if (r() % 2) items.push(ins(pick(['JMP_JGT_K', 'JMP_JSGT_K', 'JMP32_JGT_K']), { dst: idx, imm: 63, target: 'out' }));
  items.push(Add.reg(R6, idx), LoadMem(R0, R6, 0, 'B'), Exit(), Label('out'), Mov.imm(R0, 0), Exit());
  return items;
}

/**
 * Loop flavour: a counted loop whose body does random arithmetic and branches on an
 * accumulator and on spilled stack values, then indexes the map value. Probes state pruning
 * (which states are equivalent, which scalars are precise) and loop exploration.
 */
function genLoop(seed: number): ProgramItem[] {
  const r = rng(seed * 134775813 + 3);
  const pick = <T>(xs: readonly T[]): T => xs[r() % xs.length];
  const items: ProgramItem[] = [...gen(seed).slice(0, 13)];
  // r7: bound (constant or bounded random); r8: counter; r9: accumulator.
  if (r() % 2) items.push(Mov.imm(R7, pick([1, 4, 16, 33, 100])));
  else items.push(ins('ALU64_AND_K', { dst: R7, imm: pick([7, 31, 63, 255]) }));
  items.push(Mov.imm(R8, 0));
  if (r() % 2) items.push(Mov.imm(R9, pick([0, 1, 5])));
  if (r() % 3 === 0) items.push(ins('STX_MEM_DW', { dst: R10, src: R9, off: -16 }));
  items.push(Label('loop'));
  const n = 1 + (r() % 4);
  for (let k = 0; k < n; k++) {
    switch (r() % 6) {
      case 0:
        items.push(ins(`ALU64_${pick(['ADD', 'XOR', 'OR', 'AND'])}_X`, { dst: R9, src: R8 }));
        break;
      case 1:
        items.push(ins(`ALU64_${pick(['ADD', 'AND', 'RSH', 'MUL', 'OR'])}_K`, { dst: R9, imm: pick([1, 2, 3, 7, 63]) }));
        break;
      case 2:
        items.push(ins(`JMP_${pick(['JGT', 'JLT', 'JEQ', 'JSET', 'JSGT'])}_K`, { dst: R9, imm: pick([3, 15, 63, 64]), target: `skip${k}` }), ins('ALU64_ADD_K', { dst: R9, imm: pick([1, 8]) }), Label(`skip${k}`));
        break;
      case 3:
        items.push(ins('STX_MEM_DW', { dst: R10, src: R9, off: -16 }), ins('LDX_MEM_DW', { dst: R9, src: R10, off: -16 }));
        break;
      case 4:
        items.push(ins('LDX_MEM_DW', { dst: R0, src: R10, off: -16 }), ins('ALU64_ADD_X', { dst: R9, src: R0 }));
        break;
      default:
        items.push(ins('ALU64_MOV_X', { dst: R0, src: R9 }), ins('ALU64_AND_K', { dst: R0, imm: 7 }), ins('ALU64_ADD_X', { dst: R9, src: R0 }));
    }
  }
  items.push(ins('ALU64_ADD_K', { dst: R8, imm: pick([1, 1, 2]) }));
  const cmp = pick(['JLT', 'JLT', 'JNE', 'JLE', 'JSLT']);
  if (r() % 3 === 0) items.push(ins(`JMP_${cmp}_K`, { dst: R8, imm: pick([4, 10, 32]), target: 'loop' }));
  else items.push(ins(`JMP_${cmp}_X`, { dst: R8, src: R7, target: 'loop' }));
  if (r() % 2) items.push(ins('ALU64_AND_K', { dst: R9, imm: 63 }));
  else items.push(ins('JMP_JGT_K', { dst: R9, imm: 63, target: 'out' }));
  items.push(Add.reg(R6, R9), LoadMem(R0, R6, 0, 'B'), Exit(), Label('out'), Mov.imm(R0, 0), Exit());
  return items;
}

export const FUZZ_FIRST = Number(process.env.CHAINLAB_FUZZ_FIRST ?? 1);
export const FUZZ_COUNT = Number(process.env.CHAINLAB_FUZZ_COUNT ?? 200);
export const cases: AsmCase[] = [];
for (let s = FUZZ_FIRST; s < FUZZ_FIRST + FUZZ_COUNT; s++) cases.push({ name: `value_${s}`, rule: 'fuzz_bounds', progType: XDP, maps: [M.array('v64', 64, 1)], prog: program(...gen(s)) });
for (let s = FUZZ_FIRST; s < FUZZ_FIRST + FUZZ_COUNT / 2; s++) cases.push({ name: `stack_${s}`, rule: 'fuzz_stack', progType: XDP, maps: [M.array('v64', 64, 1)], prog: program(...genStack(s)) });
for (let s = FUZZ_FIRST; s < FUZZ_FIRST + FUZZ_COUNT / 2; s++) cases.push({ name: `link_${s}`, rule: 'fuzz_link', progType: XDP, maps: [M.array('v64', 64, 1)], prog: program(...genLink(s)) });
for (let s = FUZZ_FIRST; s < FUZZ_FIRST + FUZZ_COUNT / 2; s++) cases.push({ name: `ext_${s}`, rule: 'fuzz_ext', progType: XDP, maps: [M.array('v64', 64, 1)], prog: program(...genExt(s)) });
for (let s = FUZZ_FIRST; s < FUZZ_FIRST + FUZZ_COUNT / 4; s++) cases.push({ name: `loop_${s}`, rule: 'fuzz_loop', progType: XDP, maps: [M.array('v64', 64, 1)], prog: program(...genLoop(s)) });
/** Seeds that once showed a disagreement with the kernel (bounds contradictions, self-compares, sign-crossing s32 ranges). */
const REGRESSIONS = [1731, 3254, 10653, 13501, 15922, 22979, 27226, 50371];
if (FUZZ_FIRST === 1) for (const s of REGRESSIONS.filter((x) => x >= FUZZ_COUNT)) cases.push({ name: `value_${s}`, rule: 'fuzz_bounds', progType: XDP, maps: [M.array('v64', 64, 1)], prog: program(...gen(s)) });
/**
 * Loop seeds that disagree with the kernel (its loop pruning is not yet modelled, see README): 500333
 * (a 32-trip loop forking on r9 s> 63) exhausts the kernel's 1,000,000 instructions but chainlab
 * accepts it after ~100,000 — a false accept; 900025 and 900277 go the other way (false rejects).
 */
const LOOP_REGRESSIONS = [500333, 900025, 900277];
if (FUZZ_FIRST === 1) for (const s of LOOP_REGRESSIONS.filter((x) => x >= FUZZ_COUNT / 4)) cases.push({ name: `loop_${s}`, rule: 'fuzz_loop', progType: XDP, maps: [M.array('v64', 64, 1)], prog: program(...genLoop(s)) });
for (let s = FUZZ_FIRST; s < FUZZ_FIRST + FUZZ_COUNT / 2; s++) cases.push({ name: `pkt_${s}`, rule: 'fuzz_pkt', progType: XDP, prog: program(...genPkt(s)) });
