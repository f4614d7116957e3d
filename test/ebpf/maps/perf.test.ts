import { describe, expect, it } from 'vitest';
import {
  BPF_ANY, BPF_EXIST, BPF_F_CURRENT_CPU, E2BIG, EBADF, EFAULT, EINVAL, ENOENT, ENOSPC, ENOTSUPP, EOPNOTSUPP, PerfBuffer,
  PerfEventArrayMap, type FdObject,
} from '../../../src/ebpf/maps/index.ts';
import { def, make, u32 } from './util.ts';

const perf = (max = 4, nCpus = 2, fds: Record<number, FdObject> = {}) =>
  make<PerfEventArrayMap>(def('PERF_EVENT_ARRAY', 4, 4, max), { nCpus, host: { fd: (fd) => fds[fd] } }).m;
const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

describe('PERF_EVENT_ARRAY: bpf_perf_event_output', () => {
  // [what, running cpu, flags, expected]
  const routes: [string, number, bigint, number][] = [
    ['BPF_F_CURRENT_CPU on CPU 0', 0, BPF_F_CURRENT_CPU, 0],
    ['BPF_F_CURRENT_CPU on CPU 1', 1, BPF_F_CURRENT_CPU, 0],
    ['index of the running CPU', 1, 1n, 0],
    ['index of another CPU: -EOPNOTSUPP', 0, 1n, -EOPNOTSUPP],
    ['index without an event: -ENOENT', 0, 3n, -ENOENT],
    ['index past max_entries: -E2BIG', 0, 4n, -E2BIG],
    ['unknown flag bits: -EINVAL', 0, 1n << 40n, -EINVAL],
  ];
  it.each(routes)('%s', (_what, cpu, flags, expected) => {
    const m = perf();
    m.openBuffers(1);
    expect(m.output(cpu, flags, bytes(4, 1))).toBe(expected);
  });

  it('each CPU reads its own buffer; samples carry the raw data padded to 8 bytes with its u32 size', () => {
    const m = perf();
    m.openBuffers(1);
    m.output(0, BPF_F_CURRENT_CPU, Uint8Array.of(1, 2, 3, 4, 5));
    m.output(1, BPF_F_CURRENT_CPU, Uint8Array.of(9));
    m.output(0, BPF_F_CURRENT_CPU, bytes(4, 7));
    expect(m.readCpu(0)).toEqual([
      { type: 'sample', data: Uint8Array.of(1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0, 0) },
      { type: 'sample', data: Uint8Array.of(7, 7, 7, 7) },
    ]);
    expect(m.readCpu(1)).toEqual([{ type: 'sample', data: Uint8Array.of(9, 0, 0, 0) }]);
    expect(m.readCpu(0)).toEqual([]);
  });

  it('a full buffer loses samples, counts them, and reports them before the next sample', () => {
    const m = perf();
    const [b0] = m.openBuffers(1);
    // Each 60-byte sample is an 8 + 64 byte record; 4096 bytes hold 56 of them (never the last byte).
    let ok = 0;
    while (m.output(0, BPF_F_CURRENT_CPU, bytes(60, ok & 0xff)) === 0) ok++;
    expect(ok).toBe(56);
    expect(m.output(0, BPF_F_CURRENT_CPU, bytes(60, 0))).toBe(-ENOSPC);
    expect(m.lost(0)).toBe(2);
    expect(m.lost(1)).toBe(0);
    expect(b0.pending).toBe(56 * 72);
    expect(m.readCpu(0)).toHaveLength(56);
    expect(m.output(0, BPF_F_CURRENT_CPU, bytes(4, 5))).toBe(0);
    const recs = m.readCpu(0);
    expect(recs[0]).toEqual({ type: 'lost', lost: 2 });
    expect(recs[1]).toEqual({ type: 'sample', data: bytes(4, 5) });
    expect(m.lost(0)).toBe(2);
  });

  it('skb/XDP programs append packet bytes with BPF_F_CTXLEN_MASK', () => {
    const m = perf();
    m.openBuffers(1);
    const pkt = Uint8Array.of(0xaa, 0xbb, 0xcc, 0xdd);
    expect(m.output(0, BPF_F_CURRENT_CPU | (3n << 32n), Uint8Array.of(1), pkt)).toBe(0);
    expect(m.readCpu(0)[0]).toEqual({ type: 'sample', data: Uint8Array.of(1, 0xaa, 0xbb, 0xcc) });
    expect(m.output(0, BPF_F_CURRENT_CPU | (5n << 32n), Uint8Array.of(1), pkt)).toBe(-EFAULT);
    // The tracing variant has no packet: the length bits are invalid there.
    expect(m.output(0, BPF_F_CURRENT_CPU | (1n << 32n), Uint8Array.of(1))).toBe(-EINVAL);
  });

  it('buffers must be a power of 2 pages', () => {
    expect(() => new PerfBuffer(0, 3)).toThrow(/power of 2/);
  });
});

describe('PERF_EVENT_ARRAY: user side', () => {
  it('updates take perf event fds with BPF_ANY only; lookups are -ENOTSUPP; deletes', () => {
    const buf = new PerfBuffer(1, 2);
    const m = perf(4, 2, { 7: { kind: 'perf_event', obj: buf }, 8: { kind: 'prog', obj: {} } });
    expect(m.update(u32(1), u32(7), BPF_EXIST)).toBe(-EINVAL);
    expect(m.update(u32(4), u32(7))).toBe(-E2BIG);
    expect(m.update(u32(1), u32(9))).toBe(-EBADF);
    expect(m.update(u32(1), u32(8))).toBe(-EBADF);
    expect(m.update(u32(1), u32(7), BPF_ANY)).toBe(0);
    expect(m.buffer(1)).toBe(buf);
    expect(m.output(1, 1n, bytes(1, 1))).toBe(0);
    expect(m.tryLookup(u32(1)).err).toBe(-ENOTSUPP);
    expect(m.entries().map((e) => e.key[0])).toEqual([1]);
    expect(m.delete(u32(1))).toBe(0);
    expect(m.delete(u32(1))).toBe(-ENOENT);
    expect(m.delete(u32(4))).toBe(-E2BIG);
    expect(m.setEvent(9, buf)).toBe(-E2BIG);
  });
});
