import { describe, expect, it } from 'vitest';
import { Simulator } from '../../../src/sim/simulator.ts';
import {
  Bfifo, createQdisc, FqCodel, Htb, Noqueue, parseQdiscArgs, PfifoFast, qdiscEventToHop, QdiscSpecError, Tbf, type QdiscEvent, type QdiscSpec,
} from '../../../src/net/qdisc/index.ts';
import { P, paced, Wire } from './helpers.ts';

describe('createQdisc', () => {
  it.each([
    [{ kind: 'pfifo_fast' }, PfifoFast],
    [{ kind: 'noqueue' }, Noqueue],
    [{ kind: 'bfifo', limit: '64k' }, Bfifo],
    [{ kind: 'tbf', rate: '1gbit', burst: '32k', latency: '50ms' }, Tbf],
    [{ kind: 'tbf', rate: 1e9, burst: 32768, limit: 1_000_000 }, Tbf],
    [{ kind: 'fq_codel' }, FqCodel],
    [{ kind: 'htb', default: '10', classes: [{ classid: '1:10', rate: '1mbit' }] }, Htb],
  ] as [QdiscSpec, new (...a: never[]) => unknown][])('%j', (spec, cls) => {
    expect(createQdisc(spec, new Simulator())).toBeInstanceOf(cls);
  });

  it('tbf from the brief: rate 1gbit burst 32k latency 50ms', () => {
    const q = createQdisc({ kind: 'tbf', rate: '1gbit', burst: '32k', latency: '50ms' }, new Simulator()) as Tbf;
    expect(q.rate.rateBytesPs).toBe(125_000_000);
    expect(q.maxSize).toBe(32768);
    expect(q.limit).toBe(125_000_000 * 0.05 + 32768);
    expect(q.buffer).toBe(q.rate.l2t(32768));
  });

  it('parses tc argument strings', () => {
    expect(parseQdiscArgs('tbf rate 10mbit burst 10k latency 50ms')).toEqual({ kind: 'tbf', rate: '10mbit', burst: '10k', latency: '50ms' });
    expect(parseQdiscArgs('fq_codel limit 1000 noecn target 2ms')).toEqual({ kind: 'fq_codel', limit: 1000, ecn: false, target: '2ms' });
    expect(parseQdiscArgs('tbf rate 1mbit buffer 4k limit 20k')).toEqual({ kind: 'tbf', rate: '1mbit', burst: '4k', limit: '20k' });
    expect(createQdisc('pfifo limit 5', new Simulator()).kind).toBe('pfifo');
  });

  it.each([
    [{ kind: 'tbf', rate: '10mbit' }, /qdisc tbf: both "rate" and "burst" are required/],
    [{ kind: 'tbf', rate: '10mbit', burst: '10kk', latency: '5ms' }, /qdisc tbf: burst: invalid size "10kk": unknown unit "kk"/],
    [{ kind: 'tbf', rate: '10mbit', burst: '10k', latency: '5 parsecs' }, /latency: invalid time "5 parsecs"/],
    [{ kind: 'fq_codel', flows: 0 }, /flows must be an integer >= 1, got 0/],
    [{ kind: 'fq_codel', lmit: 5 }, /unknown option "lmit"/],
    [{ kind: 'pfifo_fast', limit: 5 }, /takes no options/],
    [{ kind: 'sfq' }, /unknown kind "sfq"/],
    [{ kind: 'htb', handle: '1:5' }, /MAJOR:/],
  ])('%j fails with a message naming the problem', (spec, re) => {
    expect(() => createQdisc(spec as QdiscSpec, new Simulator())).toThrow(QdiscSpecError);
    expect(() => createQdisc(spec as QdiscSpec, new Simulator())).toThrow(re);
  });

  it('device defaults: txqueuelen and mtu', () => {
    const q = createQdisc({ kind: 'fq_codel' }, new Simulator(), { mtu: 9000 }) as FqCodel;
    expect(q.quantum).toBe(9014);
    expect((createQdisc({ kind: 'pfifo_fast' }, new Simulator(), { txqueuelen: 10 }) as PfifoFast).bands[0].size).toBe(10);
  });
});

describe('determinism: same inputs, same outputs', () => {
  const specs: QdiscSpec[] = [
    { kind: 'pfifo_fast' },
    { kind: 'tbf', rate: '20mbit', burst: '16k', latency: '20ms' },
    { kind: 'fq_codel', limit: 300 },
    {
      kind: 'htb', default: '20', classes: [
        { classid: '1:1', rate: '20mbit' },
        { classid: '1:10', parent: '1:1', rate: '5mbit', ceil: '20mbit', qdisc: { kind: 'fq_codel' } },
        { classid: '1:20', parent: '1:1', rate: '15mbit', ceil: '20mbit', prio: 1 },
      ],
    },
  ];
  function trace(spec: QdiscSpec, seed: number): string {
    const sim = new Simulator({ seed });
    const q = createQdisc(spec, sim);
    const log: string[] = [];
    q.onEvent = (ev: QdiscEvent) => log.push(`${ev.t} ${ev.kind} ${(ev.pkt as P).tag} ${ev.pkt.len} ${ev.reason ?? ''} ${ev.qlen} ${ev.backlog}`);
    const wire = new Wire(sim, q, 25e6);
    const rng = sim.rng('traffic');
    for (let i = 0; i < 3000; i++) {
      const t = Math.floor(rng.uniform() * 1e9);
      const len = 64 + rng.int(0, 1450);
      const flow = rng.int(0, 8);
      sim.scheduleAt(t, () => wire.send(new P(len, Math.imul(flow + 1, 0x9e3779b1) >>> 0, flow % 8, flow < 3 ? 0x10 : 0, flow === 1, `f${flow}`)));
    }
    sim.run();
    return JSON.stringify({ log, stats: q.stats() });
  }
  it.each(specs.map((s) => [s.kind, s] as const))('%s', (_k, spec) => {
    const a = trace(spec, 7);
    expect(trace(spec, 7)).toBe(a);
    expect(trace(spec, 8)).not.toBe(a);
    expect(JSON.parse(a).log.length).toBeGreaterThan(3000);
  });
});

describe('trace records', () => {
  it('turns qdisc events into HopRecords with hook qdisc', () => {
    const sim = new Simulator();
    const q = createQdisc({ kind: 'pfifo', limit: 1 }, sim);
    const hops: unknown[] = [];
    q.onEvent = (ev) => hops.push(qdiscEventToHop(ev, { host: 'h1', dev: 'eth0', pktId: (e) => ({ id: (e.pkt as P).id }) }));
    const a = new P(100);
    const b = new P(200);
    q.enqueue(a);
    q.enqueue(b);
    expect(hops).toEqual([
      { type: 'hop', t: 0, pkt: a.id, host: 'h1', dev: 'eth0', hook: 'qdisc', verdict: 'enqueue', qlen: 1, len: 100 },
      { type: 'hop', t: 0, pkt: b.id, host: 'h1', dev: 'eth0', hook: 'qdisc', verdict: 'drop', reason: 'QDISC_OVERLIMIT', qlen: 1, len: 200 },
    ]);
  });

  it('costs nothing when unobserved: no events built', () => {
    const sim = new Simulator();
    const q = createQdisc({ kind: 'fq_codel' }, sim);
    const w = new Wire(sim, q, 10e6);
    paced(sim, w, 0, 100_000, 1000, () => new P(1500));
    sim.run();
    expect(q.onEvent).toBeUndefined();
    expect(q.stats().packets + q.stats().drops).toBe(1000);
  });
});
