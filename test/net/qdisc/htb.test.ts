import { describe, expect, it } from 'vitest';
import { Simulator } from '../../../src/sim/simulator.ts';
import { createQdisc, Htb, HtbConfigError, type HtbClassSpec } from '../../../src/net/qdisc/index.ts';
import { P, paced, Wire } from './helpers.ts';

const S = 1e9;

function tree(sim: Simulator, leaves: { id: string; rate: string; ceil: string; prio?: number }[], parentRate = '100mbit', dflt?: string): Htb {
  const classes: HtbClassSpec[] = [{ classid: '1:1', rate: parentRate, ceil: parentRate }];
  for (const l of leaves) classes.push({ classid: l.id, parent: '1:1', rate: l.rate, ceil: l.ceil, prio: l.prio });
  return createQdisc({ kind: 'htb', handle: '1:', default: dflt, classes }, sim) as Htb;
}

function overload(q: Htb, sim: Simulator, flows: { classid: number; bitsPerSec: number; len?: number; from?: number; to?: number }[], seconds = 1) {
  const wire = new Wire(sim, q, 1e9);
  for (const f of flows) {
    const len = f.len ?? 1500;
    const gap = (len * 8 * 1e9) / f.bitsPerSec;
    const from = f.from ?? 0;
    const to = f.to ?? seconds * S;
    paced(sim, wire, from, gap, Math.floor((to - from) / gap), () => new P(len, 0, 0, f.classid));
  }
  sim.run({ until: seconds * S });
  return wire;
}

describe('htb: two leaves 30/70 of a 100 Mbit parent', () => {
  it.each([
    [1500, 1.0],
    [1000, 1.0],
    [200, 0.5],
  ])('share the parent 30:70 under overload (%d-byte packets)', (len, seconds) => {
    const sim = new Simulator();
    const q = createQdisc(
      {
        kind: 'htb', default: '20', classes: [
          { classid: '1:1', rate: '100mbit' },
          { classid: '1:10', parent: '1:1', rate: '30mbit', ceil: '100mbit' },
          { classid: '1:20', parent: '1:1', rate: '70mbit', ceil: '100mbit' },
        ],
      },
      sim,
    ) as Htb;
    const wire = overload(q, sim, [{ classid: 0x10010, bitsPerSec: 100e6, len }, { classid: 0x10020, bitsPerSec: 100e6, len }], seconds);
    const a = wire.bytesBy(seconds * S, (p) => p.tcClassid === 0x10010) * 8;
    const b = wire.bytesBy(seconds * S, (p) => p.tcClassid === 0x10020) * 8;
    const total = (a + b) / seconds;
    expect(total / 100e6).toBeGreaterThan(0.97);
    expect(total / 100e6).toBeLessThan(1.03);
    expect(a / (a + b)).toBeGreaterThan(0.28);
    expect(a / (a + b)).toBeLessThan(0.32);
    const cs = q.classStats();
    expect(cs.map((c) => c.classid)).toEqual(['1:1', '1:10', '1:20']);
    expect(cs[0].level).toBe(7);
    expect(q.stats().overlimits).toBeGreaterThan(0);
  });

  it.each([
    ['100mbit', 100e6],
    ['50mbit', 50e6],
  ])('one leaf borrows up to its ceil %s when the other is idle', (ceil, want) => {
    const sim = new Simulator();
    const q = createQdisc(
      {
        kind: 'htb', classes: [
          { classid: '1:1', rate: '100mbit' },
          { classid: '1:10', parent: '1:1', rate: '30mbit', ceil },
          { classid: '1:20', parent: '1:1', rate: '70mbit', ceil: '100mbit' },
        ],
      },
      sim,
    ) as Htb;
    const wire = overload(q, sim, [{ classid: 0x10010, bitsPerSec: 200e6 }]);
    const rate = wire.bytesBy(S) * 8;
    expect(rate / want).toBeGreaterThan(0.97);
    expect(rate / want).toBeLessThan(1.03);
    const c10 = q.classStats().find((c) => c.classid === '1:10');
    expect(c10?.borrowed).toBeGreaterThan(0);
  });

  it('borrowing stops when the other leaf comes back', () => {
    const sim = new Simulator();
    const q = tree(sim, [{ id: '1:10', rate: '30mbit', ceil: '100mbit' }, { id: '1:20', rate: '70mbit', ceil: '100mbit' }]);
    const wire = overload(q, sim, [{ classid: 0x10010, bitsPerSec: 150e6 }, { classid: 0x10020, bitsPerSec: 150e6, from: 0.5 * S }]);
    const first = wire.bytesBy(0.45 * S, (p) => p.tcClassid === 0x10010) * 8;
    expect(first / (0.45 * 100e6)).toBeGreaterThan(0.95);
    const late10 = wire.sent.filter((r) => r.t > 0.6 * S && r.pkt.tcClassid === 0x10010).reduce((x, r) => x + r.pkt.len, 0);
    const late20 = wire.sent.filter((r) => r.t > 0.6 * S && r.pkt.tcClassid === 0x10020).reduce((x, r) => x + r.pkt.len, 0);
    expect(late10 / (late10 + late20)).toBeGreaterThan(0.27);
    expect(late10 / (late10 + late20)).toBeLessThan(0.33);
  });

  it('a leaf without ceil above rate is capped at its rate', () => {
    const sim = new Simulator();
    const q = tree(sim, [{ id: '1:10', rate: '30mbit', ceil: '30mbit' }, { id: '1:20', rate: '70mbit', ceil: '100mbit' }]);
    const wire = overload(q, sim, [{ classid: 0x10010, bitsPerSec: 100e6 }]);
    expect((wire.bytesBy(S) * 8) / 30e6).toBeCloseTo(1, 1);
  });
});

