/**
 * LD_ABS/LD_IND with the negative offsets of linux/filter.h (SKF_LL_OFF: from the MAC header,
 * SKF_NET_OFF: from the network header) in the two places skb->data can start: a tc program sees
 * it at the MAC header, a socket filter at the network header. The expected values are what Linux
 * 6.18 returned through BPF_PROG_TEST_RUN for the same program, built by clang from C
 * (llvm.bpf.load.* intrinsics), on the same frame.
 */
import { describe, expect, it } from 'vitest';
import type { ObjectSpec } from '../../../src/ebpf/elf/spec.ts';
import { assemble } from '../../../src/ebpf/isa/asm.ts';
import { Runtime } from '../../../src/ebpf/runtime/runtime.ts';
import { testRun } from '../../../src/ebpf/runtime/test-run.ts';

const SKF_NET_OFF = -0x100000;
const SKF_LL_OFF = -0x200000;

// (mac[5] << 24) | (EtherType << 8) | (data[0] << 16) | ip.protocol
const PROG = assemble(`
  mov %r6, %r1
  ldabsb ${SKF_LL_OFF + 5}
  mov %r7, %r0
  lsh %r7, 24
  ldabsh ${SKF_LL_OFF + 12}
  lsh %r0, 8
  or %r7, %r0
  ldabsb ${SKF_NET_OFF + 9}
  or %r7, %r0
  ldabsb 0
  lsh %r0, 16
  or %r7, %r0
  mov %r0, %r7
  exit`);

const spec = (progType: string): ObjectSpec => ({
  path: 'skf.o',
  license: 'GPL',
  maps: [],
  programs: [{ name: 'skf', section: 'x', progType, flags: 0, insns: [...PROG], mapRefs: [], funcRefs: [], lineInfo: [], funcs: [{ pc: 0, name: 'skf' }], coreRelos: [] }],
});

// Ethernet 02:00:00:00:00:05 ← 02:00:00:00:00:09, IPv4 10.0.0.1 → 10.0.0.2 UDP 1 → 2.
const FRAME = Uint8Array.from([2, 0, 0, 0, 0, 5, 2, 0, 0, 0, 0, 9, 8, 0, 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0, 1, 0, 2, 0, 8, 0, 0]);

describe('LD_ABS relative to the MAC and network headers', () => {
  for (const [type, kernel] of [
    ['BPF_PROG_TYPE_SOCKET_FILTER', 88932369], // data[0] is the IP header's first byte (0x45)
    ['BPF_PROG_TYPE_SCHED_CLS', 84541457], // data[0] is the destination MAC's first byte (0x02)
  ] as const) {
    it(`${type}: as the kernel answered`, () => {
      for (const tierUpAfter of [Infinity, 0]) {
        const rt = new Runtime({ tierUpAfter });
        const r = testRun(rt, rt.load(spec(type)).program('skf'), { dataIn: FRAME });
        expect(r.error).toBeUndefined();
        expect(r.retval).toBe(kernel);
      }
    });
  }
});
