import { describe, expect, it } from 'vitest';
import { TestRun } from './harness.ts';
import { StandaloneHost } from '../../../src/ebpf/runtime/host.ts';
import { Memory } from '../../../src/ebpf/vm/memory.ts';

const EINVAL = -22;
const M = 1n << 64n;

/**
 * bpf_trace_printk(fmt, size, a, b, c): text and return value as Linux 6.18 printed them
 * (BPF_PROG_TEST_RUN of an XDP program, the text read from a tracefs instance). 's' stands for
 * a pointer to "hello", 'ip' for a pointer to the bytes 10.0.1.200 / 0x20..0x2f.
 */
const CASES: [string, (bigint | 's' | 'ip' | 'ip6')[], number, string?][] = [
  ['%d %i %u', [-5n, -1n, -1n], 16, '-5 -1 4294967295'],
  ['%x %X %lx', [255n, 0xabcdefn, 2n ** 40n + 5n], 21, 'ff ABCDEF 10000000005'],
  ['%llx %lu %lld', [2n ** 63n + 7n, M - 1n, -9n], 40, '8000000000000007 18446744073709551615 -9'],
  ['%llu|%5d|%-5d|', [M - 1n, -42n, 7n], 33, '18446744073709551615|  -42|7    |'],
  ['%05d|%+d|% d', [-5n, 5n, 5n], 11, '-0005|+5| 5'],
  ['%s|%c|%%', ['s', 0x41n, 0n], 9, 'hello|A|%'],
  ['%pI4 %pi4', ['ip', 'ip', 0n], 26, '10.0.1.200 010.000.001.200'],
  ['%pI6 %pi6', ['ip6', 'ip6', 0n], 72, '2021:2223:2425:2627:2829:2a2b:2c2d:2e2f 202122232425262728292a2b2c2d2e2f'],
  ['%10s|%-6s|', ['s', 's', 0n], 18, '     hello|hello |'],
  ['%q', [1n, 2n, 3n], EINVAL],
  ['%d %d %d %d', [1n, 2n, 3n], EINVAL],
  ['%.2d', [1n, 2n, 3n], EINVAL],
  ['%sx', ['s', 2n, 3n], EINVAL],
  ['%hd', [1n, 2n, 3n], EINVAL],
  ['%ld %lli %llX', [-1n, -2n, 0xdeadbeefcafen], 18, '-1 -2 DEADBEEFCAFE'],
  ['%c%c%c', [0x61n, 0x62n, 0x63n], 3, 'abc'],
  ['%-08x|%08x|%8lx', [0x1fn, 0x1fn, 0x1fn], 26, '1f      |0000001f|      1f'],
  ['%pks.', ['s', 0n, 0n], 6, 'hello.'],
  ['no args\n', [0n, 0n, 0n], 8, 'no args'],
  ['%+05d|%-+5d|%+u', [7n, 7n, 7n], 13, '+0007|+7   |7'],
  ['%0-5d|% 05d|%  d', [-7n, 7n, 7n], 14, '-7   | 0007| 7'],
  ['%s', [0n, 0n, 0n], 0, ''],
  ['%3c|%-3c|', [0x41n, 0x42n, 0n], 8, '  A|B  |'],
  ['tab\there', [0n, 0n, 0n], 8, 'tab\there'],
  ['%p', [0n, 0n, 0n], 16, '0000000000000000'],
  ['%px %pK', [0n, 0n, 0n], 33, '0000000000000000 0000000000000000'],
  ['%d %d %u', [2n ** 32n + 3n, 2n ** 31n, 2n ** 32n - 1n], 24, '3 -2147483648 4294967295'],
];

function run(fmt: string, args: (bigint | 's' | 'ip' | 'ip6')[]) {
  const t = new TestRun({ progType: 'BPF_PROG_TYPE_XDP', host: new StandaloneHost(1) });
  const s = t.put(0, new TextEncoder().encode('hello\0'));
  const ip = t.put(16, [10, 0, 1, 200]);
  const ip6 = t.put(32, Array.from({ length: 16 }, (_, i) => 0x20 + i));
  const a = args.map((v) => (v === 's' ? s : v === 'ip' ? ip : v === 'ip6' ? ip6 : BigInt.asUintN(64, v)));
  const f = t.str(fmt);
  const ret = t.num(6, f, new TextEncoder().encode(fmt).length + 1, ...a);
  return { ret, t };
}

