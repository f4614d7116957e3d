import { describe, expect, it } from 'vitest';
import { BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_F_NO_COMMON_LRU, BPF_NOEXIST, EEXIST, EINVAL, ENOENT, type BpfMap } from '../../../src/ebpf/maps/index.ts';
import { def, make, readU64, u32, u64 } from './util.ts';

const keys = (m: BpfMap): number[] => m.entries().map((e) => e.key[0]);

describe('LRU_HASH: eviction (least recently used by a logical clock)', () => {
  it('a full map evicts the least recently inserted key', () => {
    const { m } = make(def('LRU_HASH', 4, 8, 3));
    for (const k of [1, 2, 3, 4]) expect(m.update(u32(k), u64(k))).toBe(0);
    expect(keys(m)).toEqual([2, 3, 4]);
    m.update(u32(5), u64(5));
    expect(keys(m)).toEqual([3, 4, 5]);
  });

  it('a program lookup marks a key used; a user-space lookup does not', () => {
    const { m } = make(def('LRU_HASH', 4, 8, 3));
    for (const k of [1, 2, 3]) m.update(u32(k), u64(k));
    expect(m.lookupElemAddr(u32(1), 0)).not.toBe(0n);
    expect(m.lookup(u32(2))).toBeDefined();
    m.update(u32(4), u64(4));
    expect(keys(m)).toEqual([1, 3, 4]);
    m.update(u32(5), u64(5));
    expect(keys(m)).toEqual([1, 4, 5]);
  });

  it('program and user updates mark a key used', () => {
    const { m } = make(def('LRU_HASH', 4, 8, 3));
    for (const k of [1, 2, 3]) m.update(u32(k), u64(k));
    m.updateElem(u32(2), u64(20), BPF_EXIST, 0);
    m.update(u32(6), u64(6));
    expect(keys(m)).toEqual([2, 3, 6]);
  });

  it('BPF_EXIST on the least recently used key of a full map evicts that very key (checked against Linux 6.18)', () => {
    const { m } = make(def('LRU_HASH', 4, 8, 3));
    for (const k of [1, 2, 3]) m.update(u32(k), u64(k));
    expect(m.update(u32(1), u64(9), BPF_EXIST)).toBe(-ENOENT);
    expect(keys(m)).toEqual([2, 3]);
  });

  it('a full map takes a node before checking flags: a failed BPF_EXIST still evicts (Linux does the same)', () => {
    const { m } = make(def('LRU_HASH', 4, 8, 2));
    m.update(u32(1), u64(1));
    m.update(u32(2), u64(2));
    expect(m.update(u32(9), u64(9), BPF_EXIST)).toBe(-ENOENT);
    expect(keys(m)).toEqual([2]);
  });

  it('replacing the least recently used key of a full map keeps every key', () => {
    const { m } = make(def('LRU_HASH', 4, 8, 2));
    m.update(u32(1), u64(1));
    m.update(u32(2), u64(2));
    expect(m.update(u32(1), u64(7))).toBe(0);
    expect(keys(m)).toEqual([1, 2]);
    m.update(u32(3), u64(3));
    expect(keys(m)).toEqual([1, 3]);
  });

  it('never fails with -E2BIG', () => {
    const { m } = make(def('LRU_HASH', 4, 8, 4));
    for (let k = 0; k < 100; k++) expect(m.updateElem(u32(k), u64(k), BPF_NOEXIST, 0)).toBe(0);
    expect(keys(m)).toEqual([96, 97, 98, 99]);
  });

  it('flags: NOEXIST, EXIST, and no BPF_F_LOCK', () => {
    const { m } = make(def('LRU_HASH', 4, 8, 4, 0, { spinLockOff: 0 }));
    expect(m.update(u32(1), u64(1), BPF_NOEXIST)).toBe(0);
    expect(m.update(u32(1), u64(1), BPF_NOEXIST)).toBe(-EEXIST);
    expect(m.update(u32(1), u64(1), BPF_F_LOCK)).toBe(-EINVAL);
    expect(m.update(u32(1), u64(1), 3n)).toBe(-EINVAL);
    expect(m.delete(u32(1))).toBe(0);
    expect(m.delete(u32(1))).toBe(-ENOENT);
  });

  it('an evicted value region is freed', () => {
    const { m, mem } = make(def('LRU_HASH', 4, 8, 1));
    m.update(u32(1), u64(1));
    const p = m.lookupElemAddr(u32(1), 0);
    expect(mem.regionOf(p)?.bytes[0]).toBe(1);
    m.update(u32(2), u64(2));
    // The freed tag is reused for the new element, as the kernel reuses the node.
    expect(mem.regions.filter((r) => r?.kind === 'map_value')).toHaveLength(1);
    expect(m.lookup(u32(1))).toBeUndefined();
  });

  it('BPF_F_NO_COMMON_LRU keeps one list of max_entries / nCPUs nodes per CPU', () => {
    const { m } = make(def('LRU_HASH', 4, 8, 4, BPF_F_NO_COMMON_LRU), { nCpus: 2 });
    for (const k of [1, 2, 3]) m.updateElem(u32(k), u64(k), BPF_ANY, 0);
    // CPU 0 holds two nodes: key 1 went; CPU 1 still has room.
    expect(keys(m)).toEqual([2, 3]);
    for (const k of [10, 11]) m.updateElem(u32(k), u64(k), BPF_ANY, 1);
    expect(keys(m)).toEqual([2, 3, 10, 11]);
    m.updateElem(u32(12), u64(12), BPF_ANY, 1);
    expect(keys(m)).toEqual([2, 3, 11, 12]);
    // User-space updates run on CPU 0 (as bpftool pinned to CPU 0 does).
    for (const k of [4, 5, 6]) m.update(u32(k), u64(k));
    expect(keys(m)).toEqual([5, 6, 11, 12]);
  });
});

describe('LRU_PERCPU_HASH', () => {
  it('updates in place, BPF_EXIST takes no node, other updates may evict', () => {
    const { m } = make(def('LRU_PERCPU_HASH', 4, 8, 2), { nCpus: 2 });
    m.update(u32(1), u64(1));
    m.update(u32(2), u64(2));
    const p = m.lookupElemAddr(u32(1), 1);
    expect(m.updateElem(u32(1), u64(5), BPF_EXIST, 1)).toBe(0);
    expect(m.lookupElemAddr(u32(1), 1)).toBe(p);
    expect((m.lookup(u32(1)) as Uint8Array[]).map(readU64)).toEqual([1n, 5n]);
    expect(keys(m)).toEqual([1, 2]);
    // BPF_ANY on a present key takes a node: the LRU key (2) goes.
    expect(m.updateElem(u32(1), u64(6), BPF_ANY, 0)).toBe(0);
    expect(keys(m)).toEqual([1]);
    expect((m.lookup(u32(1)) as Uint8Array[]).map(readU64)).toEqual([6n, 5n]);
  });

  it('a new key from a program starts at zero on the other CPUs', () => {
    const { m } = make(def('LRU_PERCPU_HASH', 4, 8, 2), { nCpus: 3 });
    m.updateElem(u32(1), u64(3), BPF_ANY, 2);
    expect((m.lookup(u32(1)) as Uint8Array[]).map(readU64)).toEqual([0n, 0n, 3n]);
  });
});
