import { describe, expect, it } from 'vitest';
import {
  BPF_ANY, BPF_EXIST, BPF_NOEXIST, CpuMap, DevMap, E2BIG, EBADF, EEXIST, EINVAL, ENODEV, ENOENT, ENOMEM, ENOSPC, ENOTSOCK, EOPNOTSUPP,
  EOVERFLOW, ProgArrayMap, SockMap, XskMap, jhash, type FdObject,
} from '../../../src/ebpf/maps/index.ts';
import { def, make, readU32, readU64, u32, u64, walk } from './util.ts';

const fdHost = (fds: Record<number, FdObject>) => ({ fd: (fd: number) => fds[fd] });

describe('PROG_ARRAY (bpf_fd_array_map_update_elem, fd_array_map_delete_elem)', () => {
  const xdpA = { id: 11, type: 'BPF_PROG_TYPE_XDP' };
  const xdpB = { id: 12, type: 'BPF_PROG_TYPE_XDP' };
  const tc = { id: 13, type: 'BPF_PROG_TYPE_SCHED_CLS' };
  const fds = { 3: { kind: 'prog', obj: xdpA }, 4: { kind: 'prog', obj: tc }, 5: { kind: 'map', obj: {} }, 6: { kind: 'prog', obj: xdpB } } as const;

  it('user updates take program fds with BPF_ANY; lookups show program ids', () => {
    const m = make<ProgArrayMap>(def('PROG_ARRAY', 4, 4, 4), { host: fdHost(fds) }).m;
    expect(m.update(u32(0), u32(3), BPF_NOEXIST)).toBe(-EINVAL);
    expect(m.update(u32(0), u32(3), BPF_EXIST)).toBe(-EINVAL);
    expect(m.update(u32(4), u32(3))).toBe(-E2BIG);
    expect(m.update(u32(0), u32(99))).toBe(-EBADF);
    expect(m.update(u32(0), u32(5))).toBe(-EINVAL);
    expect(m.update(u32(0), u32(3))).toBe(0);
    // All programs of one array share the first one's type.
    expect(m.update(u32(1), u32(4))).toBe(-EINVAL);
    expect(m.update(u32(1), u32(6))).toBe(0);
    expect(readU32(m.lookup(u32(0)) as Uint8Array)).toBe(11);
    expect(m.tryLookup(u32(2)).err).toBe(-ENOENT);
    expect(m.tryLookup(u32(9)).err).toBe(-ENOENT);
    expect(m.getSlot(1)).toBe(xdpB);
    expect(m.getSlot(2)).toBeUndefined();
    expect(m.getSlot(-1)).toBeUndefined();
    expect(m.entries().map((e) => [readU32(e.key), readU32(e.value as Uint8Array)])).toEqual([[0, 11], [1, 12]]);
    expect(walk(m).map(readU32)).toEqual([0, 1, 2, 3]);
  });

  it('delete: -E2BIG out of range, -ENOENT when empty', () => {
    const m = make<ProgArrayMap>(def('PROG_ARRAY', 4, 4, 2)).m;
    expect(m.setSlot(0, xdpA)).toBe(0);
    expect(m.delete(u32(2))).toBe(-E2BIG);
    expect(m.delete(u32(1))).toBe(-ENOENT);
    expect(m.delete(u32(0))).toBe(0);
    expect(m.getSlot(0)).toBeUndefined();
    expect(m.compatible('BPF_PROG_TYPE_XDP')).toBe(true);
    expect(m.compatible('BPF_PROG_TYPE_SCHED_CLS')).toBe(false);
  });

  it('programs cannot look it up or change it', () => {
    const m = make<ProgArrayMap>(def('PROG_ARRAY', 4, 4, 2)).m;
    m.setSlot(0, xdpA);
    expect(m.lookupElemAddr(u32(0), 0)).toBe(0n);
    expect(m.updateElem(u32(0), u32(3), BPF_ANY, 0)).toBe(-EOPNOTSUPP);
    expect(m.deleteElem(u32(0), 0)).toBe(-EOPNOTSUPP);
  });
});

