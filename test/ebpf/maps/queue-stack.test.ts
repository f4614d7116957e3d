import { describe, expect, it } from 'vitest';
import { BPF_ANY, BPF_EXIST, BPF_F_RDONLY, BPF_NOEXIST, E2BIG, EINVAL, ENOENT, EPERM, QueueStackMap } from '../../../src/ebpf/maps/index.ts';
import { def, make, readU32, u32 } from './util.ts';

const empty = new Uint8Array(0);
const qs = (type: 'QUEUE' | 'STACK', max = 3, flags = 0): QueueStackMap => make<QueueStackMap>(def(type, 0, 4, max, flags)).m;
const drain = (m: QueueStackMap): number[] => {
  const out: number[] = [];
  for (let r = m.pop(); r.err === 0; r = m.pop()) out.push(readU32(r.data as Uint8Array));
  return out;
};

describe('QUEUE and STACK (queue_stack_maps.c)', () => {
  // [type, pushes, pop order]
  const orders: ['QUEUE' | 'STACK', number[], number[]][] = [
    ['QUEUE', [1, 2, 3], [1, 2, 3]],
    ['STACK', [1, 2, 3], [3, 2, 1]],
  ];
  it.each(orders)('%s pops in order', (type, pushes, popped) => {
    const m = qs(type);
    for (const v of pushes) expect(m.push(u32(v))).toBe(0);
    expect(readU32(m.peek().data as Uint8Array)).toBe(popped[0]);
    expect(m.count).toBe(3);
    expect(m.entries().map((e) => readU32(e.value as Uint8Array))).toEqual(popped);
    expect(drain(m)).toEqual(popped);
  });

  // [type, flags, result of the 4th push into a full map, then pop order]
  const full: ['QUEUE' | 'STACK', bigint, number, number[]][] = [
    ['QUEUE', BPF_ANY, -E2BIG, [1, 2, 3]],
    ['STACK', BPF_ANY, -E2BIG, [3, 2, 1]],
    // BPF_EXIST makes room by dropping the oldest element, for a stack its bottom.
    ['QUEUE', BPF_EXIST, 0, [2, 3, 4]],
    ['STACK', BPF_EXIST, 0, [4, 3, 2]],
    ['QUEUE', BPF_NOEXIST, -EINVAL, [1, 2, 3]],
    ['QUEUE', 4n, -EINVAL, [1, 2, 3]],
  ];
  it.each(full)('%s full, flags %s', (type, flags, result, popped) => {
    const m = qs(type);
    for (const v of [1, 2, 3]) m.push(u32(v));
    expect(m.push(u32(4), flags)).toBe(result);
    expect(drain(m)).toEqual(popped);
  });

  it('pop and peek of an empty map are -ENOENT with a zeroed value', () => {
    const m = qs('QUEUE');
    m.push(u32(7));
    expect(m.pop().err).toBe(0);
    expect(m.pop()).toEqual({ err: -ENOENT, data: new Uint8Array(4) });
    expect(m.peek().err).toBe(-ENOENT);
  });

  it('wraps around its ring of max_entries + 1 slots', () => {
    const m = qs('QUEUE', 2);
    for (let i = 0; i < 10; i++) {
      expect(m.push(u32(i), BPF_EXIST)).toBe(0);
      if (i % 3 === 0) m.pop();
    }
    expect(drain(m)).toEqual([9]);
  });

  it('from user space: lookup peeks, update pushes, lookupAndDelete pops, delete and get_next_key are -EINVAL', () => {
    const m = qs('STACK');
    expect(m.update(empty, u32(5))).toBe(0);
    expect(m.update(empty, u32(6))).toBe(0);
    expect(readU32(m.lookup(empty) as Uint8Array)).toBe(6);
    expect(readU32(m.lookupAndDelete().data as Uint8Array)).toBe(6);
    expect(m.delete(empty)).toBe(-EINVAL);
    expect(m.tryNextKey().err).toBe(-EINVAL);
    expect(m.lookupElemAddr(empty, 0)).toBe(0n);
    expect(m.updateElem(empty, u32(1), BPF_ANY, 0)).toBe(-EINVAL);
    expect(m.deleteElem(empty, 0)).toBe(-EINVAL);
    expect(qs('QUEUE').tryLookup(empty).err).toBe(-ENOENT);
  });

  it('BPF_F_RDONLY maps cannot be popped from user space', () => {
    const m = qs('QUEUE', 2, BPF_F_RDONLY);
    expect(m.update(empty, u32(1))).toBe(-EPERM);
    expect(m.push(u32(1))).toBe(0);
    expect(m.lookupAndDelete().err).toBe(-EPERM);
  });
});
