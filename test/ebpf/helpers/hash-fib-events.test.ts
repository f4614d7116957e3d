import { describe, expect, it } from 'vitest';
import { TestRun, fromHex, u32le } from './harness.ts';
import { flowHash, jhash2 } from '../../../src/ebpf/helpers/index.ts';
import { jhash2 as mapsJhash2, PerfBuffer, PerfEventArrayMap, RingBufMap } from '../../../src/ebpf/maps/index.ts';
import { StandaloneHost, type FibQuery, type FibResult, type Host } from '../../../src/ebpf/runtime/host.ts';

const EINVAL = -22, ENODEV = -19, EAFNOSUPPORT = -97, E2BIG = -7, ENOENT = -2, EOPNOTSUPP = -95, EFAULT = -14, EAGAIN = -11;

const frame = (src: string, dst: string, sport: string, dport: string, proto = '11') =>
  fromHex('020000000002020000000001' + '0800' + `450000200001000040${proto}0000` + src + dst + sport + dport + '000c0000' + '00000000');

describe('flow hash: get_hash_recalc, set_hash, set_hash_invalid', () => {
  it('jhash2 is the kernel jhash2 (include/linux/jhash.h)', () => {
    // Reference values of the C implementation.
    expect(jhash2([], 0)).toBe(0xdeadbeef);
    expect(jhash2([1], 0)).toBe(jhash2([1], 0));
    expect(jhash2([1, 2, 3], 0)).not.toBe(jhash2([3, 2, 1], 0));
    // The maps package's jhash2 (over the words' little-endian bytes) is the same function.
    for (const words of [[1], [1, 2], [1, 2, 3], [0xdeadbeef, 7, 9, 0xffffffff, 5], Array.from({ length: 11 }, (_, i) => i * 0x01010101)]) {
      expect(jhash2(words, 0x1234)).toBe(mapsJhash2(new Uint8Array(new Uint32Array(words).buffer), 0x1234));
    }
  });

  it('is computed once, non-zero, the same in both directions, and different across flows', () => {
    const a = new TestRun({ packet: frame('0a000001', '0a000002', '1f90', '0035') });
    const b = new TestRun({ packet: frame('0a000002', '0a000001', '0035', '1f90') });
    const c = new TestRun({ packet: frame('0a000001', '0a000002', '1f91', '0035') });
    const h = a.num(34, a.skb!.addr) >>> 0;
    expect(h).not.toBe(0);
    expect(a.skb!.get('hash') >>> 0).toBe(h);
    expect(b.num(34, b.skb!.addr) >>> 0).toBe(h);
    expect(c.num(34, c.skb!.addr) >>> 0).not.toBe(h);
    expect(flowHash(a.skb!).l4).toBe(true);
  });

  it('set_hash sticks until set_hash_invalid; then it is recomputed', () => {
    const t = new TestRun({ packet: frame('0a000001', '0a000002', '1f90', '0035') });
    const ctx = t.skb!.addr;
    const h = t.num(34, ctx);
    expect(t.num(48, ctx, 1234)).toBe(0);
    expect(t.num(34, ctx)).toBe(1234);
    expect(t.num(41, ctx)).toBe(0);
    expect(t.skb!.get('hash')).toBe(0);
    expect(t.num(34, ctx)).toBe(h);
  });

  it('fragments hash without ports', () => {
    const f = frame('0a000001', '0a000002', '1f90', '0035');
    f[20] = 0x20; // MF
    const t = new TestRun({ packet: f });
    expect(flowHash(t.skb!).l4).toBe(false);
  });
});

/** A host with devices 1 and 2 whose FIB answers every lookup the same way. */
class FibHost implements Host {
  queries: FibQuery[] = [];
  private readonly base = new StandaloneHost(1);
  constructor(private readonly answer: FibResult) {}
  nowNs(): bigint {
    return this.base.nowNs();
  }
  bootNs(): bigint {
    return this.base.bootNs();
  }
  randomU32(): number {
    return this.base.randomU32();
  }
  hasDevice(ifindex: number): boolean {
    return ifindex === 1 || ifindex === 2;
  }
  fibLookup(q: FibQuery): FibResult {
    this.queries.push(q);
    return this.answer;
  }
  tracePrintk(line: string): void {
    this.base.tracePrintk(line);
  }
}

