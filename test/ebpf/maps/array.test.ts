import { describe, expect, it } from 'vitest';
import {
  ArrayMap, BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_F_MMAPABLE, BPF_F_RDONLY_PROG, BPF_NOEXIST, E2BIG, EEXIST, EINVAL, ENOENT, ENOTSUPP, EPERM,
} from '../../../src/ebpf/maps/index.ts';
import { def, make, readU32, readU64, u32, u64, walk } from './util.ts';

describe('ARRAY: error codes (array_map_update_elem, array_map_delete_elem)', () => {
  // [what, key, flags, expected]
  const updates: [string, number, bigint, number][] = [
    ['BPF_ANY', 1, BPF_ANY, 0],
    ['BPF_EXIST', 1, BPF_EXIST, 0],
    ['BPF_NOEXIST: every element exists', 1, BPF_NOEXIST, -EEXIST],
    ['index out of range', 4, BPF_ANY, -E2BIG],
    ['index out of range beats BPF_NOEXIST', 4, BPF_NOEXIST, -E2BIG],
    ['bad flags beat the range check', 4, 3n, -EINVAL],
    ['BPF_F_LOCK without a spin lock', 1, BPF_F_LOCK, -EINVAL],
  ];
  it.each(updates)('update: %s', (_what, key, flags, expected) => {
    const { m } = make(def('ARRAY', 4, 8, 4));
    expect(m.update(u32(key), u64(7), flags)).toBe(expected);
    expect(m.updateElem(u32(key), u64(7), flags, 0)).toBe(expected);
  });

  it('delete is -EINVAL, even out of range', () => {
    const { m } = make(def('ARRAY', 4, 8, 4));
    expect(m.delete(u32(0))).toBe(-EINVAL);
    expect(m.delete(u32(99))).toBe(-EINVAL);
    expect(m.deleteElem(u32(0), 0)).toBe(-EINVAL);
  });

  it('lookup out of range is -ENOENT (NULL for a program); in range it is zero-initialised', () => {
    const { m } = make(def('ARRAY', 4, 8, 4));
    expect(m.tryLookup(u32(4)).err).toBe(-ENOENT);
    expect(m.lookupElemAddr(u32(4), 0)).toBe(0n);
    expect(readU64(m.lookup(u32(3)) as Uint8Array)).toBe(0n);
  });

  it('get_next_key walks indices; an out-of-range key restarts at 0', () => {
    const { m } = make(def('ARRAY', 4, 8, 3));
    expect(walk(m).map(readU32)).toEqual([0, 1, 2]);
    expect(readU32(m.nextKey(u32(77)) as Uint8Array)).toBe(0);
    expect(m.tryNextKey(u32(2)).err).toBe(-ENOENT);
    expect(m.entries().map((e) => readU32(e.key))).toEqual([0, 1, 2]);
  });
});