describe('DEVMAP and DEVMAP_HASH (devmap.c)', () => {
  const devs = new Map<number, object>([[1, { name: 'lo' }], [2, { name: 'eth0' }]]);
  const devProg = { id: 21, type: 'BPF_PROG_TYPE_XDP', expectedAttachType: 'BPF_XDP_DEVMAP' };
  const plainXdp = { id: 22, type: 'BPF_PROG_TYPE_XDP' };
  const host = { netdev: (i: number) => devs.get(i), fd: (fd: number) => (fd === 5 ? { kind: 'prog', obj: devProg } : fd === 6 ? { kind: 'prog', obj: plainXdp } : undefined) as FdObject | undefined };
  const val = (ifindex: number, fd = 0): Uint8Array => Uint8Array.from([...u32(ifindex), ...u32(fd)]);

  it('DEVMAP: array rules; ifindex 0 empties a slot; values read back as ifindex + prog id', () => {
    const { m, mem } = make<DevMap>(def('DEVMAP', 4, 8, 4), { host });
    expect(m.update(u32(0), val(1), BPF_NOEXIST)).toBe(-EEXIST);
    expect(m.update(u32(4), val(1))).toBe(-E2BIG);
    expect(m.update(u32(0), val(1), 3n)).toBe(-EINVAL);
    expect(m.update(u32(0), val(9))).toBe(-EINVAL);
    expect(m.update(u32(0), val(1, 6))).toBe(-EINVAL);
    expect(m.update(u32(0), val(1, 7))).toBe(-EINVAL);
    expect(m.update(u32(0), val(0, 5))).toBe(-EINVAL);
    expect(m.update(u32(0), val(1, 5), BPF_EXIST)).toBe(0);
    expect(m.update(u32(2), val(2))).toBe(0);
    expect([...(m.lookup(u32(0)) as Uint8Array)]).toEqual([...val(1, 21)]);
    expect(m.target(0)).toEqual({ ifindex: 1, dev: { name: 'lo' }, prog: devProg, key: u32(0), value: expect.anything() });
    expect(m.tryLookup(u32(1)).err).toBe(-ENOENT);
    const p = m.lookupElemAddr(u32(2), 0);
    expect(readU32(mem.read(p, 4))).toBe(2);
    expect(() => mem.writable(p, 4)).toThrow(/read-only/);
    expect(m.update(u32(2), val(0))).toBe(0);
    expect(m.target(2)).toBeUndefined();
    expect(() => mem.read(p, 4)).toThrow(/not a mapped region/);
    expect(m.delete(u32(1))).toBe(0);
    expect(m.delete(u32(4))).toBe(-EINVAL);
    expect(walk(m).map(readU32)).toEqual([0, 1, 2, 3]);
    expect(m.entries().map((e) => readU32(e.key))).toEqual([0]);
  });

  it('DEVMAP_HASH: keyed by ifindex, -E2BIG when full, BPF_EXIST ignored, kernel bucket order', () => {
    const { m } = make<DevMap>(def('DEVMAP_HASH', 4, 4, 2), { host });
    expect(m.update(u32(10), u32(0))).toBe(-EINVAL);
    expect(m.update(u32(10), u32(1), 3n)).toBe(-EINVAL);
    // Like the kernel, an absent key with BPF_EXIST is added.
    expect(m.update(u32(10), u32(1), BPF_EXIST)).toBe(0);
    expect(m.update(u32(10), u32(2), BPF_NOEXIST)).toBe(-EEXIST);
    expect(m.update(u32(7), u32(2))).toBe(0);
    expect(m.update(u32(8), u32(2))).toBe(-E2BIG);
    expect(m.update(u32(10), u32(2))).toBe(0);
    expect(m.target(10)?.ifindex).toBe(2);
    // Two buckets by the key's low bit: 10 (bucket 0) before 7 (bucket 1).
    expect(walk(m).map(readU32)).toEqual([10, 7]);
    expect(readU32(m.nextKey(u32(99)) as Uint8Array)).toBe(10);
    expect(m.delete(u32(99))).toBe(-ENOENT);
    expect(m.delete(u32(10))).toBe(0);
    expect(m.lookupElemAddr(u32(10), 0)).toBe(0n);
  });

  it('setTarget stores a device and a program object without fds', () => {
    const { m } = make<DevMap>(def('DEVMAP', 4, 8, 4));
    expect(m.setTarget(3, 42, devProg)).toBe(0);
    expect(m.target(3)?.ifindex).toBe(42);
    expect(m.setTarget(1, 42, { type: 'BPF_PROG_TYPE_SCHED_CLS' })).toBe(-EINVAL);
  });
});

