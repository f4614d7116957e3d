/**
 * Compare chainlab's verdicts with the kernel's over the corpus, and keep a snapshot of the
 * kernel's verdicts (kernel-verdicts.json) for machines where bpf() is refused.
 *
 *   npx tsx test/verifier-corpus/compare.ts            live kernel, print disagreements and the table
 *   npx tsx test/verifier-corpus/compare.ts --record   also rewrite kernel-verdicts.json
 *   npx tsx test/verifier-corpus/compare.ts --snapshot compare with the recorded verdicts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verify, type VerifyResult } from '../../src/ebpf/verifier/index.ts';
import { allCases, CORPUS_DIR, type CorpusCase, type Verdict } from './corpus.ts';
import { buildLoader, kernelRelease, kernelUsable, runKernel } from './kernel.ts';

export interface KernelVerdict {
  readonly verdict: Verdict | 'error';
  readonly errno?: number;
  readonly message: string;
}

export interface Snapshot {
  readonly kernel: string;
  readonly recorded: string;
  readonly cases: Record<string, KernelVerdict>;
}

export const SNAPSHOT = join(CORPUS_DIR, 'kernel-verdicts.json');

export interface Row {
  readonly c: CorpusCase;
  readonly kernel: KernelVerdict;
  readonly chainlab: VerifyResult;
  readonly agree: boolean;
}

/** The machine's nr_cpu_ids, which bounds bpf_get_smp_processor_id(). */
export function nrCpus(): number {
  try {
    const s = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
    const last = s.split(',').pop() as string;
    return Number(last.split('-').pop()) + 1;
  } catch {
    return 64;
  }
}

export function kernelVerdicts(cases: readonly CorpusCase[]): Map<string, KernelVerdict> | undefined {
  const bin = buildLoader();
  if (!kernelUsable(bin)) return undefined;
  const res = runKernel(bin as string, cases.map((c) => c.kernelInput));
  return new Map(cases.map((c, i) => [c.id, { verdict: res[i].verdict, errno: res[i].errno, message: res[i].message }]));
}

export function snapshotVerdicts(): Snapshot | undefined {
  try {
    return JSON.parse(readFileSync(SNAPSHOT, 'utf8')) as Snapshot;
  } catch {
    return undefined;
  }
}

export function compare(cases: readonly CorpusCase[], kernel: ReadonlyMap<string, KernelVerdict>, cpus = nrCpus()): Row[] {
  const rows: Row[] = [];
  for (const c of cases) {
    const k = kernel.get(c.id);
    if (!k || k.verdict === 'error') continue;
    const chainlab = verify(c.program, { nrCpus: cpus });
    rows.push({ c, kernel: k, chainlab, agree: (chainlab.accepted ? 'accept' : 'reject') === k.verdict });
  }
  return rows;
}

export interface Summary {
  readonly total: number;
  readonly agree: number;
  readonly falseAccepts: number;
  readonly falseRejects: number;
  readonly byRule: Map<string, { total: number; agree: number; fa: number; fr: number }>;
}

/** The issue's rule families, for the closing table: each corpus rule tag in one of them. */
const CATEGORIES: [string, readonly string[]][] = [
  ['control flow', ['invalid_jump', 'unreachable', 'invalid_insn']],
  ['loops/pruning', ['infinite_loop', 'too_large', 'fuzz_loop', 'callback']],
  ['uninit registers', ['uninit_reg']],
  ['scalar ranges/tnum', ['bounds', 'div_by_zero', 'invalid_shift', 'fuzz_bounds', 'fuzz_ext', 'fuzz_link']],
  ['pointer arithmetic', ['ptr_arith', 'ptr_leak']],
  ['ctx access', ['ctx_access', 'sock_access']],
  ['packet range', ['pkt_bounds', 'fuzz_pkt']],
  ['map value/null', ['map_value_null', 'map_bounds', 'map_compat', 'readonly', 'mem_bounds']],
  ['stack', ['stack_bounds', 'stack_spill', 'stack_uninit', 'fuzz_stack']],
  ['references/locks', ['unreleased_ref', 'release', 'spin_lock']],
  ['helpers/args', ['helper_arg', 'helper_unavailable', 'invalid_mem']],
  ['return ranges', ['return_range']],
  ['stack limits/calls', ['stack_limit', 'call_depth', 'global_func']],
  ['legacy LD_ABS/IND', ['ld_abs']],
  ['fixtures (C)', ['fixture']],
];

