import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assemble } from '../../../src/ebpf/isa/asm.ts';
import { disasm, disasmInsn, formatObjdump, type DisasmOptions, type LlvmRelease, type ObjdumpOptions } from '../../../src/ebpf/isa/disasm.ts';
import { bytesToHex, decode, encode, layout, make, type Insn } from '../../../src/ebpf/isa/insn.ts';
import { OPS, opByName } from '../../../src/ebpf/isa/opcodes.ts';
import { fixturesDir, llvmMajor, objdumpSections, readElf, representatives, run } from './helpers.ts';

const hexOf = (insns: readonly Insn[]): string => bytesToHex(encode(insns));
const one = (text: string): Insn => assemble(text)[0];

describe('llvm syntax', () => {
  // uBPF input → llvm-objdump's spelling (LLVM 19 with --no-print-imm-hex), then hex and alu32.
  it.each([
    ['ldxw %r1, [%r1+4]', 'r1 = *(u32 *)(r1 + 4)', 'w1 = *(u32 *)(r1 + 0x4)'],
    ['ldxdw %r1, [%r1+4]', 'r1 = *(u64 *)(r1 + 4)', 'r1 = *(u64 *)(r1 + 0x4)'],
    ['stxdw [%r10-8], %r1', '*(u64 *)(r10 - 8) = r1', '*(u64 *)(r10 - 0x8) = r1'],
    ['stxb [%r10-8], %r1', '*(u8 *)(r10 - 8) = r1', '*(u8 *)(r10 - 0x8) = w1'],
    ['stw [%r10-4], 5', '*(u32 *)(r10 - 4) = 5', '*(u32 *)(r10 - 0x4) = 0x5'],
    ['stw [%r10-4], -1', '*(u32 *)(r10 - 4) = -1', '*(u32 *)(r10 - 0x4) = -0x1'],
    ['jeq %r1, 17, +1', 'if r1 == 17 goto +1', 'if r1 == 0x11 goto +0x1'],
    ['jsgt32 %r1, %r2, -3', 'if w1 s> w2 goto -3', 'if w1 s> w2 goto -0x3'],
    ['jset %r1, 4, +0', 'if r1 & 4 goto +0', 'if r1 & 0x4 goto +0x0'],
    ['ja +5', 'goto +5', 'goto +0x5'],
    ['ja32 +5', 'gotol +5', 'gotol +0x5'],
    ['lddw %r1, 0', 'r1 = 0 ll', 'r1 = 0x0 ll'],
    ['lddw %r1, 1234', 'r1 = 1234 ll', 'r1 = 0x4d2 ll'],
    ['lddw %r1, 0xffffffffffffffff', 'r1 = -1 ll', 'r1 = -0x1 ll'],
    ['lddw %r1, 0x8000000000000000', 'r1 = -9223372036854775808 ll', 'r1 = -0x8000000000000000 ll'],
    ['call 12', 'call 12', 'call 0xc'],
    ['call local -3', 'call -3', 'call -0x3'],
    ['exit', 'exit', 'exit'],
    ['mov32 %r0, %r1', 'w0 = w1', 'w0 = w1'],
    ['mov32 %r0, 0xffffffff', 'w0 = -1', 'w0 = -0x1'],
    ['mov %r0, -2147483648', 'r0 = -2147483648', 'r0 = -0x80000000'],
    ['add %r0, 5', 'r0 += 5', 'r0 += 0x5'],
    ['add32 %r0, -3', 'w0 += -3', 'w0 += -0x3'],
    ['sdiv %r0, %r1', 'r0 s/= r1', 'r0 s/= r1'],
    ['smod %r0, 3', 'r0 s%= 3', 'r0 s%= 0x3'],
    ['mod32 %r0, %r1', 'w0 %= w1', 'w0 %= w1'],
    ['arsh %r0, 1', 'r0 s>>= 1', 'r0 s>>= 0x1'],
    ['neg %r0', 'r0 = -r0', 'r0 = -r0'],
    ['neg32 %r0', 'w0 = -w0', 'w0 = -w0'],
    ['be16 %r0', 'r0 = be16 r0', 'r0 = be16 r0'],
    ['le32 %r0', 'r0 = le32 r0', 'r0 = le32 r0'],
    ['bswap64 %r0', 'r0 = bswap64 r0', 'r0 = bswap64 r0'],
    ['movsx864 %r0, %r1', 'r0 = (s8)r1', 'r0 = (s8)r1'],
    ['movsx1632 %r0, %r1', 'w0 = (s16)w1', 'w0 = (s16)w1'],
    ['ldxsb %r0, [%r1+2]', 'r0 = *(s8 *)(r1 + 2)', 'r0 = *(s8 *)(r1 + 0x2)'],
    ['lock add [%r10-8], %r1', 'lock *(u64 *)(r10 - 8) += r1', 'lock *(u64 *)(r10 - 0x8) += r1'],
    ['lock add32 [%r10-8], %r1', 'lock *(u32 *)(r10 - 8) += r1', 'lock *(u32 *)(r10 - 0x8) += w1'],
    ['lock fetch add [%r10-8], %r1', 'r1 = atomic_fetch_add((u64 *)(r10 - 8), r1)', 'r1 = atomic_fetch_add((u64 *)(r10 - 0x8), r1)'],
    ['lock fetch and32 [%r10-4], %r1', 'w1 = atomic_fetch_and((u32 *)(r10 - 4), w1)', 'w1 = atomic_fetch_and((u32 *)(r10 - 0x4), w1)'],
    ['lock xchg [%r10-8], %r1', 'r1 = xchg_64(r10 - 8, r1)', 'r1 = xchg_64(r10 - 0x8, r1)'],
    ['lock xchg32 [%r10-4], %r1', 'w1 = xchg32_32(r10 - 4, w1)', 'w1 = xchg32_32(r10 - 0x4, w1)'],
    ['lock cmpxchg [%r10-8], %r1', 'r0 = cmpxchg_64(r10 - 8, r0, r1)', 'r0 = cmpxchg_64(r10 - 0x8, r0, r1)'],
    ['lock cmpxchg32 [%r10-4], %r1', 'w0 = cmpxchg32_32(r10 - 4, w0, w1)', 'w0 = cmpxchg32_32(r10 - 0x4, w0, w1)'],
    ['ldabsb 12', 'r0 = *(u8 *)skb[12]', 'r0 = *(u8 *)skb[0xc]'],
    ['ldindh %r1, 0', 'r0 = *(u16 *)skb[r1]', 'r0 = *(u16 *)skb[r1]'],
    ['callx %r2', 'callx r2', 'callx r2'],
    ['ld_pseudo %r1, 1, 4294967291', 'ld_pseudo\tr1, 1, 4294967291', 'ld_pseudo\tr1, 0x1, 0xfffffffb'],
  ])('%s → %s', (ubpf, llvm, llvmHexAlu32) => {
    const insn = one(ubpf);
    expect(disasmInsn(insn)).toBe(llvm);
    expect(disasmInsn(insn, { hex: true, alu32: true })).toBe(llvmHexAlu32);
  });

  it('reproduces LLVM 14 gaps only when asked', () => {
    const cases: [string, string, string][] = [
      ['stw [%r10-4], 5', '<unknown>', '*(u32 *)(r10 - 4) = 5'],
      ['mod %r0, %r1', '<unknown>', 'r0 %= r1'],
      ['jset32 %r0, 1, +1', '<unknown>', 'if w0 & 1 goto +1'],
      ['sdiv %r0, %r1', 'r0 /= r1', 'r0 s/= r1'],
      ['movsx864 %r0, %r1', 'r0 = r1', 'r0 = (s8)r1'],
      ['bswap16 %r0', '<unknown>', 'r0 = bswap16 r0'],
      ['ldxsh %r0, [%r1-2]', '<unknown>', 'r0 = *(s16 *)(r1 - 2)'],
      ['ja32 +5', '<unknown>', 'gotol +5'],
      ['lock fetch or32 [%r10-4], %r1', '<unknown>', 'w1 = atomic_fetch_or((u32 *)(r10 - 4), w1)'],
      ['lock xor32 [%r10-4], %r1', '<unknown>', 'lock *(u32 *)(r10 - 4) ^= w1'],
    ];
    for (const [ubpf, v14, modern] of cases) {
      expect(disasmInsn(one(ubpf), { llvm: 14 }), ubpf).toBe(v14);
      expect(disasmInsn(one(ubpf)), ubpf).toBe(modern);
    }
    // LLVM 14 read callx's register from imm.
    expect(disasmInsn(make(opByName('JMP_CALLX'), { dst: 2 }), { llvm: 14 })).toBe('callx r0');
    // Without alu32 both releases read fetch_add32 as the legacy xadd and know no other 32-bit atomic.
    expect(disasmInsn(one('lock fetch add32 [%r10-4], %r1'), { llvm: 19 })).toBe('lock *(u32 *)(r10 - 4) += r1');
    expect(disasmInsn(one('lock xchg32 [%r10-4], %r1'), { llvm: 19 })).toBe('<unknown>');
    expect(disasmInsn(one('lock xchg32 [%r10-4], %r1'), { llvm: 19, alu32: true })).toBe('w1 = xchg32_32(r10 - 4, w1)');
  });

  it('marks what llvm drops only with roundTrip', () => {
    expect(disasmInsn(one('call local -3'), { roundTrip: true })).toBe('call local -3');
    expect(disasmInsn(one('call kfunc 7'), { roundTrip: true })).toBe('call kfunc 7');
    expect(disasmInsn(one('call kfunc 7'))).toBe('call 7');
    expect(disasmInsn(one('ldindw %r1, -4'))).toBe('r0 = *(u32 *)skb[r1]');
    expect(disasmInsn(one('ldindw %r1, -4'), { roundTrip: true })).toBe('r0 = *(u32 *)skb[r1 - 4]');
    expect(disasmInsn(one('ld_pseudo r1, 2, 5, 8'))).toBe('ld_pseudo\tr1, 2, 5');
    expect(disasmInsn(one('ld_pseudo r1, 2, 5, 8'), { roundTrip: true })).toBe('ld_pseudo\tr1, 2, 5, 8');
  });
});