describe('CPUMAP (cpumap.c)', () => {
  const val = (qsize: number, fd = 0): Uint8Array => Uint8Array.from([...u32(qsize), ...u32(fd)]);

  it('error codes and values', () => {
    const cpuProg = { id: 31, type: 'BPF_PROG_TYPE_XDP', expectedAttachType: 'BPF_XDP_CPUMAP' };
    const { m } = make<CpuMap>(def('CPUMAP', 4, 8, 8), { nCpus: 4, host: fdHost({ 5: { kind: 'prog', obj: cpuProg }, 6: { kind: 'prog', obj: { type: 'BPF_PROG_TYPE_XDP' } } }) });
    expect(m.update(u32(0), val(256), 3n)).toBe(-EINVAL);
    expect(m.update(u32(8), val(256))).toBe(-E2BIG);
    expect(m.update(u32(0), val(256), BPF_NOEXIST)).toBe(-EEXIST);
    expect(m.update(u32(0), val(16385))).toBe(-EOVERFLOW);
    expect(m.update(u32(5), val(256))).toBe(-ENODEV);
    expect(m.update(u32(0), val(256, 6))).toBe(-ENOMEM);
    expect(m.update(u32(0), val(256, 9))).toBe(-ENOMEM);
    expect(m.update(u32(1), val(256, 5))).toBe(0);
    expect(m.update(u32(2), val(128))).toBe(0);
    expect([...(m.lookup(u32(1)) as Uint8Array)]).toEqual([...val(256, 31)]);
    expect(m.target(2)).toMatchObject({ cpu: 2, qsize: 128 });
    expect(m.lookupElemAddr(u32(2), 0)).not.toBe(0n);
    expect(m.update(u32(2), val(0))).toBe(0);
    expect(m.target(2)).toBeUndefined();
    expect(m.delete(u32(3))).toBe(0);
    expect(m.delete(u32(8))).toBe(-EINVAL);
    expect(m.setTarget(3, 64)).toBe(0);
    expect(m.entries().map((e) => readU32(e.key))).toEqual([1, 3]);
  });
});

describe('XSKMAP (xskmap.c)', () => {
  it('update flags, lookups from programs only, delete', () => {
    const xsk = { name: 'xsk0' };
    const { m, mem } = make<XskMap>(def('XSKMAP', 4, 4, 4), {
      host: fdHost({ 3: { kind: 'xsk', obj: xsk }, 4: { kind: 'socket', obj: {} }, 5: { kind: 'prog', obj: {} } }),
    });
    expect(m.update(u32(0), u32(9))).toBe(-EBADF);
    expect(m.update(u32(0), u32(4))).toBe(-EOPNOTSUPP);
    expect(m.update(u32(0), u32(5))).toBe(-ENOTSOCK);
    expect(m.update(u32(0), u32(3), BPF_EXIST)).toBe(-ENOENT);
    expect(m.update(u32(4), u32(3))).toBe(-E2BIG);
    expect(m.update(u32(0), u32(3), BPF_NOEXIST)).toBe(0);
    // The same socket again is a no-op, even with BPF_NOEXIST.
    expect(m.update(u32(0), u32(3), BPF_NOEXIST)).toBe(0);
    expect(m.setSocket(0, { name: 'other' }, BPF_NOEXIST)).toBe(-EEXIST);
    expect(m.target(0)).toBe(xsk);
    expect(m.tryLookup(u32(0)).err).toBe(-EOPNOTSUPP);
    const p = m.lookupElemAddr(u32(0), 0);
    expect(mem.regionOf(p)?.owner).toBe(xsk);
    expect(() => mem.read(p, 1)).toThrow();
    expect(m.delete(u32(1))).toBe(0);
    expect(m.delete(u32(4))).toBe(-EINVAL);
    expect(m.delete(u32(0))).toBe(0);
    expect(mem.regionOf(p)).toBeUndefined();
  });
});

