/** Run the real `chainlab` binary (bin/chainlab.mjs) as a user would. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
export const FIX = join(ROOT, 'test', 'fixtures');

export function cli(args: string[], opts: { input?: string; cwd?: string } = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'chainlab.mjs'), ...args], {
    input: opts.input ?? '',
    cwd: opts.cwd ?? ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
