/**
 * User-facing errors. The CLI prints these without a stack trace (`--debug` shows it) and exits
 * with their code: 1 when a program was refused, 2 for bad usage or malformed input.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
