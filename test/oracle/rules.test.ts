/** The oracle's pure parts: test_run rules, hex, CPU lists, the probe object. No kernel needed. */
import { describe, expect, it } from 'vitest';
import { stripFormatted } from '../../src/oracle/bpftool.ts';
import { parseCpuList, toHex } from '../../src/oracle/kernel.ts';
import { buildProbeObject, PROBE_PROG } from '../../src/oracle/probe-object.ts';
import {
  errnoName,
  explainTestRun,
  SKB_MAX_DATA,
  testRunKind,
  XDP_MAX_DATA,
  XDP_MAX_LINEAR,
  XDP_MAX_META,
} from '../../src/oracle/test-run-rules.ts';

function xdpMd(fields: Partial<Record<'data' | 'data_end' | 'data_meta' | 'ingress_ifindex' | 'rx_queue_index' | 'egress_ifindex', number>>): Uint8Array {
  const b = Buffer.alloc(24);
  const order = ['data', 'data_end', 'data_meta', 'ingress_ifindex', 'rx_queue_index', 'egress_ifindex'] as const;
  order.forEach((f, i) => b.writeUInt32LE(fields[f] ?? 0, i * 4));
  return b;
}

describe('BPF_PROG_TEST_RUN rules', () => {
  it('knows the limits of this kernel (x86_64, 4 KiB pages)', () => {
    expect(XDP_MAX_LINEAR).toBe(3520);
    expect(XDP_MAX_DATA).toBe(3520 + 17 * 4096);
    expect(SKB_MAX_DATA).toBe(3712);
    expect(XDP_MAX_META).toBe(216);
  });

  it('sorts program types by runner', () => {
    expect(testRunKind('xdp')).toBe('xdp');
    expect(testRunKind('sched_cls')).toBe('skb-l2');
    expect(testRunKind('socket_filter')).toBe('skb-l3');
    expect(testRunKind('cgroup_skb')).toBe('skb-l3');
    expect(testRunKind('sk_skb')).toBe('unsupported');
    expect(testRunKind('sk_msg')).toBe('unsupported');
    expect(testRunKind('kprobe')).toBe('unsupported');
    expect(testRunKind('raw_tracepoint')).toBe('ctx-only');
    expect(testRunKind('made_up')).toBe('unsupported');
  });

  it('explains packet sizes', () => {
    expect(explainTestRun('xdp', 'EINVAL', { dataLen: 13 })).toEqual(['data_in is 13 bytes; the kernel needs at least 14 (ETH_HLEN)']);
    expect(explainTestRun('sched_cls', 'EINVAL', { dataLen: 3713 })[0]).toMatch(/at most 3712/);
    expect(explainTestRun('sched_cls', 'EINVAL', { dataLen: 3712 })).toEqual([]);
    expect(explainTestRun('xdp', 'ENOMEM', { dataLen: 80_000 })[0]).toMatch(/17 pages of fragments/);
  });

  it('explains xdp_md rules', () => {
    const rules = (ctx: Uint8Array, dataLen = 42) => explainTestRun('xdp', undefined, { dataLen, ctx }).join('\n');
    expect(rules(xdpMd({ data_end: 42 }))).toBe('');
    expect(rules(xdpMd({ data_end: 42, data_meta: 4 }))).toMatch(/data_meta must be 0/);
    expect(rules(xdpMd({ data: 32, data_end: 42 }))).toMatch(/42 bytes of which 32 are XDP metadata; the kernel needs at least 14/);
    expect(rules(xdpMd({ data: 32, data_end: 46 }), 46)).toBe('');
    expect(rules(xdpMd({ data_end: 13 }))).toBe(''); // a short linear part: the rest goes to fragments
    expect(rules(xdpMd({ data_end: 50 }))).toMatch(/data_end \(50\) must not exceed the data_in length \(42\)/);
    expect(rules(xdpMd({ data: 6, data_end: 42 }))).toMatch(/multiple of 4, at most 216/);
    expect(rules(xdpMd({ data: 220, data_end: 300 }), 300)).toMatch(/at most 216/);
    expect(rules(xdpMd({ data_end: 42, rx_queue_index: 1 }))).toMatch(/rx_queue_index needs an ingress_ifindex/);
    expect(rules(xdpMd({ data_end: 42, egress_ifindex: 1 }))).toMatch(/egress_ifindex must be 0/);
    const long = new Uint8Array(32);
    long.set(xdpMd({ data_end: 42 }));
    long[30] = 1;
    expect(rules(long)).toMatch(/past struct xdp_md \(24\) must be zero \(E2BIG\)/);
  });

  it('explains __sk_buff ctx_in rules', () => {
    const ctx = Buffer.alloc(192);
    expect(explainTestRun('sched_cls', 'EINVAL', { dataLen: 42, ctx })).toEqual([]);
    ctx.writeUInt32LE(1, 8); // mark: allowed
    ctx.writeUInt32LE(5, 48); // cb[0]: allowed
    expect(explainTestRun('sched_cls', 'EINVAL', { dataLen: 42, ctx })).toEqual([]);
    ctx.writeUInt32LE(1, 4); // pkt_type: not allowed
    expect(explainTestRun('sched_cls', 'EINVAL', { dataLen: 42, ctx })[0]).toMatch(/offsets 4 are set; ctx_in may only set mark/);
    const wire = Buffer.alloc(192);
    wire.writeUInt32LE(30, 160);
    expect(explainTestRun('sched_cls', 'EINVAL', { dataLen: 42, ctx: wire })[0]).toMatch(/wire_len \(30\) must be 0 or between skb->len \(42\)/);
    // A socket filter's skb starts at the network header: 28 bytes of a 42-byte frame.
    expect(explainTestRun('socket_filter', 'EINVAL', { dataLen: 42, ctx: wire })).toEqual([]);
  });

  it('falls back to the devmap/cpumap rule for an unexplained XDP EINVAL', () => {
    expect(explainTestRun('xdp', 'EINVAL', { dataLen: 42 })[0]).toMatch(/xdp\/devmap/);
  });

  it('names unsupported and ctx-only types', () => {
    expect(explainTestRun('sk_msg', 'ENOTSUPP', { dataLen: 42 })).toEqual(['sk_msg programs have no BPF_PROG_TEST_RUN support in the kernel (ENOTSUPP)']);
    expect(explainTestRun('raw_tracepoint', 'EINVAL', {})[0]).toMatch(/bpftool 7.1 always sends repeat=1/);
  });

  it('reads errno names from bpftool messages', () => {
    expect(errnoName('failed to run program: Invalid argument')).toBe('EINVAL');
    expect(errnoName('failed to run program: Unknown error 524')).toBe('ENOTSUPP');
    expect(errnoName('failed to run program: Argument list too long')).toBe('E2BIG');
    expect(errnoName('something else')).toBeUndefined();
  });
});

