/** `npm run bench`: runs every benchmark, prints a table and writes bench/results.json. */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchFigure, runInterpreterBench } from './interpreter.ts';
import { runDatapathBench } from './datapath.ts';
import { runMemoryBench } from './memory.ts';
import { runQdiscBench } from './qdisc.ts';
import { runSimBench } from './sim.ts';
import { runVerifierBench } from './verifier.ts';

const figs: BenchFigure[] = [...runInterpreterBench(), ...runSimBench(), ...runQdiscBench(), ...runDatapathBench(), ...runMemoryBench(), ...runVerifierBench()];
const out: Record<string, { value: number; unit: string }> = {};
console.log('benchmark'.padEnd(32) + 'median'.padStart(16) + '  unit');
for (const f of figs) {
  out[f.name] = { value: Number(f.value.toPrecision(4)), unit: f.unit };
  console.log(f.name.padEnd(32) + f.value.toExponential(3).padStart(16) + '  ' + f.unit);
}
writeFileSync(join(dirname(fileURLToPath(import.meta.url)), 'results.json'), JSON.stringify(out, null, 2) + '\n');
