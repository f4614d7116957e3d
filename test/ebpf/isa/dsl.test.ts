import { describe, expect, it } from 'vitest';
import { assemble } from '../../../src/ebpf/isa/asm.ts';
import {
  Add,
  Add32,
  And,
  ArSh32,
  Atomic,
  BSwap,
  Call,
  CallKfunc,
  CallLocal,
  CallX,
  Div,
  Exit,
  ins,
  Ja,
  Ja32,
  JEq,
  JGT,
  JNE32,
  JSet,
  JSLE32,
  Label,
  LoadAbs,
  LoadImm64,
  LoadInd,
  LoadMapFd,
  LoadMapValue,
  LoadMem,
  LoadMemSX,
  LSh,
  Mod32,
  Mov,
  Mov32,
  MovSX,
  MovSX32,
  Neg,
  Neg32,
  program,
  R0,
  R1,
  R10,
  R2,
  R3,
  Return,
  RFP,
  SDiv,
  SMod32,
  StoreImm,
  StoreMem,
  Sub,
  ToBE,
  ToLE,
  Xor32,
  type Item,
} from '../../../src/ebpf/isa/dsl.ts';
import { bytesToHex, decode, encode, imm64 } from '../../../src/ebpf/isa/insn.ts';
import { BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_VALUE, OPS } from '../../../src/ebpf/isa/opcodes.ts';

const hex = (insns: Parameters<typeof encode>[0]): string => bytesToHex(encode(insns));

describe('label resolution', () => {
  it('resolves forward jumps counting LD_IMM64 as two slots', () => {
    const p = program(
      Mov.imm(R0, 0), // 0
      JEq.imm(R1, 0, 'out'), // 1
      LoadImm64(R2, 0x1234567890n), // 2-3
      Add.reg(R0, R2), // 4
      Label('out'),
      Exit(), // 5
    );
    expect(p.map((i) => i.pc)).toEqual([0, 1, 2, 4, 5]);
    expect(p[1].off).toBe(3);
    expect(p.labels.get('out')).toBe(5);
    expect(imm64(p[2])).toBe(0x1234567890n);
  });

  it('resolves backward jumps and labels attached to instructions', () => {
    const p = program(
      Mov.imm(R1, 10),
      Sub.imm(R1, 1).label('loop'),
      LoadImm64(R3, -1),
      JGT.imm(R1, 0, 'loop'),
      Exit(),
    );
    // jgt at slot 4 → loop at slot 1: 1 - 4 - 1.
    expect(p[3].pc).toBe(4);
    expect(p[3].off).toBe(-4);
    expect(imm64(p[2])).toBe(0xffff_ffff_ffff_ffffn);
  });

  it('puts gotol and bpf-to-bpf call targets in imm', () => {
    const p = program(
      CallLocal('fn'), // 0
      Ja32('end'), // 1
      LoadImm64(R0, 1), // 2-3
      Label('fn'),
      Mov.imm(R0, 2), // 4
      Label('end'),
      Exit(), // 5
    );
    expect(p[0].op.name).toBe('JMP_CALL_LOCAL');
    expect(p[0].imm).toBe(3);
    expect(p[1].imm).toBe(3);
    expect(p[1].off).toBe(0);
  });

  it('takes raw slot offsets as targets', () => {
    const p = program(JEq.reg(R1, R2, 1), Ja(-2), Exit());
    expect([p[0].off, p[1].off]).toEqual([1, -2]);
  });

  it('flattens nested item lists so fragments compose', () => {
    const prologue = [Mov.imm(R0, 0), Label('top')];
    const p = program(prologue, [Add.imm(R0, 1), JNE32.imm(R0, 3, 'top')], Exit());
    expect(p[2].off).toBe(-2);
  });

  it('records map references by slot', () => {
    const p = program(Mov.imm(R0, 0), LoadMapFd(R1, 'counters'), LoadMapValue(R2, 'config', 16), Exit());
    expect(p.references).toEqual(new Map([[1, 'counters'], [3, 'config']]));
    expect(p[1].src).toBe(BPF_PSEUDO_MAP_FD);
    expect(p[2].src).toBe(BPF_PSEUDO_MAP_VALUE);
    expect(p[2].imm2).toBe(16);
  });

  it('refuses unknown and duplicate labels and jumps beyond 16 bits', () => {
    expect(() => program(Ja('nowhere'), Exit())).toThrow(/unknown label nowhere/);
    expect(() => program(Label('a'), Exit(), Label('a'), Exit())).toThrow(/label a defined twice/);
    const far = Array.from({ length: 40000 }, () => Mov.imm(R0, 0));
    expect(() => program(Ja('end'), far, Label('end'), Exit())).toThrow(/does not fit 16 bits; use Ja32/);
    expect(program(Ja32('end'), far, Label('end'), Exit())[0].imm).toBe(40000);
  });
});

