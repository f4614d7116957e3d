/**
 * A live session runs each bundled scenario exactly as `chainlab run` does: the session starts
 * the generated traffic itself (so rates can change) and slices time for the screen, and neither
 * may change the run. Counters, where packets ended and their latencies must be identical.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildScenarioAsync } from '../../src/scenario/build.ts';
import { loadScenarioFile } from '../../src/scenario/parse.ts';
import { Session } from '../../src/server/session.ts';
import { VIEWER_SCENARIO } from './helpers.ts';

const scenarios = [VIEWER_SCENARIO, ...readdirSync('scenarios').filter((f) => f.endsWith('.yaml')).sort().map((f) => `scenarios/${f}`)];

describe('a live session runs the scenario chainlab run runs', () => {
  it.each(scenarios)('%s', async (path) => {
    const sc = loadScenarioFile(path);
    const whole = await buildScenarioAsync(sc);
    whole.sim.run({ until: sc.durationNs });
    const live = await Session.create(sc, { speed: sc.durationNs / 7 });
    live.controller.play();
    while (live.controller.playing) live.controller.tick(1.3);
    expect(live.built.sim.now).toBe(sc.durationNs);
    expect(live.built.net.counters.snapshot()).toEqual(whole.net.counters.snapshot());
    expect([...live.built.net.ledger.values()]).toEqual([...whole.net.ledger.values()]);
    expect(live.built.net.latency.entries()).toEqual(whole.net.latency.entries());
    expect(live.built.net.recent.last()).toEqual(whole.net.recent.last());
    expect(live.traffic.list(live.built.sent()).map((t) => t.sent)).toEqual(sc.traffic.map((t) => whole.sent()[t.name]));
  });
});
