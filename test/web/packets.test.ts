import { describe, expect, it } from 'vitest';
import type { HopRecord } from '../../src/trace/records.ts';
import { PacketTracks } from '../../web/packets.ts';
import { foldClass, verdictClass } from '../../web/verdict.ts';

const hop = (pkt: number, host: string, dev: string, hook: HopRecord['hook'], verdict?: string): HopRecord => ({ type: 'hop', t: 0, pkt, host, dev, hook, verdict, len: 60 });
const POS: Record<string, { x: number; y: number }> = { 'a/eth0': { x: 0, y: 0 }, 'b/eth0': { x: 100, y: 0 }, 'b/veth0': { x: 100, y: 100 } };
const pos = (id: string) => POS[id];

describe('verdict colours', () => {
  it.each([
    ['xdp', 'XDP_PASS', 'pass'],
    ['xdp', 'XDP_DROP', 'drop'],
    ['xdp', 'XDP_ABORTED', 'drop'],
    ['tc-ingress', 'TC_ACT_SHOT', 'drop'],
    ['drop', undefined, 'drop'],
    ['qdisc', 'drop', 'drop'],
    ['xdp', 'XDP_REDIRECT', 'redirect'],
    ['xdp-redirect', 'to b/eth0', 'redirect'],
    ['tc-egress', 'TC_ACT_REDIRECT', 'redirect'],
    ['xdp', 'XDP_TX', 'tx'],
    ['local', 'deliver ipv4', 'deliver'],
    ['tc-ingress', 'TC_ACT_OK', 'pass'],
    ['qdisc', 'enqueue', 'transit'],
    ['nic-rx', 'rxq 0', 'transit'],
  ] as const)('%s %s → %s', (hook, verdict, cls) => {
    expect(verdictClass({ hook, verdict })).toBe(cls);
  });

  it('a packet keeps its colour through hops without programs', () => {
    expect(foldClass('redirect', { hook: 'forward', verdict: 'to eth1' })).toBe('redirect');
    expect(foldClass('pass', { hook: 'xdp', verdict: 'XDP_DROP' })).toBe('drop');
  });
});

describe('PacketTracks', () => {
  it('walks a packet from device to device, one segment per hopMs, and lingers at the end', () => {
    const t = new PacketTracks({ hopMs: 100, lingerMs: 200 });
    t.add(hop(1, 'a', 'eth0', 'wire'), 0);
    t.add(hop(1, 'a', 'eth0', 'nic-tx', 'sent'), 0);
    t.add(hop(1, 'b', 'eth0', 'xdp', 'XDP_PASS'), 0);
    t.add(hop(1, 'b', 'veth0', 'veth-xmit'), 0);
    expect(t.dots(0, pos)).toEqual([{ pkt: 1, x: 0, y: 0, cls: 'pass', stop: 0 }]);
    expect(t.dots(50, pos)[0]).toMatchObject({ x: 50, y: 0 });
    expect(t.dots(150, pos)[0]).toMatchObject({ x: 100, y: 50, stop: 1 });
    expect(t.dots(300, pos)[0]).toMatchObject({ x: 100, y: 100, stop: 2 });
    expect(t.dots(399, pos)).toHaveLength(1);
    expect(t.dots(401, pos)).toHaveLength(0);
    expect(t.size).toBe(0);
  });

  it('colours the dot by the verdicts met so far (red only once it reaches the drop)', () => {
    const t = new PacketTracks({ hopMs: 100 });
    t.add(hop(2, 'a', 'eth0', 'nic-tx', 'sent'), 0);
    t.add(hop(2, 'b', 'eth0', 'xdp', 'XDP_DROP'), 0);
    expect(t.dots(50, pos)[0].cls).toBe('pass');
    expect(t.dots(100, pos)[0].cls).toBe('drop');
  });

  it('a packet that waited at its last stop walks on when new hops arrive', () => {
    const t = new PacketTracks({ hopMs: 100, lingerMs: 1000 });
    t.add(hop(3, 'a', 'eth0', 'wire'), 0);
    t.add(hop(3, 'b', 'eth0', 'nic-rx'), 500);
    expect(t.dots(500, pos)[0]).toMatchObject({ x: 0 });
    expect(t.dots(550, pos)[0]).toMatchObject({ x: 50 });
  });

  it('keeps at most `max` tracks', () => {
    const t = new PacketTracks({ max: 2 });
    for (let p = 1; p <= 3; p++) t.add(hop(p, 'a', 'eth0', 'wire'), 0);
    expect(t.dots(0, pos).map((d) => d.pkt)).toEqual([2, 3]);
  });
});