describe('SOCKMAP and SOCKHASH (sock_map.c)', () => {
  const s1 = { cookie: 0x1234n };
  const s2 = { name: 'no cookie' };
  const fds = fdHost({ 3: { kind: 'socket', obj: s1 }, 4: { kind: 'socket', obj: s2 }, 5: { kind: 'prog', obj: {} } });

  it('SOCKMAP: fds, flags, cookies, and -EINVAL for deleting an empty slot', () => {
    const { m } = make<SockMap>(def('SOCKMAP', 4, 8, 2), { host: fds });
    expect(m.update(u32(0), u64(9))).toBe(-EBADF);
    expect(m.update(u32(0), u64(5))).toBe(-ENOTSOCK);
    expect(m.update(u32(0), u64(1n << 40n))).toBe(-EINVAL);
    expect(m.update(u32(0), u64(3), BPF_EXIST)).toBe(-ENOENT);
    expect(m.update(u32(2), u64(3))).toBe(-E2BIG);
    expect(m.update(u32(0), u64(3), BPF_NOEXIST)).toBe(0);
    expect(m.update(u32(0), u64(4), BPF_NOEXIST)).toBe(-EEXIST);
    expect(m.update(u32(1), u64(4))).toBe(0);
    expect(readU64(m.lookup(u32(0)) as Uint8Array)).toBe(0x1234n);
    expect(m.tryLookup(u32(1)).err).toBe(0);
    expect(m.target(1)).toBe(s2);
    expect(m.lookupElemAddr(u32(1), 0)).not.toBe(0n);
    expect(m.delete(u32(1))).toBe(0);
    expect(m.delete(u32(1))).toBe(-EINVAL);
    expect(m.delete(u32(5))).toBe(-EINVAL);
    expect(m.tryLookup(u32(1)).err).toBe(-ENOENT);
  });

  it('SOCKMAP with 4-byte values cannot be read from user space (-ENOSPC)', () => {
    const { m } = make<SockMap>(def('SOCKMAP', 4, 4, 2), { host: fds });
    expect(m.update(u32(0), u32(3))).toBe(0);
    expect(m.tryLookup(u32(0)).err).toBe(-ENOSPC);
  });

  it('the host may refuse a socket (-EOPNOTSUPP, e.g. a TCP socket not yet established)', () => {
    const { m } = make<SockMap>(def('SOCKMAP', 4, 8, 2), { host: { ...fds, sockAllowed: (s) => s !== s2 } });
    expect(m.update(u32(0), u64(4))).toBe(-EOPNOTSUPP);
    expect(m.update(u32(0), u64(3))).toBe(0);
  });

  it('SOCKHASH: hash rules, -E2BIG when full, jhash seed-0 bucket order', () => {
    const { m } = make<SockMap>(def('SOCKHASH', 4, 8, 4), { host: fds });
    for (const k of [1, 2, 3, 4]) expect(m.setSocket(u32(k), { k })).toBe(0);
    expect(m.setSocket(u32(5), s1)).toBe(-E2BIG);
    expect(m.setSocket(u32(1), s1, BPF_NOEXIST)).toBe(-EEXIST);
    expect(m.setSocket(u32(9), s1, BPF_EXIST)).toBe(-ENOENT);
    expect(m.update(u32(1), u64(3), BPF_EXIST)).toBe(0);
    expect(m.target(u32(1))).toBe(s1);
    const order = walk(m).map(readU32);
    const bucket = (k: number): number => jhash(u32(k), 0) & 3;
    expect(order.map(bucket)).toEqual([...order.map(bucket)].sort((a, b) => a - b));
    expect(readU32(m.nextKey(u32(77)) as Uint8Array)).toBe(order[0]);
    expect(m.delete(u32(77))).toBe(-ENOENT);
    expect(m.deleteElem(u32(2), 0)).toBe(0);
    expect(m.entries().map((e) => readU32(e.key))).toEqual([1, 3, 4]);
  });
});
