/**
 * chainlab's verifier against the kernel's, over the whole corpus (test/verifier-corpus):
 * at least 95 % of the verdicts agree and at most 1 % are false accepts (the kernel refuses,
 * chainlab accepts). Uses the running kernel when this process may load programs, else the
 * recorded verdicts in kernel-verdicts.json (saying so loudly).
 */
import { describe, expect, it } from 'vitest';
import { allCases } from '../../verifier-corpus/corpus.ts';
import { category, compare, kernelVerdicts, snapshotVerdicts, summarize, summarizeBy, table, type KernelVerdict } from '../../verifier-corpus/compare.ts';

describe('verifier agreement with the kernel', () => {
  it('agrees on at least 95% of the corpus with at most 1% false accepts', async () => {
    const cases = await allCases();
    let verdicts: Map<string, KernelVerdict> | undefined = kernelVerdicts(cases);
    let source = 'the running kernel';
    if (!verdicts) {
      const snap = snapshotVerdicts();
      if (!snap) throw new Error('no kernel available and no recorded verdicts (test/verifier-corpus/kernel-verdicts.json)');
      console.warn(`bpf() is not available here: comparing with the verdicts recorded on Linux ${snap.kernel} (${snap.recorded})`);
      verdicts = new Map(Object.entries(snap.cases));
      source = `recorded verdicts of Linux ${snap.kernel}`;
    }
    const rows = compare(cases, verdicts);
    const s = summarize(rows);
    const fa = rows.filter((r) => !r.agree && r.chainlab.accepted);
    const fr = rows.filter((r) => !r.agree && !r.chainlab.accepted);
    console.log(`verifier vs ${source}: ${s.agree}/${s.total} agree (${(Math.floor((10000 * s.agree) / s.total) / 100).toFixed(2)}%), ${s.falseAccepts} false accepts, ${s.falseRejects} false rejects`);
    console.log(table(s));
    console.log(table(summarizeBy(rows, (r) => category(r.c.rule)), 'rule family'));
    console.log(table(summarizeBy(rows, (r) => r.c.kind), 'kind'));
    expect(rows.filter((r) => category(r.c.rule) === 'other').map((r) => r.c.id), 'every rule tag in a family').toEqual([]);
    for (const r of fa) console.log(`false accept: ${r.c.id}: kernel "${r.kernel.message}"`);
    for (const r of fr) console.log(`false reject: ${r.c.id}: chainlab "${r.chainlab.error?.message.split('\n').pop()}"`);
    expect(s.total).toBeGreaterThan(300);
    expect(s.agree / s.total).toBeGreaterThanOrEqual(0.95);
    expect(s.falseAccepts / s.total).toBeLessThanOrEqual(0.01);
  }, 600_000);

  it('has a recorded verdict for every corpus case', async () => {
    const snap = snapshotVerdicts();
    expect(snap, 'kernel-verdicts.json').toBeDefined();
    const missing = (await allCases()).filter((c) => !(c.id in (snap?.cases ?? {})));
    expect(missing.map((c) => c.id)).toEqual([]);
  });
});
