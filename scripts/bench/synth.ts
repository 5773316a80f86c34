// Synth time of generated apps with 1, 10 and 50 functions, and the number of cargo builds
// each synth triggered, with the workspace build cached (artifacts present). Each synth runs
// in a fresh process, three times; the median is reported. Figures are printed, not asserted.
//
// Usage: npm run bench:synth   (after `npx ferrule build hello-http`)
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot, table } from '@ferrule/cli';
import { percentile } from './stats.ts';

const tsx = join(projectRoot, 'node_modules/.bin/tsx');
const rows: string[][] = [];
const medians = new Map<number, number>();
for (const count of [1, 10, 50]) {
  const runs: { synthMs: number; builds: number }[] = [];
  for (let i = 0; i < 3; i++) {
    const out = execFileSync(tsx, [join(projectRoot, 'scripts/bench/synth-app.ts'), String(count)], {
      encoding: 'utf8',
      env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true' },
    });
    runs.push(JSON.parse(out.trim().split('\n').pop() ?? '{}'));
  }
  const median = percentile(
    runs.map((r) => r.synthMs),
    50,
  );
  medians.set(count, median);
  rows.push([String(count), `${median.toFixed(0)} ms`, String(Math.max(...runs.map((r) => r.builds)))]);
}
process.stdout.write(`${table(['functions', 'synth (median of 3, in-process)', 'cargo builds'], rows)}\n`);
const ratio = (medians.get(50) ?? 0) / (medians.get(10) ?? 1);
process.stdout.write(
  `\n50 functions / 10 functions: ${ratio.toFixed(2)}× (budget: at most 2× with the build cached)\n`,
);
