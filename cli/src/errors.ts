import { ToolError } from '@ferrule/toolchain/errors';

/**
 * An error the user can fix: the toolchain's `ToolError` under the name the CLI uses, so that
 * what the toolchain throws is printed the same way (message, no stack trace, `exitCode`).
 */
export { ToolError as CliError };

/**
 * A command line the parser refused (unknown command or option, missing argument). Printed as
 * one line plus a pointer to the help of the command it concerns.
 */
export class UsageError extends ToolError {
  constructor(
    message: string,
    /** The command whose `--help` explains the usage, e.g. `ferrule events new`. */
    readonly command: string,
  ) {
    super(message, 2);
    this.name = 'UsageError';
  }
}
