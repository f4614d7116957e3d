import { describe, expect, it } from 'vitest';
import {
  BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_WRONLY, BPF_F_WRONLY_PROG, BPF_F_ZERO_SEED, BPF_NOEXIST,
  E2BIG, EEXIST, EINVAL, ENOENT, EPERM, htabHash, type BpfMap,
} from '../../../src/ebpf/maps/index.ts';
import { def, hex, make, readU64, u32, u64, walk } from './util.ts';

type Op = ['update', number, number, bigint, number] | ['delete', number, number] | ['lookup', number, number | undefined];

/** Run user-side ops on a 4-byte-key, 8-byte-value map; each op states its expected result. */
function run(m: BpfMap, ops: Op[]): void {
  for (const op of ops) {
    if (op[0] === 'update') expect(m.update(u32(op[1]), u64(op[2]), op[3]), `update ${op[1]} flags ${op[3]}`).toBe(op[4]);
    else if (op[0] === 'delete') expect(m.delete(u32(op[1])), `delete ${op[1]}`).toBe(op[2]);
    else {
      const v = m.lookup(u32(op[1]));
      expect(v === undefined ? undefined : Number(readU64(v as Uint8Array)), `lookup ${op[1]}`).toBe(op[2]);
    }
  }
}

describe('HASH: flags and error codes (htab_map_update_elem)', () => {
  const cases: [string, Op[]][] = [
    ['NOEXIST adds, then refuses with -EEXIST', [['update', 1, 10, BPF_NOEXIST, 0], ['update', 1, 11, BPF_NOEXIST, -EEXIST], ['lookup', 1, 10]]],
    ['EXIST on a missing key is -ENOENT', [['update', 1, 10, BPF_EXIST, -ENOENT], ['lookup', 1, undefined]]],
    ['EXIST replaces a present key', [['update', 1, 10, BPF_ANY, 0], ['update', 1, 11, BPF_EXIST, 0], ['lookup', 1, 11]]],
    ['ANY adds and replaces', [['update', 1, 10, BPF_ANY, 0], ['update', 1, 12, BPF_ANY, 0], ['lookup', 1, 12]]],
    ['a full map refuses a new key with -E2BIG', [['update', 1, 1, BPF_ANY, 0], ['update', 2, 2, BPF_ANY, 0], ['update', 3, 3, BPF_ANY, -E2BIG], ['lookup', 3, undefined]]],
    ['a full map still replaces existing keys', [['update', 1, 1, BPF_ANY, 0], ['update', 2, 2, BPF_ANY, 0], ['update', 2, 5, BPF_ANY, 0], ['update', 1, 6, BPF_EXIST, 0], ['lookup', 2, 5]]],
    ['a full map frees room on delete', [['update', 1, 1, BPF_ANY, 0], ['update', 2, 2, BPF_ANY, 0], ['delete', 1, 0], ['update', 3, 3, BPF_NOEXIST, 0]]],
    ['NOEXIST|EXIST is -EINVAL', [['update', 1, 1, 3n, -EINVAL]]],
    ['unknown flag bits are -EINVAL', [['update', 1, 1, 8n, -EINVAL], ['update', 1, 1, 1n << 32n, -EINVAL]]],
    ['BPF_F_LOCK without a spin lock is -EINVAL', [['update', 1, 1, BPF_F_LOCK, -EINVAL]]],
    ['delete of a missing key is -ENOENT', [['delete', 7, -ENOENT], ['update', 7, 1, BPF_ANY, 0], ['delete', 7, 0], ['delete', 7, -ENOENT]]],
  ];
  it.each(cases)('%s', (_what, ops) => {
    run(make(def('HASH', 4, 8, 2)).m, ops);
  });

  it('program-side updates use the same rules', () => {
    const { m } = make(def('HASH', 4, 8, 1));
    expect(m.updateElem(u32(1), u64(1), BPF_EXIST, 0)).toBe(-ENOENT);
    expect(m.updateElem(u32(1), u64(1), BPF_NOEXIST, 0)).toBe(0);
    expect(m.updateElem(u32(1), u64(2), BPF_NOEXIST, 0)).toBe(-EEXIST);
    expect(m.updateElem(u32(2), u64(2), BPF_ANY, 0)).toBe(-E2BIG);
    expect(m.deleteElem(u32(2), 0)).toBe(-ENOENT);
    expect(m.deleteElem(u32(1), 0)).toBe(0);
  });

  it('rejects keys and values of the wrong size from user space', () => {
    const { m } = make(def('HASH', 4, 8, 2));
    expect(() => m.update(new Uint8Array(3), u64(1))).toThrow(/key must be 4 bytes, got 3/);
    expect(() => m.update(u32(1), new Uint8Array(4))).toThrow(/value must be 8 bytes, got 4/);
  });
});

