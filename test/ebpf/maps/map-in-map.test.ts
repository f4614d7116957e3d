import { describe, expect, it } from 'vitest';
import {
  BPF_ANY, BPF_EXIST, BPF_F_INNER_MAP, BPF_NOEXIST, E2BIG, EBADF, EEXIST, EINVAL, ENOENT, MapInMap, createMap, mapFromHandle, type BpfMap,
  type FdObject,
} from '../../../src/ebpf/maps/index.ts';
import { def, make, readU32, setup, u32, u64 } from './util.ts';

describe('ARRAY_OF_MAPS and HASH_OF_MAPS (map_in_map.c)', () => {
  it('a program lookup returns the inner map handle, and the inner map works through it', () => {
    const mem = setup();
    const inner = createMap(def('HASH', 4, 8, 8), mem, { nCpus: 2, id: 50 });
    const outer = createMap(def('ARRAY_OF_MAPS', 4, 4, 4, 0, { innerMap: def('HASH', 4, 8, 4) }), mem, { nCpus: 2 }) as MapInMap;
    expect(outer.setInner(1, inner)).toBe(0);
    const h = outer.lookupElemAddr(u32(1), 0);
    expect(h).toBe(inner.handle);
    const found = mapFromHandle(mem, h) as BpfMap;
    expect(found.updateElem(u32(7), u64(70), BPF_ANY, 0)).toBe(0);
    expect(inner.lookup(u32(7))).toEqual(u64(70));
    expect(outer.lookupElemAddr(u32(2), 0)).toBe(0n);
    expect(outer.lookupElemAddr(u32(9), 0)).toBe(0n);
    expect(readU32(outer.lookup(u32(1)) as Uint8Array)).toBe(50);
    expect(outer.entries().map((e) => [readU32(e.key), readU32(e.value as Uint8Array)])).toEqual([[1, 50]]);
  });

  it('inner maps must match the template: type, sizes, flags, and max_entries for arrays', () => {
    const mem = setup();
    const mk = (d = def('ARRAY', 4, 8, 4)) => createMap(d, mem, { nCpus: 1 });
    const outer = createMap(def('ARRAY_OF_MAPS', 4, 4, 2, 0, { innerMap: def('ARRAY', 4, 8, 4) }), mem, { nCpus: 1 }) as MapInMap;
    expect(outer.setInner(0, mk())).toBe(0);
    expect(outer.setInner(0, mk(def('ARRAY', 4, 8, 8)))).toBe(-EINVAL);
    expect(outer.setInner(0, mk(def('ARRAY', 4, 4, 4)))).toBe(-EINVAL);
    expect(outer.setInner(0, mk(def('HASH', 4, 8, 4)))).toBe(-EINVAL);
    expect(outer.setInner(0, mk(def('ARRAY', 4, 8, 4, BPF_F_INNER_MAP)))).toBe(-EINVAL);
    const dyn = createMap(def('ARRAY_OF_MAPS', 4, 4, 2, 0, { innerMap: def('ARRAY', 4, 8, 4, BPF_F_INNER_MAP) }), mem, { nCpus: 1 }) as MapInMap;
    expect(dyn.setInner(0, mk(def('ARRAY', 4, 8, 64, BPF_F_INNER_MAP)))).toBe(0);
    const hashes = createMap(def('HASH_OF_MAPS', 4, 4, 2, 0, { innerMap: def('HASH', 4, 8, 4) }), mem, { nCpus: 1 }) as MapInMap;
    // Hash inner maps may differ in max_entries.
    expect(hashes.setInner(u32(1), mk(def('HASH', 4, 8, 1000)))).toBe(0);
  });

  it('ARRAY_OF_MAPS: BPF_ANY only, -E2BIG out of range, fds resolve to maps', () => {
    const mem = setup();
    const inner = createMap(def('ARRAY', 4, 8, 4), mem, { nCpus: 1 });
    const fds: Record<number, FdObject> = { 3: { kind: 'map', obj: inner }, 4: { kind: 'prog', obj: {} } };
    const { m } = make<MapInMap>(def('ARRAY_OF_MAPS', 4, 4, 2, 0, { innerMap: def('ARRAY', 4, 8, 4) }), { host: { fd: (fd) => fds[fd] } }, mem);
    expect(m.update(u32(0), u32(3), BPF_NOEXIST)).toBe(-EINVAL);
    expect(m.update(u32(2), u32(3))).toBe(-E2BIG);
    expect(m.update(u32(0), u32(9))).toBe(-EBADF);
    expect(m.update(u32(0), u32(4))).toBe(-EINVAL);
    expect(m.update(u32(0), u32(3))).toBe(0);
    expect(m.inner(0)).toBe(inner);
    expect(m.delete(u32(1))).toBe(-ENOENT);
    expect(m.delete(u32(2))).toBe(-E2BIG);
    expect(m.delete(u32(0))).toBe(0);
    expect(m.updateElem(u32(0), u32(3), BPF_ANY, 0)).toBe(-95);
  });

  it('HASH_OF_MAPS: hash flags and -E2BIG when full', () => {
    const mem = setup();
    const a = createMap(def('HASH', 4, 8, 4), mem, { nCpus: 1 });
    const { m } = make<MapInMap>(def('HASH_OF_MAPS', 4, 4, 1, 0, { innerMap: def('HASH', 4, 8, 4) }), {}, mem);
    expect(m.setInner(u32(1), a, BPF_EXIST)).toBe(-ENOENT);
    expect(m.setInner(u32(1), a, BPF_NOEXIST)).toBe(0);
    expect(m.setInner(u32(1), a, BPF_NOEXIST)).toBe(-EEXIST);
    expect(m.setInner(u32(2), a)).toBe(-E2BIG);
    expect(m.setInner(u32(1), a, 3n)).toBe(-EINVAL);
    expect(m.lookupElemAddr(u32(1), 0)).toBe(a.handle);
    expect(m.delete(u32(2))).toBe(-ENOENT);
    expect(m.delete(u32(1))).toBe(0);
    expect(m.tryNextKey().err).toBe(-ENOENT);
  });
});
