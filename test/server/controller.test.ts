import { describe, expect, it } from 'vitest';
import { buildScenario } from '../../src/scenario/build.ts';
import { Controller, niceCeil } from '../../src/server/controller.ts';
import { Simulator } from '../../src/sim/index.ts';
import { viewerScenario, viewerSession } from './helpers.ts';

/** A simulator with one event every `gap` ns until `end`. */
function ticking(gap: number, end: number): { sim: Simulator; ran: number[] } {
  const sim = new Simulator();
  const ran: number[] = [];
  const next = (): void => {
    ran.push(sim.now);
    if (sim.now + gap <= end) sim.schedule(gap, next);
  };
  sim.scheduleAt(0, next);
  return { sim, ran };
}

describe('Controller', () => {
  it('niceCeil rounds up to 1/2/5·10^k', () => {
    expect([0, 1, 3, 10, 11, 199, 200, 201, 4999, 100_000].map(niceCeil)).toEqual([1, 1, 5, 10, 20, 200, 200, 500, 5000, 100_000]);
  });

  it('advances speed × dt of simulated time per tick, only while playing', () => {
    const { sim } = ticking(100, 1e9);
    const c = new Controller(sim, { speed: 1_000_000 });
    c.tick(0.05);
    expect(sim.now).toBe(0);
    c.play();
    c.tick(0.05);
    expect(sim.now).toBe(50_000);
    c.tick(0.1);
    expect(sim.now).toBe(150_000);
    c.pause();
    c.tick(1);
    expect(sim.now).toBe(150_000);
  });

  it('emits a stats boundary every interval with the clock exactly there', () => {
    const { sim } = ticking(70, 1e9);
    const seen: [number, number][] = [];
    const c = new Controller(sim, { speed: 1_000_000, statsIntervalNs: 10_000, onStats: (t) => seen.push([t, sim.now]) });
    c.play();
    c.tick(0.035);
    expect(seen).toEqual([[10_000, 10_000], [20_000, 20_000], [30_000, 30_000]]);
  });

  it('boundaries in a stretch without events make one sample over it (its interval the time it covers)', () => {
    const { sim } = ticking(1_000_000, 3_000_000);
    const seen: [number, number, number][] = [];
    const c = new Controller(sim, { speed: 1_000_000, statsIntervalNs: 1000, onStats: (t, interval) => seen.push([t, interval, sim.now]) });
    c.advanceTo(3_000_000);
    expect(seen.slice(0, 4)).toEqual([[1000, 1000, 1000], [999_000, 998_000, 999_000], [1_000_000, 1000, 1_000_000], [1_999_000, 999_000, 1_999_000]]);
    expect(seen.length).toBeLessThan(12);
    expect(seen.reduce((n, [, i]) => n + i, 0)).toBe(3_000_000);
    expect(seen.every(([t, , now]) => t === now)).toBe(true);
    // A step across an idle stretch: the same, not a sample per boundary.
    const idle = ticking(1_000_000_000, 2_000_000_000);
    let samples = 0;
    const d = new Controller(idle.sim, { statsIntervalNs: 1, onStats: () => samples++ });
    d.stepEvent();
    d.stepEvent();
    expect(idle.sim.now).toBe(1_000_000_000);
    expect(samples).toBeLessThan(30);
  });

  it('a tick stops at its wall-time budget even when only stats boundaries are due', () => {
    const { sim } = ticking(1_000, 1e12);
    let wall = 0;
    let samples = 0;
    const c = new Controller(sim, {
      speed: 1e9,
      statsIntervalNs: 1,
      onStats: () => samples++,
      wallMs: () => (wall += 1),
    });
    c.play();
    expect(c.tick(1, 50)).toBe(false);
    expect(c.behind).toBe(true);
    expect(samples).toBeLessThan(200);
  });

  it('derives the stats interval from the speed unless one is fixed', () => {
    const { sim } = ticking(100, 1e9);
    const c = new Controller(sim, { speed: 1_000_000 });
    expect(c.statsIntervalNs).toBe(200_000);
    c.setSpeed(30_000);
    expect(c.statsIntervalNs).toBe(10_000);
    expect(() => c.setSpeed(0)).toThrow(/speed/);
    expect(new Controller(sim, { speed: 1_000_000, statsIntervalNs: 1234 }).statsIntervalNs).toBe(1234);
  });

  it('pauses once at the scenario end, and plays on when asked', () => {
    const { sim } = ticking(1000, 1e9);
    const c = new Controller(sim, { speed: 1_000_000, pauseAtNs: 30_000 });
    c.play();
    c.tick(1);
    expect(sim.now).toBe(30_000);
    expect(c.playing).toBe(false);
    c.play();
    c.tick(0.01);
    expect(sim.now).toBe(40_000);
    expect(c.playing).toBe(true);
  });

  it('steps exactly one event, and reports an empty queue', () => {
    const { sim, ran } = ticking(500, 1500);
    const c = new Controller(sim, { statsIntervalNs: 200 });
    expect(c.stepEvent()).toBe(true);
    expect(ran).toEqual([0]);
    expect(c.stepEvent()).toBe(true);
    expect(ran).toEqual([0, 500]);
    expect(sim.now).toBe(500);
    c.stepEvent();
    c.stepEvent();
    expect(c.stepEvent()).toBe(false);
    expect(ran).toEqual([0, 500, 1000, 1500]);
  });

  it('a hop step runs events until the model emits a hop', () => {
    const s = viewerSession();
    const before = s.built.sim.stats.processed;
    const hops: string[] = [];
    s.built.net.trace.subscribe((r) => {
      if (r.type === 'hop') hops.push(r.hook);
    });
    expect(s.controller.stepHop()).toBe(true);
    expect(hops.length).toBeGreaterThan(0);
    expect(s.built.sim.stats.processed).toBeGreaterThan(before);
  });

  it('falls behind instead of running past its wall-time budget', () => {
    const { sim } = ticking(1, 1e12);
    let wall = 0;
    const c = new Controller(sim, {
      speed: 1e9,
      wallMs: () => {
        wall += 10;
        return wall;
      },
    });
    c.play();
    expect(c.tick(1, 25)).toBe(false);
    expect(c.behind).toBe(true);
    expect(sim.now).toBeLessThan(1e9);
  });

  it('slicing time into ticks does not change the run (same counters and ledger as one run)', () => {
    const whole = buildScenario(viewerScenario());
    whole.sim.run({ until: 3_000_000 });
    const s = viewerSession({ speed: 1_000_000 });
    s.controller.play();
    for (const dt of [0.0137, 0.5, 0.21, 0.9, 0.3, 0.777]) s.controller.tick(dt);
    s.controller.pause();
    s.controller.advanceTo(3_000_000);
    expect(s.built.sim.now).toBe(3_000_000);
    expect(s.built.net.counters.snapshot()).toEqual(whole.net.counters.snapshot());
    expect([...s.built.net.ledger.values()]).toEqual([...whole.net.ledger.values()]);
    expect(s.built.net.latency.entries()).toEqual(whole.net.latency.entries());
    expect(s.built.net.recent.last()).toEqual(whole.net.recent.last());
  });
});