describe('HASH: values live in engine memory', () => {
  it('a lookup pointer reads and writes the stored value', () => {
    const { m, mem } = make(def('HASH', 4, 8, 4));
    m.update(u32(1), u64(41));
    const p = m.lookupElemAddr(u32(1), 0);
    expect(p).not.toBe(0n);
    expect(readU64(mem.read(p, 8))).toBe(41n);
    mem.writable(p, 8).set(u64(42));
    expect(readU64(m.lookup(u32(1)) as Uint8Array)).toBe(42n);
    expect(mem.regionOf(p)?.name).toBe("map 'm' value");
    expect(mem.regionOf(p)?.kind).toBe('map_value');
  });

  it('an access past the value faults', () => {
    const { m, mem } = make(def('HASH', 4, 8, 4));
    m.update(u32(1), u64(1));
    const p = m.lookupElemAddr(u32(1), 0);
    expect(() => mem.read(p + 8n, 1)).toThrow(/out of bounds of map 'm' value/);
    expect(() => mem.read(p + 4n, 8)).toThrow(/out of bounds/);
    expect(() => mem.read(p - 1n, 1)).toThrow();
  });

  it('a missing key gives NULL', () => {
    const { m } = make(def('HASH', 4, 8, 4));
    expect(m.lookupElemAddr(u32(9), 0)).toBe(0n);
  });

  it('delete frees the value region', () => {
    const { m, mem } = make(def('HASH', 4, 8, 4));
    m.update(u32(1), u64(1));
    const p = m.lookupElemAddr(u32(1), 0);
    const before = mem.regions.filter(Boolean).length;
    expect(m.delete(u32(1))).toBe(0);
    expect(mem.regions.filter(Boolean).length).toBe(before - 1);
    expect(() => mem.read(p, 8)).toThrow(/not a mapped region/);
  });

  it('replacing a key allocates a new element, as the kernel does', () => {
    const { m, mem } = make(def('HASH', 4, 8, 4));
    m.update(u32(1), u64(1));
    const old = m.lookupElemAddr(u32(1), 0);
    m.update(u32(1), u64(2));
    const now = m.lookupElemAddr(u32(1), 0);
    expect(now).not.toBe(old);
    expect(() => mem.read(old, 8)).toThrow(/not a mapped region/);
    expect(readU64(mem.read(now, 8))).toBe(2n);
  });

  it('BPF_F_RDONLY_PROG and BPF_F_WRONLY_PROG set the region permissions', () => {
    const ro = make(def('HASH', 4, 8, 4, BPF_F_RDONLY_PROG));
    ro.m.update(u32(1), u64(1));
    const p = ro.m.lookupElemAddr(u32(1), 0);
    expect(readU64(ro.mem.read(p, 8))).toBe(1n);
    expect(() => ro.mem.writable(p, 8)).toThrow(/read-only/);
    const wo = make(def('HASH', 4, 8, 4, BPF_F_WRONLY_PROG));
    wo.m.update(u32(1), u64(1));
    const q = wo.m.lookupElemAddr(u32(1), 0);
    expect(() => wo.mem.read(q, 8)).toThrow(/not readable/);
    wo.mem.writable(q, 8).set(u64(5));
    expect(readU64(wo.m.lookup(u32(1)) as Uint8Array)).toBe(5n);
  });

  it('destroy frees every region of the map', () => {
    const { m, mem } = make(def('HASH', 4, 8, 4));
    for (let k = 0; k < 4; k++) m.update(u32(k), u64(k));
    m.destroy();
    expect(mem.regions.filter(Boolean)).toHaveLength(0);
  });
});