function fibParams(t: TestRun, family: number, dst: number[], ifindex = 1, totLen = 0): bigint {
  const p = new Uint8Array(64);
  const v = new DataView(p.buffer);
  p[0] = family;
  v.setUint16(6, totLen, true);
  v.setUint32(8, ifindex, true);
  p.set(dst, 32);
  return t.put(64, p);
}

describe('bpf_fib_lookup', () => {
  const ok: FibResult = { ret: 0, ifindex: 2, smac: fromHex('020000000002'), dmac: fromHex('02000000000a'), mtu: 1500 };

  it('asks the host and writes ifindex, MACs and the MTU back into struct bpf_fib_lookup', () => {
    const host = new FibHost(ok);
    const t = new TestRun({ progType: 'BPF_PROG_TYPE_XDP', packet: new Uint8Array(64), host });
    const p = fibParams(t, 2, [10, 0, 0, 9]);
    expect(t.num(69, t.xdp!.addr, p, 64, 0)).toBe(0);
    const out = t.stackBytes(64, 64);
    const v = new DataView(out.buffer);
    expect(v.getUint32(8, true)).toBe(2);
    expect(v.getUint16(6, true)).toBe(1500);
    expect(out.subarray(52, 58)).toEqual(ok.smac);
    expect(out.subarray(58, 64)).toEqual(ok.dmac);
    expect(host.queries[0]).toMatchObject({ family: 2, ifindex: 1, dst: new Uint8Array([10, 0, 0, 9]) });
  });

  it('argument checks and errors as Linux 6.18 returns them', () => {
    const t = new TestRun({ progType: 'BPF_PROG_TYPE_XDP', packet: new Uint8Array(64), host: new FibHost(ok) });
    const ctx = t.xdp!.addr;
    expect(t.num(69, ctx, fibParams(t, 2, [10, 0, 0, 9]), 63, 0)).toBe(EINVAL);
    expect(t.num(69, ctx, fibParams(t, 2, [10, 0, 0, 9]), 64, 0x40)).toBe(EINVAL);
    expect(t.num(69, ctx, fibParams(t, 2, [10, 0, 0, 9]), 64, 0x20)).toBe(0); // BPF_FIB_LOOKUP_MARK
    expect(t.num(69, ctx, fibParams(t, 2, [10, 0, 0, 9], 99), 64, 0)).toBe(ENODEV);
    expect(t.num(69, ctx, fibParams(t, 7, [10, 0, 0, 9]), 64, 0)).toBe(EAFNOSUPPORT);
    expect(t.num(69, ctx, fibParams(t, 10, [0xfe, 0x80, ...new Array(14).fill(0)], 99), 64, 0)).toBe(4); // link-local: NOT_FWDED first
  });

  it('MTU: XDP compares tot_len with the route MTU; tc without tot_len checks the skb', () => {
    const t = new TestRun({ progType: 'BPF_PROG_TYPE_XDP', packet: new Uint8Array(64), host: new FibHost(ok) });
    expect(t.num(69, t.xdp!.addr, fibParams(t, 2, [10, 0, 0, 9], 1, 1501), 64, 0)).toBe(8);
    expect(new DataView(t.stackBytes(64, 8).buffer).getUint16(6, true)).toBe(1500);
    const tc = new TestRun({ packet: new Uint8Array(1600), host: new FibHost(ok) });
    expect(tc.num(69, tc.skb!.addr, fibParams(tc, 2, [10, 0, 0, 9]), 64, 0)).toBe(8);
    const small = new TestRun({ packet: new Uint8Array(1518), host: new FibHost(ok) });
    expect(small.num(69, small.skb!.addr, fibParams(small, 2, [10, 0, 0, 9]), 64, 0)).toBe(0);
  });
});

