/** `chainlab conformance [DIR]`: the bpf_conformance suite on the reference interpreter. */
import { existsSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { runSuite } from '../../ebpf/conformance/suite.ts';
import { CliError } from '../errors.ts';
import { defaultSharedDir } from '../paths.ts';

export function register(program: Command): void {
  program
    .command('conformance')
    .description('run the bpf_conformance suite (RFC 9669, cpu v4) on the reference interpreter')
    .argument('[dir]', 'the suite folder (*.data, ASSEMBLED.jsonl, negative/)', defaultSharedDir('conformance'))
    .option('-v, --verbose', 'print every case, not only failures')
    .addHelpText('after', '\nExamples:\n  $ chainlab conformance ../shared/conformance\n  $ chainlab conformance ../shared/conformance --verbose')
    .action((dir: string, opts: { verbose?: boolean }) => {
      if (!existsSync(dir) || !statSync(dir).isDirectory()) {
        throw new CliError(`${dir}: not a folder; give the bpf_conformance suite folder (with *.data files)`);
      }
      const results = runSuite(dir);
      let passed = 0;
      for (const r of results) {
        if (r.passed) passed++;
        if (!r.passed || opts.verbose) console.log(`${r.passed ? 'PASS' : 'FAIL'} ${r.file}: ${r.detail}`);
      }
      const failed = results.length - passed;
      const negative = results.filter((r) => r.file.startsWith('negative/'));
      if (negative.length > 0) {
        const refused = negative.filter((r) => r.passed && r.detail.startsWith('refused by the ')).length;
        console.log(`negative cases: ${refused} refused, ${negative.filter((r) => r.passed).length - refused} ran and differed from their claimed result`);
      }
      console.log(`${passed} passed, ${failed} failed`);
      if (failed > 0) process.exitCode = 1;
    });
}
