/**
 * Instruction edge cases as the running kernel answered them (kernel/kernel-vectors.json, recorded
 * by kernel/record.ts through BPF_PROG_TEST_RUN): the interpreter and the compiled tier must
 * return the same. Needs no root; re-record after changing kernel/cases.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble } from '../../../src/ebpf/isa/asm.ts';
import { bytesToHex, decode, encode, hexToBytes } from '../../../src/ebpf/isa/insn.ts';
import { Interpreter } from '../../../src/ebpf/vm/interpreter.ts';
import { Memory } from '../../../src/ebpf/vm/memory.ts';
import { CASES, FOLD, LD_ABS_BASE, PACKET } from './kernel/cases.ts';

const recorded = JSON.parse(readFileSync(join(import.meta.dirname, 'kernel', 'kernel-vectors.json'), 'utf8')) as {
  kernel: string;
  cases: { name: string; code: string; retval: number }[];
};

describe(`instruction edges against Linux ${recorded.kernel}`, () => {
  it('has an answer for every case, recorded from the bytes cases.ts assembles to', () => {
    expect(recorded.cases.map((c) => c.name)).toEqual(CASES.map((c) => c.name));
    CASES.forEach((c, i) => expect(recorded.cases[i].code, `${c.name}: re-record with kernel/record.ts`).toBe(bytesToHex(encode(assemble(`mov %r6, %r1\n${c.asm}\n${FOLD}`)))));
  });

  for (const [tier, tierUpAfter] of [['interpreter', Infinity], ['compiled', 0]] as const) {
    it.each(recorded.cases)(`${tier}: $name`, ({ code, retval }) => {
      const insns = decode(hexToBytes(code));
      // A socket filter's LD_ABS reads from skb->data: the network header, 14 bytes into the test
      // packet, after the MAC header (what SKF_NET_OFF and SKF_LL_OFF reach).
      const legacy = { buf: PACKET, data: LD_ABS_BASE, end: PACKET.length, mac: 0, net: LD_ABS_BASE };
      const prog = new Interpreter({ tierUpAfter, legacyPacket: () => legacy }).load({ name: 'edge', insns }, new Memory(), new Map());
      const r = prog.run();
      expect(r.error).toBeUndefined();
      expect(Number(BigInt.asUintN(32, r.r0 as bigint))).toBe(retval);
    });
  }
});