describe('htb classification (htb_classify)', () => {
  const q = tree(new Simulator(), [{ id: '1:10', rate: '30mbit', ceil: '100mbit' }, { id: '1:20', rate: '70mbit', ceil: '100mbit' }], '100mbit', '20');
  it.each([
    ['skb->priority = leaf classid', new P(100, 0, 0x10010), '1:10'],
    ['tc_classid from a filter, full id', new P(100, 0, 0, 0x10010), '1:10'],
    ['tc_classid minor only (cls_bpf with classid 1:)', new P(100, 0, 0, 0x10), '1:10'],
    ['unclassified → default 1:20', new P(100), '1:20'],
    ['inner class id → default', new P(100, 0, 0x10001), '1:20'],
    ['unknown class → default', new P(100, 0, 0, 0x10099), '1:20'],
    ['priority 1:0 → direct', new P(100, 0, 0x10000), 'direct'],
  ])('%s', (_what, pkt, want) => {
    const cl = q.classify(pkt);
    expect(cl === null ? 'direct' : `1:${cl.classid.toString(16).slice(-2)}`).toBe(want);
  });

  it('no default class: unclassified packets take the direct queue, first out', () => {
    const q2 = tree(new Simulator(), [{ id: '1:10', rate: '30mbit', ceil: '100mbit' }]);
    q2.enqueue(new P(100, 0, 0x10010));
    q2.enqueue(new P(200));
    expect(q2.dequeue()?.len).toBe(200);
    expect(q2.stats().xstats?.direct_packets_stat).toBe(1);
  });
});

describe('htb configuration', () => {
  it('tc defaults: burst = mtu 1600 in 64-ns ticks, quantum = rate/r2q clamped', () => {
    const q = tree(new Simulator(), [{ id: '1:10', rate: '30mbit', ceil: '100mbit' }, { id: '1:20', rate: '1mbit', ceil: '100mbit' }], '1gbit');
    const c10 = q.getClass(0x10010)!;
    expect(c10.quantum).toBe(200000); // 3.75 MB/s / 10 = 375000, clamped
    expect(q.getClass(0x10020)!.quantum).toBe(12500);
    expect(c10.buffer).toBe(Math.trunc(((1e6 * 1600) / 3_750_000) * 15.625) * 64);
    const c1 = q.getClass(0x10001)!;
    expect(c1.buffer).toBe(Math.trunc(((1e6 * 1601) / 125_000_000) * 15.625) * 64);
  });

  it('refuses bad trees', () => {
    const sim = new Simulator();
    expect(() => createQdisc({ kind: 'htb', classes: [{ classid: '1:10', parent: '1:5', rate: '1mbit' }] }, sim)).toThrow(/parent class 1:5 of 1:10 does not exist/);
    expect(() => new Htb(sim, { classes: [{ classid: 0x10010, parent: 0x10005, rate: 1e6 }] })).toThrow(HtbConfigError);
    expect(() => createQdisc({ kind: 'htb', classes: [{ classid: '2:10', rate: '1mbit' }] }, sim)).toThrow(/invalid classid 2:10/);
    expect(() => createQdisc({ kind: 'htb', classes: [{ classid: '1:10', rate: '1mbt' }] }, sim)).toThrow(/htb class 1:10: rate: invalid rate "1mbt"/);
    expect(() => createQdisc({ kind: 'htb', classes: [{ classid: '1:10', rate: '1mbit', colour: 'red' } as HtbClassSpec] }, sim)).toThrow(/unknown option "colour"/);
  });

  it('a leaf qdisc that drops on its own deactivates the class (qlen_notify)', () => {
    const sim = new Simulator();
    const q = createQdisc(
      { kind: 'htb', default: '10', classes: [{ classid: '1:10', rate: '10mbit', qdisc: { kind: 'fq_codel', limit: 4 } }] },
      sim,
    ) as Htb;
    for (let i = 0; i < 10; i++) q.enqueue(new P(1000));
    // fq_codel kept 4 (overflow dropped half the fat flow each time): htb's counters follow
    expect(q.qlen).toBe(q.getClass(0x10010)!.leaf!.qlen);
    expect(q.stats().drops).toBe(10 - q.qlen);
    const wire = new Wire(sim, q, 1e9);
    wire.kick();
    sim.run();
    expect(wire.sent.length).toBe(q.stats().packets);
    expect(q.qlen).toBe(0);
    expect(q.backlog).toBe(0);
  });
});