/** The family of a rule tag; PREVAIL's cases keep their own (they mix rules). */
export function category(rule: string): string {
  if (rule.startsWith('prevail_')) return 'PREVAIL YAML';
  for (const [name, rules] of CATEGORIES) if (rules.includes(rule)) return name;
  return 'other';
}

/** The same rows summarised by another key (the rule family, or the kind of case). */
export function summarizeBy(rows: readonly Row[], key: (r: Row) => string): Summary {
  return summarize(rows.map((r) => ({ ...r, c: { ...r.c, rule: key(r) } })));
}

export function summarize(rows: readonly Row[]): Summary {
  const byRule = new Map<string, { total: number; agree: number; fa: number; fr: number }>();
  let agree = 0;
  let fa = 0;
  let fr = 0;
  for (const r of rows) {
    const e = byRule.get(r.c.rule) ?? { total: 0, agree: 0, fa: 0, fr: 0 };
    e.total++;
    if (r.agree) {
      e.agree++;
      agree++;
    } else if (r.chainlab.accepted) {
      e.fa++;
      fa++;
    } else {
      e.fr++;
      fr++;
    }
    byRule.set(r.c.rule, e);
  }
  return { total: rows.length, agree, falseAccepts: fa, falseRejects: fr, byRule };
}

export function table(s: Summary, head = 'rule'): string {
  // Rounded down, so that 2149 of 2150 does not print as 100.00.
  const pct = (a: number, b: number): string => (b ? (Math.floor((10000 * a) / b) / 100).toFixed(2) : '-').padStart(6);
  const lines = [`${head.padEnd(20)} ${'cases'.padStart(6)} ${'agree'.padStart(6)} ${'%'.padStart(6)} ${'FA'.padStart(4)} ${'FR'.padStart(4)}`];
  for (const [rule, e] of [...s.byRule].sort((a, b) => a[0].localeCompare(b[0]))) {
    lines.push(`${rule.padEnd(20)} ${String(e.total).padStart(6)} ${String(e.agree).padStart(6)} ${pct(e.agree, e.total)} ${String(e.fa).padStart(4)} ${String(e.fr).padStart(4)}`);
  }
  lines.push(`${'TOTAL'.padEnd(20)} ${String(s.total).padStart(6)} ${String(s.agree).padStart(6)} ${pct(s.agree, s.total)} ${String(s.falseAccepts).padStart(4)} ${String(s.falseRejects).padStart(4)}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const filter = args.find((a) => !a.startsWith('--'));
  let cases = await allCases();
  if (filter) cases = cases.filter((c) => c.id.includes(filter));
  let verdicts: Map<string, KernelVerdict> | undefined;
  if (args.includes('--snapshot')) {
    const s = snapshotVerdicts();
    verdicts = s ? new Map(Object.entries(s.cases)) : undefined;
  } else {
    verdicts = kernelVerdicts(cases);
  }
  if (!verdicts) throw new Error('no kernel verdicts: run as root with bpf() available, or record a snapshot');
  if (args.includes('--record')) {
    const old = snapshotVerdicts();
    const merged: Record<string, KernelVerdict> = filter && old ? { ...old.cases } : {};
    for (const [id, v] of verdicts) merged[id] = v;
    const snap: Snapshot = { kernel: kernelRelease(), recorded: new Date().toISOString().slice(0, 10), cases: Object.fromEntries(Object.entries(merged).sort()) };
    writeFileSync(SNAPSHOT, JSON.stringify(snap, null, 1) + '\n');
  }
  for (const [id, v] of verdicts) if (v.verdict === 'error') console.log(`KERNEL ERROR ${id}: ${v.message}`);
  const rows = compare(cases, verdicts);
  for (const r of rows) {
    if (r.agree && !args.includes('--all')) continue;
    const ch = r.chainlab.accepted ? 'accept' : `reject [${r.chainlab.error?.rule}] ${r.chainlab.error?.message.split('\n').pop()}`;
    console.log(`${r.agree ? 'ok  ' : 'DIFF'} ${r.c.id} (${r.c.rule}): kernel ${r.kernel.verdict}${r.kernel.verdict === 'reject' ? ` "${r.kernel.message}"` : ''} | chainlab ${ch}`);
  }
  console.log(table(summarize(rows)));
  console.log('\n' + table(summarizeBy(rows, (r) => category(r.c.rule)), 'rule family'));
  console.log('\n' + table(summarizeBy(rows, (r) => r.c.kind), 'kind'));
}

if (process.argv[1] && process.argv[1].endsWith('compare.ts')) await main();
