/**
 * An error the user can fix, from the toolchain or the CLI. The CLI prints its message without a
 * stack trace and exits with `exitCode`: 2 when the command cannot run as asked (bad usage or
 * input, or a missing prerequisite such as a tool, an artifact or a running local cloud), 1 when
 * the work ran and failed or found problems (docs/cli.md has the table).
 */
export class ToolError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 2,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ToolError';
  }
}

/** A function artifact that is missing or that Lambda would refuse. */
export class ArtifactError extends ToolError {
  constructor(
    message: string,
    readonly code: 'ArtifactNotFound' | 'InvalidArtifact',
  ) {
    super(message, 2);
    this.name = 'ArtifactError';
  }
}
