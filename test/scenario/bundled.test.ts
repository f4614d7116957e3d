/**
 * The bundled scenarios (scenarios/*.yaml) parse, say what they expect, and their inputs are
 * reproducible: the replayed capture comes from scripts/make-pcaps.ts, the BPF objects from
 * scenarios/progs/Makefile with its pinned clang.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildScenarioAsync } from '../../src/scenario/build.ts';
import { loadScenarioFile } from '../../src/scenario/parse.ts';
import { mixedCapture } from '../../scripts/make-pcaps.ts';

const FILES = readdirSync('scenarios').filter((f) => f.endsWith('.yaml')).sort();

describe('bundled scenarios', () => {
  it('are the five issue 6 asks for', () => {
    expect(FILES).toEqual(['pcap-replay.yaml', 'shaping.yaml', 'tc-nat.yaml', 'xdp-proto-counter.yaml', 'xdp-redirect-devmap.yaml']);
  });

  it.each(FILES)('%s parses, with traffic and expectations', (f) => {
    const s = loadScenarioFile(`scenarios/${f}`);
    expect(`${s.name}.yaml`).toBe(f);
    expect(s.description).not.toBe('');
    expect(s.traffic.length).toBeGreaterThan(0);
    expect(s.expect.length).toBeGreaterThan(2);
  });

  /** sha256 of the run's trace as `run --trace` writes it (one JSON record per line). */
  async function traceHash(f: string, seed?: number): Promise<{ hash: string; records: number }> {
    const b = await buildScenarioAsync(loadScenarioFile(`scenarios/${f}`), { seed });
    const h = createHash('sha256');
    let records = 0;
    b.net.trace.subscribe((r) => {
      h.update(`${JSON.stringify(r)}\n`);
      records++;
    });
    b.sim.run({ until: b.scenario.durationNs });
    return { hash: h.digest('hex'), records };
  }

  it.each(FILES)('%s gives the same trace for the same seed', async (f) => {
    const a = await traceHash(f);
    expect(a.records).toBeGreaterThan(100);
    expect(await traceHash(f)).toEqual(a);
  });

  it('a different seed changes the trace where a scenario draws random numbers (poisson arrivals, RSS keys)', async () => {
    expect((await traceHash('xdp-proto-counter.yaml', 99)).hash).not.toBe((await traceHash('xdp-proto-counter.yaml')).hash);
  });

  it('use the command form in at least two of them', () => {
    const withCommands = FILES.filter((f) => /^steps:/m.test(readFileSync(`scenarios/${f}`, 'utf8')));
    expect(withCommands.length).toBeGreaterThanOrEqual(2);
  });

  it('replay the capture scripts/make-pcaps.ts writes', () => {
    expect(Buffer.compare(readFileSync('scenarios/pcaps/mixed.pcap'), Buffer.from(mixedCapture()))).toBe(0);
  });

  const clang = spawnSync('clang-14', ['--version'], { encoding: 'utf8' });
  if (clang.status !== 0) console.warn('[test/scenario/bundled] SKIPPING the rebuild of scenarios/progs: clang-14 not found');
  it.skipIf(clang.status !== 0)('use BPF objects that match a fresh build with the pinned clang', () => {
    const r = spawnSync('make', ['-s', '-C', 'scenarios/progs', 'check'], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toContain('objects match a fresh build');
    expect(r.status).toBe(0);
  });
});
