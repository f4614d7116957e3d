import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadObjectFile } from '../../src/ebpf/elf/index.ts';
import { buildPacket } from '../../src/net/packet/build.ts';
import { Network } from '../../src/net/network.ts';
import { parseIp } from '../../src/net/route.ts';
import type { Netdev } from '../../src/net/netdev.ts';
import type { HopRecord } from '../../src/trace/records.ts';
import { Simulator } from '../../src/sim/index.ts';

const spec = loadObjectFile(join(import.meta.dirname, '..', 'fixtures', 'xdp_redirect.o'));
const macStr = (d: Netdev): string => [...d.mac].map((b) => b.toString(16).padStart(2, '0')).join(':');

/**
 * A reflector: frames injected at a/eth0 meet XDP_TX (MACs swapped) and cross the wire to gen/eth0,
 * which delivers them. The wire's loss and rate are what is tested.
 */
function reflect(seed: number, n: number, link: { rateBps?: number; loss?: number }) {
  const sim = new Simulator({ seed });
  const net = new Network(sim, { cpus: 1 });
  const a = net.addHost('a');
  const g = net.addHost('gen');
  const eth0 = net.addNic(a, 'eth0', { rate: 10e9 });
  const gen = net.addNic(g, 'eth0', { rate: 10e9 });
  net.connect(eth0, gen, 100, link);
  g.addAddress(gen, parseIp('10.0.0.1'), 24);
  net.attachXdp(eth0, net.runtime.load(spec).program('xdp_tx_swap'));
  const arrivals: number[] = [];
  const lost: number[] = [];
  net.trace.subscribe((r) => {
    if (r.type !== 'hop') return;
    const h = r as HopRecord;
    if (h.hook === 'local' && h.host === 'gen') arrivals.push(h.t);
    if (h.hook === 'drop' && h.reason?.startsWith('nic-tx: LINK_LOSS')) lost.push(h.pkt);
  });
  const f = buildPacket([{ kind: 'eth', dst: macStr(eth0), src: macStr(gen) }, { kind: 'ipv4', src: '10.0.0.9', dst: '10.0.0.1' }, { kind: 'udp', sport: 1, dport: 2 }, { kind: 'raw', bytes: new Uint8Array(1000) }]);
  for (let i = 0; i < n; i++) sim.schedule(i * 10_000, () => net.inject(eth0, f));
  sim.run();
  return { c: net.counters.snapshot(), arrivals, lost };
}

describe('a wire between two NICs', () => {
  it('loses frames with the link\'s probability, after the sender counted them, the same ones for the same seed', () => {
    const n = 4000;
    const r = reflect(11, n, { loss: 0.25 });
    const lostN = r.c['a/eth0/drop/LINK_LOSS'] ?? 0;
    // The sender transmitted every frame; the receiver saw the rest.
    expect(r.c['a/eth0/tx_packets']).toBe(n);
    expect(r.c['gen/eth0/rx_packets']).toBe(n - lostN);
    expect(r.c['gen/delivered']).toBe(n - lostN);
    expect(r.lost).toHaveLength(lostN);
    // Binomial(4000, 0.25): mean 1000, sd ≈ 27; ±5 sd.
    expect(lostN).toBeGreaterThan(1000 - 137);
    expect(lostN).toBeLessThan(1000 + 137);
    expect(reflect(11, n, { loss: 0.25 }).lost).toEqual(r.lost);
    expect(reflect(12, n, { loss: 0.25 }).lost).not.toEqual(r.lost);
  });

  it('loss 0 loses nothing and loss 1 everything', () => {
    expect(reflect(1, 200, {}).c['gen/delivered']).toBe(200);
    const all = reflect(1, 200, { loss: 1 });
    expect(all.c['gen/eth0/rx_packets'] ?? 0).toBe(0);
    expect(all.c['a/eth0/drop/LINK_LOSS']).toBe(200);
  });

  it('serialises frames at the link\'s rate when it has one', () => {
    // 1042-byte frames back to back: 10 Gbit/s NICs take 0.87 µs per frame on the wire, a 100 Mbit/s link 87 µs.
    const fast = reflect(1, 3, {});
    const slow = reflect(1, 3, { rateBps: 100e6 });
    const wireNs = (rate: number): number => Math.ceil(((1042 + 24) * 8 * 1e9) / rate);
    expect(slow.arrivals.length).toBe(3);
    // Frames are injected 10 µs apart: at 10 Gbit/s they never queue; at 100 Mbit/s each waits for the one before.
    expect(fast.arrivals[1] - fast.arrivals[0]).toBeCloseTo(10_000, -3);
    expect(slow.arrivals[2] - slow.arrivals[1]).toBeGreaterThanOrEqual(wireNs(100e6) - 1);
    expect(slow.arrivals[2] - slow.arrivals[1]).toBeLessThanOrEqual(wireNs(100e6) + 1);
  });

  it('refuses a loss outside [0, 1] and a rate that is not positive', () => {
    const net = new Network(new Simulator({ seed: 1 }), { cpus: 1 });
    const [x, y, z, w] = ['x', 'y', 'z', 'w'].map((h) => net.addNic(net.addHost(h), 'eth0'));
    expect(() => net.connect(x, y, 0, { loss: 1.5 })).toThrow(/loss must be in \[0, 1\]/);
    expect(() => net.connect(z, w, 0, { rateBps: 0 })).toThrow(/rate must be positive/);
  });
});
