/**
 * `chainlab plugin [MEMHEX] [--elf]`: the bpf_conformance plugin protocol. The program arrives
 * as one line of hex on stdin (raw bytecode, or an ELF object with --elf), the memory as hex in
 * the argument; r0 is printed in hex. Any refusal or run-time error exits non-zero with a message
 * on stderr, which is how the upstream runner recognises expected errors.
 *
 * The upstream runner (bpf_conformance_runner --plugin_path) writes bytes as hex separated by
 * spaces, omits the memory argument when there is none, appends its --plugin_options after it
 * (older runners always pass that argument, empty when unset) and, with --elf, hands over an
 * object whose program is the function `main` in `.text`.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { runProgram } from '../../ebpf/conformance/suite.ts';
import { LoadFailure } from '../../ebpf/elf/errors.ts';
import { parseElf, STT_FUNC } from '../../ebpf/elf/reader.ts';
import { encode, hexToBytes } from '../../ebpf/isa/insn.ts';
import { CliError } from '../errors.ts';
import { parseObject } from '../object.ts';

/**
 * The bytecode of an object's first program. libbpf (and chainlab's loader) read functions in
 * `.text` as subprograms, so an object without programs runs its `.text` from `main` (or its
 * first function) to the section's end: calls inside one section are already resolved.
 */
export function programFromElf(bytes: Uint8Array, path: string): Uint8Array {
  const spec = parseObject(bytes, path);
  if (spec.programs.length > 0) return encode(spec.programs[0].insns);
  let elf;
  try {
    elf = parseElf(bytes);
  } catch (e) {
    if (e instanceof LoadFailure) throw new CliError(`${path}: ${e.detail}`);
    throw e;
  }
  const text = elf.sections.find((s) => s.name === '.text');
  const funcs = text ? elf.symbols.filter((s) => s.type === STT_FUNC && s.shndx === text.index) : [];
  const entry = funcs.find((s) => s.name === 'main') ?? [...funcs].sort((a, b) => a.value - b.value)[0];
  if (!text || !entry) throw new CliError(`${path}: the object has no programs and no function in .text`);
  const rels = elf.rels.get(text.index)?.entries.filter((r) => r.offset >= entry.value) ?? [];
  if (rels.length > 0) {
    throw new CliError(`${path}: .text+0x${rels[0].offset.toString(16)}: '${entry.name}' needs relocations (maps or calls into other sections), which the plugin does not link`);
  }
  return text.data.subarray(entry.value);
}

export function register(program: Command): void {
  program
    .command('plugin')
    .description('speak the bpf_conformance plugin protocol: program hex on stdin, memory hex as argument, r0 in hex on stdout')
    .argument('[memhex]', 'memory passed to the program in r1 (length in r2), as hex (bytes may be separated by spaces)', '')
    .argument('[plugin-options...]', 'what the runner passes as --plugin_options; empty ones are ignored')
    .option('--elf', 'stdin holds an ELF object (as hex) instead of raw bytecode; its first program (or `main` in .text) runs')
    .addHelpText(
      'after',
      '\nExamples:\n  $ echo b7000000020000009500000000000000 | chainlab plugin\n  $ echo "69 10 02 00 00 00 00 00 95 00 00 00 00 00 00 00" | chainlab plugin "aa bb 11 22"\n  $ bpf_conformance_runner --test_file_directory ../shared/conformance --plugin_path bin/chainlab-plugin.mjs',
    )
    .action((memhex: string, extra: string[], opts: { elf?: boolean }) => {
      const unknown = extra.filter((x) => x.trim() !== '');
      if (unknown.length > 0) throw new CliError(`plugin: unknown plugin option '${unknown[0]}'; the plugin takes only the memory as hex and --elf`);
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
