import { describe, expect, it } from 'vitest';
import { Simulator } from '../../../src/sim/simulator.ts';
import {
  codelDuration, controlLaw, CodelVars, createQdisc, FqCodel, newtonStep, type QdiscEvent,
} from '../../../src/net/qdisc/index.ts';
import { P, paced, Wire } from './helpers.ts';

const MS = 1e6;
const FAT = 0x10000000; // hashes to bucket 64 of 1024
const THIN = 0x80000000; // bucket 512

function run(opts: { ect?: boolean; ecn?: boolean; seconds?: number; thin?: boolean } = {}) {
  const sim = new Simulator();
  const q = new FqCodel(sim, { ecn: opts.ecn ?? true });
  const events: QdiscEvent[] = [];
  q.onEvent = (ev) => events.push(ev);
  const wire = new Wire(sim, q, 10e6); // 10 Mbit/s bottleneck
  const T = (opts.seconds ?? 2) * 1e9;
  // fat flow: 1500-byte packets at 20 Mbit/s (2× the link)
  paced(sim, wire, 0, 600_000, T / 600_000, () => new P(1500, FAT, 0, 0, opts.ect ?? false, 'fat'));
  // thin flow: 100-byte packets every 10 ms
  if (opts.thin ?? true) paced(sim, wire, 0, 10 * MS, T / (10 * MS), () => new P(100, THIN, 0, 0, false, 'thin'));
  sim.run({ until: T });
  return { q, events, wire };
}

describe('fq_codel: a fat and a thin flow', () => {
  it('the thin flow keeps a low delay while the fat one is controlled', () => {
    const { events } = run();
    const deq = events.filter((e) => e.kind === 'dequeue');
    const thin = deq.filter((e) => (e.pkt as P).tag === 'thin').map((e) => e.sojourn as number);
    const fat = deq.filter((e) => (e.pkt as P).tag === 'fat' && e.t > 1e9).map((e) => e.sojourn as number);
    expect(thin.length).toBeGreaterThan(150);
    // a new (sparse) flow goes ahead of the backlog: at most one fat packet on the wire (1.2 ms) ahead of it
    expect(Math.max(...thin)).toBeLessThan(2.5 * MS);
    // the unresponsive fat flow (2× the link) builds its own standing queue; the thin one does not share it
    const median = [...fat].sort((a, b) => a - b)[Math.floor(fat.length / 2)];
    expect(median).toBeGreaterThan(50 * Math.max(...thin));
    // all drops hit the fat flow, none the thin one, and they are CoDel (congestion) drops
    const drops = events.filter((e) => e.kind === 'drop');
    expect(drops.length).toBeGreaterThan(50);
    expect(drops.every((e) => (e.pkt as P).tag === 'fat' && e.reason === 'QDISC_CONGESTED')).toBe(true);
  });

  it('CoDel starts dropping only after sojourn > target for > interval', () => {
    const { events } = run({ thin: false });
    const deq = events.filter((e) => e.kind === 'dequeue' || e.kind === 'drop');
    const firstAbove = deq.find((e) => (e.sojourn ?? 0) > 5 * MS) as QdiscEvent;
    const firstDrop = events.find((e) => e.kind === 'drop') as QdiscEvent;
    expect(firstAbove).toBeDefined();
    // first_above_time = now + interval; the drop comes at the first dequeue after it
    expect(firstDrop.t).toBeGreaterThan(firstAbove.t + 100 * MS - 2048);
    expect(firstDrop.t).toBeLessThan(firstAbove.t + 100 * MS + 1.3 * MS);
    expect(firstDrop.sojourn as number).toBeGreaterThan(5 * MS);
  });

  it('marks ECT packets instead of dropping them (ecn is on by default)', () => {
    const { q, events } = run({ ect: true, thin: false, seconds: 1 });
    const marks = events.filter((e) => e.kind === 'mark');
    expect(marks.length).toBeGreaterThan(5);
    expect(marks.every((e) => e.reason === 'ECN_CE' && (e.pkt as P).ce)).toBe(true);
    expect(events.some((e) => e.kind === 'drop')).toBe(false);
    expect(q.stats().xstats?.ecn_mark).toBe(marks.length);
    const noecn = run({ ect: true, ecn: false, thin: false, seconds: 1 });
    expect(noecn.events.some((e) => e.kind === 'mark')).toBe(false);
    expect(noecn.events.filter((e) => e.kind === 'drop').length).toBeGreaterThan(5);
  });

  it('the drop interval shrinks as interval/sqrt(count)', () => {
    // Marks keep the queue (no packet leaves), so successive marks follow the control law alone.
    const { events } = run({ ect: true, thin: false, seconds: 1.5 });
    const marks = events.filter((e) => e.kind === 'mark').map((e) => e.t);
    const gaps = marks.slice(1, 13).map((t, i) => t - marks[i]);
    // the kernel's schedule: count 1 uses 1/sqrt(1), then one Newton step per count
    const v = new CodelVars();
    v.count = 1;
    v.recInvSqrt = 0xffff;
    for (let i = 0; i < gaps.length; i++) {
      const kernelGap = Math.floor((codelDuration(100 * MS) * ((v.recInvSqrt << 16) >>> 0)) / 2 ** 32) * 1024;
      // each mark happens at the first dequeue at or after drop_next (one 1.2 ms packet time)
      expect(Math.abs(gaps[i] - kernelGap)).toBeLessThan(1.3 * MS);
      // which is interval/sqrt(count) once the reciprocal has converged (a few counts in)
      if (i >= 5) expect(Math.abs(gaps[i] - (100 * MS) / Math.sqrt(i + 1))).toBeLessThan(0.02 * ((100 * MS) / Math.sqrt(i + 1)) + 1.3 * MS);
      v.count++;
      newtonStep(v);
    }
  });
});

