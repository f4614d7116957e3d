/**
 * Running bpftool (v7.1, libbpf 1.1) for the kernel oracle: single commands and `bpftool batch`
 * (one process for many commands, which is what makes hundreds of runs per program cheap).
 * Every failure names the exact bpftool command and carries bpftool's own error text.
 */
import { spawn } from 'node:child_process';

/** How to invoke bpftool, and on which CPU (taskset) so per-CPU map effects land on a known slot. */
export interface BpftoolRunner {
  bpftool: string;
  /** Pin the bpftool process to this CPU with taskset; undefined leaves it to the scheduler. */
  cpu?: number;
  taskset?: string;
}

export class BpftoolError extends Error {
  constructor(
    message: string,
    /** The bpftool arguments (after `bpftool -j`) of the command that failed. */
    readonly command: string[],
    /** bpftool's error text ("failed to run program: Invalid argument"). */
    readonly bpftoolError: string,
    /** Everything bpftool and libbpf wrote to stderr (libbpf's verifier log, for instance). */
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'BpftoolError';
  }
}

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run a process to completion; `stdin` is written and closed. Never rejects on a non-zero exit. */
export function runProcess(file: string, args: readonly string[], stdin?: string): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code, signal) =>
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
    child.stdin.on('error', () => undefined); // the child may exit before reading all of stdin
    child.stdin.end(stdin ?? '');
  });
}

/** Quote a command line for error messages. */
export function showCommand(args: readonly string[]): string {
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

// bpftool batch limits (main.c): a line holds at most 65536 characters and 4096 words; '#' starts a
// comment anywhere in the line, and words are split on white space (quotes aside). Commands that do
// not fit (map values over ~4000 bytes, odd path characters) run as their own bpftool process.
const BATCH_LINE_MAX = 60_000;
const BATCH_ARGS_MAX = 4000;
const BATCH_SAFE_WORD = /^[^\s#"'\\]+$/;

function batchable(cmd: readonly string[]): boolean {
  return cmd.length < BATCH_ARGS_MAX && cmd.every((w) => BATCH_SAFE_WORD.test(w)) && cmd.join(' ').length < BATCH_LINE_MAX;
}

function spawnArgs(r: BpftoolRunner, args: string[]): [string, string[]] {
  if (r.cpu !== undefined && r.taskset) return [r.taskset, ['-c', String(r.cpu), r.bpftool, ...args]];
  return [r.bpftool, args];
}

/**
 * Drop every `"formatted": …` member. bpftool adds them to map dumps from the map's BTF, and its
 * BTF printer writes invalid JSON for some kinds (`(unsupported-kind` for floats, in 7.1); the raw
 * bytes next to them are all the oracle reads. The scan only tracks strings and bracket depth.
 */
export function stripFormatted(text: string): string {
  const key = ',"formatted":';
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === ',' && text.startsWith(key, i)) {
      let j = i + key.length;
      let depth = 0;
      do {
        const d = text[j];
        if (d === '"') {
          j++;
          while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
        } else if (d === '{' || d === '[') depth++;
        else if (d === '}' || d === ']') depth--;
        j++;
      } while (depth > 0 && j < text.length);
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function parseJson(text: string): unknown {
  const t = text.trim();
  if (t === '') return undefined;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return JSON.parse(stripFormatted(t)) as unknown;
  }
}

/** The text of bpftool's JSON error object `{"error": "..."}`, if `v` is one. */
export function bpftoolErrorText(v: unknown): string | undefined {
  if (v && typeof v === 'object' && !Array.isArray(v) && typeof (v as { error?: unknown }).error === 'string') {
    return (v as { error: string }).error;
  }
  return undefined;
}

/**
 * Outcome of a command list: the JSON output of each command that succeeded, in order, and the
 * first failure (later commands were not run).
 */
export interface CommandsResult {
  outputs: unknown[];
  failure?: BpftoolError & { index: number };
}

function failureAt(index: number, cmd: string[], error: string, stderr: string, r: BpftoolRunner): BpftoolError & { index: number } {
  const full = [...spawnArgs(r, ['-j', ...cmd])].flat();
  const e = new BpftoolError(`\`${showCommand(full)}\` failed: ${error}`, cmd, error, stderr.trim()) as BpftoolError & { index: number };
  e.index = index;
  return e;
}

async function runOne(r: BpftoolRunner, cmd: string[], index: number): Promise<CommandsResult> {
  const [file, args] = spawnArgs(r, ['-j', ...cmd]);
  const p = await runProcess(file, args);
  let out: unknown;
  try {
    out = parseJson(p.stdout);
  } catch {
    return { outputs: [], failure: failureAt(index, cmd, `unreadable output: ${p.stdout.slice(0, 200)}`, p.stderr, r) };
  }
  const err = bpftoolErrorText(out);
  if (p.code !== 0 || err !== undefined) {
    return { outputs: [], failure: failureAt(index, cmd, err ?? `exit ${p.code ?? p.signal}`, p.stderr, r) };
  }
  return { outputs: [out ?? null] };
}

async function runBatch(r: BpftoolRunner, cmds: string[][], base: number): Promise<CommandsResult> {
  const [file, args] = spawnArgs(r, ['-j', 'batch', 'file', '-']);
  const p = await runProcess(file, args, cmds.map((c) => c.join(' ')).join('\n') + '\n');
  let parsed: unknown;
  try {
    parsed = parseJson(p.stdout);
  } catch {
    return { outputs: [], failure: failureAt(base, cmds[0], `unreadable batch output: ${p.stdout.slice(0, 200)}`, p.stderr, r) };
  }
  const items = Array.isArray(parsed) ? (parsed as { output?: unknown }[]) : [];
  const outputs = items.map((it) => it.output ?? null);
  const lastErr = outputs.length ? bpftoolErrorText(outputs[outputs.length - 1]) : undefined;
  if (lastErr !== undefined) {
    const i = outputs.length - 1;
    return { outputs: outputs.slice(0, i), failure: failureAt(base + i, cmds[i], lastErr, p.stderr, r) };
  }
  if (p.code !== 0 || outputs.length !== cmds.length) {
    // bpftool refused a line before running it (e.g. a parse error): blame the first unanswered one.
    const i = Math.min(outputs.length, cmds.length - 1);
    const why = bpftoolErrorText(parsed) ?? (p.stderr.trim().split('\n').pop() || `exit ${p.code ?? p.signal}`);
    return { outputs: outputs.slice(0, i), failure: failureAt(base + i, cmds[i], why, p.stderr, r) };
  }
  return { outputs };
}

/**
 * Run bpftool commands (each an argument list after `bpftool -j`) in order, as few processes as
 * possible, stopping at the first failure.
 */
export async function runCommands(r: BpftoolRunner, cmds: string[][]): Promise<CommandsResult> {
  const outputs: unknown[] = [];
  let i = 0;
  while (i < cmds.length) {
    let j = i;
    while (j < cmds.length && batchable(cmds[j])) j++;
    // A single batchable command is as cheap run directly, and its error output is simpler.
    const res = j - i >= 2 ? await runBatch(r, cmds.slice(i, j), i) : await runOne(r, cmds[i], i);
    outputs.push(...res.outputs);
    if (res.failure) return { outputs, failure: res.failure };
    i = j - i >= 2 ? j : i + 1;
  }
  return { outputs };
}
