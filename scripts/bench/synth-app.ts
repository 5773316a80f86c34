// One synth of a generated app with N RustFunctions (all on hello-http's prebuilt zip),
// printed as JSON: { functions, synthMs, builds }. Run by scripts/bench/synth.ts in a
// fresh process per measurement.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { App, Stack } from 'aws-cdk-lib';
import { FerruleService, RustFunction, WorkspaceBuild } from '../../infrastructure/lib/index.ts';

const count = Number(process.argv[2] ?? '1');
const outdir = mkdtempSync(join(tmpdir(), 'ferrule-synth-bench-'));
const started = performance.now();
const app = new App({ outdir, context: { 'ferrule:build': 'true' } });
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