describe('bpf_perf_event_output', () => {
  function perf(progType: string) {
    const t = new TestRun({ progType, packet: Uint8Array.from({ length: 32 }, (_, i) => i), cpu: 1, nCpus: 2 });
    const m = t.map({ type: 'BPF_MAP_TYPE_PERF_EVENT_ARRAY', maxEntries: 2, valueSize: 4 }) as PerfEventArrayMap;
    m.openBuffers(1);
    return { t, m, ctx: t.xdp?.addr ?? t.skb!.addr };
  }

  it('BPF_F_CURRENT_CPU writes to the running CPU buffer; the packet may follow (BPF_F_CTXLEN_MASK)', () => {
    const { t, m, ctx } = perf('BPF_PROG_TYPE_XDP');
    const data = t.put(0, [0xaa, 0xbb, 0xcc, 0xdd]);
    expect(t.num(25, ctx, m.handle, 0xffff_ffffn | (4n << 32n), data, 4)).toBe(0);
    const recs = m.readCpu(1);
    expect(recs).toHaveLength(1);
    expect(recs[0].type === 'sample' && [...recs[0].data.subarray(0, 8)]).toEqual([0xaa, 0xbb, 0xcc, 0xdd, 0, 1, 2, 3]);
  });

  it('errors: flags, ctx length, index, empty slot, other CPU', () => {
    const { t, m, ctx } = perf('BPF_PROG_TYPE_SCHED_CLS');
    const data = t.put(0, [1, 2, 3, 4]);
    expect(t.num(25, ctx, m.handle, 1n << 60n, data, 4)).toBe(EINVAL);
    expect(t.num(25, ctx, m.handle, 0xffff_ffffn | (33n << 32n), data, 4)).toBe(EFAULT);
    expect(t.num(25, ctx, m.handle, 2, data, 4)).toBe(E2BIG);
    expect(t.num(25, ctx, m.handle, 0, data, 4)).toBe(EOPNOTSUPP);
    m.setEvent(1, undefined);
    expect(t.num(25, ctx, m.handle, 1, data, 4)).toBe(ENOENT);
    m.setEvent(1, new PerfBuffer(1, 1));
    expect(t.num(25, ctx, m.handle, 1, data, 4)).toBe(0);
  });

  it('sk_msg and tracing programs may not append context bytes', () => {
    const { t, m, ctx } = perf('BPF_PROG_TYPE_SK_MSG');
    expect(t.num(25, ctx, m.handle, 0xffff_ffffn | (4n << 32n), t.sp(0), 4)).toBe(EINVAL);
  });
});

describe('ring buffer helpers', () => {
  function ring() {
    const t = new TestRun();
    const m = t.map({ type: 'BPF_MAP_TYPE_RINGBUF', keySize: 0, valueSize: 0, maxEntries: 4096 }) as RingBufMap;
    return { t, m };
  }

  it('reserve, write, submit; discard; output; query', () => {
    const { t, m } = ring();
    const p = t.call(131, m.handle, 8, 0) as bigint;
    expect(p).not.toBe(0n);
    t.mem.writable(p, 8).set([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(t.num(132, p, 0)).toBe(0);
    const q = t.call(131, m.handle, 4, 0) as bigint;
    expect(t.num(133, q, 0)).toBe(0);
    expect(t.num(130, m.handle, t.put(0, [9, 9]), 2, 0)).toBe(0);
    expect(t.num(130, m.handle, t.put(0, [9, 9]), 2, 4)).toBe(EINVAL);
    expect(t.call(134, m.handle, 1)).toBe(4096n);
    const seen: number[][] = [];
    m.consume((s) => void seen.push([...s]));
    expect(seen).toEqual([[1, 2, 3, 4, 5, 6, 7, 8], [9, 9]]);
    expect(t.call(134, m.handle, 0)).toBe(0n);
  });

  it('reserve with flags or too big gives NULL; output without room is -EAGAIN', () => {
    const { t, m } = ring();
    expect(t.call(131, m.handle, 8, 1)).toBe(0n);
    expect(t.call(131, m.handle, 5000, 0)).toBe(0n);
    const big = t.mem.add('mem', 'big', new Uint8Array(4090));
    expect(t.num(130, m.handle, BigInt(big.tag) << 32n, 4090, 0)).toBe(EAGAIN);
    expect(() => t.call(132, t.sp(0), 0)).toThrow(/not a ring buffer sample/);
    void u32le;
  });
});
