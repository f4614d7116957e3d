import { describe, expect, it } from 'vitest';
import { PacketSampler } from '../../src/server/sampler.ts';
import type { HopRecord } from '../../src/trace/records.ts';

const hop = (pkt: number, hook: HopRecord['hook'], parent?: number): HopRecord => ({ type: 'hop', t: 0, pkt, parent, host: 'h', dev: 'eth0', hook, len: 60 });

describe('PacketSampler', () => {
  it('shows every packet while the rate is under the budget', () => {
    const s = new PacketSampler(10);
    for (let p = 1; p <= 5; p++) expect(s.admit(hop(p, 'wire'))).toBe(true);
    s.elapsed(1000);
    expect(s.every).toBe(1);
  });

  it('keeps whole paths of 1 in N packets when the rate is high', () => {
    const s = new PacketSampler(10);
    for (let p = 1; p <= 100; p++) s.admit(hop(p, 'wire'));
    s.elapsed(1000);
    expect(s.every).toBe(10);
    const shown = [];
    for (let p = 101; p <= 200; p++) if (s.admit(hop(p, 'wire'))) shown.push(p);
    expect(shown.length).toBe(10);
    for (let p = 101; p <= 200; p++) {
      expect(s.admit(hop(p, 'xdp'))).toBe(shown.includes(p));
      expect(s.admit(hop(p, 'local'))).toBe(shown.includes(p));
    }
  });

  it('decides once a second of wall time, in 1/2/5 steps', () => {
    const s = new PacketSampler(10);
    for (let p = 1; p <= 30; p++) s.admit(hop(p, 'wire'));
    s.elapsed(400);
    expect(s.every).toBe(1);
    s.elapsed(600);
    expect(s.every).toBe(5);
  });

  it('clones follow the packet they came from', () => {
    const s = new PacketSampler(1);
    for (let p = 1; p <= 10; p++) s.admit(hop(p, 'wire'));
    s.elapsed(1000);
    expect(s.every).toBe(10);
    const kept = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20].filter((p) => s.admit(hop(p, 'wire')));
    expect(kept).toHaveLength(1);
    expect(s.admit(hop(99, 'tc-ingress', kept[0]))).toBe(true);
    expect(s.admit(hop(99, 'local'))).toBe(true);
    expect(s.admit(hop(98, 'tc-ingress', kept[0] + 1))).toBe(false);
  });

  it('always shows packets injected by hand', () => {
    const s = new PacketSampler(1);
    for (let p = 1; p <= 1000; p++) s.admit(hop(p, 'wire'));
    s.elapsed(1000);
    s.admit(hop(1001, 'wire'));
    s.force(1);
    expect(s.admit(hop(1002, 'wire'))).toBe(true);
    expect(s.admit(hop(1003, 'wire'))).toBe(false);
  });

  it('remembers at most `capacity` packets', () => {
    const s = new PacketSampler(1e9, 3);
    for (let p = 1; p <= 5; p++) s.admit(hop(p, 'wire'));
    expect(s.admit(hop(1, 'xdp'))).toBe(false);
    expect(s.admit(hop(5, 'xdp'))).toBe(true);
  });
});
