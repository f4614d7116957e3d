import { describe, expect, it } from 'vitest';
import { TestRun, u64le } from './harness.ts';
import { BPF_MAX_LOOPS, DEFAULT_TASK, HelperError } from '../../../src/ebpf/helpers/index.ts';
import { SeededRandom, StandaloneHost } from '../../../src/ebpf/runtime/host.ts';
import { Memory } from '../../../src/ebpf/vm/memory.ts';

const EINVAL = -22, E2BIG = -7, EFAULT = -14;

describe('time, randomness, CPU and task helpers', () => {
  it('ktime_get_ns/boot_ns read the host clock; coarse is the last 4 ms tick; jiffies64 counts ticks from INITIAL_JIFFIES', () => {
    const t = new TestRun({ host: new StandaloneHost(1, 1_234_567_890n) });
    expect(t.call(5)).toBe(1_234_567_890n);
    expect(t.call(125)).toBe(1_234_567_890n);
    expect(t.call(160)).toBe(1_232_000_000n);
    expect(t.call(208)).toBe(1_234_567_890n);
    expect(t.call(118)).toBe(BigInt((-300 * 250) >>> 0) + 308n);
  });

  it('get_prandom_u32 is the host seeded stream', () => {
    const t = new TestRun({ host: new StandaloneHost(99) });
    const r = new SeededRandom(99);
    expect([t.num(7), t.num(7)]).toEqual([r.nextU32(), r.nextU32()]);
  });

  it('smp processor id, numa node', () => {
    const t = new TestRun({ cpu: 3, nCpus: 4 });
    expect(t.num(8)).toBe(3);
    expect(t.num(42)).toBe(0);
  });

  it('current pid/tgid, uid/gid and comm of the simulated task', () => {
    const t = new TestRun({ progType: 'BPF_PROG_TYPE_KPROBE' });
    expect(t.call(14)).toBe((BigInt(DEFAULT_TASK.tgid) << 32n) | BigInt(DEFAULT_TASK.pid));
    expect(t.call(15)).toBe(0n);
    t.env.task = { pid: 5, tgid: 6, uid: 1000, gid: 100, comm: 'a-very-long-command-name' };
    expect(t.call(14)).toBe((6n << 32n) | 5n);
    expect(t.call(15)).toBe((100n << 32n) | 1000n);
    t.put(0, new Uint8Array(16).fill(0x55));
    expect(t.num(16, t.sp(0), 16)).toBe(0);
    expect(new TextDecoder().decode(t.stackBytes(0, 15))).toBe('a-very-long-com');
    expect(t.stackBytes(15, 1)[0]).toBe(0);
    t.put(0, new Uint8Array(16).fill(0x55));
    expect(t.num(16, t.sp(0), 4)).toBe(0);
    expect([...t.stackBytes(0, 5)]).toEqual([0x61, 0x2d, 0x76, 0, 0x55]);
  });
});

describe('bpf_loop (kernel/bpf/bpf_iter.c)', () => {
  const cb = (0x1000n << 32n) | 42n;

  it('calls the callback with (index, ctx) and returns the number of iterations', () => {
    const t = new TestRun();
    const calls: bigint[][] = [];
    t.callback = (pc, args) => {
      expect(pc).toBe(42);
      calls.push([...args]);
      return 0n;
    };
    expect(t.num(181, 5, cb, 0xabc, 0)).toBe(5);
    expect(calls).toEqual([0n, 1n, 2n, 3n, 4n].map((i) => [i, 0xabcn]));
  });

  it('stops when the callback returns 1, counting that call', () => {
    const t = new TestRun();
    t.callback = (_pc, [i]) => (i === 3n ? 1n : 0n);
    expect(t.num(181, 100, cb, 0, 0)).toBe(4);
  });

  it('zero iterations; 1<<23 allowed; more is -E2BIG; flags are -EINVAL (checked first)', () => {
    const t = new TestRun();
    let n = 0;
    t.callback = () => (++n, 0n);
    expect(t.num(181, 0, cb, 0, 0)).toBe(0);
    expect(t.num(181, BPF_MAX_LOOPS + 1, cb, 0, 0)).toBe(E2BIG);
    expect(t.num(181, BPF_MAX_LOOPS + 1, cb, 0, 1)).toBe(EINVAL);
    expect(t.num(181, 3, cb, 0, 1)).toBe(EINVAL);
    expect(n).toBe(0);
    t.callback = (_pc, [i]) => (i === BigInt(BPF_MAX_LOOPS - 1) ? 0n : 0n);
    expect(t.num(181, BPF_MAX_LOOPS, cb, 0, 0)).toBe(BPF_MAX_LOOPS);
  });
});

describe('bpf_spin_lock / bpf_spin_unlock', () => {
  it('locks a word in a map value; refuses a lock outside a map value and double locking', () => {
    const t = new TestRun();
    const m = t.map({ type: 'BPF_MAP_TYPE_ARRAY', valueSize: 16, maxEntries: 1 });
    const v = m.lookupElemAddr(new Uint8Array(4), 0);
    expect(t.num(93, v + 4n)).toBe(0);
    expect(t.mem.read(v + 4n, 4)[0]).toBe(1);
    expect(() => t.call(93, v + 4n)).toThrow(/already held/);
    expect(t.num(94, v + 4n)).toBe(0);
    expect(t.mem.read(v + 4n, 4)[0]).toBe(0);
    expect(() => t.call(94, v + 4n)).toThrow(/not held/);
    expect(() => t.call(93, t.sp(0))).toThrow(HelperError);
  });
});

describe('bpf_probe_read_kernel / _str', () => {
  it('copies readable memory; zeroes the destination and returns -EFAULT for any other address', () => {
    const t = new TestRun({ progType: 'BPF_PROG_TYPE_KPROBE' });
    const src = t.str('hello');
    expect(t.num(113, t.sp(0), 5, src)).toBe(0);
    expect(new TextDecoder().decode(t.stackBytes(0, 5))).toBe('hello');
    t.put(0, [1, 2, 3, 4]);
    expect(t.num(113, t.sp(0), 4, 0xdead_0000_0000n)).toBe(EFAULT);
    expect([...t.stackBytes(0, 4)]).toEqual([0, 0, 0, 0]);
    expect(t.num(113, t.sp(0), 8, src)).toBe(EFAULT); // 6 readable bytes only
    expect(t.num(113, t.sp(0), 0, 0n)).toBe(0);
  });

  it('str: returns the length with the NUL, truncating to size', () => {
    const t = new TestRun({ progType: 'BPF_PROG_TYPE_KPROBE' });
    const src = t.str('hello');
    t.put(0, new Uint8Array(16).fill(0x77));
    expect(t.num(115, t.sp(0), 16, src)).toBe(6);
    expect([...t.stackBytes(0, 7)]).toEqual([...new TextEncoder().encode('hello'), 0, 0x77]);
    expect(t.num(115, t.sp(0), 3, src)).toBe(3);
    expect([...t.stackBytes(0, 3)]).toEqual([0x68, 0x65, 0]);
    // A string that runs off the end of its region faults.
    const r = t.mem.add('mem', 'unterminated', new TextEncoder().encode('abc'));
    expect(t.num(115, t.sp(0), 16, Memory.addr(r, 0))).toBe(EFAULT);
    expect([...t.stackBytes(0, 16)]).toEqual(new Array(16).fill(0));
    void u64le;
  });
});
