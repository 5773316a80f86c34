// `ferrule bench cli-startup`: how long the ferrule command takes to answer, measured like
// hyperfine: each command runs as a new process once to warm the file cache, then `runs` times;
// the figure is the wall time of the whole process. Once with the bundle set-up compiles
// (cli/dist), once from the TypeScript sources through tsx (what an edited checkout runs).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { cliDir, compiledEntry } from '../../bin/compiled.mjs';
import { CliError } from '../errors.ts';
import { mean } from './stats.ts';

/** The commands that must answer within 300 ms (docs/architecture.md, "How the CLI starts"). */
export const CLI_STARTUP_COMMANDS: readonly (readonly string[])[] = [
  ['--version'],
  ['--help'],
  ['events'],
  ['list', '--no-synth'],
];

export interface StartupFigures {
  readonly command: string;
  readonly runs: number;
  readonly meanMs: number;
  readonly stddevMs: number;
  readonly minMs: number;
  readonly maxMs: number;
}

export interface CliStartupOptions {
  readonly runs: number;
  /** Run the TypeScript sources through tsx instead of the compiled bundle. */
  readonly fromSource: boolean;
}

export function measureCliStartup(options: CliStartupOptions): StartupFigures[] {
  const bin = join(cliDir, 'bin/ferrule.mjs');
  const env = { ...process.env, FERRULE_CLI_FROM_SOURCE: options.fromSource ? '1' : '' };
  const once = (args: readonly string[]) => {
    const started = performance.now();
    const run = spawnSync(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    const elapsed = performance.now() - started;
    if (run.status !== 0) {
      const why = run.stderr.toString().trim().split('\n')[0] ?? '';
      throw new CliError(`\`ferrule ${args.join(' ')}\` exited with ${run.status}: ${why}`, 1);
    }
    return elapsed;
  };
  return CLI_STARTUP_COMMANDS.map((args) => {
    once(args);
    const times = Array.from({ length: options.runs }, () => once(args));
    const average = mean(times);
    return {
      command: `ferrule ${args.join(' ')}`,
      runs: times.length,
      meanMs: average,
      stddevMs: Math.sqrt(mean(times.map((t) => (t - average) ** 2))),
      minMs: Math.min(...times),
      maxMs: Math.max(...times),
    };
  });
}

/** Whether the compiled bundle is current, i.e. what `ferrule` runs now. */
export function compiledBundleCurrent(): boolean {
  return compiledEntry() !== undefined;
}
