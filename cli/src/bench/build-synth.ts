// Build and synth figures: a clean release build of the workspace (in its own Cargo target
// folder under the system temp folder, so the shared one is untouched), an incremental
// rebuild after touching one handler, and `cdk synth` of generated apps.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { lambdaBuildArgs, runCargo } from '@ferrule/toolchain/build';
import { type Platform, projectRoot, toolEnvironment } from '@ferrule/toolchain/project';
import { CliError } from '../errors.ts';
import { percentile } from './stats.ts';

const execFileAsync = promisify(execFile);

/** The handler touched for the incremental figure. */
export const TOUCHED_HANDLER = 'backend/functions/hello-http/src/lib.rs';

/** One `cargo lambda build --release` of the whole workspace into `lambdaDir`; wall time in ms. */
export async function timedWorkspaceBuild(platform: Platform, targetDir: string, lambdaDir: string) {
  const args = lambdaBuildArgs(platform);
  args[args.indexOf('--lambda-dir') + 1] = lambdaDir;
  const started = performance.now();
  await runCargo(args, 'quiet', targetDir);
  return performance.now() - started;
}

/** Marks the handler as changed (its content is not modified) so cargo rebuilds its crate. */
async function touchHandler(): Promise<void> {
  const now = new Date();
  await utimes(join(projectRoot, TOUCHED_HANDLER), now, now);
}

/** Touch one handler, then build the workspace again in the same target folder. */
async function incrementalRebuild(platform: Platform, targetDir: string, lambdaDir: string) {
  await touchHandler();
  return timedWorkspaceBuild(platform, targetDir, lambdaDir);
}

export interface CleanBuildFigures {
  readonly cleanMs: number;
  readonly incrementalMs: number;
}

/** Clean build, then incremental rebuild, in a throw-away target folder that is removed after. */
export async function cleanAndIncremental(platform: Platform): Promise<CleanBuildFigures> {
  const dir = await mkdtemp(join(tmpdir(), 'ferrule-bench-clean-'));
  try {
    const targetDir = join(dir, 'target');
    const lambdaDir = join(dir, 'lambda');
    const cleanMs = await timedWorkspaceBuild(platform, targetDir, lambdaDir);
    const incrementalMs = await incrementalRebuild(platform, targetDir, lambdaDir);
    return { cleanMs, incrementalMs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface SynthFigures {
  readonly functions: number;
  /** Median synth time with every artifact already built. */
  readonly cachedMs: number;
  readonly runs: number;
  /** Synth time into an empty artifacts folder: the synth runs the workspace build itself. */
  readonly withBuildMs: number;
  /** Cargo builds that synth triggered. */
  readonly builds: number;
}

async function synthOnce(count: number, artifactsDir?: string) {
  const tsx = join(projectRoot, 'node_modules/.bin/tsx');
  const script = join(projectRoot, 'cli/src/bench/synth-app.ts');
  try {
    const { stdout } = await execFileAsync(
      tsx,
      [script, String(count), ...(artifactsDir ? [artifactsDir] : [])],
      {
        cwd: projectRoot,
        env: toolEnvironment(),
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { synthMs: number; builds: number };
  } catch (error) {
    throw new CliError(`synth of a ${count}-function app failed: ${(error as Error).message}`, 1);
  }
}

/** Each app size: `runs` synths with artifacts present (median), one into an empty artifacts folder. */
export async function synthFigures(counts: readonly number[], runs: number): Promise<SynthFigures[]> {
  const figures: SynthFigures[] = [];
  for (const count of counts) {
    const cached: number[] = [];
    for (let i = 0; i < runs; i++) cached.push((await synthOnce(count)).synthMs);
    const empty = await mkdtemp(join(tmpdir(), 'ferrule-bench-artifacts-'));
    try {
      const fresh = await synthOnce(count, empty);
      figures.push({
        functions: count,
        cachedMs: percentile(cached, 50),
        runs,
        withBuildMs: fresh.synthMs,
        builds: fresh.builds,
      });
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  }
  return figures;
}
