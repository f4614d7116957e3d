/** Node behaviours against the Linux code they model: NAPI budget, devmap bulks, veth XDP_TX, tc verdicts, RSS. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadObjectFile } from '../../src/ebpf/elf/index.ts';
import type { ObjectSpec } from '../../src/ebpf/elf/spec.ts';
import { Mov, Exit, program, R0 } from '../../src/ebpf/isa/dsl.ts';
import { Network } from '../../src/net/network.ts';
import { buildPacket } from '../../src/net/packet/build.ts';
import { parseIp } from '../../src/net/route.ts';
import { Simulator } from '../../src/sim/index.ts';

const FIX = join(import.meta.dirname, '..', 'fixtures');
const mac = (b: Uint8Array): string => [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
const udp = (dstMac: string, sport = 1, dst = '10.0.0.2'): Uint8Array =>
  buildPacket([{ kind: 'eth', dst: dstMac, src: '02:00:00:00:00:99' }, { kind: 'ipv4', src: '10.0.0.1', dst }, { kind: 'udp', sport, dport: 9 }, { kind: 'raw', bytes: new Uint8Array(18) }]);

/** An object with tc programs that return fixed verdicts (built with the DSL, no clang needed). */
function verdictObject(verdicts: Record<string, number>): ObjectSpec {
  return {
    path: 'verdicts.o',
    license: 'GPL',
    maps: [],
    programs: Object.entries(verdicts).map(([name, v]) => ({
      name,
      section: 'tc',
      progType: 'BPF_PROG_TYPE_SCHED_CLS',
      flags: 0,
      insns: [...program(Mov.imm(R0, v), Exit())],
      mapRefs: [],
      funcRefs: [],
      lineInfo: [],
      funcs: [{ pc: 0, name }],
      coreRelos: [],
    })),
  };
}

describe('NIC', () => {
  it('polls with a budget of 64 frames per NAPI poll', () => {
    const sim = new Simulator({ seed: 1 });
    const net = new Network(sim);
    const h = net.addHost('h');
    const nic = net.addNic(h, 'eth0', { rxRing: 1024 });
    h.addAddress(nic, parseIp('10.0.0.2'), 24);
    // 200 frames arrive at once: the poll takes 64, 64, 64, 8.
    sim.schedule(0, () => {
      for (let i = 0; i < 200; i++) net.inject(nic, udp(mac(nic.mac)));
    });
    sim.run();
    expect(net.counters.get('h/eth0/napi_polls')).toBe(4);
    expect(net.counters.get('h/delivered')).toBe(200);
  });

  it('spreads flows over RX queues by RSS, each queue on its CPU', () => {
    const sim = new Simulator({ seed: 1 });
    const net = new Network(sim, { cpus: 4 });
    const h = net.addHost('h');
    const nic = net.addNic(h, 'eth0', { rxQueues: 4 });
    h.addAddress(nic, parseIp('10.0.0.2'), 24);
    const cpus = new Map<number, number>();
    net.trace.subscribe((r) => r.type === 'hop' && r.hook === 'local' && cpus.set(r.cpu ?? -1, (cpus.get(r.cpu ?? -1) ?? 0) + 1));
    for (let i = 0; i < 400; i++) sim.schedule(i * 2000, () => net.inject(nic, udp(mac(nic.mac), 1000 + i)));
    sim.run();
    expect([...cpus.keys()].sort()).toEqual([0, 1, 2, 3]);
    for (const n of cpus.values()) expect(n).toBeGreaterThan(50); // 100 each on average
    // The same flow always lands on the same queue.
    const again = new Map<number, number>();
    const sim2 = new Simulator({ seed: 1 });
    const net2 = new Network(sim2, { cpus: 4 });
    const h2 = net2.addHost('h');
    const nic2 = net2.addNic(h2, 'eth0', { rxQueues: 4 });
    h2.addAddress(nic2, parseIp('10.0.0.2'), 24);
    net2.trace.subscribe((r) => r.type === 'hop' && r.hook === 'local' && again.set(r.cpu ?? -1, (again.get(r.cpu ?? -1) ?? 0) + 1));
    for (let i = 0; i < 50; i++) sim2.schedule(i * 2000, () => net2.inject(nic2, udp(mac(nic2.mac), 777)));
    sim2.run();
    expect(again.size).toBe(1);
  });

  it('flushes XDP redirects in bulks of 16 at the end of the poll (devmap bq_xmit_all)', () => {
    const sim = new Simulator({ seed: 1 });
    const net = new Network(sim);
    const a = net.addHost('a');
    const b = net.addHost('b');
    const eth0 = net.addNic(a, 'eth0');
    const [veth0, veth1] = net.addVethPair(a, 'veth0', b, 'veth1');
    b.addAddress(veth1, parseIp('10.0.0.2'), 24);
    const obj = net.runtime.load(loadObjectFile(join(FIX, 'xdp_redirect.o')));
    obj.map('tx_port').update(Uint8Array.of(0, 0, 0, 0), Uint8Array.of(veth0.ifindex, 0, 0, 0));
    net.attachXdp(eth0, obj.program('xdp_devmap'));
    net.attachXdp(veth1, obj.program('xdp_pass'));
    sim.schedule(0, () => {
      for (let i = 0; i < 20; i++) net.inject(eth0, udp(mac(veth1.mac)));
    });
    sim.run();
    // One poll of 20 frames: a bulk of 16 when full, the last 4 at the flush.
    expect(net.counters.get('a/veth0/xdp_xmit_calls')).toBe(2);
    expect(net.counters.get('b/delivered')).toBe(20);
  });
});