describe('uBPF syntax', () => {
  it.each([
    ['w0 = 1', 'mov32 %r0, 1'],
    ['r1 = *(u32 *)(r1 + 4)', 'ldxw %r1, [%r1+4]'],
    ['r1 = *(u32 *)(r1 + 0)', 'ldxw %r1, [%r1]'],
    ['*(u64 *)(r10 - 8) = r1', 'stxdw [%r10-8], %r1'],
    ['if r1 == 17 goto +1', 'jeq %r1, 17, +1'],
    ['if w1 s< w2 goto -1', 'jslt32 %r1, %r2, -1'],
    ['r1 = atomic_fetch_add((u64 *)(r10 - 8), r1)', 'lock fetch add [%r10-8], %r1'],
    ['r1 = 0x1234567890 ll', 'lddw %r1, 0x1234567890'],
    ['r1 = -1 ll', 'lddw %r1, 0xffffffffffffffff'],
    ['call local +2', 'call local +2'],
    ['call kfunc 3', 'call kfunc 3'],
    ['gotol -4', 'ja32 -4'],
    ['r0 = bswap32 r0', 'bswap32 %r0'],
    ['w0 = (s8)w1', 'movsx832 %r0, %r1'],
    ['r0 = *(u16 *)skb[r1 + 2]', 'ldindh %r1, 2'],
    ['r0 = *(u32 *)skb[3]', 'ldabsw 3'],
  ])('%s → %s', (llvm, ubpf) => {
    expect(disasmInsn(one(llvm), { syntax: 'ubpf' })).toBe(ubpf);
  });
});