describe('HASH: user-space permissions (map_get_sys_perms)', () => {
  it('BPF_F_RDONLY refuses writes with -EPERM', () => {
    const { m } = make(def('HASH', 4, 8, 4, BPF_F_RDONLY));
    expect(m.update(u32(1), u64(1))).toBe(-EPERM);
    expect(m.delete(u32(1))).toBe(-EPERM);
    expect(m.tryLookup(u32(1)).err).toBe(-ENOENT);
    expect(m.updateElem(u32(1), u64(1), BPF_ANY, 0)).toBe(0);
  });

  it('BPF_F_WRONLY refuses reads with -EPERM', () => {
    const { m } = make(def('HASH', 4, 8, 4, BPF_F_WRONLY));
    expect(m.update(u32(1), u64(1))).toBe(0);
    expect(m.tryLookup(u32(1)).err).toBe(-EPERM);
    expect(m.tryNextKey().err).toBe(-EPERM);
  });

  it('a frozen map refuses user writes but not program writes', () => {
    const { m } = make(def('HASH', 4, 8, 4));
    expect(m.freeze()).toBe(0);
    expect(m.frozen).toBe(true);
    // The kernel checks write permission first, and a frozen map has none.
    expect(m.freeze()).toBe(-EPERM);
    expect(m.update(u32(1), u64(1))).toBe(-EPERM);
    expect(m.updateElem(u32(1), u64(1), BPF_ANY, 0)).toBe(0);
  });

  it('lookup takes only BPF_F_LOCK as a flag', () => {
    const { m } = make(def('HASH', 4, 8, 4));
    expect(m.tryLookup(u32(1), 1n).err).toBe(-EINVAL);
    expect(m.tryLookup(u32(1), BPF_F_LOCK).err).toBe(-EINVAL);
  });
});

describe('HASH: bpf_spin_lock values and BPF_F_LOCK', () => {
  const lockDef = def('HASH', 4, 16, 4, 0, { spinLockOff: 0 });

  it('updates in place and never copies the lock word', () => {
    const { m, mem } = make(lockDef);
    const v = new Uint8Array(16).fill(7);
    expect(m.update(u32(1), v, BPF_F_LOCK)).toBe(0);
    const p = m.lookupElemAddr(u32(1), 0);
    expect([...mem.read(p, 4)]).toEqual([0, 0, 0, 0]);
    mem.writable(p, 4).set([1, 0, 0, 0]);
    expect(m.update(u32(1), new Uint8Array(16).fill(9), BPF_F_LOCK | BPF_EXIST)).toBe(0);
    expect(m.lookupElemAddr(u32(1), 0)).toBe(p);
    expect([...mem.read(p, 8)]).toEqual([1, 0, 0, 0, 9, 9, 9, 9]);
    // User space never sees the lock word.
    expect([...(m.lookup(u32(1)) as Uint8Array).subarray(0, 8)]).toEqual([0, 0, 0, 0, 9, 9, 9, 9]);
    expect(m.tryLookup(u32(1), BPF_F_LOCK).err).toBe(0);
    expect(m.update(u32(2), v, BPF_F_LOCK | BPF_EXIST)).toBe(-ENOENT);
  });

  it('cannot be frozen (special fields)', () => {
    expect(make(lockDef).m.freeze()).toBe(-524);
  });
});

describe('HASH: get_next_key order', () => {
  it('walks buckets in the kernel order for seed 0 (BPF_F_ZERO_SEED), checked against Linux 6.18', () => {
    const { m } = make(def('HASH', 4, 8, 16, BPF_F_ZERO_SEED));
    for (let k = 1; k <= 10; k++) m.update(u32(k), u64(k));
    expect(walk(m).map((k) => k[0])).toEqual([10, 4, 5, 7, 2, 1, 8, 9, 6, 3]);
  });

  it('odd key sizes hash with jhash(), as the kernel (checked against Linux 6.18)', () => {
    const { m } = make(def('HASH', 3, 8, 16, BPF_F_ZERO_SEED));
    for (let k = 1; k <= 10; k++) m.update(new Uint8Array([k, 0, 0]), u64(k));
    expect(walk(m).map((k) => k[0])).toEqual([4, 7, 8, 6, 5, 2, 9, 3, 1, 10]);
  });

  it('a key not in the map restarts at the first key; the last key ends with -ENOENT', () => {
    const { m } = make(def('HASH', 4, 8, 16));
    for (let k = 1; k <= 5; k++) m.update(u32(k), u64(k));
    const order = walk(m);
    expect(hex(m.nextKey(u32(99)) as Uint8Array)).toBe(hex(order[0]));
    expect(m.tryNextKey(order[order.length - 1]).err).toBe(-ENOENT);
    expect(make(def('HASH', 4, 8, 4)).m.tryNextKey().err).toBe(-ENOENT);
  });

  it('new and replaced keys go to the head of their bucket', () => {
    const { m } = make(def('HASH', 4, 8, 4));
    // Four buckets: find two keys that share one.
    const bucket = (k: number): number => htabHash(u32(k), 0) & 3;
    const a = 1;
    const b = [2, 3, 4, 5, 6, 7, 8, 9].find((k) => bucket(k) === bucket(a)) as number;
    m.update(u32(a), u64(1));
    m.update(u32(b), u64(2));
    expect(walk(m).map((k) => k[0])).toEqual([b, a]);
    m.update(u32(a), u64(3));
    expect(walk(m).map((k) => k[0])).toEqual([a, b]);
  });

  it('entries() are sorted by key bytes', () => {
    const { m } = make(def('HASH', 4, 8, 16));
    for (const k of [0x0300, 2, 0x10000, 1]) m.update(u32(k), u64(k));
    expect(m.entries().map((e) => hex(e.key))).toEqual(['00000100', '00030000', '01000000', '02000000']);
  });
});

