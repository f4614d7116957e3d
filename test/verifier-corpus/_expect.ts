import { allCases } from './corpus.ts';
import { snapshotVerdicts, kernelVerdicts } from './compare.ts';
const cases = (await allCases()).filter((c) => c.id.includes(process.argv[2] ?? ''));
const kv = kernelVerdicts(cases)!;
for (const c of cases) {
  const k = kv.get(c.id)!;
  if (c.expect && c.expect !== k.verdict) console.log(`${c.id}: expected ${c.expect}, kernel ${k.verdict} ${k.message}`);
}
void snapshotVerdicts;
