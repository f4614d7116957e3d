import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadObjectFile } from '../../src/ebpf/elf/index.ts';
import { buildPacket } from '../../src/net/packet/build.ts';
import { Network } from '../../src/net/network.ts';
import { parseIp } from '../../src/net/route.ts';
import { Simulator } from '../../src/sim/index.ts';
import type { HopRecord, TraceRecord } from '../../src/trace/records.ts';

const FIX = join(import.meta.dirname, '..', 'fixtures');

function udp(dst: string, dport: number, dstMac = '02:00:00:00:00:02', size = 20): Uint8Array {
  return buildPacket([
    { kind: 'eth', dst: dstMac, src: '02:00:00:00:00:99' },
    { kind: 'ipv4', src: '10.0.0.1', dst },
    { kind: 'udp', sport: 1234, dport },
    { kind: 'raw', bytes: new Uint8Array(size) },
  ]);
}

function tcp(dst: string, dstMac = '02:00:00:00:00:02'): Uint8Array {
  return buildPacket([
    { kind: 'eth', dst: dstMac, src: '02:00:00:00:00:99' },
    { kind: 'ipv4', src: '10.0.0.1', dst },
    { kind: 'tcp', sport: 1234, dport: 80, flags: 0x02 },
  ]);
}

function twoHosts(cpus = 1) {
  const sim = new Simulator({ seed: 7 });
  const net = new Network(sim, { cpus });
  const a = net.addHost('a');
  const b = net.addHost('b');
  const ea = net.addNic(a, 'eth0', { rate: 10e9 });
  const eb = net.addNic(b, 'eth0', { rate: 10e9 });
  net.connect(ea, eb, 1000);
  a.addAddress(ea, parseIp('10.0.0.1'), 24);
  b.addAddress(eb, parseIp('10.0.0.2'), 24);
  return { sim, net, a, b, ea, eb };
}

