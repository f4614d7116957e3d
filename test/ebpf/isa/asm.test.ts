import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AsmError, assemble } from '../../../src/ebpf/isa/asm.ts';
import { disasm } from '../../../src/ebpf/isa/disasm.ts';
import { bytesToHex, encode } from '../../../src/ebpf/isa/insn.ts';
import { conformanceDir, dataSections, exists, readAssembled } from './helpers.ts';

const hexOf = (text: string): string => bytesToHex(encode(assemble(text)));

function errorOf(text: string): AsmError {
  try {
    assemble(text);
  } catch (e) {
    if (e instanceof AsmError) return e;
    throw e;
  }
  throw new Error(`assembled without error: ${text}`);
}

const haveCorpus = exists(path.join(conformanceDir, 'ASSEMBLED.jsonl'));
if (!haveCorpus) console.warn(`SKIP bpf_conformance corpus tests: ${conformanceDir} is missing`);

describe.skipIf(!haveCorpus)('bpf_conformance corpus', () => {
  // The suite body still runs when skipped; read nothing then.
  const dirs = haveCorpus ? [conformanceDir, path.join(conformanceDir, 'negative')] : [];
  if (!haveCorpus) it('needs ../shared/conformance', () => {});
  for (const dir of dirs) {
    const expected = readAssembled(dir);
    const files = readdirSync(dir).filter((f) => f.endsWith('.data')).sort();
    const cases = files.flatMap((file) => {
      const e = expected.get(file);
      const asm = dataSections(readFileSync(path.join(dir, file), 'utf8')).get('asm');
      return e && !e.skipped && asm !== undefined ? [{ file, e, asm }] : [];
    });

    describe(path.relative(conformanceDir, dir) || '.', () => {
      it('has an expectation for every file with an asm section', () => {
        expect(cases.length).toBeGreaterThan(0);
        for (const file of files) {
          const asm = dataSections(readFileSync(path.join(dir, file), 'utf8')).get('asm');
          if (asm !== undefined) expect(expected.has(file), file).toBe(true);
        }
      });

      it.each(cases)('$file', ({ e, asm }) => {
        if (e.assembler_error !== undefined) {
          const err = errorOf(asm);
          expect(err.message).toContain(e.assembler_error);
          expect(err.line).toBeGreaterThan(0);
        } else {
          expect(hexOf(asm)).toBe(e.code);
        }
      });

      // The corpus doubles as a round-trip corpus for both printers.
      it.each(cases.filter((c) => c.e.code !== undefined))('$file survives disasm → asm in both syntaxes', ({ e, asm }) => {
        const insns = assemble(asm);
        expect(hexOf(disasm(insns, { syntax: 'ubpf' }).join('\n'))).toBe(e.code);
        expect(hexOf(disasm(insns, { roundTrip: true }).join('\n'))).toBe(e.code);
        expect(hexOf(disasm(insns, { roundTrip: true, hex: true, alu32: true }).join('\n'))).toBe(e.code);
      });
    });
  }
});

