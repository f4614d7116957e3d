/**
 * `chainlab plugin [MEMHEX] [--elf]`: the bpf_conformance plugin protocol. The program arrives
 * as one line of hex on stdin (raw bytecode, or an ELF object with --elf), the memory as hex in
 * the argument; r0 is printed in hex. Any refusal or run-time error exits non-zero with a message
 * on stderr, which is how the upstream runner recognises expected errors.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { runProgram } from '../../ebpf/conformance/suite.ts';
import { hexToBytes } from '../../ebpf/isa/insn.ts';
import { CliError } from '../errors.ts';
import { programFromElf } from '../object.ts';

export function register(program: Command): void {
  program
    .command('plugin')
    .description('speak the bpf_conformance plugin protocol: program hex on stdin, memory hex as argument, r0 in hex on stdout')
    .argument('[memhex]', 'memory passed to the program in r1 (length in r2), as hex', '')
    .option('--elf', 'stdin holds an ELF object (as hex) instead of raw bytecode; its first program runs')
    .addHelpText('after', '\nExamples:\n  $ echo b7000000020000009500000000000000 | chainlab plugin\n  $ bpf_conformance_runner --test_file_directory ../shared/conformance --plugin_path "npx chainlab plugin"')
    .action((memhex: string, opts: { elf?: boolean }) => {
      const line = readFileSync(0, 'utf8').split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
      let code: Uint8Array;
      let mem: Uint8Array;
      try {
        code = hexToBytes(line.trim());
        mem = hexToBytes(memhex);
      } catch (e) {
        throw new CliError(`plugin: ${(e as Error).message}; stdin must be one line of hex bytecode and the argument hex memory`);
      }
      if (opts.elf) code = programFromElf(code, '<stdin>');
      const out = runProgram({ code }, mem);
      if (out.refused) throw new CliError(`${out.refused.stage}: ${out.refused.message}`, 1);
      console.log((out.r0 as bigint).toString(16));
    });
}
