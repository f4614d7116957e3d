/**
 * Verification time of chainlab's verifier on the largest fixture programs, next to the
 * kernel's own "verification time N usec" for the same objects (BPF_LOG_STATS, through
 * libbpf) when this process may load programs. Each figure is the median of several runs.
 *
 *   npx tsx bench/verifier.ts      prints the table
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadObjectFile } from '../src/ebpf/elf/index.ts';
import { programFromObject, verify, type VerifierProgram } from '../src/ebpf/verifier/index.ts';
import { buildLoader, kernelUsable, runKernel } from '../test/verifier-corpus/kernel.ts';

export interface BenchFigure {
  name: string;
  value: number;
  unit: string;
}

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');

/** The fixtures with the most instructions to explore, and a corpus loop. */
const PROGRAMS: [string, string][] = [
  ['test/fixtures/xdp_proto_count.o', 'xdp_proto_count'],
  ['test/fixtures/bpf_calls.o', 'calls_check'],
  ['test/fixtures/loops_atomics.o', 'loop_atomic_check'],
  ['test/fixtures/tc_nat.o', 'tc_dnat'],
  ['test/verifier-corpus/c/realistic.o', 'pkt_bounds__tcp_options_mss_good'],
  ['test/verifier-corpus/c/loops_c.o', 'too_large__nested_good'],
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function programOf(path: string, name: string): VerifierProgram {
  const spec = loadObjectFile(join(ROOT, path));
  const p = spec.programs.find((x) => x.name === name);
  if (!p) throw new Error(`${path}: no program ${name}`);
  return programFromObject(spec, p);
}

/** The kernel's verification time of one program, in microseconds, or undefined without bpf(). */
function kernelTimes(bin: string | undefined, path: string, name: string, reps: number): { usec: number; processed: number } | undefined {
  if (!bin) return undefined;
  const res = runKernel(bin, Array.from({ length: reps }, () => `obj ${join(ROOT, path)} ${name}\n`));
  const usec: number[] = [];
  let processed = 0;
  for (const r of res) {
    const t = /verification time (\d+) usec/.exec(r.log);
    const p = /processed (\d+) insns/.exec(r.log);
    if (t) usec.push(Number(t[1]));
    if (p) processed = Number(p[1]);
  }
  return usec.length ? { usec: median(usec), processed } : undefined;
}

export function runVerifierBench(reps = 7): BenchFigure[] {
  const figs: BenchFigure[] = [];
  const bin = buildLoader();
  const kernel = kernelUsable(bin) ? bin : undefined;
  for (const [path, name] of PROGRAMS) {
    const prog = programOf(path, name);
    for (let i = 0; i < 3; i++) verify(prog); // warm-up
    const ms: number[] = [];
    let processed = 0;
    for (let i = 0; i < reps; i++) {
      const t0 = process.hrtime.bigint();
      const r = verify(prog);
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
      processed = r.processed;
    }
    const t = median(ms);
    const key = name.replace(/__.*$/, '').slice(0, 24);
    figs.push({ name: `verify_${key}`, value: t, unit: 'ms' });
    figs.push({ name: `verify_${key}_insn_rate`, value: processed / (t / 1000), unit: 'processed insn/s' });
    const k = kernelTimes(kernel, path, name, reps);
    if (k) {
      figs.push({ name: `verify_${key}_kernel`, value: k.usec / 1000, unit: 'ms' });
      figs.push({ name: `verify_${key}_vs_kernel`, value: t / (k.usec / 1000), unit: 'x kernel time' });
    }
  }
  return figs;
}

if (process.argv[1] && process.argv[1].endsWith('verifier.ts')) {
  for (const f of runVerifierBench()) console.log(f.name.padEnd(44) + f.value.toPrecision(4).padStart(12) + '  ' + f.unit);
}