describe('uBPF syntax', () => {
  it.each([
    ['mov32 %r0, 1', 'b400000001000000'],
    ['mov %r0, -1', 'b7000000ffffffff'],
    ['mov32 %r0, 0xffffffff', 'b4000000ffffffff'],
    ['add %r0, %r1', '0f10000000000000'],
    ['add64 %r0, 1', '0700000001000000'],
    ['neg64 %r2', '8702000000000000'],
    ['ldxw %r0, [%r1+4]', '6110040000000000'],
    ['ldxdw %r0, [%r1]', '7910000000000000'],
    ['ldxsb %r0, [%r1-2]', '9110feff00000000'],
    ['stxdw [%r10-8], %r1', '7b1af8ff00000000'],
    ['stw [%r1+2], 5', '6201020005000000'],
    ['stb [%r1+0xfffe], 5', '7201feff05000000'],
    ['jeq %r1, 0x11, +1', '1501010011000000'],
    ['jne32 %r1, %r2, -2', '5e21feff00000000'],
    ['ja +3', '0500030000000000'],
    ['ja32 -1', '06000000ffffffff'],
    ['call 5', '8500000005000000'],
    ['call helper 5', '8500000005000000'],
    ['call kfunc 7', '8520000007000000'],
    ['call runtime 7', '8520000007000000'],
    ['call %r2', '8d02000000000000'],
    ['callx %r2', '8d02000000000000'],
    ['lddw %r1, 0x1234567890', '18010000907856340000000012000000'],
    ['lddw %r1, -1', '18010000ffffffff00000000ffffffff'],
    ['lock add [%r10-8], %r1', 'db1af8ff00000000'],
    ['lock fetch xor32 [%r10-4], %r1', 'c31afcffa1000000'],
    ['lock xchg [%r10-8], %r1', 'db1af8ffe1000000'],
    ['lock cmpxchg32 [%r10-8], %r1', 'c31af8fff1000000'],
    ['le16 %r0', 'd400000010000000'],
    ['be32 %r0', 'dc00000020000000'],
    ['bswap64 %r0', 'd700000040000000'],
    ['swap16 %r0', 'd700000010000000'],
    ['sdiv %r0, %r1', '3f10010000000000'],
    ['smod32 %r0, 3', '9400010003000000'],
    ['movsx832 %r0, %r1', 'bc10080000000000'],
    ['movsx3264 %r0, %r1', 'bf10200000000000'],
    ['ldabsh 12', '280000000c000000'],
    ['ldindw %r1, 4', '4010000004000000'],
    ['exit', '9500000000000000'],
  ])('%s', (text, hex) => {
    expect(hexOf(text)).toBe(hex);
  });

  it('reads comments, blank lines, labels and call local', () => {
    const text = `
      # a comment line
      mov %r0, 0     # trailing comment
      call local fn ; another comment style
      ja done
      fn:
      mov %r0, 7
      exit
      done: exit
    `;
    const p = assemble(text);
    expect(p.map((i) => i.op.name)).toEqual(['ALU64_MOV_K', 'JMP_CALL_LOCAL', 'JMP_JA', 'ALU64_MOV_K', 'JMP_EXIT', 'JMP_EXIT']);
    expect(p[1].imm).toBe(1);
    expect(p[2].off).toBe(2);
  });

  it('counts LD_IMM64 as two slots when resolving labels', () => {
    const p = assemble('ja over\nlddw %r1, 0x100000000\nover:\nexit');
    expect(p[0].off).toBe(2);
    expect(p.map((i) => i.pc)).toEqual([0, 1, 3]);
  });

  it('resolves the default exit label to the first exit, as bpf_conformance does', () => {
    const p = assemble('jeq %r1, 0, exit\nmov %r0, 1\nexit\nexit');
    expect(p[0].off).toBe(1);
  });

  it('takes predefined labels from options', () => {
    expect(assemble('call local helper_fn', { labels: { helper_fn: 10 } })[0].imm).toBe(9);
  });

  it.each([
    ['mov32 %r0, 2147483648', 'Immediate out of 32-bit range: 2147483648', 1],
    ['mov32 %r0, 0x100000000', 'Immediate out of 32-bit range: 0x100000000', 1],
    ['mov %r0, -2147483649', 'Immediate out of 32-bit range: -2147483649', 1],
    ['exit\nja NOT_A_LABEL', 'Invalid label: NOT_A_LABEL', 2],
    ['lock or [%r10-8]', 'Invalid number of operands for mnemonic: or', 1],
    ['lock', 'Invalid number of operands for lock', 1],
    ['ldxq %r0, %r1', 'Invalid mnemonic: ldxq', 1],
    ['ldxb %r0, %r1', 'Failed to decode register and offset: %r1', 1],
    ['ldxb %r0, [%r1+0x10000]', 'Offset out of 16-bit range: +0x10000]', 1],
    ['ldxb %r0, [%r1-32769]', 'Offset out of 16-bit range: -32769]', 1],
    ['lddw %r0', 'Invalid number of operands for mnemonic: lddw', 1],
    ['\n\nor %r0, %r50', 'Invalid register: %r50', 3],
    ['mov %r11, 1', 'Invalid register: %r11', 1],
    ['lddw %r1, 0x10000000000000000', 'Immediate out of 64-bit range: 0x10000000000000000', 1],
    ['a:\na:\nexit', 'Duplicate label: a', 2],
    ['call foo bar', 'Invalid call mode', 1],
    ['mov %r0', 'Invalid number of operands for mnemonic: mov', 1],
  ])('%j fails with %j', (text, message, line) => {
    const err = errorOf(text);
    expect(err.message).toContain(message);
    expect(err.line).toBe(line);
    expect(err.name).toBe('AsmError');
  });
});

