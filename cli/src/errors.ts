/**
 * An error the user can fix. The CLI prints its message on one line, without a
 * stack trace, and exits with `exitCode` (2: bad usage or input, 1: the work failed).
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
