/**
 * Memory is flat in the number of packets: a 1M- and a 10M-packet run (traces off) of (a) the
 * XDP drop datapath and (b) the XDP → devmap → veth → tc → delivery chain, whose every packet is
 * delivered (so its latency is recorded). Each run is a fresh child process
 * (`node --expose-gc --import tsx bench/memory.ts child <run> <n>`), so its peak resident set
 * (`process.resourceUsage().maxRSS`) is that run's alone.
 *
 * The runs are bench/datapath.ts's, unchanged; the child adds one sampling event to their
 * simulator (every 50 ms of simulated time: 250k packets of (a), 25k of (b)) that forces a full
 * GC and reads the heap. So `*_heap_peak_*` is the most the run ever kept, and the peak RSS is
 * what it kept plus one interval's garbage, the same for both lengths. Left alone, V8 lets
 * garbage pile up to a plateau that a short run does not reach (measured: the chain's peak RSS
 * is ~125 MiB at 1M packets and ~180 MiB at 3M and at 10M alike), which would read as growth.
 *
 * `node --expose-gc --import tsx bench/memory.ts` prints the figures on their own.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Simulator } from '../src/sim/index.ts';
import { redirectChainRun, xdpDropRun } from './datapath.ts';
import type { BenchFigure } from './interpreter.ts';

const SELF = fileURLToPath(import.meta.url);
const ROOT = join(dirname(SELF), '..');
const MiB = 2 ** 20;

type RunKind = 'xdp_drop' | 'redirect';

interface ChildResult {
  /** Peak resident set of the child, bytes. */
  peakRss: number;
  /** Largest heap used right after a full GC, over the run's samples: the most the run kept. */
  heapPeak: number;
  samples: number;
  seconds: number;
}

const SAMPLE_NS = 50_000_000;

function child(kind: RunKind, n: number): ChildResult {
  const gc = global.gc;
  if (!gc) throw new Error('memory bench: run with node --expose-gc');
  let heapPeak = 0;
  let samples = 0;
  const sample = (): void => {
    gc();
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
    samples++;
  };
  // The bench runs build their own simulator: hook its run() to add the sampling event, which
  // re-arms while other events are pending (so the run still ends when its traffic is done).
  const run = Simulator.prototype.run;
  Simulator.prototype.run = function (this: Simulator, ...args: Parameters<Simulator['run']>) {
    const tick = (): void => {
      sample();
      if (this.stats.pending > 0) this.schedule(SAMPLE_NS, tick);
    };
    this.schedule(SAMPLE_NS, tick);
    return run.apply(this, args);
  };
  const t0 = process.hrtime.bigint();
  if (kind === 'xdp_drop') xdpDropRun(n);
  else redirectChainRun(n);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  // maxRSS is in KiB (getrusage's ru_maxrss on Linux).
  return { peakRss: process.resourceUsage().maxRSS * 1024, heapPeak, samples, seconds };
}

function runChild(kind: RunKind, n: number): ChildResult {
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', SELF, 'child', kind, String(n)], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`memory bench: ${kind} ${n} exited with ${r.status ?? r.signal}: ${r.stderr}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as ChildResult;
}

export function runMemoryBench(): BenchFigure[] {
  const figs: BenchFigure[] = [];
  for (const [kind, prefix] of [['xdp_drop', 'datapath'], ['redirect', 'redirect']] as const) {
    const a = runChild(kind, 1_000_000);
    const b = runChild(kind, 10_000_000);
    figs.push(
      { name: `${prefix}_peak_rss_1M`, value: a.peakRss / MiB, unit: 'MiB' },
      { name: `${prefix}_peak_rss_10M`, value: b.peakRss / MiB, unit: 'MiB' },
      { name: `${prefix}_peak_rss_10M_over_1M`, value: b.peakRss / a.peakRss, unit: 'ratio' },
      { name: `${prefix}_heap_peak_1M`, value: a.heapPeak / MiB, unit: 'MiB' },
      { name: `${prefix}_heap_peak_10M`, value: b.heapPeak / MiB, unit: 'MiB' },
    );
  }
  return figs;
}

if (process.argv[1] === SELF) {
  const [mode, kind, n] = process.argv.slice(2);
  if (mode === 'child') console.log(JSON.stringify(child(kind as RunKind, Number(n))));
  else for (const f of runMemoryBench()) console.log(f.name.padEnd(32) + f.value.toFixed(3).padStart(12) + '  ' + f.unit);
}
