/**
 * Networking helpers where a simulated run differs from a test run (which the differential test
 * covers with test/fixtures/helpers_net.c): bpf_check_mtu against a simulated device and its
 * GSO segment check, the cgroup/tstamp/xfrm helpers on an skb without a socket or with a
 * TIME_WAIT one, and the socket casts of sockets a test run never has (UDP, a TCP listener).
 */
import { describe, expect, it } from 'vitest';
import { TestRun, u32le } from './harness.ts';
import { StandaloneHost } from '../../../src/ebpf/runtime/host.ts';
import { BpfSock, TCP_TIME_WAIT } from '../../../src/ebpf/ctx/sock.ts';
import { setSkbState } from '../../../src/ebpf/helpers/index.ts';
import { join } from 'node:path';
import { loadObjectFile } from '../../../src/ebpf/elf/index.ts';
import { buildPacket } from '../../../src/net/packet/build.ts';
import { Network } from '../../../src/net/network.ts';
import { Simulator } from '../../../src/sim/index.ts';

const EINVAL = -22, ENODEV = -19, EOPNOTSUPP = -95;
const CHECK_MTU = 163;
const SEGS = 1;
const SUCCESS = 0, FRAG_NEEDED = 1, SEGS_TOOBIG = 2;

/** lo (65536) and a 1500-byte Ethernet device with ifindex 2. */
class TwoDevices extends StandaloneHost {
  override hasDevice(ifindex: number): boolean {
    return ifindex === 1 || ifindex === 2;
  }
  override deviceMtu(ifindex: number): number | undefined {
    return ifindex === 2 ? 1500 : super.deviceMtu(ifindex);
  }
}

/** An Ethernet/IPv4/TCP frame of `len` bytes (IHL 5, doff 5). */
function tcpFrame(len: number): Uint8Array {
  const b = new Uint8Array(len);
  b[12] = 0x08;
  b[14] = 0x45;
  b[23] = 6;
  b[14 + 20 + 12] = 5 << 4;
  return b;
}

function mtuCall(t: TestRun, ifindex: number, mtuLen: number, diff: number, flags: number): { ret: number; mtu: number } {
  const at = t.put(0, u32le(mtuLen));
  const ret = t.num(CHECK_MTU, t.skb?.addr ?? t.xdp?.addr ?? 0n, ifindex, at, diff >>> 0, flags);
  return { ret, mtu: new DataView(t.stackBytes(0, 4).buffer).getUint32(0, true) };
}

describe('bpf_check_mtu on a simulated device', () => {
  it('tc: the skb device (ifindex 0) or another by ifindex; 1514 bytes fit a 1500 MTU, 1515 do not', () => {
    const t = new TestRun({ packet: tcpFrame(1000), host: new TwoDevices() });
    t.skb?.set('ifindex', 2);
    expect(mtuCall(t, 0, 0, 514, 0)).toEqual({ ret: SUCCESS, mtu: 1500 });
    expect(mtuCall(t, 0, 0, 515, 0)).toEqual({ ret: FRAG_NEEDED, mtu: 1500 });
    expect(mtuCall(t, 1, 0, 515, 0)).toEqual({ ret: SUCCESS, mtu: 65536 });
    expect(mtuCall(t, 0, 1501, 0, 0)).toEqual({ ret: FRAG_NEEDED, mtu: 1500 });
    expect(mtuCall(t, 3, 1501, 0, 0)).toEqual({ ret: ENODEV, mtu: 1501 });
    expect(mtuCall(t, 0, 9, 0, 4)).toEqual({ ret: EINVAL, mtu: 9 });
  });

  it('XDP: the ingress device; any flag is -EINVAL', () => {
    const t = new TestRun({ progType: 'BPF_PROG_TYPE_XDP', packet: tcpFrame(1515), host: new TwoDevices() });
    t.xdp?.set('ingress_ifindex', 2);
    expect(mtuCall(t, 0, 0, 0, 0)).toEqual({ ret: FRAG_NEEDED, mtu: 1500 });
    expect(mtuCall(t, 0, 0, -1, 0)).toEqual({ ret: SUCCESS, mtu: 1500 });
    expect(mtuCall(t, 0, 7, 0, SEGS)).toEqual({ ret: EINVAL, mtu: 7 });
  });

  it('a GSO skb longer than the device passes; with BPF_MTU_CHK_SEGS each segment must fit', () => {
    const t = new TestRun({ packet: tcpFrame(3000), host: new TwoDevices() });
    const skb = t.skb;
    if (!skb) throw new Error('no skb');
    skb.set('ifindex', 2);
    expect(mtuCall(t, 0, 0, 0, 0).ret).toBe(FRAG_NEEDED);
    setSkbState(skb, { transOff: 34, gsoType: 1 /* SKB_GSO_TCPV4 */ });
    skb.set('gso_size', 1460); // 20 + 20 + 1460 = 1500
    expect(mtuCall(t, 0, 0, 0, 0).ret).toBe(SUCCESS);
    expect(mtuCall(t, 0, 0, 0, SEGS).ret).toBe(SUCCESS);
    skb.set('gso_size', 1461);
    expect(mtuCall(t, 0, 0, 0, SEGS)).toEqual({ ret: SEGS_TOOBIG, mtu: 1500 });
    expect(mtuCall(t, 0, 0, 0, 0).ret).toBe(SUCCESS);
    // SEGS takes neither a length nor a length difference.
    expect(mtuCall(t, 0, 0, 1, SEGS).ret).toBe(EINVAL);
  });

  it('a host that cannot tell MTUs gives its devices ETH_DATA_LEN', () => {
    const host = new StandaloneHost();
    const t = new TestRun({ packet: tcpFrame(100), host: { nowNs: () => 0n, bootNs: () => 0n, randomU32: () => 0, hasDevice: (i) => i === 1, fibLookup: () => host.fibLookup(), tracePrintk: () => {} } });
    expect(mtuCall(t, 0, 0, 0, 0)).toEqual({ ret: SUCCESS, mtu: 1500 });
  });
});