describe('CoDel arithmetic (codel_impl.h)', () => {
  it('Newton steps track 1/sqrt(count) in Q0.16, one step per count', () => {
    const v = new CodelVars();
    v.count = 1;
    v.recInvSqrt = 0xffffffff >>> 16;
    const first: number[] = [];
    for (let c = 2; c <= 200; c++) {
      v.count = c;
      newtonStep(v);
      if (c <= 12) first.push(v.recInvSqrt);
      // coarse at first (one step from 1/sqrt(1) gives 0.5 for count 2), then within 1%
      if (c >= 6) expect(Math.abs(v.recInvSqrt / 65536 - 1 / Math.sqrt(c))).toBeLessThan(0.01 / Math.sqrt(c) + 1e-4);
    }
    // codel_Newton_step() compiled verbatim from codel_impl.h gives, for counts 2..12:
    expect(first).toEqual([32769, 36864, 31968, 28935, 26481, 24588, 23037, 21746, 20647, 19699, 18869]);
    // and a jump to count 37 from 1/sqrt(1) (the "delta" re-entry) wraps the u64 as in C
    const w = new CodelVars();
    w.count = 37;
    w.recInvSqrt = 0xffff;
    newtonStep(w);
    expect(w.recInvSqrt).toBe(53);
  });

  it('control law: t + interval/sqrt(count)', () => {
    const interval = codelDuration(100 * MS);
    expect(interval).toBe(97656);
    expect(controlLaw(1000, interval, 0xffff)).toBe(1000 + 97654);
    expect(controlLaw(1000, interval, 0x8000)).toBe(1000 + 48828);
    // u32 wrap-around of codel time
    expect(controlLaw(0xffffffff, interval, 0x8000)).toBe(48827);
  });
});

describe('fq_codel flow handling', () => {
  it('overflow drops from the fattest flow, up to half its backlog', () => {
    const sim = new Simulator();
    const q = new FqCodel(sim, { limit: 100 });
    for (let i = 0; i < 90; i++) q.enqueue(new P(1000, FAT, 0, 0, false, 'fat'));
    for (let i = 0; i < 10; i++) q.enqueue(new P(1000, THIN, 0, 0, false, 'thin'));
    const drops: QdiscEvent[] = [];
    q.onEvent = (ev) => {
      if (ev.kind === 'drop') drops.push(ev);
    };
    expect(q.enqueue(new P(1000, THIN, 0, 0, false, 'thin'))).toBe('ok');
    // 90 000 bytes in the fat flow: drop until 45 000 bytes gone = 45 packets (< 64)
    expect(drops).toHaveLength(45);
    expect(drops.every((d) => (d.pkt as P).tag === 'fat' && d.reason === 'QDISC_OVERLIMIT')).toBe(true);
    expect(q.qlen).toBe(56);
    expect(q.stats().xstats?.drop_overlimit).toBe(45);
    expect(q.flowBacklog(64)).toBe(45_000);
    expect(q.flowBacklog(512)).toBe(11_000);
  });

  it('drop batch caps at drop_batch packets, and the new packet can be the victim', () => {
    const sim = new Simulator();
    const q = new FqCodel(sim, { limit: 200, dropBatchSize: 64 });
    for (let i = 0; i < 200; i++) q.enqueue(new P(100, FAT));
    expect(q.enqueue(new P(100, FAT))).toBe('ok');
    expect(q.stats().drops).toBe(64);
    const q2 = new FqCodel(sim, { limit: 1 });
    q2.enqueue(new P(100, FAT));
    expect(q2.enqueue(new P(5000, THIN))).toBe('drop'); // the fattest flow is the new one
    expect(q2.qlen).toBe(1);
  });

  it('new flows are served before old ones; DRR by quantum among old ones', () => {
    const sim = new Simulator();
    const q = new FqCodel(sim, { quantum: 3000 });
    for (let i = 0; i < 6; i++) q.enqueue(new P(1500, FAT, 0, 0, false, 'a'));
    const order: string[] = [];
    order.push((q.dequeue() as P).tag);
    order.push((q.dequeue() as P).tag);
    q.enqueue(new P(100, THIN, 0, 0, false, 'b')); // sparse flow arrives
    order.push((q.dequeue() as P).tag);
    expect(order).toEqual(['a', 'a', 'b']);
  });

  it('skb->priority major:minor picks the flow directly', () => {
    const sim = new Simulator();
    const q = createQdisc({ kind: 'fq_codel', handle: '8001:', flows: 16 }, sim) as FqCodel;
    q.enqueue(new P(100, FAT, 0x80010005));
    expect(q.flowBacklog(4)).toBe(100);
    expect(q.classify(new P(100, 0xffffffff))).toBe(15);
  });

  it('parameters as tc passes them: µs, >> CODEL_SHIFT', () => {
    const q = createQdisc('fq_codel target 2ms interval 50ms noecn limit 500', new Simulator()) as FqCodel;
    expect(q.cparams).toMatchObject({ target: (2000 * 1000) >> 10, interval: (50_000 * 1000) >> 10, ecn: false, mtu: 1514 });
    expect(q.limit).toBe(500);
    expect(q.quantum).toBe(1514);
    expect(() => createQdisc({ kind: 'fq_codel', target: '5 ms' }, new Simulator())).toThrow(/target: invalid time/);
  });
});