describe('PERCPU_HASH', () => {
  it('a single user value is set on every CPU; per-CPU values are kept apart', () => {
    const { m } = make(def('PERCPU_HASH', 4, 8, 4), { nCpus: 3 });
    expect(m.update(u32(1), u64(5))).toBe(0);
    expect((m.lookup(u32(1)) as Uint8Array[]).map(readU64)).toEqual([5n, 5n, 5n]);
    expect(m.update(u32(1), [u64(1), u64(2), u64(3)])).toBe(0);
    expect((m.lookup(u32(1)) as Uint8Array[]).map(readU64)).toEqual([1n, 2n, 3n]);
    expect(m.entries()[0].values?.map(readU64)).toEqual([1n, 2n, 3n]);
  });

  it('accepts the syscall layout: round_up(value_size, 8) bytes per CPU', () => {
    const { m } = make(def('PERCPU_HASH', 4, 4, 4), { nCpus: 2 });
    const flat = new Uint8Array(16);
    flat.set(u32(7), 0);
    flat.set(u32(9), 8);
    expect(m.update(u32(1), flat)).toBe(0);
    expect((m.lookup(u32(1)) as Uint8Array[]).map((v) => v[0])).toEqual([7, 9]);
    expect(() => m.update(u32(1), [u32(1)])).toThrow(/2 per-CPU values expected/);
  });

  it('a program sees and writes only its CPU, and a new key starts at zero elsewhere', () => {
    const { m, mem } = make(def('PERCPU_HASH', 4, 8, 4), { nCpus: 2 });
    expect(m.updateElem(u32(1), u64(9), BPF_NOEXIST, 1)).toBe(0);
    expect((m.lookup(u32(1)) as Uint8Array[]).map(readU64)).toEqual([0n, 9n]);
    const p0 = m.lookupElemAddr(u32(1), 0);
    const p1 = m.lookupElemAddr(u32(1), 1);
    expect(p0).not.toBe(p1);
    mem.writable(p0, 8).set(u64(4));
    expect(m.updateElem(u32(1), u64(8), BPF_EXIST, 1)).toBe(0);
    expect((m.lookup(u32(1)) as Uint8Array[]).map(readU64)).toEqual([4n, 8n]);
    expect(m.lookupElemAddr(u32(1), 2)).toBe(0n);
    expect(mem.regionOf(p1)?.name).toBe("map 'm' value (cpu 1)");
  });

  it('updates per-CPU values in place and refuses BPF_F_LOCK', () => {
    const { m } = make(def('PERCPU_HASH', 4, 8, 1), { nCpus: 2 });
    m.update(u32(1), u64(1));
    const p = m.lookupElemAddr(u32(1), 0);
    expect(m.update(u32(1), u64(2), BPF_EXIST)).toBe(0);
    expect(m.lookupElemAddr(u32(1), 0)).toBe(p);
    expect(m.update(u32(2), u64(2))).toBe(-E2BIG);
    expect(m.updateElem(u32(1), u64(2), BPF_F_LOCK, 0)).toBe(-EINVAL);
  });
});
