import { describe, expect, it } from 'vitest';
import type { TopologyRecord } from '../../src/trace/records.ts';
import { hostColumns, layoutTopology } from '../../web/layout.ts';

const dev = (name: string, ifindex: number, hooks: TopologyRecord['hosts'][number]['devices'][number]['hooks'] = []) => ({ name, ifindex, kind: 'nic', mac: '02:00:00:00:00:01', addrs: [], hooks });

const chain: TopologyRecord = {
  type: 'topology',
  t: 0,
  hosts: [
    { name: 'gen', devices: [dev('eth0', 2)] },
    { name: 'router', devices: [dev('eth0', 2, [{ hook: 'xdp', progs: ['xdp_proto_count'] }]), dev('veth0', 3)] },
    { name: 'app', devices: [dev('veth0', 2)] },
    { name: 'b2', devices: [dev('veth0', 2)] },
    { name: 'lonely', devices: [dev('eth0', 2)] },
  ],
  links: [
    { a: { host: 'gen', dev: 'eth0' }, b: { host: 'router', dev: 'eth0' }, kind: 'wire' },
    { a: { host: 'router', dev: 'veth0' }, b: { host: 'app', dev: 'veth0' }, kind: 'veth' },
    { a: { host: 'router', dev: 'veth0' }, b: { host: 'b2', dev: 'veth0' }, kind: 'veth' },
  ],
};

describe('topology layout', () => {
  it('puts hosts in columns by their distance along the links', () => {
    expect(Object.fromEntries(hostColumns(chain))).toEqual({ gen: 0, router: 1, app: 2, b2: 2, lonely: 0 });
  });

  it('is the same every time (seeded, no Math.random), whatever the seed', () => {
    const a = layoutTopology(chain);
    const b = layoutTopology(structuredClone(chain));
    expect(b.nodes.map((n) => [n.id, n.x, n.y])).toEqual(a.nodes.map((n) => [n.id, n.x, n.y]));
    expect(b.hosts).toEqual(a.hosts);
    const c = layoutTopology(chain, 42);
    expect(c.nodes.every((n) => Number.isFinite(n.x) && Number.isFinite(n.y))).toBe(true);
  });

  it('keeps every device inside its host box and hosts in left-to-right order', () => {
    const l = layoutTopology(chain);
    for (const n of l.nodes) {
      const box = l.hosts.find((h) => h.name === n.host);
      expect(box).toBeDefined();
      if (!box) continue;
      expect(n.x).toBeGreaterThan(box.x);
      expect(n.x).toBeLessThan(box.x + box.width);
      expect(n.y).toBeGreaterThan(box.y);
      expect(n.y).toBeLessThan(box.y + box.height);
    }
    const x = (id: string): number => l.nodes.find((n) => n.id === id)?.x ?? NaN;
    expect(x('gen/eth0')).toBeLessThan(x('router/eth0'));
    expect(x('router/veth0')).toBeLessThan(x('app/veth0'));
    expect(l.links.map((k) => [k.id, k.kind])).toEqual([
      ['gen/eth0|router/eth0', 'wire'],
      ['router/veth0|app/veth0', 'veth'],
      ['router/veth0|b2/veth0', 'veth'],
    ]);
  });

  it('host boxes do not overlap, and the picture has positive coordinates', () => {
    const l = layoutTopology(chain);
    for (const a of l.hosts) {
      expect(a.x).toBeGreaterThanOrEqual(0);
      expect(a.y).toBeGreaterThanOrEqual(0);
      expect(a.x + a.width).toBeLessThanOrEqual(l.width);
      expect(a.y + a.height).toBeLessThanOrEqual(l.height);
      for (const b of l.hosts) {
        if (a === b) continue;
        const apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
        expect(apart, `${a.name} and ${b.name} overlap`).toBe(true);
      }
    }
  });
});