describe('datapath: NIC, XDP and the stack', () => {
  it('runs the XDP protocol counter at the receiving NIC: UDP dropped, TCP delivered', () => {
    const { sim, net, eb } = twoHosts();
    const obj = net.runtime.load(loadObjectFile(join(FIX, 'xdp_proto_count.o')));
    net.attachXdp(eb, obj.program('xdp_proto_count'));
    const hops: HopRecord[] = [];
    net.trace.subscribe((r: TraceRecord) => r.type === 'hop' && hops.push(r));
    for (let i = 0; i < 10; i++) sim.schedule(i * 1000, () => net.inject(eb, i % 2 ? udp('10.0.0.2', 53) : tcp('10.0.0.2')));
    sim.run();
    const c = net.counters.snapshot();
    expect(c['b/eth0/xdp/XDP_DROP']).toBe(5);
    expect(c['b/eth0/xdp/XDP_PASS']).toBe(5);
    expect(c['b/delivered']).toBe(5);
    // The per-CPU counters in the map saw every packet.
    const m = obj.map('proto_count');
    const total = m.entries().reduce((s, e) => s + (e.values ?? [e.value as Uint8Array]).reduce((t, v) => t + Number(new DataView(v.buffer, v.byteOffset).getBigUint64(0, true)), 0), 0);
    expect(total).toBeGreaterThanOrEqual(10);
    // Hops carry program steps with instruction counts and the C line of the verdict.
    const x = hops.find((h) => h.hook === 'xdp' && h.verdict === 'XDP_DROP');
    expect(x?.progs?.[0].prog).toBe('xdp_proto_count');
    expect(x?.progs?.[0].insns).toBeGreaterThan(10);
    expect(x?.progs?.[0].line).toMatch(/^xdp_proto_count\.c:\d+$/);
    expect(hops.some((h) => h.hook === 'local' && h.host === 'b')).toBe(true);
  });

  it('drops frames for another MAC (PACKET_OTHERHOST) and without forwarding', () => {
    const { sim, net, eb } = twoHosts();
    sim.schedule(0, () => net.inject(eb, udp('10.0.0.2', 9, '02:00:00:00:00:77')));
    sim.schedule(10, () => net.inject(eb, udp('10.9.9.9', 9)));
    sim.run();
    const c = net.counters.snapshot();
    expect(c['b/drops/OTHERHOST']).toBe(1);
    expect(c['b/drops/IP_FORWARD_DISABLED']).toBe(1);
  });

  it('explains an OTHERHOST drop by its cause: another MAC, or a VLAN tag with no VLAN device', () => {
    const { sim, net, eb } = twoHosts();
    const reasons: string[] = [];
    net.trace.subscribe((r: TraceRecord) => r.type === 'hop' && r.hook === 'drop' && reasons.push(r.reason ?? ''));
    const tagged = buildPacket([
      { kind: 'eth', dst: '02:00:00:00:00:02', src: '02:00:00:00:00:99' },
      { kind: 'vlan', vid: 42 },
      { kind: 'ipv4', src: '10.0.0.1', dst: '10.0.0.2' },
      { kind: 'udp', sport: 1, dport: 2 },
    ]);
    sim.schedule(0, () => net.inject(eb, udp('10.0.0.2', 9, '02:00:00:00:00:77')));
    sim.schedule(10, () => net.inject(eb, tagged));
    sim.run();
    expect(net.counters.get('b/drops/OTHERHOST')).toBe(2);
    expect(reasons).toEqual([
      "local: OTHERHOST (the destination MAC is not this device's)",
      'local: OTHERHOST (tagged with VLAN 42, which has no VLAN device on eth0: vlan_do_receive marks it PACKET_OTHERHOST)',
    ]);
  });

  it('forwards by longest-prefix route through a neighbour, decrementing the TTL', () => {
    const sim = new Simulator({ seed: 1 });
    const net = new Network(sim);
    const r = net.addHost('router');
    const inN = net.addNic(r, 'eth0');
    const outN = net.addNic(r, 'eth1');
    const dst = net.addHost('dst');
    const dn = net.addNic(dst, 'eth0');
    net.connect(outN, dn, 500);
    r.forwarding = true;
    r.addAddress(inN, parseIp('10.0.0.254'), 24);
    r.addAddress(outN, parseIp('10.1.0.254'), 24);
    dst.addAddress(dn, parseIp('10.1.0.1'), 24);
    r.routes.add({ family: 4, dst: parseIp('10.2.0.0'), prefixLen: 16, via: parseIp('10.1.0.1'), ifindex: outN.ifindex, metric: 0 });
    r.neigh.add(outN.ifindex, parseIp('10.1.0.1'), dn.mac);
    const frame = udp('10.1.0.1', 53, [...inN.mac].map((b) => b.toString(16).padStart(2, '0')).join(':'));
    const ttl = frame[22];
    let seenTtl = -1;
    net.trace.subscribe((rec) => {
      if (rec.type === 'hop' && rec.host === 'dst' && rec.hook === 'local') seenTtl = ttl - 1;
    });
    sim.schedule(0, () => net.inject(inN, frame));
    sim.run();
    expect(net.counters.get('router/forwarded')).toBe(1);
    expect(net.counters.get('dst/delivered')).toBe(1);
    expect(seenTtl).toBe(ttl - 1);
  });

  it('drops at a full RX ring when the CPU cannot keep up (NAPI falls behind)', () => {
    const sim = new Simulator({ seed: 1 });
    const net = new Network(sim, { costs: { nicRxNs: 2000 } });
    const h = net.addHost('h');
    const nic = net.addNic(h, 'eth0', { rxRing: 64 });
    h.addAddress(nic, parseIp('10.0.0.2'), 24);
    const mac = [...nic.mac].map((b) => b.toString(16).padStart(2, '0')).join(':');
    for (let i = 0; i < 1000; i++) sim.schedule(i * 100, () => net.inject(nic, udp('10.0.0.2', 7, mac)));
    sim.run();
    const drops = net.counters.get('h/eth0/drop/RX_RING_FULL');
    expect(drops).toBeGreaterThan(0);
    expect(drops + net.counters.get('h/delivered')).toBe(1000);
  });

  it('is deterministic: the same run twice gives the same trace', () => {
    const runOnce = (): string => {
      const { sim, net, eb } = twoHosts(2);
      const obj = net.runtime.load(loadObjectFile(join(FIX, 'xdp_proto_count.o')));
      net.attachXdp(eb, obj.program('xdp_proto_count'));
      const out: string[] = [];
      net.trace.subscribe((r) => out.push(JSON.stringify(r)));
      for (let i = 0; i < 50; i++) sim.schedule(i * 333, () => net.inject(eb, i % 3 ? udp('10.0.0.2', 1000 + i) : tcp('10.0.0.2')));
      sim.run();
      return out.join('\n');
    };
    const a = runOnce();
    expect(a.length).toBeGreaterThan(1000);
    expect(runOnce()).toBe(a);
  });
});
