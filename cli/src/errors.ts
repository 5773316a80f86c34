/**
 * An error the user can fix. The CLI prints its message after `ferrule: error: `, without a
 * stack trace, and exits with `exitCode`: 2 when the command cannot run as asked (bad usage or
 * input, or a missing prerequisite such as a tool, an artifact or a running local cloud), 1 when
 * the work ran and failed or found problems. The table is in docs/cli.md.
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

/**
 * A command line the parser refused (unknown command or option, missing argument). Printed as
 * one line plus a pointer to the help of the command it concerns.
 */
export class UsageError extends CliError {
  constructor(
    message: string,
    /** The command whose `--help` explains the usage, e.g. `ferrule events new`. */
    readonly command: string,
  ) {
    super(message, 2);
    this.name = 'UsageError';
  }
}
