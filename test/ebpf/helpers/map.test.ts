import { describe, expect, it } from 'vitest';
import { TestRun, u32le, u64le } from './harness.ts';
import { HelperError } from '../../../src/ebpf/helpers/index.ts';
import { Memory } from '../../../src/ebpf/vm/memory.ts';

const EINVAL = -22, ENOENT = -2, E2BIG = -7, EEXIST = -17;

describe('map helpers (kernel/bpf/helpers.c)', () => {
  it('update, lookup (a real pointer the program writes through), delete on a hash map', () => {
    const t = new TestRun();
    const m = t.map({ type: 'BPF_MAP_TYPE_HASH' });
    const key = t.put(0, u32le(7));
    const val = t.put(8, u64le(42n));
    expect(t.num(2, m.handle, key, val, 0)).toBe(0);
    expect(t.num(2, m.handle, key, val, 1 /* BPF_NOEXIST */)).toBe(EEXIST);
    const p = t.call(1, m.handle, key) as bigint;
    expect(p).not.toBe(0n);
    t.mem.writable(p, 8).set(u64le(43n));
    expect(new DataView((m.lookup(u32le(7)) as Uint8Array).buffer).getBigUint64(0, true)).toBe(43n);
    expect(t.num(3, m.handle, key)).toBe(0);
    expect(t.call(1, m.handle, key)).toBe(0n);
    expect(t.num(3, m.handle, key)).toBe(ENOENT);
  });

  it('reads exactly key_size bytes through the memory model', () => {
    const t = new TestRun();
    const m = t.map({ type: 'BPF_MAP_TYPE_HASH', keySize: 8 });
    // A key starting 4 bytes before the end of the stack runs out of it: the run stops with a fault.
    expect(() => t.call(1, m.handle, t.sp(508))).toThrow(/out of bounds/);
  });

  it('array maps: out-of-range index gives NULL and -E2BIG', () => {
    const t = new TestRun();
    const m = t.map({ type: 'BPF_MAP_TYPE_ARRAY', maxEntries: 4 });
    expect(t.call(1, m.handle, t.put(0, u32le(3)))).not.toBe(0n);
    expect(t.call(1, m.handle, t.put(0, u32le(4)))).toBe(0n);
    expect(t.num(2, m.handle, t.put(0, u32le(4)), t.put(8, u64le(1n)), 0)).toBe(E2BIG);
    expect(t.num(3, m.handle, t.put(0, u32le(1)))).toBe(EINVAL);
  });

  it('bpf_map_lookup_percpu_elem: each CPU has its value; a CPU that does not exist gives NULL', () => {
    const t = new TestRun({ nCpus: 2 });
    const m = t.map({ type: 'BPF_MAP_TYPE_PERCPU_ARRAY', maxEntries: 2 });
    const k = t.put(0, u32le(1));
    const a = t.call(195, m.handle, k, 0) as bigint;
    const b = t.call(195, m.handle, k, 1) as bigint;
    expect(a).not.toBe(0n);
    expect(b).not.toBe(a);
    expect(t.call(195, m.handle, k, 2)).toBe(0n);
  });

  it('queue: push, peek, pop in FIFO order; an empty pop writes zeros and gives -ENOENT', () => {
    const t = new TestRun();
    const q = t.map({ type: 'BPF_MAP_TYPE_QUEUE', keySize: 0, valueSize: 4, maxEntries: 2 });
    expect(t.num(87, q.handle, t.put(0, u32le(1)), 0)).toBe(0);
    expect(t.num(87, q.handle, t.put(0, u32le(2)), 0)).toBe(0);
    expect(t.num(87, q.handle, t.put(0, u32le(3)), 0)).toBe(E2BIG);
    expect(t.num(87, q.handle, t.put(0, u32le(3)), 2 /* BPF_EXIST */)).toBe(0);
    expect(t.num(89, q.handle, t.sp(16))).toBe(0);
    expect(t.stackBytes(16, 4)).toEqual(u32le(2));
    expect(t.num(88, q.handle, t.sp(16))).toBe(0);
    expect(t.num(88, q.handle, t.sp(16))).toBe(0);
    expect(t.stackBytes(16, 4)).toEqual(u32le(3));
    t.put(16, [9, 9, 9, 9]);
    expect(t.num(88, q.handle, t.sp(16))).toBe(ENOENT);
    expect(t.stackBytes(16, 4)).toEqual(u32le(0));
  });

  it('stack: LIFO order', () => {
    const t = new TestRun();
    const s = t.map({ type: 'BPF_MAP_TYPE_STACK', keySize: 0, valueSize: 4, maxEntries: 4 });
    for (const v of [1, 2, 3]) t.num(87, s.handle, t.put(0, u32le(v)), 0);
    const out: number[] = [];
    while (t.num(88, s.handle, t.sp(8)) === 0) out.push(t.stackBytes(8, 4)[0]);
    expect(out).toEqual([3, 2, 1]);
  });

  it('push on a map that is no queue is refused like the verifier would', () => {
    const t = new TestRun();
    const m = t.map({ type: 'BPF_MAP_TYPE_HASH' });
    expect(() => t.call(87, m.handle, t.sp(0), 0)).toThrow(HelperError);
    expect(() => t.call(1, 0x1234n, t.sp(0))).toThrow(/not a map/);
  });

  it('bpf_for_each_map_elem: visits (map, &key, &value, ctx), stops when the callback returns 1, counts visits', () => {
    const t = new TestRun();
    const m = t.map({ type: 'BPF_MAP_TYPE_ARRAY', maxEntries: 5 });
    const seen: number[] = [];
    t.callback = (pc, [map, key, value, ctx]) => {
      expect(pc).toBe(17);
      expect(map).toBe(m.handle);
      expect(ctx).toBe(99n);
      const k = new DataView(t.mem.read(key, 4).slice().buffer).getUint32(0, true);
      seen.push(k);
      t.mem.writable(value, 8).set(u64le(BigInt(k * 10)));
      // The key is read-only for the callback.
      expect(() => t.mem.writable(key, 4)).toThrow(/read-only/);
      return k === 2 ? 1n : 0n;
    };
    const cb = (0x1000n << 32n) | 17n;
    expect(t.num(164, m.handle, cb, 99, 0)).toBe(3);
    expect(seen).toEqual([0, 1, 2]);
    expect(new DataView((m.lookup(u32le(2)) as Uint8Array).buffer).getBigUint64(0, true)).toBe(20n);
    expect(t.num(164, m.handle, cb, 99, 1)).toBe(EINVAL);
  });

  it('bpf_for_each_map_elem over a hash map survives deleting the current element', () => {
    const t = new TestRun();
    const m = t.map({ type: 'BPF_MAP_TYPE_HASH' });
    for (const k of [5, 6, 7]) m.update(u32le(k), u64le(1n));
    t.callback = (_pc, [map, key]) => {
      t.num(3, map, key);
      return 0n;
    };
    expect(t.num(164, m.handle, 0n, 0, 0)).toBe(3);
    expect(m.entries()).toHaveLength(0);
    // The scratch key regions are gone.
    expect(t.mem.regions.filter((r) => r?.kind === 'rodata')).toHaveLength(0);
    void Memory;
  });
});
