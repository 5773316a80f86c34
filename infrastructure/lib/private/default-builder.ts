import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultArtifactsDir, projectRoot } from '../platform.ts';
import type { BuildRequest } from '../workspace-build.ts';

const childScript = fileURLToPath(new URL('./build-child.ts', import.meta.url));

/**
 * The real build: `buildFunctions` of `@ferrule/toolchain` (one `cargo lambda build --release
 * --output-format zip --target <arch>-unknown-linux-gnu.<glibc> --lambda-dir
 * dist/lambda/<platform>` of every function), run in a child process the synth
 * waits for. Cargo's progress goes to stderr so the synth's stdout stays clean.
 */
export function cargoLambdaBuilder(request: BuildRequest): void {
  const writes = join(defaultArtifactsDir(), request.platformName);
  if (resolve(request.lambdaDir) !== writes) {
    throw new Error(
      `ferrule:build: the workspace build writes to ${writes}, but the artifacts are read from ${request.lambdaDir}; ` +
        'drop `artifactsDir` (or context ferrule:artifacts) to build, or build into that folder yourself',
    );
  }
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', childScript, request.platform.runtime, request.platform.architecture],
    { cwd: projectRoot, stdio: ['ignore', 2, 2] },
  );
  if (result.error) throw new Error(`ferrule:build: could not start the build: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`ferrule:build: cargo lambda build failed (exit ${result.status}); its output is above`);
  }
}