describe('oracle helpers', () => {
  it('parses cpu lists', () => {
    expect(parseCpuList('0-1\n')).toEqual([0, 1]);
    expect(parseCpuList('2,4-6')).toEqual([2, 4, 5, 6]);
    expect(parseCpuList('0')).toEqual([0]);
  });

  it('reads map dumps whose BTF-formatted part bpftool 7.1 printed as invalid JSON', () => {
    const dump = '[{"key":["0x00"],"value":["0x01","0x02"],"formatted":{"value":{".bss":[{"s":"a}\\"b","ratio":(unsupported-kind}]}}},{"key":["0x01"],"value":["0x03","0x04"]}]';
    expect(() => JSON.parse(dump)).toThrow();
    expect(JSON.parse(stripFormatted(dump))).toEqual([
      { key: ['0x00'], value: ['0x01', '0x02'] },
      { key: ['0x01'], value: ['0x03', '0x04'] },
    ]);
  });

  it('writes hex', () => {
    expect(toHex([0, 1, 0xab, 255])).toBe('0001abff');
    expect(toHex([])).toBe('');
  });

  it('builds a BPF ELF object for the availability probe', () => {
    const o = buildProbeObject();
    expect([...o.subarray(0, 7)]).toEqual([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
    expect(Buffer.from(o).readUInt16LE(18)).toBe(247); // EM_BPF
    expect(Buffer.from(o).includes(Buffer.from(`${PROBE_PROG}\0`))).toBe(true);
    expect(Buffer.from(o).includes(Buffer.from('GPL\0'))).toBe(true);
  });
});
