/**
 * chainlab's command line. Each command lives in commands/<name>.ts and registers itself here.
 * Errors a user can fix print as one message without a stack trace (`--debug` shows it).
 */
import { Command, CommanderError } from 'commander';
import * as conformance from './commands/conformance.ts';
import * as disasm from './commands/disasm.ts';
import * as map from './commands/map.ts';
import * as prog from './commands/prog.ts';
import * as scenario from './commands/scenario.ts';
import * as serve from './commands/serve.ts';
import * as plugin from './commands/plugin.ts';
import { CliError } from './errors.ts';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('chainlab')
    .description('network-function-chaining simulator and testbed that runs real eBPF objects')
    .version('0.1.0')
    .option('--debug', 'show stack traces of errors')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      '\nExamples:\n  $ chainlab run scenarios/xdp-proto-counter.yaml\n  $ chainlab test scenarios/ --junit results.xml\n  $ chainlab prog run test/fixtures/xdp_proto_count.o --data-in test/fixtures/packets/udp.bin\n  $ chainlab <command> --help',
    )
    .exitOverride();
  for (const m of [scenario, serve, prog, map, disasm, conformance, plugin]) m.register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const debug = argv.includes('--debug');
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // Commander has printed its message; help and version exit 0.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof CliError) {
      console.error(`chainlab: ${e.message}`);
      if (debug) console.error(e.stack);
      return e.exitCode;
    }
    console.error(`chainlab: internal error: ${(e as Error)?.message ?? String(e)}`);
    console.error(debug ? (e as Error)?.stack : '(run with --debug for the stack trace, and please report it)');
    return 70;
  }
}
