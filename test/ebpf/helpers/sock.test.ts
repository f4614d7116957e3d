import { describe, expect, it } from 'vitest';
import { TestRun, u32le } from './harness.ts';
import type { SkMsg } from '../../../src/ebpf/helpers/index.ts';
import { SockMap } from '../../../src/ebpf/maps/index.ts';
import { SK_DROP, SK_PASS } from '../../../src/ebpf/runtime/env.ts';
import { Memory } from '../../../src/ebpf/vm/memory.ts';
import { AF_INET, BpfSock, TCP_CLOSE, TCP_NEW_SYN_RECV, TCP_TIME_WAIT } from '../../../src/ebpf/ctx/sock.ts';
import { BPF_SOCK, fieldByName } from '../../../src/ebpf/ctx/layout.ts';

const EINVAL = -22, EOPNOTSUPP = -95;

function sockmap(progType: string, type = 'BPF_MAP_TYPE_SOCKMAP') {
  const t = new TestRun({ progType, packet: new Uint8Array(40) });
  const m = t.map({ type, keySize: 4, valueSize: 8, maxEntries: 4 }) as SockMap;
  const sock = { cookie: 77n };
  expect(m.setSocket(u32le(1), sock)).toBe(0);
  return { t, m, sock };
}

class Msg implements SkMsg {
  applyBytes = 0;
  corkBytes = 0;
  window?: [number, number];
  constructor(readonly size: number) {}
  pull(start: number, end: number): void {
    this.window = [start, end];
  }
}

describe('sockmap redirects', () => {
  it('sk_redirect_map: SK_PASS and a recorded target when the key holds a socket, SK_DROP otherwise', () => {
    const { t, m, sock } = sockmap('BPF_PROG_TYPE_SK_SKB');
    const ctx = t.skb!.addr;
    expect(t.num(52, ctx, m.handle, 1, 1)).toBe(SK_PASS);
    expect(t.env.redirect).toMatchObject({ kind: 'sock', map: m, key: u32le(1), flags: 1, target: sock });
    expect(t.num(52, ctx, m.handle, 2, 0)).toBe(SK_DROP);
    expect(t.num(52, ctx, m.handle, 1, 2)).toBe(SK_DROP);
  });

  it('sk_redirect_hash and msg_redirect_hash take a key pointer', () => {
    const { t, m, sock } = sockmap('BPF_PROG_TYPE_SK_MSG', 'BPF_MAP_TYPE_SOCKHASH');
    t.env.msg = new Msg(100);
    expect(t.num(71, 0, m.handle, t.put(0, u32le(1)), 0)).toBe(SK_PASS);
    expect((t.env.redirect as { target: unknown }).target).toBe(sock);
    expect(t.num(71, 0, m.handle, t.put(0, u32le(3)), 0)).toBe(SK_DROP);
  });

  it('sock_map_update adds the sock_ops socket; without one it is -EOPNOTSUPP', () => {
    const { t, m } = sockmap('BPF_PROG_TYPE_SOCK_OPS');
    const k = t.put(0, u32le(2));
    expect(t.num(53, 0, m.handle, k, 0)).toBe(EOPNOTSUPP);
    const sk = { cookie: 5n };
    t.env.sockOps = { sk };
    expect(t.num(53, 0, m.handle, k, 0)).toBe(0);
    expect(m.target(2)).toBe(sk);
    expect(t.num(53, 0, m.handle, k, 1 /* BPF_NOEXIST */)).toBe(-17);
  });
});

describe('sk_msg helpers', () => {
  it('apply/cork bytes are recorded; pull_data checks the range', () => {
    const t = new TestRun({ progType: 'BPF_PROG_TYPE_SK_MSG' });
    const msg = new Msg(100);
    t.env.msg = msg;
    expect(t.num(61, 0, 10)).toBe(0);
    expect(t.num(62, 0, 20)).toBe(0);
    expect([msg.applyBytes, msg.corkBytes]).toEqual([10, 20]);
    expect(t.num(63, 0, 10, 50, 0)).toBe(0);
    expect(msg.window).toEqual([10, 50]);
    expect(t.num(63, 0, 50, 50, 0)).toBe(EINVAL);
    expect(t.num(63, 0, 0, 101, 0)).toBe(EINVAL);
    expect(t.num(63, 0, 100, 101, 0)).toBe(EINVAL);
    expect(t.num(63, 0, 0, 10, 1)).toBe(EINVAL);
  });

  it('without an sk_msg the helpers fail loudly', () => {
    const t = new TestRun({ progType: 'BPF_PROG_TYPE_SK_MSG' });
    expect(() => t.call(61, 0, 1)).toThrow(/no sk_msg context/);
  });
});

describe('get_socket_cookie / get_socket_uid', () => {
  it('0 and overflowuid without a socket; the socket object cookie and uid with one', () => {
    const t = new TestRun({ packet: new Uint8Array(40) });
    const ctx = t.skb!.addr;
    expect(t.call(46, ctx)).toBe(0);
    expect(t.num(47, ctx)).toBe(65534);
    const r = t.mem.add('sock', 'bpf_sock', new Uint8Array(80), { owner: { cookie: 4242n, uid: 1000 } });
    t.skb!.sk = Memory.addr(r, 0);
    expect(t.call(46, ctx)).toBe(4242n);
    expect(t.num(47, ctx)).toBe(1000);
  });
});

describe('bpf_sock and bpf_sk_fullsock', () => {
  it('reads the socket read-only, rx_queue_mapping -1 in 64 bits without a queue', () => {
    const t = new TestRun({ packet: new Uint8Array(40) });
    const sk = new BpfSock(t.mem, { family: AF_INET, src_ip4: Uint8Array.of(10, 0, 0, 1), dst_port: 80 });
    const at = (name: string): bigint => sk.addr + BigInt(fieldByName(BPF_SOCK, name).off);
    const u32 = (name: string): number => new DataView(t.mem.read(at(name), 4).slice().buffer).getUint32(0, true);
    expect(u32('family')).toBe(AF_INET);
    expect(u32('state')).toBe(TCP_CLOSE);
    expect([...t.mem.read(at('src_ip4'), 4)]).toEqual([10, 0, 0, 1]);
    expect([...t.mem.read(at('dst_port'), 4)]).toEqual([0, 80, 0, 0]); // __be16, then padding
    // The engines ask the region's special load first: -1 in both halves, so the register is all ones.
    expect(sk.region.special?.load?.(fieldByName(BPF_SOCK, 'rx_queue_mapping').off, 4)).toEqual([-1, -1]);
    expect(sk.region.special?.load?.(fieldByName(BPF_SOCK, 'family').off, 4)).toBeUndefined();
    expect(() => t.mem.writable(at('mark'), 4)).toThrow();
  });

  it('gives the same pointer for a full socket and NULL for a TIME_WAIT or NEW_SYN_RECV one', () => {
    const t = new TestRun({ packet: new Uint8Array(40) });
    const full = new BpfSock(t.mem, { family: AF_INET, state: 1 });
    expect(t.call(95, full.addr)).toBe(full.addr);
    for (const state of [TCP_TIME_WAIT, TCP_NEW_SYN_RECV]) expect(t.num(95, new BpfSock(t.mem, { state }).addr)).toBe(0);
  });
});
