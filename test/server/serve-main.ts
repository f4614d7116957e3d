/**
 * A command line with only `serve` registered, as src/cli/main.ts runs commands (CliError →
 * one message and its exit code), so the command can be tested on its own.
 */
import { Command } from 'commander';
import { register } from '../../src/cli/commands/serve.ts';
import { CliError } from '../../src/cli/errors.ts';

const program = new Command().name('chainlab').exitOverride();
register(program);
try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (!(e instanceof CliError)) throw e;
  console.error(`chainlab: ${e.message}`);
  process.exit(e.exitCode);
}
