import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Points the temporary folder (`TMPDIR`, read by `os.tmpdir()` and inherited by every child
 * process) at a new folder of its own and returns what removes it. Tests create many temporary
 * folders they never remove: each CDK `App` without an `outdir` synthesizes into a new
 * `cdk.out…`, and fixtures, copies and task roots add more. A run that owns its folder leaves
 * nothing behind, whatever each test forgets.
 */
export function useRunTemporaryFolder(prefix: string): () => void {
  const previous = process.env.TMPDIR;
  const dir = mkdtempSync(join(tmpdir(), prefix));
  process.env.TMPDIR = dir;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  };
}

/** Vitest global set-up: the test files' workers start after it and inherit `TMPDIR`. */
export default function setup(): () => void {
  return useRunTemporaryFolder('ferrule-vitest-run-');
}