describe('round trip over the opcode table', () => {
  // What llvm's own syntax cannot carry; everything else must survive it unchanged.
  const lossyInLlvm = (i: Insn): boolean =>
    i.op.kind === 'call_local' || i.op.kind === 'call_kfunc' || (i.op.kind === 'ldind' && i.imm !== 0) || (i.op.kind === 'lddw' && i.src !== 0 && (i.imm2 ?? 0) !== 0);
  const modes: [string, DisasmOptions][] = [
    ['llvm roundTrip', { roundTrip: true }],
    ['llvm roundTrip hex', { roundTrip: true, hex: true }],
    ['llvm roundTrip alu32', { roundTrip: true, alu32: true }],
    ['llvm roundTrip hex alu32', { roundTrip: true, hex: true, alu32: true }],
    ['ubpf', { syntax: 'ubpf' }],
  ];
  const cases = OPS.map((op) => ({ name: op.name, insns: representatives(op) }));

  it('covers every op', () => {
    expect(cases.length).toBe(OPS.length);
    for (const c of cases) expect(c.insns.length, c.name).toBeGreaterThan(0);
  });

  for (const [mode, opts] of modes) {
    it.each(cases)(`${mode}: $name`, ({ insns }) => {
      for (const insn of insns) {
        const text = disasmInsn(insn, opts);
        const back = assemble(text);
        expect(back, text).toHaveLength(1);
        expect(hexOf(back), text).toBe(hexOf([insn]));
        expect(back[0].op.name, text).toBe(insn.op.name);
      }
    });
  }

  it.each(cases)('plain llvm syntax is lossless except where llvm is: $name', ({ insns }) => {
    for (const insn of insns) {
      const text = disasmInsn(insn);
      const back = assemble(text)[0];
      if (lossyInLlvm(insn)) {
        expect(back.op.code, text).toBe(insn.op.code);
      } else {
        expect(hexOf([back]), text).toBe(hexOf([insn]));
      }
    }
  });

  it('decodes what it prints: disasm of decode(encode(p)) equals disasm of p', () => {
    const all = layout(cases.flatMap((c) => c.insns));
    expect(disasm(decode(encode(all)))).toEqual(disasm(all));
  });
});