describe('llvm syntax', () => {
  it.each([
    ['r1 = *(u32 *)(r1 + 4)', '6111040000000000'],
    ['w1 = *(u32 *)(r1 + 0x4)', '6111040000000000'],
    ['*(u64 *)(r10 - 8) = r1', '7b1af8ff00000000'],
    ['*(u16 *)(r10 - 8) = w1', '6b1af8ff00000000'],
    ['*(u32 *)(r10 - 4) = 5', '620afcff05000000'],
    ['if r1 == 17 goto +1', '1501010011000000'],
    ['if w1 s> w2 goto -3', '6e21fdff00000000'],
    ['if r1 & 0x4 goto +0', '4501000004000000'],
    ['goto +5', '0500050000000000'],
    ['gotol -0x5', '06000000fbffffff'],
    ['r1 = 0 ll', '18010000000000000000000000000000'],
    ['r1 = 1234 ll', '18010000d20400000000000000000000'],
    ['r1 = -1 ll', '18010000ffffffff00000000ffffffff'],
    ['r1 = 0xffffffffffffffff ll', '18010000ffffffff00000000ffffffff'],
    ['ld_pseudo r1, 1, 5', '18110000050000000000000000000000'],
    ['ld_pseudo\tr1, 0x2, 0xfffffffb, 8', '18210000fbffffff0000000008000000'],
    ['call 12', '850000000c000000'],
    ['call -3', '85000000fdffffff'],
    ['call local -3', '85100000fdffffff'],
    ['call kfunc 12', '852000000c000000'],
    ['callx r2', '8d02000000000000'],
    ['exit', '9500000000000000'],
    ['w0 = w1', 'bc10000000000000'],
    ['r0 = 0xffffffff', 'b7000000ffffffff'],
    ['r0 += 5', '0700000005000000'],
    ['w0 += -3', '04000000fdffffff'],
    ['w0 -= -0x3', '14000000fdffffff'],
    ['r0 s/= r1', '3f10010000000000'],
    ['r0 s%= 3', '9700010003000000'],
    ['r0 s>>= r1', 'cf10000000000000'],
    ['r0 = -r0', '8700000000000000'],
    ['w0 = -w0', '8400000000000000'],
    ['r0 = be16 r0', 'dc00000010000000'],
    ['r0 = le32 r0', 'd400000020000000'],
    ['r0 = bswap64 r0', 'd700000040000000'],
    ['r0 = (s8)r1', 'bf10080000000000'],
    ['w0 = (s16)w1', 'bc10100000000000'],
    ['r0 = *(s8 *)(r1 + 2)', '9110020000000000'],
    ['lock *(u64 *)(r10 - 8) += r1', 'db1af8ff00000000'],
    ['lock *(u32 *)(r10 - 8) ^= w1', 'c31af8ffa0000000'],
    ['lock *(u32 *)(r10 - 8) |= r1', 'c31af8ff40000000'],
    ['r1 = atomic_fetch_add((u64 *)(r10 - 8), r1)', 'db1af8ff01000000'],
    ['w1 = atomic_fetch_and((u32 *)(r10 - 4), w1)', 'c31afcff51000000'],
    ['r1 = xchg_64(r10 - 8, r1)', 'db1af8ffe1000000'],
    ['w1 = xchg32_32(r10 - 4, w1)', 'c31afcffe1000000'],
    ['r0 = cmpxchg_64(r10 - 8, r0, r1)', 'db1af8fff1000000'],
    ['w0 = cmpxchg32_32(r10 - 4, w0, w1)', 'c31afcfff1000000'],
    ['r0 = *(u8 *)skb[12]', '300000000c000000'],
    ['r0 = *(u16 *)skb[r1]', '4810000000000000'],
    ['r0 = *(u16 *)skb[r1 + 4]', '4810000004000000'],
    ['r0 = *(u32 *)skb[r1 - 4]', '40100000fcffffff'],
  ])('%s', (text, hex) => {
    expect(hexOf(text)).toBe(hex);
  });

  it('reads llvm-objdump output: addresses, bytes, headers, notes, relocations and source lines', () => {
    const dump = `
p.o:	file format elf64-bpf

Disassembly of section xdp:

0000000000000000 <xdp_prog>:
; SEC("xdp") int xdp_prog(struct xdp_md *ctx) {
       0:	b4 00 00 00 01 00 00 00	w0 = 1
       1:	2d 21 03 00 00 00 00 00	if r1 > r2 goto +3 <LBB0_4>
       2:	18 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00	r1 = 0 ll
		0000000000000010:  R_BPF_64_64	my_map
       4:	c3 1a fc ff 51 00 00 00	<unknown>

0000000000000028 <LBB0_4>:
       5:	95 00 00 00 00 00 00 00	exit
`;
    const p = assemble(dump);
    expect(bytesToHex(encode(p))).toBe('b4000000010000002d2103000000000018010000000000000000000000000000c31afcff510000009500000000000000');
  });

  it('resolves labels in llvm syntax, both jump forms and calls', () => {
    const p = assemble(`
      start:
        if r1 > r2 goto out
        gotol start
        call fn
      out:
        exit
      fn:
        r0 = 0
        exit`);
    expect(p[0].off).toBe(2);
    expect(p[1].imm).toBe(-2);
    expect(p[2].op.name).toBe('JMP_CALL_LOCAL');
    expect(p[2].imm).toBe(1);
  });

  it('skips clang -S directives', () => {
    const p = assemble('\t.text\n\t.globl\tf\nf:\n\tr0 = 0\n.Ltmp0:\n\texit\n');
    expect(p).toHaveLength(2);
  });

  it.each([
    ['r0 = w1', 'Mixed w and r registers'],
    ['w0 = *(u64 *)(r1 + 0)', 'Invalid register: w0'],
    ['r1 = *(u32 *)(r1 + 40000)', 'Offset out of 16-bit range'],
    ['r0 += 4294967296', 'Immediate out of 32-bit range: 4294967296'],
    ['r11 = 1', 'Invalid register: r11'],
    ['r0 = r1 + r2', 'Invalid instruction'],
    ['w1 = atomic_fetch_add((u32 *)(r10 - 4), w2)', 'returns into its source register'],
    ['r1 = cmpxchg_64(r10 - 8, r1, r2)', 'cmpxchg uses r0'],
    ['r0 = 1\n<unknown>', 'Cannot assemble <unknown>'],
  ])('%j fails with %j', (text, message) => {
    expect(errorOf(text).message).toContain(message);
  });
});
