// The `ferrule` binary run as a user runs it (a child process, its own exit code), for the
// tests of the commands.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '@ferrule/toolchain/project';

export const ferruleBin = join(projectRoot, 'cli/bin/ferrule.mjs');

export interface FerruleRunOptions {
  /** A throwaway project to run in (FERRULE_ROOT). @default this repository */
  readonly root?: string;
  /** Added to this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

export interface FerruleRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runFerrule(args: readonly string[], options: FerruleRunOptions = {}): FerruleRun {
  const root = options.root ?? projectRoot;
  const result = spawnSync(process.execPath, [ferruleBin, ...args], {
    cwd: root,
    encoding: 'utf8',
    input: '',
    env: { ...process.env, ...(options.root ? { FERRULE_ROOT: root } : {}), ...options.env },
    timeout: options.timeoutMs,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
