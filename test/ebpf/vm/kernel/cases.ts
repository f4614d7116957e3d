/**
 * Instruction semantics asked of the running kernel (record.ts): the edges where an engine is
 * easiest to get wrong. Each body leaves a 64-bit value in r0; the harness folds it to the
 * 32 bits a socket filter returns (r0 ^ r0 >> 32) so that both halves count. Bodies run as
 * socket filters (r6 = ctx, as LD_ABS needs) on PACKET; LD_ABS offsets count from the network
 * header, which BPF_PROG_TEST_RUN puts 14 bytes into the packet for a socket filter.
 */
export const PACKET = Uint8Array.from({ length: 64 }, (_, i) => 0x40 + i);
/** Where LD_ABS offset 0 is in PACKET (skb->data of a socket filter under BPF_PROG_TEST_RUN). */
export const LD_ABS_BASE = 14;

export const FOLD = 'mov %r1, %r0\nrsh %r1, 32\nxor32 %r0, %r1\nexit';

export const CASES: { name: string; asm: string }[] = [
  { name: 'sdiv INT64_MIN by -1', asm: 'lddw %r0, 0x8000000000000000\nmov %r1, -1\nsdiv %r0, %r1' },
  { name: 'smod INT64_MIN by -1', asm: 'lddw %r0, 0x8000000000000000\nmov %r1, -1\nsmod %r0, %r1' },
  { name: 'sdiv32 INT32_MIN by -1', asm: 'mov32 %r0, 0x80000000\nmov32 %r1, -1\nsdiv32 %r0, %r1' },
  { name: 'smod32 INT32_MIN by -1', asm: 'mov32 %r0, 0x80000000\nmov32 %r1, -1\nsmod32 %r0, %r1' },
  { name: 'smod takes the dividend sign', asm: 'mov %r0, -7\nsmod %r0, 2' },
  { name: 'smod by a negative divisor', asm: 'mov %r0, 7\nmov %r1, -2\nsmod %r0, %r1' },
  { name: 'smod32 by zero keeps dst (zero-extended)', asm: 'mov32 %r0, -7\nmov32 %r1, 0\nsmod32 %r0, %r1' },
  { name: 'sdiv by zero is zero', asm: 'mov %r0, -7\nmov %r1, 0\nsdiv %r0, %r1' },
  { name: 'mod32 by zero zero-extends dst', asm: 'lddw %r0, 0xffffffff00000005\nmov %r1, 0\nmod32 %r0, %r1' },
  { name: 'mod by zero keeps dst', asm: 'lddw %r0, 0xffffffff00000005\nmov %r1, 0\nmod %r0, %r1' },
  { name: 'div32 by zero is zero', asm: 'lddw %r0, 0xffffffff00000005\nmov %r1, 0\ndiv32 %r0, %r1' },
  { name: 'div (unsigned 64)', asm: 'lddw %r0, 0xfedcba9876543210\nmov %r1, 3\ndiv %r0, %r1' },
  { name: 'sdiv by an immediate -3', asm: 'lddw %r0, 0xfedcba9876543210\nsdiv %r0, -3' },
  { name: 'smod by an immediate -3', asm: 'lddw %r0, 0xfedcba9876543210\nsmod %r0, -3' },
  { name: 'mul 64 (low bits of a wide product)', asm: 'lddw %r0, 0xfedcba9876543210\nmov %r1, 0x7fffffff\nmul %r0, %r1' },
  { name: 'mul32 of negatives', asm: 'mov %r0, -3\nmov %r1, 5\nmul32 %r0, %r1' },
  { name: 'movsx1664', asm: 'lddw %r0, 0x00000000ffff8005\nmovsx1664 %r0, %r0' },
  { name: 'movsx832 zero-extends the 32-bit result', asm: 'lddw %r0, 0xfedcba9876543210\nmovsx832 %r0, %r0' },
  { name: 'movsx3264', asm: 'lddw %r0, 0x0000000080000001\nmovsx3264 %r0, %r0' },
  { name: 'bswap16 clears the rest', asm: 'lddw %r0, 0x1234567887654321\nbswap16 %r0' },
  { name: 'bswap64', asm: 'lddw %r0, 0x1234567887654321\nbswap64 %r0' },
  { name: 'be32', asm: 'lddw %r0, 0x1234567887654321\nbe32 %r0' },
  { name: 'le16 truncates', asm: 'lddw %r0, 0x1234567887654321\nle16 %r0' },
  { name: 'arsh 63', asm: 'lddw %r0, 0x8000000000000001\narsh %r0, 63' },
  { name: 'lsh32 by a register is masked to 5 bits', asm: 'mov32 %r0, -1\nmov %r1, 33\nlsh32 %r0, %r1' },
  { name: 'lsh by a register is masked to 6 bits', asm: 'mov %r0, 3\nmov %r1, 65\nlsh %r0, %r1' },
  { name: 'arsh32 works on the low half and zero-extends', asm: 'lddw %r0, 0x8000000080000000\narsh32 %r0, 4' },
  { name: 'rsh32 by a register above 31', asm: 'mov32 %r0, -1\nmov %r1, 36\nrsh32 %r0, %r1' },
  { name: 'neg32 zero-extends', asm: 'mov %r0, 5\nneg32 %r0' },
  { name: 'add32 wraps and zero-extends', asm: 'lddw %r0, 0x00000001ffffffff\nadd32 %r0, 1' },
  { name: 'mov32 of an immediate zero-extends', asm: 'mov32 %r0, -1' },
  { name: 'mov of an immediate sign-extends', asm: 'mov %r0, -1' },
  { name: 'and with a sign-extended immediate', asm: 'lddw %r0, 0xfedcba9876543210\nand %r0, -16' },
  { name: 'jslt32 compares the low halves signed', asm: 'lddw %r1, 0x00000000ffffffff\nmov %r0, 1\njslt32 %r1, 0, +1\nmov %r0, 2' },
  { name: 'jgt with a sign-extended immediate', asm: 'lddw %r1, 0xfffffffffffffffe\nmov %r0, 1\njgt %r1, -3, +1\nmov %r0, 2' },
  { name: 'jset32 ignores the high half', asm: 'lddw %r1, 0x0000000100000000\nmov %r0, 1\njset32 %r1, -1, +1\nmov %r0, 2' },
  { name: 'gotol', asm: 'mov %r0, 1\njeq %r0, 0, +1\nja32 +1\nadd %r0, 2\nadd %r0, 4' },
  { name: 'ldxsb sign-extends a stack byte', asm: 'stb [%r10-1], 0x80\nldxsb %r0, [%r10-1]' },
  { name: 'ldxsw sign-extends a stack word', asm: 'stw [%r10-4], -2\nldxsw %r0, [%r10-4]' },
  { name: 'lock fetch add returns the old value', asm: 'stdw [%r10-8], 40\nmov %r1, 2\nlock fetch add [%r10-8], %r1\nldxdw %r0, [%r10-8]\nlsh %r0, 8\nor %r0, %r1' },
  { name: 'lock fetch and32', asm: 'stw [%r10-4], 0xff\nmov %r1, 0x0f\nlock fetch and32 [%r10-4], %r1\nldxw %r0, [%r10-4]\nlsh %r0, 16\nor %r0, %r1' },
  { name: 'lock xchg', asm: 'stdw [%r10-8], 7\nmov %r1, 9\nlock xchg [%r10-8], %r1\nldxdw %r0, [%r10-8]\nlsh %r0, 8\nor %r0, %r1' },
  { name: 'lock cmpxchg, matching', asm: 'stdw [%r10-8], 7\nmov %r0, 7\nmov %r1, 9\nlock cmpxchg [%r10-8], %r1\nldxdw %r1, [%r10-8]\nlsh %r1, 8\nor %r0, %r1' },
  { name: 'lock cmpxchg32, not matching', asm: 'stw [%r10-4], 7\nmov %r0, 8\nmov %r1, 9\nlock cmpxchg32 [%r10-4], %r1\nldxw %r1, [%r10-4]\nlsh %r1, 8\nor %r0, %r1' },
  { name: 'ldabsb at offset 0', asm: 'ldabsb 0' },
  { name: 'ldabsh is big-endian', asm: 'ldabsh 1' },
  { name: 'ldabsw at the last word', asm: 'ldabsw 46' },
  { name: 'ldabsw across the end ends the program with 0', asm: 'mov %r7, 5\nldabsw 47\nmov %r0, %r7' },
  { name: 'ldabsb at a small negative offset ends the program with 0', asm: 'mov %r7, 5\nldabsb -1\nmov %r0, %r7' },
  { name: 'ldabsb at SKF_NET_OFF reads the network header', asm: 'ldabsb -1048576' },
  { name: 'ldabsh at SKF_NET_OFF + 2', asm: 'ldabsh -1048574' },
  { name: 'ldabsb at SKF_LL_OFF reads the MAC header', asm: 'ldabsb -2097152' },
  { name: 'ldabsh at SKF_LL_OFF + 12 reads the EtherType', asm: 'ldabsh -2097140' },
  { name: 'ldabsw at SKF_LL_OFF past the tail ends the program with 0', asm: 'mov %r7, 5\nldabsw -2097091\nmov %r0, %r7' },
  { name: 'ldabsb below SKF_LL_OFF ends the program with 0', asm: 'mov %r7, 5\nldabsb -2097153\nmov %r0, %r7' },
  { name: 'ldindb: a negative src reaches the MAC header through SKF_LL_OFF', asm: 'mov %r7, -2097152\nldindb %r7, 6' },
  { name: 'ldindh adds src and imm', asm: 'mov %r7, 3\nldindh %r7, 2' },
  { name: 'ldindb: src + imm as a 32-bit offset', asm: 'mov %r7, -1\nldindb %r7, 2' },
  { name: 'ldindb: the high half of src is ignored', asm: 'lddw %r7, 0x100000003\nldindb %r7, 0' },
];
