import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '@ferrule/toolchain/project';

const execFileAsync = promisify(execFile);

export interface Machine {
  readonly cores: number;
  readonly cpuModel: string;
  readonly kernel: string;
  readonly memoryGb: number;
  readonly node: string;
  readonly rustc: string;
  /** 1-minute load average when the run started and when it ended. */
  readonly loadAtStart: number;
  loadAtEnd?: number;
}

export async function describeMachine(): Promise<Machine> {
  const rustc = await execFileAsync('rustc', ['--version']).then(
    (out) => out.stdout.trim(),
    () => 'rustc not found',
  );
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() || 'unknown',
    kernel: `${process.platform} ${release()}`,
    memoryGb: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    rustc,
    loadAtStart: loadavg()[0] ?? 0,
  };
}

/**
 * The checked-out commit, read from .git without running git: HEAD, then the loose ref or
 * packed-refs. `unknown` outside a clone.
 */
export function shortCommit(root = projectRoot): string {
  const git = join(root, '.git');
  try {
    const head = readFileSync(join(git, 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return head.slice(0, 7);
    const ref = head.slice(5);
    if (existsSync(join(git, ref))) return readFileSync(join(git, ref), 'utf8').trim().slice(0, 7);
    const packed = readFileSync(join(git, 'packed-refs'), 'utf8');
    const line = packed.split('\n').find((l) => l.endsWith(` ${ref}`));
    return line ? line.slice(0, 7) : 'unknown';
  } catch {
    return 'unknown';
  }
}