describe('cgroup ids, classid, xfrm state and tstamp of a simulated skb', () => {
  it('an skb without a socket has cgroup id 0; a full socket is in the root cgroup (id 1); a TIME_WAIT socket is not full', () => {
    const t = new TestRun({ packet: tcpFrame(60) });
    const skb = t.skb;
    if (!skb) throw new Error('no skb');
    expect([t.num(79, skb.addr), t.num(83, skb.addr, 0), t.num(151, skb.addr)]).toEqual([0, 0, 0]);
    const full = new BpfSock(t.mem, { family: 2, state: 1 });
    skb.sk = full.addr;
    expect([t.num(79, skb.addr), t.num(83, skb.addr, 0), t.num(83, skb.addr, 1), t.num(83, skb.addr, -1)]).toEqual([1, 1, 0, 0]);
    skb.sk = new BpfSock(t.mem, { family: 2, state: TCP_TIME_WAIT }).addr;
    expect(t.num(79, skb.addr)).toBe(0);
    expect([t.num(80), t.num(123, 0), t.num(123, 1)]).toEqual([1, 1, 0]);
  });

  it('xfrm state: -EINVAL and the first `size` bytes cleared', () => {
    const t = new TestRun({ packet: tcpFrame(60) });
    t.put(0, new Uint8Array(16).fill(0x5a));
    expect(t.num(66, t.skb?.addr ?? 0n, 0, t.sp(0), 8, 0)).toBe(EINVAL);
    expect([...t.stackBytes(0, 10)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0x5a, 0x5a]);
  });

  it('set_tstamp refuses a non-IP skb', () => {
    const frame = tcpFrame(60);
    frame[12] = 0x08;
    frame[13] = 0x06;
    const t = new TestRun({ packet: frame });
    expect(t.num(192, t.skb?.addr ?? 0n, 5, 1)).toBe(EOPNOTSUPP);
    expect(t.skb?.getU64('tstamp')).toBe(0n);
  });
});

describe('socket lookups and casts on the simulated host', () => {
  it('lookups find no socket (the hosts have none); sk_release is 0', () => {
    const t = new TestRun({ packet: tcpFrame(60) });
    const tuple = t.put(0, new Uint8Array(12));
    for (const id of [84, 85, 99]) expect(t.num(id, t.skb?.addr ?? 0n, tuple, 12, -1n, 0)).toBe(0);
  });

  it('tcp_sock: NULL for a socket that is not TCP, a clear stop for a TCP one; get_listener_sock: only a TCP listener', () => {
    const t = new TestRun({ packet: tcpFrame(60) });
    const udp = new BpfSock(t.mem, { family: 2, protocol: 17, state: 7 });
    expect(t.num(96, udp.addr)).toBe(0);
    expect(t.num(98, udp.addr)).toBe(0);
    const listener = new BpfSock(t.mem, { family: 2, protocol: 6, state: 10 });
    expect(t.call(98, listener.addr)).toBe(listener.addr);
    expect(() => t.call(96, listener.addr)).toThrow(/does not model struct bpf_tcp_sock/);
    expect(t.num(86, listener.addr)).toBe(0);
  });
});

describe('bpf_check_mtu in the simulation', () => {
  it("asks the device the program runs on: a NIC's MTU at XDP and at tc ingress", () => {
    const sim = new Simulator({ seed: 7 });
    const net = new Network(sim, { cpus: 1 });
    const a = net.addHost('a');
    const b = net.addHost('b');
    const ea = net.addNic(a, 'eth0', { rate: 10e9 });
    const eb = net.addNic(b, 'eth0', { rate: 10e9 });
    net.connect(ea, eb, 1000);
    eb.mtu = 9000;
    const obj = net.runtime.load(loadObjectFile(join(import.meta.dirname, '..', '..', 'fixtures', 'helpers_net.o')));
    net.attachXdp(eb, obj.program('xdp_check_mtu'));
    const frame = buildPacket([
      { kind: 'eth', dst: '02:00:00:00:00:02', src: '02:00:00:00:00:99' },
      { kind: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2' },
      { kind: 'udp', sport: 1234, dport: 53 },
      { kind: 'raw', bytes: new Uint8Array(20) },
    ]);
    sim.schedule(0, () => net.inject(eb, frame));
    sim.run();
    const slot = (i: number): bigint => {
      const v = obj.map('results').lookup(u32le(i));
      return v instanceof Uint8Array ? new DataView(v.buffer, v.byteOffset).getBigInt64(0, true) : -1n;
    };
    // ifindex 0: the receiving NIC (9000); 65550 - len more bytes no longer fit it.
    expect([slot(0), slot(1), slot(6), slot(7)]).toEqual([0n, 9000n, 1n, 9000n]);
    expect(slot(18)).toBe(-19n);

    net.attachTc(eb, 'ingress', obj.program('tc_check_mtu'));
    obj.map('results').update(u32le(1), new Uint8Array(8), 0n);
    sim.schedule(sim.now + 1000, () => net.inject(eb, frame));
    sim.run();
    expect([slot(0), slot(1)]).toEqual([0n, 9000n]);
  });
});