describe('bpf_trace_printk: formats as the kernel does', () => {
  it.each(CASES)('%j', (fmt, args, ret, text) => {
    const r = run(fmt, args);
    expect(r.ret).toBe(ret);
    if (text === undefined) {
      expect(r.t.env.printk).toEqual([]);
    } else {
      expect(r.t.env.printk).toEqual([text]);
      expect((r.t.host as StandaloneHost).printk).toEqual([text]);
    }
  });

  it('the format must hold its NUL within fmt_size, and be printable ASCII', () => {
    const t = new TestRun({ progType: 'BPF_PROG_TYPE_XDP' });
    const f = t.str('abc');
    expect(t.num(6, f, 3, 0, 0, 0)).toBe(EINVAL);
    expect(t.num(6, f, 4, 0, 0, 0)).toBe(3);
    const bad = t.put(0, [0x61, 0x01, 0x62, 0]);
    expect(t.num(6, bad, 4, 0, 0, 0)).toBe(EINVAL);
    const high = t.put(0, [0x61, 0xe9, 0]);
    expect(t.num(6, high, 3, 0, 0, 0)).toBe(EINVAL);
    expect(() => t.call(6, f, 8, 0, 0, 0)).toThrow(/out of bounds/);
  });

  it('%p hashes a real address deterministically (the kernel uses a boot-time key); %px prints it', () => {
    const a = run('%p', [0x1000_0000_0010n]);
    const b = run('%p', [0x1000_0000_0010n]);
    expect(a.t.env.printk[0]).toMatch(/^00000000[0-9a-f]{8}$/);
    expect(a.t.env.printk).toEqual(b.t.env.printk);
    expect(run('%px', [0x1000_0000_0010n]).t.env.printk).toEqual(['0000100000000010']);
    expect(run('%ps', [0x1234n]).t.env.printk).toEqual(['0x1234']);
  });

  it('strings share the 512-byte argument buffer (-ENOSPC when it is full); an unreadable string prints empty', () => {
    const t = new TestRun({ progType: 'BPF_PROG_TYPE_XDP' });
    const long = t.mem.add('rodata', 'long', new Uint8Array(301).fill(0x61));
    long.bytes[300] = 0;
    const p = Memory.addr(long, 0);
    expect(t.num(6, t.str('%s|%s'), 6, p, p, 0)).toBe(300 + 1 + 210);
    const [first, second] = t.env.printk[0].split('|');
    expect([first.length, second.length]).toEqual([300, 210]);
    const huge = t.mem.add('rodata', 'huge', new Uint8Array(600).fill(0x62));
    expect(t.num(6, t.str('%s|%s'), 6, Memory.addr(huge, 0), p, 0)).toBe(-28);
    expect(t.num(6, t.str('[%s]'), 5, 0xdead_0000_0000n, 0, 0)).toBe(2);
    expect(t.env.printk.at(-1)).toBe('[]');
  });
});

describe('bpf_snprintf and bpf_trace_vprintk', () => {
  it('snprintf writes a NUL-terminated, truncated string and returns the full length + 1', () => {
    const t = new TestRun({ progType: 'BPF_PROG_TYPE_XDP' });
    const args = t.put(64, new Uint8Array(new BigUint64Array([42n, 0xffn]).buffer));
    const f = t.str('n=%d x=%x');
    expect(t.num(165, t.sp(0), 32, f, args, 16)).toBe(10);
    expect(new TextDecoder().decode(t.stackBytes(0, 10))).toBe('n=42 x=ff\0');
    t.put(0, new Uint8Array(8).fill(0x7a));
    expect(t.num(165, t.sp(0), 4, f, args, 16)).toBe(10);
    expect([...t.stackBytes(0, 5)]).toEqual([0x6e, 0x3d, 0x34, 0, 0x7a]);
    expect(t.num(165, 0n, 0, f, args, 16)).toBe(10);
    expect(t.num(165, t.sp(0), 8, f, args, 12)).toBe(EINVAL); // data_len not a multiple of 8
    expect(t.num(165, t.sp(0), 8, f, args, 8)).toBe(EINVAL); // 2 conversions, 1 argument
    expect(t.num(165, t.sp(0), 8, f, 0n, 8)).toBe(EINVAL); // NULL args with data_len
    expect(t.num(165, t.sp(0), 8, f, args, 13 * 8)).toBe(EINVAL); // more than 12 arguments
  });

  it('trace_vprintk takes any number of arguments up to 12', () => {
    const t = new TestRun({ progType: 'BPF_PROG_TYPE_XDP' });
    const args = t.put(0, new Uint8Array(new BigUint64Array([1n, 2n, 3n, 4n, 5n]).buffer));
    const f = t.str('%d %d %d %d %d');
    expect(t.num(177, f, 15, args, 40)).toBe(9);
    expect(t.env.printk).toEqual(['1 2 3 4 5']);
    expect(t.num(177, f, 15, args, 32)).toBe(EINVAL);
  });
});