describe('ARRAY: values in engine memory', () => {
  it('a program pointer writes through; the region is one element wide', () => {
    const { m, mem } = make(def('ARRAY', 4, 8, 4));
    const p = m.lookupElemAddr(u32(2), 0);
    mem.writable(p, 8).set(u64(99));
    expect(readU64(m.lookup(u32(2)) as Uint8Array)).toBe(99n);
    expect(readU64(m.lookup(u32(3)) as Uint8Array)).toBe(0n);
    expect(() => mem.read(p + 8n, 1)).toThrow(/out of bounds of map 'm' value \[2\]/);
    expect(m.lookupElemAddr(u32(2), 1)).toBe(p);
  });

  it('user updates show through an existing pointer (arrays update in place)', () => {
    const { m, mem } = make(def('ARRAY', 4, 8, 4));
    const p = m.lookupElemAddr(u32(0), 0);
    m.update(u32(0), u64(5));
    expect(readU64(mem.read(p, 8))).toBe(5n);
  });

  it('global data: valueAddr, BPF_F_RDONLY_PROG and freeze', () => {
    const { m, mem } = make({ ...def('ARRAY', 4, 16, 1, BPF_F_RDONLY_PROG | BPF_F_MMAPABLE), name: 'x.rodata' });
    const a = m as ArrayMap;
    expect(m.update(u32(0), new Uint8Array(16).fill(3))).toBe(0);
    expect(a.freeze()).toBe(0);
    expect(m.update(u32(0), new Uint8Array(16))).toBe(-EPERM);
    const p = a.valueAddr(0);
    expect(p).toBe(m.lookupElemAddr(u32(0), 0));
    expect([...mem.read(p + 15n, 1)]).toEqual([3]);
    expect(() => mem.writable(p, 1)).toThrow(/map 'x.rodata' value is read-only/);
    expect(a.directValueAddr(4)).toBe(p + 4n);
    expect(a.directValueAddr(16)).toBe(-EINVAL);
    expect(() => a.valueAddr(1)).toThrow(/no element 1/);
  });

  it('direct value access needs a one-element array', () => {
    const { m } = make(def('ARRAY', 4, 8, 2));
    expect((m as ArrayMap).directValueAddr(0)).toBe(-ENOTSUPP);
  });

  it('BPF_F_LOCK updates an element without touching its lock', () => {
    const { m, mem } = make(def('ARRAY', 4, 8, 2, 0, { spinLockOff: 4 }));
    const p = m.lookupElemAddr(u32(1), 0);
    mem.writable(p + 4n, 4).set([1, 0, 0, 0]);
    expect(m.update(u32(1), new Uint8Array(8).fill(5), BPF_F_LOCK)).toBe(0);
    expect([...mem.read(p, 8)]).toEqual([5, 5, 5, 5, 1, 0, 0, 0]);
    expect([...(m.lookup(u32(1)) as Uint8Array)]).toEqual([5, 5, 5, 5, 0, 0, 0, 0]);
  });
});

describe('PERCPU_ARRAY', () => {
  it('user updates set every CPU (bpf_percpu_array_update)', () => {
    const { m } = make(def('PERCPU_ARRAY', 4, 8, 2), { nCpus: 4 });
    expect(m.update(u32(1), u64(3))).toBe(0);
    expect((m.lookup(u32(1)) as Uint8Array[]).map(readU64)).toEqual([3n, 3n, 3n, 3n]);
    expect(m.update(u32(1), [u64(1), u64(2), u64(3), u64(4)])).toBe(0);
    expect((m.lookup(u32(0)) as Uint8Array[]).map(readU64)).toEqual([0n, 0n, 0n, 0n]);
    expect(m.entries()[1].values?.map(readU64)).toEqual([1n, 2n, 3n, 4n]);
  });

  it('error codes: NOEXIST -EEXIST, range -E2BIG, no BPF_F_LOCK', () => {
    const { m } = make(def('PERCPU_ARRAY', 4, 8, 2));
    expect(m.update(u32(0), u64(1), BPF_NOEXIST)).toBe(-EEXIST);
    expect(m.update(u32(2), u64(1))).toBe(-E2BIG);
    expect(m.update(u32(0), u64(1), BPF_F_LOCK)).toBe(-EINVAL);
    expect(m.delete(u32(0))).toBe(-EINVAL);
  });

  it('a program sees and writes its own CPU only', () => {
    const { m, mem } = make(def('PERCPU_ARRAY', 4, 8, 2), { nCpus: 2 });
    const p0 = m.lookupElemAddr(u32(0), 0);
    const p1 = m.lookupElemAddr(u32(0), 1);
    expect(p0).not.toBe(p1);
    mem.writable(p1, 8).set(u64(11));
    expect(m.updateElem(u32(0), u64(22), BPF_ANY, 0)).toBe(0);
    expect((m.lookup(u32(0)) as Uint8Array[]).map(readU64)).toEqual([22n, 11n]);
    expect(m.lookupElemAddr(u32(0), 2)).toBe(0n);
  });
});
