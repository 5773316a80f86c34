// What the shared libraries cost: builds baseline-hello (plain lambda_runtime) and
// libraries-hello (logger + metrics + tracer + parameters), then measures both under the
// Runtime API emulator on this machine, in the same run: artifact size, cold start (exec →
// first /next, exec → first response) over fresh processes, and warm invocations.
// Figures are printed, never asserted.
//
// Usage: npm run bench:libraries [-- --cold 30 --warm 2000]
import { performance } from 'node:perf_hooks';
import { buildPackages, defaultPlatform, formatBytes, table } from '@ferrule/cli';
import { inspectArtifact, LocalFunction } from '@ferrule/emulator';
import { mean, percentile } from './stats.ts';

const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  return Number.isFinite(value) && value > 0 ? value : fallback;
};
const coldRuns = arg('cold', 30);
const warmRuns = arg('warm', 2000);
const sampledHeader = () =>
  `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${'0'.repeat(23)}1;Parent=53995c3f42cd8ad8;Sampled=1`;

interface Figures {
  name: string;
  zipped: number;
  unzipped: number;
  init: number[];
  firstResponse: number[];
  warm: number[];
  warmSampled: number[];
  roundTrip: number[];
  rssMb: number;
}

function settingsFor(name: string, artifact: string) {
  return {
    name,
    artifact,
    memoryMb: 128,
    timeoutSeconds: 10,
    environment: { FERRULE_SERVICE_NAME: name, FERRULE_METRICS_NAMESPACE: 'Ferrule' },
    logDrainMs: 0,
  };
}

async function coldStarts(figures: Figures, artifact: string) {
  for (let i = 0; i < coldRuns; i++) {
    const local = new LocalFunction(settingsFor(figures.name, artifact));
    await local.prepare();
    const report = await local.invoke({ name: 'Ada' });
    await local.stop();
    if (report.outcome.kind !== 'success')
      throw new Error(`${figures.name}: ${JSON.stringify(report.outcome)}`);
    figures.init.push(report.initDurationMs ?? Number.NaN);
    figures.firstResponse.push(report.execToResponseMs ?? Number.NaN);
  }
}

/** Warm invocations, interleaved between the functions so machine noise hits both alike. */
async function warmInvocations(all: { figures: Figures; artifact: string }[]) {
  const locals = all.map(({ figures, artifact }) => new LocalFunction(settingsFor(figures.name, artifact)));
  try {
    for (const local of locals) await local.invoke({ name: 'warm-up' });
    for (let i = 0; i < warmRuns; i++) {
      const sampled = i % 2 === 1;
      for (const [index, local] of locals.entries()) {
        const figures = all[index]?.figures as Figures;
        const t0 = performance.now();
        const report = await local.invoke({ name: 'Ada' }, sampled ? { traceHeader: sampledHeader() } : {});
        figures.roundTrip.push(performance.now() - t0);
        (sampled ? figures.warmSampled : figures.warm).push(report.durationMs);
        figures.rssMb = report.maxMemoryUsedMb ?? figures.rssMb;
      }
    }
  } finally {
    await Promise.all(locals.map((local) => local.stop()));
  }
}

const ms = (v: number) => `${v.toFixed(2)} ms`;
const us = (v: number) => `${(v * 1000).toFixed(0)} µs`;

async function main() {
  process.stderr.write(`building baseline-hello and libraries-hello for ${defaultPlatform.runtime}-x86_64\n`);
  const artifacts = await buildPackages(defaultPlatform, ['baseline-hello', 'libraries-hello'], 'inherit');
  const all: { figures: Figures; artifact: string }[] = [];
  for (const [name, artifact] of artifacts) {
    const sizes = await inspectArtifact(artifact);
    const figures: Figures = {
      name,
      zipped: sizes.zippedBytes,
      unzipped: sizes.unzippedBytes,
      init: [],
      firstResponse: [],
      warm: [],
      warmSampled: [],
      roundTrip: [],
      rssMb: 0,
    };
    process.stderr.write(`measuring ${name}: ${coldRuns} cold starts\n`);
    await coldStarts(figures, artifact);
    all.push({ figures, artifact });
  }
  process.stderr.write(`measuring ${warmRuns} warm invocations of each, interleaved\n`);
  await warmInvocations(all);
  const results = all.map(({ figures }) => figures);
  const rows = results.map((r) => [
    r.name,
    formatBytes(r.zipped),
    formatBytes(r.unzipped),
    ms(percentile(r.init, 50)),
    ms(percentile(r.firstResponse, 50)),
    ms(percentile(r.firstResponse, 90)),
    ms(percentile(r.firstResponse, 99)),
    us(percentile(r.warm, 50)),
    us(percentile(r.warmSampled, 50)),
    us(percentile(r.warm, 99)),
    `${(1000 / mean(r.roundTrip)).toFixed(0)}/s`,
    `${r.rssMb} MB`,
  ]);
  process.stdout.write(
    `${table(
      [
        'function',
        'zipped',
        'unzipped',
        'init p50',
        'exec→response p50',
        'p90',
        'p99',
        'warm p50',
        'warm p50 (sampled)',
        'warm p99',
        'invokes',
        'peak RSS',
      ],
      rows,
    )}\n`,
  );
  const [base, libs] = results;
  if (base && libs) {
    const cold = percentile(libs.firstResponse, 50) - percentile(base.firstResponse, 50);
    const warm = percentile(libs.warm, 50) - percentile(base.warm, 50);
    const sampled = percentile(libs.warmSampled, 50) - percentile(base.warmSampled, 50);
    process.stdout.write(
      [
        '',
        `libraries cost: +${formatBytes(libs.zipped - base.zipped)} zipped; exec→first response p50 ${cold >= 0 ? '+' : ''}${ms(cold)};`,
        `per invocation p50 ${warm >= 0 ? '+' : ''}${us(warm)} unsampled, ${sampled >= 0 ? '+' : ''}${us(sampled)} sampled (one subsegment sent)`,
        'budgets (issue: shared libraries): zipped <= 3 MB; exec→first response within 3 ms of baseline; <= 0.1 ms per invocation',
        '',
      ].join('\n'),
    );
  }
}

main().catch((error: Error) => {
  process.stderr.write(`bench failed: ${error.message}\n`);
  process.exitCode = 1;
});
