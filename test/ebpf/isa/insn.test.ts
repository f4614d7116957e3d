import { describe, expect, it } from 'vitest';
import { decode, encode, hexToBytes, IsaError } from '../../../src/ebpf/isa/insn.ts';
import { BPF_PSEUDO_MAP_IDX_VALUE } from '../../../src/ebpf/isa/opcodes.ts';

const EXIT = '9500000000000000';
const refusal = (hex: string): string => {
  try {
    decode(hexToBytes(hex));
  } catch (e) {
    if (e instanceof IsaError) return `${e.pc}: ${e.message}`;
    throw e;
  }
  return 'accepted';
};

describe('decode refuses what the kernel refuses at load', () => {
  it.each([
    // Variants picked by off or imm: a reserved value names the field and the values allowed.
    ['bf01010000000000' + EXIT, '0: opcode 0xbf (ALU64_MOV_X, ALU64_MOVSX8_X, ALU64_MOVSX16_X, ALU64_MOVSX32_X) uses reserved fields: off must be 0, 8, 16 or 32, is 1'],
    ['3f00020000000000' + EXIT, '0: opcode 0x3f (ALU64_DIV_X, ALU64_SDIV_X) uses reserved fields: off must be 0 or 1, is 2'],
    ['d700000007000000' + EXIT, '0: opcode 0xd7 (ALU64_BSWAP_16, ALU64_BSWAP_32, ALU64_BSWAP_64) uses reserved fields: imm must be 16, 32 or 64, is 7'],
    ['c3a1f8ff02000000' + EXIT, /^0: opcode 0xc3 \(STX_ATOMIC_ADD_W, .*\) uses reserved fields: imm must be 0, 1, .* is 2$/],
    ['85f0000001000000' + EXIT, '0: opcode 0x85 (JMP_CALL, JMP_CALL_LOCAL, JMP_CALL_KFUNC) uses reserved fields: src must be 0 (helper), 1 (bpf-to-bpf) or 2 (kfunc), is 15'],
    ['ff00000000000000' + EXIT, '0: unknown opcode 0xff (off 0, imm 0)'],
    // Plain reserved fields.
    ['b700010000000000' + EXIT, '0: ALU64_MOV_K uses reserved fields: off must be 0, is 1'],
    [EXIT + '9500000001000000', '1: JMP_EXIT uses reserved fields: imm must be 0, is 1'],
    ['bf0b000000000000' + EXIT, '0: ALU64_MOV_X: invalid dst register r11'],
    // LD_IMM64: pseudo kinds 0..6 only, a second slot with only imm set, and the slot present.
    ['18710000000000000000000000000000' + EXIT, '0: LD_IMM64: unknown src pseudo kind 7'],
    ['18010000000000000001000000000000' + EXIT, '1: LD_IMM64 second slot must have code, registers and offset zero'],
    ['1801000000000000', '0: LD_IMM64 is missing its second slot'],
    ['95000000000000', '0: program length 7 is not a multiple of 8 bytes'],
  ])('%s', (hex, want) => {
    if (typeof want === 'string') expect(refusal(hex)).toBe(want);
    else expect(refusal(hex)).toMatch(want);
  });

  it('takes every LD_IMM64 pseudo kind (map fd, map value, btf id, func, map idx, map idx value) and keeps src and both halves', () => {
    for (let src = 0; src <= BPF_PSEUDO_MAP_IDX_VALUE; src++) {
      const bytes = hexToBytes(`18${(src << 4 | 1).toString(16).padStart(2, '0')}00000500000000000000080000009500000000000000`);
      const [ld] = decode(bytes);
      expect(ld).toMatchObject({ src, dst: 1, imm: 5, imm2: 8 });
      expect(encode(decode(bytes))).toEqual(bytes);
    }
  });
});
