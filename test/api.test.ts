import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { byHook, byPacket, Simulation } from '../src/index.ts';
import type { HopRecord } from '../src/trace/records.ts';

const FIX = join(import.meta.dirname, 'fixtures');

describe('library API (README example)', () => {
  it('builds a topology, attaches a real object, sends traffic and reads counters, maps and traces', () => {
    const s = new Simulation({ seed: 42 });
    const eth0 = s.nic('fw', 'eth0', { addr: '10.0.0.1/24', rxQueues: 2 });
    const obj = s.load(join(FIX, 'xdp_proto_count.o'));
    s.xdp(eth0, obj, 'xdp_proto_count');
    const drops: HopRecord[] = [];
    s.trace().subscribe((r) => {
      if (r.type === 'hop' && r.verdict === 'XDP_DROP') drops.push(r);
    });
    s.traffic('dns', eth0, { rate: { pps: 1e6 }, count: 100, flows: { count: 8, protocol: 'udp', src: '192.168.0.1', dst: '10.0.0.1', dport: 53 } });
    s.send(eth0, [{ kind: 'eth', dst: '02:00:00:00:00:01', src: '02:00:00:00:00:09' }, { kind: 'ipv4', src: '192.168.0.9', dst: '10.0.0.1' }, { kind: 'tcp', sport: 1, dport: 80 }], 5000);
    s.run({ until: 1_000_000 });
    expect(s.counter('fw/eth0/xdp/XDP_DROP')).toBe(100);
    expect(s.counter('fw/eth0/xdp/XDP_PASS')).toBe(1);
    expect(s.counter('fw/delivered')).toBe(1);
    expect(drops).toHaveLength(100);
    // RSS spread the 8 flows over both RX queues (NAPI instances on CPU 0).
    expect(new Set(drops.map((d) => d.cpu))).toEqual(new Set([0]));
    const perCpu = obj.map('proto_count').entries();
    expect(perCpu.length).toBeGreaterThan(0);
  });

  it('exports the trace operators: one packet\'s hops, or one hook\'s, from the RxJS stream', () => {
    const s = new Simulation({ seed: 1 });
    const eth0 = s.nic('fw', 'eth0', { addr: '10.0.0.1/24' });
    s.xdp(eth0, s.load(join(FIX, 'xdp_proto_count.o')), 'xdp_proto_count');
    const xdp: HopRecord[] = [];
    const first: HopRecord[] = [];
    s.trace().pipe(byHook('xdp')).subscribe((h) => xdp.push(h));
    s.trace().pipe(byPacket(1)).subscribe((h) => first.push(h));
    s.traffic('dns', eth0, { rate: { pps: 1e6 }, count: 5, flows: { count: 1, protocol: 'udp', src: '192.168.0.1', dst: '10.0.0.1', dport: 53 } });
    s.run({ until: 1_000_000 });
    expect(xdp.map((h) => h.verdict)).toEqual(Array(5).fill('XDP_DROP'));
    expect(first.length).toBeGreaterThan(1);
    expect(new Set(first.map((h) => h.pkt))).toEqual(new Set([1]));
  });
});
