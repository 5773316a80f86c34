import { spawn } from 'node:child_process';

/** How a command ended: its exit code and its stdout and stderr interleaved, as a terminal shows them. */
export interface CommandResult {
  readonly code: number;
  readonly output: string;
}

export interface RunCommandOptions {
  /** @default the current directory */
  readonly cwd?: string;
  /** @default this process's environment */
  readonly env?: NodeJS.ProcessEnv;
  /** Only the last characters are kept: the end of a long build log is where its failure is. @default 1_000_000 */
  readonly keepChars?: number;
  /** Also pass the output through to this process's stdout and stderr (progress). @default false */
  readonly echo?: boolean;
  /** Called with each piece of output as it arrives: progress for callers that report it. */
  readonly onOutput?: (chunk: string) => void;
}

/**
 * Runs a command to its end without a shell. Never rejects: a command that cannot start is
 * code 127 with the reason as output, a command killed by a signal is code 1.
 */
export function runCommand(
  cmd: string,
  args: readonly string[],
  options: RunCommandOptions = {},
): Promise<CommandResult> {
  const keep = options.keepChars ?? 1_000_000;
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(cmd, [...args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const append = (chunk: Buffer) => {
      const text = chunk.toString();
      options.onOutput?.(text);
      output += text;
      // Trimmed in halves, not per chunk, so a chatty command costs linear time.
      if (output.length > 2 * keep) output = output.slice(-keep);
    };
    child.stdout.on('data', (chunk: Buffer) => {
      if (options.echo) process.stdout.write(chunk);
      append(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (options.echo) process.stderr.write(chunk);
      append(chunk);
    });
    child.on('error', (error) => resolve({ code: 127, output: `${cmd}: ${error.message}` }));
    child.on('exit', (code) => resolve({ code: code ?? 1, output: output.slice(-keep) }));
  });
}