describe('formatObjdump', () => {
  const prog = assemble(`
    r1 = 0 ll
    if r1 > 4 goto +1
    call 1
    r0 = 0
    exit`);

  it('prints llvm-objdump -d lines with the section symbol when nothing else is named', () => {
    expect(formatObjdump(prog)).toEqual([
      '0000000000000000 <.text>:',
      '       0:\t18 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00\tr1 = 0 ll',
      '       2:\t25 01 01 00 04 00 00 00\tif r1 > 4 goto +1 <.text+0x20>',
      '       3:\t85 00 00 00 01 00 00 00\tcall 1',
      '       4:\tb7 00 00 00 00 00 00 00\tr0 = 0',
      '       5:\t95 00 00 00 00 00 00 00\texit',
    ]);
  });

  it('prints symbols, relocations (-r), source lines (-S) and hides bytes on request', () => {
    const names = new Map([
      [0, 'xdp_prog'],
      [5, 'LBB0_2'],
    ]);
    const lines = formatObjdump(prog, {
      names: (pc) => names.get(pc),
      relocs: (pc) => (pc === 0 ? 'R_BPF_64_64\tmy_map' : undefined),
      lines: (pc) => (pc === 2 ? '  if (x > 4)' : undefined),
      rawInsn: false,
      hex: true,
    });
    expect(lines).toEqual([
      '0000000000000000 <xdp_prog>:',
      '       0:\tr1 = 0x0 ll',
      '\t\t0000000000000000:  R_BPF_64_64\tmy_map',
      ';   if (x > 4)',
      '       2:\tif r1 > 0x4 goto +0x1 <xdp_prog+0x20>',
      '       3:\tcall 0x1',
      '       4:\tr0 = 0x0',
      '',
      '0000000000000028 <LBB0_2>:',
      '       5:\texit',
    ]);
  });

  it('names jump targets relative to the nearest symbol at or before them', () => {
    const p = assemble('goto +1\nexit\nexit\ngoto -5');
    const names = new Map([[2, 'b']]);
    expect(formatObjdump(p, { names: (pc) => names.get(pc), rawInsn: false })).toEqual([
      '0000000000000000 <.text>:',
      '       0:\tgoto +1 <b>',
      '       1:\texit',
      '',
      '0000000000000010 <b>:',
      '       2:\texit',
      '       3:\tgoto -5 <b+0xffffffffffffffe8>',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Against the real llvm-objdump.

interface Objdump {
  cmd: string;
  release: LlvmRelease;
}

function findObjdumps(): Objdump[] {
  const out: Objdump[] = [];
  for (const cmd of ['llvm-objdump', 'llvm-objdump-14', 'llvm-objdump-19']) {
    const v = llvmMajor(cmd);
    if ((v === 14 || v === 19) && !out.some((o) => o.release === v)) out.push({ cmd, release: v });
  }
  return out;
}

/** llvm-objdump flag sets and the options that reproduce them. */
function modesOf(release: LlvmRelease): { flags: string[]; opts: ObjdumpOptions }[] {
  const hex = release >= 19;
  const modes: { flags: string[]; opts: ObjdumpOptions }[] = [
    { flags: [], opts: { llvm: release, hex } },
    { flags: ['--no-show-raw-insn'], opts: { llvm: release, hex, rawInsn: false } },
    { flags: ['--mattr=+alu32'], opts: { llvm: release, hex, alu32: true } },
  ];
  if (hex) modes.push({ flags: ['--no-print-imm-hex'], opts: { llvm: release, hex: false } });
  return modes;
}

const objdumps = findObjdumps();
const mc = ['llvm-mc-19', 'llvm-mc', 'llvm-mc-14'].find((c) => llvmMajor(c) !== undefined);
const tmp = mkdtempSync(path.join(tmpdir(), 'chainlab-disasm-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

if (objdumps.length === 0) console.warn('SKIP llvm-objdump comparisons: no llvm-objdump 14 or 19 on PATH');
if (!mc) console.warn('SKIP llvm-objdump comparison of every opcode: llvm-mc is not on PATH');

/** Compare every objdump section with formatObjdump over the same bytes, symbols and relocations. */
function compareWithObjdump(obj: string, od: Objdump): void {
  const elf = readElf(readFileSync(obj));
  for (const { flags, opts } of modesOf(od.release)) {
    const dumped = objdumpSections(run(od.cmd, ['-d', '-r', ...flags, obj]));
    expect(dumped.size).toBeGreaterThan(0);
    for (const [name, expected] of dumped) {
      const section = elf.byName(name);
      if (!section) throw new Error(`no section ${name} in ${obj}`);
      const labels = elf.labels(section);
      const relocs = elf.relocs(section);
      const ours = formatObjdump(decode(section.bytes), {
        ...opts,
        section: name,
        names: (pc) => labels.get(pc * 8),
        relocs: (pc) => relocs.get(pc * 8),
      });
      expect(ours, `${od.cmd} ${flags.join(' ')} section ${name}`).toEqual(expected);
    }
  }
}

describe.skipIf(objdumps.length === 0 || !mc)('every opcode against llvm-objdump', () => {
  it.each(objdumps)('$cmd', (od: Objdump) => {
    const insns = layout(OPS.flatMap((op) => representatives(op)));
    const bytes = encode(insns);
    const lines = ['.text'];
    for (let i = 0; i < bytes.length; i += 8) lines.push(`.byte ${Array.from(bytes.subarray(i, i + 8)).join(', ')}`);
    const src = path.join(tmp, `all-${od.release}.s`);
    const obj = path.join(tmp, `all-${od.release}.o`);
    writeFileSync(src, lines.join('\n') + '\n');
    run(mc!, ['-triple', 'bpfel', '-filetype=obj', src, '-o', obj]);
    compareWithObjdump(obj, od);
  });
});

interface Build {
  cc: string;
  source: string;
  cpu: string;
}

const builds: Build[] = [
  { cc: 'clang', source: 'disasm_v3.c', cpu: 'v3' },
  { cc: 'clang-19', source: 'disasm_v3.c', cpu: 'v3' },
  { cc: 'clang-19', source: 'disasm_v4.c', cpu: 'v4' },
].filter((b) => {
  const v = llvmMajor(b.cc);
  if (v === undefined) console.warn(`SKIP ${b.source} -mcpu=${b.cpu}: ${b.cc} is not on PATH`);
  // cpu v4 needs clang 18 or newer.
  return v !== undefined && (b.cpu !== 'v4' || v >= 18);
});

describe.skipIf(builds.length === 0 || objdumps.length === 0)('clang-built objects against llvm-objdump', () => {
  for (const { cc, source, cpu } of builds) {
    for (const od of objdumps) {
      it(`${cc} -mcpu=${cpu} ${source} | ${od.cmd}`, () => {
        const obj = path.join(tmp, `${path.basename(source, '.c')}-${cc}.o`);
        run(cc, ['-O2', '-g', '-target', 'bpf', `-mcpu=${cpu}`, '-I/usr/include/x86_64-linux-gnu', '-c', path.join(fixturesDir, source), '-o', obj]);
        compareWithObjdump(obj, od);
      });
    }
  }
});
