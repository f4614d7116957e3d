/**
 * The kernel as the judge: compiles kload.c once (gcc + libbpf) and loads corpus cases into
 * the running kernel through bpf(BPF_PROG_LOAD), returning each verdict and log.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir, release } from 'node:os';
import { join } from 'node:path';
import { CORPUS_DIR, type Verdict } from './corpus.ts';

export interface KernelResult {
  readonly verdict: Verdict | 'error';
  readonly errno?: number;
  readonly log: string;
  /** The kernel's main error line (the last line before the statistics). */
  readonly message: string;
}

/** Build kload (cached by source hash); undefined when gcc or libbpf is missing. */
export function buildLoader(): string | undefined {
  const src = join(CORPUS_DIR, 'kload.c');
  const hash = createHash('sha256').update(readFileSync(src)).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), 'chainlab-kload');
  const bin = join(dir, `kload-${hash}`);
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  try {
    execFileSync('gcc', ['-O2', '-o', bin, src, '-lbpf'], { stdio: 'pipe' });
  } catch {
    return undefined;
  }
  return bin;
}

const STAT_LINE = /^(verification time|stack depth|processed \d+ insns)/;

/** The verifier's own message: the last log line that is not statistics. */
export function kernelMessage(log: string): string {
  const lines = log.split('\n').filter((l) => l.trim() !== '' && !STAT_LINE.test(l));
  return lines[lines.length - 1] ?? '';
}

function parse(out: string): KernelResult[] {
  const res: KernelResult[] = [];
  for (const chunk of out.split('@@end\n')) {
    if (chunk.trim() === '' && res.length > 0 && chunk === '') continue;
    const lines = chunk.split('\n');
    const head = lines[0] ?? '';
    if (head.startsWith('verdict')) {
      const [, v, e] = head.split(' ');
      const log = lines.slice(2).join('\n');
      res.push({ verdict: v as Verdict, errno: e ? Number(e) : undefined, log, message: kernelMessage(log) });
    } else if (head.startsWith('error')) {
      res.push({ verdict: 'error', log: lines.join('\n'), message: head });
    }
  }
  return res;
}

/** Load every input (kload directives ending in `load` or an `obj` line); one result each. */
export function runKernel(bin: string, inputs: readonly string[]): KernelResult[] {
  const out: KernelResult[] = [];
  const BATCH = 200;
  for (let i = 0; i < inputs.length; i += BATCH) {
    const part = inputs.slice(i, i + BATCH);
    const r = spawnSync(bin, [], { input: part.join(''), maxBuffer: 1 << 30, encoding: 'utf8' });
    const got = parse(r.stdout ?? '');
    if (got.length !== part.length) throw new Error(`kload returned ${got.length} results for ${part.length} cases: ${r.stderr}`);
    out.push(...got);
  }
  return out;
}

/** Whether this process may load programs (root with a working bpf()). */
export function kernelUsable(bin: string | undefined): boolean {
  if (!bin || process.getuid?.() !== 0) return false;
  try {
    // r0 = 0; exit, as a socket filter.
    const [r] = runKernel(bin, ['prog_type 1\ninsns b7000000000000009500000000000000\nload\n']);
    return r.verdict === 'accept';
  } catch {
    return false;
  }
}

export const kernelRelease = (): string => release();
