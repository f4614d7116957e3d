import { describe, expect, it } from 'vitest';
import { Simulator } from '../../../src/sim/simulator.ts';
import { createQdisc, RateCfg, Tbf, TbfConfigError } from '../../../src/net/qdisc/index.ts';
import { P, paced, Wire } from './helpers.ts';

const S = 1e9;

describe('tbf: 2× the rate for 1 s', () => {
  it.each([
    // rate bit/s, burst, latency, packet size
    ['10mbit', '10k', '50ms', 1000],
    ['10mbit', '32k', '20ms', 1500],
    ['100mbit', '64k', '10ms', 1514],
    ['1mbit', '4k', '100ms', 200],
    ['1gbit', '32k', '5ms', 9000],
  ])('rate %s burst %s latency %s, %d-byte packets', (rate, burst, latency, len) => {
    const sim = new Simulator();
    const q = createQdisc({ kind: 'tbf', rate, burst, latency }, sim) as Tbf;
    const wire = new Wire(sim, q, 100e9);
    const rateBps = q.rate.rateBytesPs;
    const gap = (len * 8 * 1e9) / (2 * rateBps * 8);
    const n = Math.floor(S / gap);
    paced(sim, wire, 0, gap, n, () => new P(len));
    sim.run({ until: S });
    const passed = wire.bytesBy(S);
    const burstBytes = q.maxSize;
    // rate × 1 s + burst, within one packet
    expect(Math.abs(passed - (rateBps + burstBytes))).toBeLessThanOrEqual(len);
    // the rest waits within the limit or was dropped
    const st = q.stats();
    expect(st.backlog).toBeLessThanOrEqual(q.limit);
    expect(st.qlen * len).toBe(st.backlog);
    expect(st.packets + st.drops + st.qlen).toBe(n);
    expect(st.drops).toBeGreaterThan(0);
    expect(st.overlimits).toBeGreaterThan(0);
    // limit from latency as tc computes it: rate × latency + burst
    const latUs = Math.trunc((typeof latency === 'string' ? parseFloat(latency) : 0) * 1000);
    expect(q.limit).toBe(Math.trunc((rateBps * latUs) / 1e6 + burstBytes));
  });
});

describe('tbf mechanics (sch_tbf.c)', () => {
  it('sends the bucket at once, then paces at the rate, to the ns', () => {
    const sim = new Simulator();
    // 1000-byte packets at 1.25 MB/s cost 800 µs each; a 3000-byte bucket passes 3 at once.
    const q = new Tbf(sim, { rate: 10e6, burst: 3000, limit: 100_000 });
    const wire = new Wire(sim, q, 100e9);
    for (let i = 0; i < 6; i++) wire.send(new P(1000));
    sim.run();
    const r = new RateCfg(1_250_000);
    const times = wire.sent.map((s) => s.t);
    // the burst leaves back to back (80 ns each on a 100G wire); the bucket then refills from
    // empty, and each next packet waits exactly psched_l2t_ns(1000) of tokens
    expect(times.slice(0, 3)).toEqual([0, 80, 160]);
    expect(times[3]).toBe(r.l2t(1000));
    for (let i = 4; i < 6; i++) expect(times[i] - times[i - 1]).toBe(r.l2t(1000));
  });

  it('nextReadyTime and the watchdog give the instant tokens suffice', () => {
    const sim = new Simulator();
    const q = new Tbf(sim, { rate: 8e6, burst: 1000, limit: 10_000 }); // 1 byte/µs
    const wakes: number[] = [];
    q.onWatchdog = (t) => wakes.push(t);
    q.enqueue(new P(1000));
    q.enqueue(new P(500));
    expect(q.dequeue()?.len).toBe(1000);
    expect(q.dequeue()).toBeUndefined();
    expect(wakes).toEqual([500_000]);
    expect(q.nextReadyTime(0)).toBe(500_000);
    expect(q.nextReadyTime(499_999)).toBe(500_000);
    expect(q.nextReadyTime(500_000)).toBe(500_000);
    expect(q.stats().overlimits).toBe(1);
  });

  it('peakrate spaces even the burst at mtu/peakrate', () => {
    const sim = new Simulator();
    const q = createQdisc({ kind: 'tbf', rate: '10mbit', burst: '30k', limit: '100k', peakrate: '20mbit', mtu: 1500 }, sim) as Tbf;
    const wire = new Wire(sim, q, 100e9);
    for (let i = 0; i < 10; i++) wire.send(new P(1500));
    sim.run();
    const t = wire.sent.map((s) => s.t);
    const peakGap = new RateCfg(2_500_000).l2t(1500);
    for (let i = 2; i < 10; i++) expect(t[i] - t[i - 1]).toBeGreaterThanOrEqual(peakGap - 1);
    expect(t[9]).toBeLessThan(10 * peakGap);
  });

  it('drops packets larger than the bucket (max_size)', () => {
    const q = new Tbf(new Simulator(), { rate: 1e6, burst: 1000, limit: 10_000 });
    const reasons: string[] = [];
    q.onEvent = (ev) => reasons.push(`${ev.kind}:${ev.reason ?? ''}`);
    expect(q.enqueue(new P(1001))).toBe('drop');
    expect(q.enqueue(new P(1000))).toBe('ok');
    expect(reasons).toEqual(['drop:QDISC_DROP', 'enqueue:']);
  });

  it('refuses configurations tc refuses', () => {
    const sim = new Simulator();
    expect(() => new Tbf(sim, { rate: 1e6, burst: 1000 })).toThrow(/limit" or "latency/);
    expect(() => new Tbf(sim, { rate: 1e6, burst: 1000, limit: 1, peakrate: 2e6 })).toThrow(/mtu/);
    expect(() => new Tbf(sim, { rate: 1e6, burst: 1000, limit: 1, peakrate: 1e6, mtu: 1500 })).toThrow(TbfConfigError);
    expect(() => createQdisc({ kind: 'tbf', rate: '1gbt', burst: '32k', latency: '50ms' }, sim)).toThrow(/qdisc tbf: rate: invalid rate "1gbt"/);
  });

  it('limit 0 holds a noop child that drops everything', () => {
    const q = new Tbf(new Simulator(), { rate: 1e6, burst: 1000, limit: 0 });
    expect(q.enqueue(new P(100))).toBe('drop');
  });
});
