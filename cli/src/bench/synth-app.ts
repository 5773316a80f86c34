// One synth of a generated app with N RustFunctions (all on hello-http's zip), printed as
// JSON: { functions, synthMs, builds }. Run by build-synth.ts in a fresh process per
// measurement. With an artifacts folder as second argument (empty), the synth has to run
// the workspace build itself, which shows how many builds N functions trigger: the build is
// the real `cargo lambda build` of the workspace (shared target folder), told to write its
// zips into that folder instead of dist/lambda.
//
// Usage: tsx cli/src/bench/synth-app.ts <functions> [artifacts-dir]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { FerruleService, RustFunction, WorkspaceBuild } from '@ferrule/infrastructure';
import { lambdaBuildArgs, platformTargetDir } from '@ferrule/toolchain/build';
import { defaultPlatform, paths, platformName, toolEnvironment } from '@ferrule/toolchain/project';
import { App, Stack } from 'aws-cdk-lib';

/** The workspace build into the folder the synth reads from. */
function buildInto(lambdaDir: string, requested: string): void {
  if (requested !== platformName(defaultPlatform)) {
    throw new Error(`the synth benchmark builds ${platformName(defaultPlatform)} only, not ${requested}`);
  }
  const args = lambdaBuildArgs(defaultPlatform);
  args[args.indexOf('--lambda-dir') + 1] = lambdaDir;
  const result = spawnSync('cargo', args, {
    cwd: paths.backend,
    env: toolEnvironment({ CARGO_TARGET_DIR: platformTargetDir(defaultPlatform) }),
    stdio: ['ignore', 2, 2],
  });
  if (result.status !== 0) throw new Error(`cargo lambda build failed (exit ${result.status})`);
}

const count = Number(process.argv[2] ?? '1');
const artifacts = process.argv[3];
const outdir = mkdtempSync(join(tmpdir(), 'ferrule-synth-bench-'));
const started = performance.now();
const app = new App({ outdir, context: { 'ferrule:build': 'true' } });
if (artifacts) {
  WorkspaceBuild.configure(app, {
    artifactsDir: artifacts,
    build: true,
    builder: (request) => buildInto(request.lambdaDir, request.platformName),
  });
}
const stack = new Stack(app, `Bench${count}`);
const service = new FerruleService(stack, 'Service', { serviceName: 'bench' });
for (let i = 0; i < count; i++) {
  new RustFunction(stack, `Fn${i}`, { crate: 'hello-http', service });
}
app.synth();
const synthMs = performance.now() - started;
process.stdout.write(
  `${JSON.stringify({ functions: count, synthMs, builds: WorkspaceBuild.of(app).buildCount })}\n`,
);
rmSync(outdir, { recursive: true, force: true });