describe('builders', () => {
  it.each<[Item, string]>([
    [Add.imm(R1, 22), 'ALU64_ADD_K'],
    [Add.reg(R1, R2), 'ALU64_ADD_X'],
    [Add32.imm(R1, 22), 'ALU_ADD_K'],
    [Mov.imm(R0, 1), 'ALU64_MOV_K'],
    [Mov.reg(R0, R1), 'ALU64_MOV_X'],
    [Mov32.reg(R0, R1), 'ALU_MOV_X'],
    [Div.reg(R0, R1), 'ALU64_DIV_X'],
    [SDiv.imm(R0, 3), 'ALU64_SDIV_K'],
    [SMod32.reg(R0, R1), 'ALU_SMOD_X'],
    [Mod32.imm(R0, 7), 'ALU_MOD_K'],
    [And.imm(R0, 1), 'ALU64_AND_K'],
    [LSh.imm(R0, 2), 'ALU64_LSH_K'],
    [ArSh32.reg(R0, R1), 'ALU_ARSH_X'],
    [Xor32.imm(R0, 1), 'ALU_XOR_K'],
    [Neg(R0), 'ALU64_NEG'],
    [Neg32(R0), 'ALU_NEG'],
    [MovSX(R0, R1, 32), 'ALU64_MOVSX32_X'],
    [MovSX32(R0, R1, 8), 'ALU_MOVSX8_X'],
    [ToLE(R0, 16), 'ALU_END_TO_LE_16'],
    [ToBE(R0, 64), 'ALU_END_TO_BE_64'],
    [BSwap(R0, 32), 'ALU64_BSWAP_32'],
    [JSet.imm(R0, 1, 0), 'JMP_JSET_K'],
    [JSLE32.reg(R0, R1, 0), 'JMP32_JSLE_X'],
    [Call(1), 'JMP_CALL'],
    [CallKfunc(77), 'JMP_CALL_KFUNC'],
    [CallX(R2), 'JMP_CALLX'],
    [Return(), 'JMP_EXIT'],
    [LoadMem(R0, R1, 4, 'W'), 'LDX_MEM_W'],
    [LoadMemSX(R0, R1, 4, 'H'), 'LDX_MEMSX_H'],
    [StoreMem(RFP, -8, R1, 'DW'), 'STX_MEM_DW'],
    [StoreImm(R10, -4, 5, 'W'), 'ST_MEM_W'],
    [Atomic('FETCH_ADD', R10, -8, R1, 'DW'), 'STX_ATOMIC_FETCH_ADD_DW'],
    [Atomic('CMPXCHG', R10, -4, R1, 'W'), 'STX_ATOMIC_CMPXCHG_W'],
    [LoadAbs(12, 'H'), 'LD_ABS_H'],
    [LoadInd(R1, 0, 'B'), 'LD_IND_B'],
    [LoadImm64(R1, 1n), 'LD_IMM64'],
  ])('%# builds %s', (item, name) => {
    expect(item.op.name).toBe(name);
  });

  it('reaches every op of the table through ins()', () => {
    const items = OPS.map((op) => {
      const u = op.uses;
      const target = op.kind === 'ja' || op.kind === 'jcond' || op.kind === 'call_local' ? 'end' : undefined;
      // src of LD_IMM64 and of calls is the pseudo kind, which make() derives from the op.
      const src = u.src && op.kind !== 'lddw' && op.kind !== 'call_local' && op.kind !== 'call_kfunc' ? 2 : undefined;
      return ins(op.name, { dst: u.dst ? 1 : 0, src, off: u.off && !target ? -8 : 0, imm: u.imm && !target ? 7 : 0, target });
    });
    const p = program(items, Label('end'), Exit());
    // The bytes decode back to the same ops: every field the DSL filled is valid.
    expect(decode(encode(p)).map((i) => i.op.name)).toEqual([...OPS.map((o) => o.name), 'JMP_EXIT']);
    const end = p.labels.get('end')!;
    for (const insn of p) {
      if (insn.op.kind === 'jcond' || (insn.op.kind === 'ja' && !insn.op.is32)) expect(insn.off).toBe(end - insn.pc - 1);
      if (insn.op.kind === 'call_local' || (insn.op.kind === 'ja' && insn.op.is32)) expect(insn.imm).toBe(end - insn.pc - 1);
    }
  });

  it('writes the same bytes as the assembler', () => {
    const dsl = program(
      Mov.imm(R0, 0),
      StoreImm(RFP, -4, 0, 'W'),
      LoadMem(R2, R1, 4, 'W'),
      JEq.imm(R2, 0, 'out'),
      LoadMapFd(R1, 'counters'),
      Mov.reg(R2, RFP),
      Add.imm(R2, -4),
      Call(1),
      JEq.imm(R0, 0, 'out'),
      Mov.imm(R1, 1),
      Atomic('ADD', R0, 0, R1, 'DW'),
      Label('out'),
      Exit(),
    );
    const text = `
        r0 = 0
        *(u32 *)(r10 - 4) = 0
        r2 = *(u32 *)(r1 + 4)
        if r2 == 0 goto out
        ld_pseudo r1, 1, 0
        r2 = r10
        r2 += -4
        call 1
        if r0 == 0 goto out
        r1 = 1
        lock *(u64 *)(r0 + 0) += r1
      out:
        exit`;
    expect(hex(dsl)).toBe(hex(assemble(text)));
  });
});
