// Whether `ferrule start` can skip the build or the synth: the outputs are newer than every input.
// cargo decides itself what to recompile, but `cargo lambda build` re-zips every function on
// each run (about 5 s for the workspace) and `cdk synth` takes several seconds even when nothing
// changed; comparing modification times first makes a second `npm start` start in seconds.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  artifactPath,
  type FunctionInfo,
  type Platform,
  paths,
  platformName,
  projectRoot,
} from './project.ts';

/** Folders inside the inputs that are outputs or dependencies, never inputs. */
const SKIPPED = new Set(['target', 'cdk.out', 'node_modules', '.git']);

/** The newest modification time of the files under `dir` (0 when there are none). */
export function newestChange(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  const stats = statSync(dir);
  if (!stats.isDirectory()) return stats.mtimeMs;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIPPED.has(entry.name)) continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestChange(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** True when every function's artifact exists and is newer than every file under backend/. */
export function artifactsFresh(functions: readonly FunctionInfo[], platform: Platform): boolean {
  if (functions.length === 0) return false;
  let oldest = Number.POSITIVE_INFINITY;
  for (const fn of functions) {
    const zip = artifactPath(fn.name, platform);
    if (!existsSync(zip)) return false;
    oldest = Math.min(oldest, statSync(zip).mtimeMs);
  }
  return oldest > newestChange(paths.backend);
}

const SYNTH_STAMP = join(projectRoot, '.ferrule/synth-stamp.json');

/** Records that cdk.out holds a synth of `platform` (read by `synthFresh`). */
export function recordSynth(platform: Platform): void {
  mkdirSync(dirname(SYNTH_STAMP), { recursive: true });
  writeFileSync(SYNTH_STAMP, JSON.stringify({ platform: platformName(platform), at: Date.now() }));
}

/** A synth is under way or failed: cdk.out may be partial. */
export function forgetSynth(): void {
  rmSync(SYNTH_STAMP, { force: true });
}

/**
 * True when cdk.out was synthesized for `platform` after the last change to the app
 * (infrastructure/, the artifacts, the npm lock file).
 */
export function synthFresh(platform: Platform): boolean {
  if (!existsSync(SYNTH_STAMP) || !existsSync(join(paths.cdkOut, 'manifest.json'))) return false;
  const stamp = JSON.parse(readFileSync(SYNTH_STAMP, 'utf8')) as { platform?: string; at?: number };
  if (stamp.platform !== platformName(platform) || typeof stamp.at !== 'number') return false;
  const inputs = [
    newestChange(paths.infrastructure),
    newestChange(join(paths.dist, platformName(platform))),
    newestChange(join(projectRoot, 'package-lock.json')),
  ];
  return stamp.at > Math.max(...inputs);
}