describe('veth', () => {
  it('XDP_TX on a veth bounces the frame back to its peer, which needs XDP itself (NAPI)', () => {
    for (const peerXdp of [true, false]) {
      const sim = new Simulator({ seed: 1 });
      const net = new Network(sim);
      const a = net.addHost('a');
      const b = net.addHost('b');
      const [veth0, veth1] = net.addVethPair(a, 'veth0', b, 'veth1');
      a.addAddress(veth0, parseIp('10.0.0.1'), 24);
      const obj = net.runtime.load(loadObjectFile(join(FIX, 'xdp_redirect.o')));
      net.attachXdp(veth1, obj.program('xdp_tx_swap'));
      if (peerXdp) net.attachXdp(veth0, obj.program('xdp_pass'));
      // a sends to b's MAC from its own MAC; b swaps and bounces: the frame comes back to a.
      const f = buildPacket([{ kind: 'eth', dst: mac(veth1.mac), src: mac(veth0.mac) }, { kind: 'ipv4', src: '10.0.0.2', dst: '10.0.0.1' }, { kind: 'udp', sport: 1, dport: 2 }]);
      sim.schedule(0, () => net.inject(veth0, f));
      sim.run();
      expect(net.counters.get('b/veth1/xdp/XDP_TX')).toBe(1);
      expect(net.counters.get('a/delivered')).toBe(peerXdp ? 1 : 0);
      if (!peerXdp) expect(net.counters.get('b/veth1/drop/XDP_XMIT_ERR')).toBe(1);
    }
  });
});

describe('tc clsact (direct-action)', () => {
  const cases: [string, number[], string][] = [
    ['TC_ACT_OK passes to the stack', [0], 'delivered'],
    ['TC_ACT_SHOT drops', [2], 'dropped'],
    ['TC_ACT_UNSPEC then TC_ACT_SHOT: the next filter decides', [-1, 2], 'dropped'],
    ['TC_ACT_PIPE then TC_ACT_OK', [3, 0], 'delivered'],
    ['every filter says UNSPEC: the packet goes on', [-1, -1], 'delivered'],
    ['TC_ACT_STOLEN consumes without a drop', [4], 'stolen'],
  ];
  it.each(cases)('%s', (_name, verdicts, want) => {
    const sim = new Simulator({ seed: 1 });
    const net = new Network(sim);
    const h = net.addHost('h');
    const nic = net.addNic(h, 'eth0');
    h.addAddress(nic, parseIp('10.0.0.2'), 24);
    const obj = net.runtime.load(verdictObject(Object.fromEntries(verdicts.map((v, i) => [`f${i}`, v]))));
    verdicts.forEach((_v, i) => net.attachTc(nic, 'ingress', obj.program(`f${i}`), i + 1));
    sim.schedule(0, () => net.inject(nic, udp(mac(nic.mac))));
    sim.run();
    const delivered = net.counters.get('h/delivered');
    const dropped = net.ledger.filter((l) => l.outcome === 'dropped').length;
    expect(want === 'delivered' ? delivered : want === 'dropped' ? dropped : net.counters.get('h/eth0/tc-ingress/stolen')).toBe(1);
    if (want !== 'delivered') expect(delivered).toBe(0);
  });

  it('runs filters in priority order', () => {
    const sim = new Simulator({ seed: 1 });
    const net = new Network(sim);
    const h = net.addHost('h');
    const nic = net.addNic(h, 'eth0');
    h.addAddress(nic, parseIp('10.0.0.2'), 24);
    const obj = net.runtime.load(verdictObject({ shot: 2, ok: 0 }));
    net.attachTc(nic, 'ingress', obj.program('shot'), 20);
    net.attachTc(nic, 'ingress', obj.program('ok'), 10);
    sim.schedule(0, () => net.inject(nic, udp(mac(nic.mac))));
    sim.run();
    expect(net.counters.get('h/delivered')).toBe(1);
    expect(net.counters.get('h/eth0/tc-ingress/TC_ACT_SHOT')).toBe(0);
  });
});
