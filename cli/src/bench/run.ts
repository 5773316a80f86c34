// `ferrule bench`: builds what it measures, starts its own moto, measures every subject
// under the Runtime API emulator in one run, then build and synth, and writes the report.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildPackages, platformTargetDir } from '@ferrule/toolchain/build';
import { startMoto } from '@ferrule/toolchain/moto';
import { defaultPlatform, listFunctions, paths, platformName, projectRoot } from '@ferrule/toolchain/project';
import { CliError } from '../errors.ts';
import { cleanAndIncremental, synthFigures, timedWorkspaceBuild } from './build-synth.ts';
import { CONCURRENCY_RUNS, type ConcurrencyResult, measureConcurrency } from './concurrency.ts';
import { LAMBDA_PRICES } from './cost.ts';
import { measureLocalCloud } from './local-cloud.ts';
import { describeMachine, shortCommit } from './machine.ts';
import {
  artifactFigures,
  BENCH_MEMORY_MB,
  type MeasuredSubject,
  measureCold,
  measureSpawnFloor,
  measureWarm,
} from './measure.ts';
import { MEMORY_SUBJECTS, MEMORY_WARMUP, type MemoryFigures, measureMemory } from './memory.ts';
import { packageNodeBaselines } from './node-baselines.ts';
import { renderChart, renderMarkdown } from './report.ts';
import {
  type BenchResult,
  costTable,
  evaluateTargets,
  type FunctionResult,
  pairResults,
  RESULT_SCHEMA,
} from './result.ts';
import { seedMoto } from './seed.ts';
import { allSubjects } from './subjects.ts';

export interface BenchOptions {
  /** Subject names to measure; every subject when empty (build and synth only then). */
  readonly only?: readonly string[];
  /** Few cold starts and warm invocations, no clean build, no 50-function synth. */
  readonly quick?: boolean;
  /** Where the report, JSON and chart go. @default bench/results */
  readonly outDir?: string;
  /** Also measure watch mode's reload (edits hello-http's handler and restores it). @default false */
  readonly watchReload?: boolean;
  /** Progress lines. @default stderr */
  readonly log?: (line: string) => void;
}

export interface BenchFiles {
  readonly markdown: string;
  readonly json: string;
  readonly chart: string;
}

/** Cold starts, warm invocations and memory-run invocations per subject, full and --quick. */
export const RUNS = {
  full: { cold: 30, warm: 2000, memory: 100_000 },
  quick: { cold: 5, warm: 300, memory: 2000 },
} as const;

export async function runBench(
  options: BenchOptions = {},
): Promise<{ result: BenchResult; files: BenchFiles }> {
  const started = performance.now();
  const write = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  // Elapsed time on every line: a full run has to fit in 15 minutes on 2 cores.
  const log = (line: string) => {
    const seconds = Math.round((performance.now() - started) / 1000);
    const clock = `${String(Math.floor(seconds / 60)).padStart(2, '0')}:${String(seconds % 60).padStart(2, '0')}`;
    write(`[${clock}] ${line}`);
  };
  const quick = options.quick ?? false;
  const runs = quick ? RUNS.quick : RUNS.full;
  const startedAt = new Date();
  const machine = await describeMachine();
  const platform = defaultPlatform;

  const functions = await listFunctions();
  let subjects = await allSubjects(functions);
  const only = options.only ?? [];
  if (only.length > 0) {
    const unknown = only.filter((name) => !subjects.some((s) => s.name === name));
    if (unknown.length > 0) {
      throw new CliError(
        `unknown benchmark subject ${unknown.map((n) => `\`${n}\``).join(', ')}; choose from: ${subjects.map((s) => s.name).join(', ')}`,
      );
    }
    subjects = subjects.filter((s) => only.includes(s.name));
  }

  // Subjects name the package they run: one artifact may serve several subjects.
  const rustPackages = [...new Set(subjects.filter((s) => s.language === 'rust').map((s) => s.artifact))];
  log(
    `building ${rustPackages.length} Rust ${rustPackages.length === 1 ? 'subject' : 'subjects'} for ${platformName(platform)} (one cargo lambda build)`,
  );
  // Binaries `ferrule build` or the smoke suite linked already are fresh: only the benchmark
  // crates link here (buildPackages selects with --bin).
  const rustZips = rustPackages.length > 0 ? await buildPackages(platform, rustPackages, 'quiet') : new Map();
  const node = subjects.some((s) => s.language === 'node') ? await packageNodeBaselines() : undefined;
  const nodeZips = node?.zips ?? new Map<string, string>();
  const measured: MeasuredSubject[] = subjects.map((subject) => {
    const artifact = (subject.language === 'rust' ? rustZips : nodeZips).get(subject.artifact);
    if (!artifact) {
      throw new CliError(`no artifact was produced for ${subject.name} (package ${subject.artifact})`, 1);
    }
    return { subject, artifact };
  });

  const figures: Record<string, FunctionResult> = {};
  const memory: Record<string, MemoryFigures> = {};
  let concurrency: ConcurrencyResult | undefined;
  const concurrencyRun = quick ? CONCURRENCY_RUNS.quick : CONCURRENCY_RUNS.full;
  const concurrent = concurrencyRun.subjects.filter((name) => measured.some((m) => m.subject.name === name));
  const moto = await startMoto();
  let spawnTrueMs: BenchResult['calibration']['spawnTrueMs'];
  try {
    log(`moto on ${moto.endpoint}: seeding parameters, secret, table and one order`);
    await seedMoto(moto.environment);
    log(`calibration: spawning /bin/true ${runs.cold} times`);
    spawnTrueMs = await measureSpawnFloor(runs.cold);
    for (const item of measured) {
      log(`${item.subject.name}: ${runs.cold} cold starts`);
      figures[item.subject.name] = {
        artifact: item.subject.artifact,
        language: item.subject.language,
        role: item.subject.role,
        about: item.subject.about,
        event: item.subject.eventLabel,
        ...(await artifactFigures(item.artifact)),
        cold: await measureCold(item, runs.cold, moto.environment),
      };
    }
    log(`${runs.warm} warm invocations of each, interleaved`);
    const warm = await measureWarm(measured, runs.warm, moto.environment);
    for (const [name, value] of warm) {
      const fn = figures[name];
      if (fn) fn.warm = value;
    }
    for (const item of measured.filter((m) =>
      (MEMORY_SUBJECTS as readonly string[]).includes(m.subject.name),
    )) {
      log(
        `${item.subject.name}: memory over ${runs.memory} warm invocations after ${MEMORY_WARMUP}, new trace id each, then one trace id`,
      );
      memory[item.subject.name] = await measureMemory(item, runs.memory, moto.environment);
    }
    if (concurrent.length > 0) {
      log(
        `concurrency: ${concurrent.join(', ')} at ${concurrencyRun.levels.join(', ')} invocations at once in one environment`,
      );
      concurrency = await measureConcurrency(measured, {
        levels: concurrencyRun.levels,
        invocations: concurrencyRun.invocations,
        names: concurrent,
        passthrough: moto.environment,
        log,
      });
    }
  } finally {
    await moto.stop();
    if (node) await rm(node.folder, { recursive: true, force: true });
  }

  const result: BenchResult = {
    schema: RESULT_SCHEMA,
    date: startedAt.toISOString().slice(0, 10),
    startedAt: startedAt.toISOString(),
    commit: shortCommit(),
    quick,
    platform: platformName(platform),
    machine,
    settings: { coldRuns: runs.cold, warmInvokes: runs.warm, memoryMb: BENCH_MEMORY_MB },
    calibration: { spawnTrueMs },
    functions: figures,
    memory,
    ...(concurrency ? { concurrency } : {}),
    pairs: pairResults(figures),
    synth: {},
    cost: costTable(figures),
    prices: LAMBDA_PRICES,
    targets: [],
  };

  // Build and synth are about the whole workspace: measured only when every subject is.
  // --quick is the smoke run of npm test (at most 2 minutes on 2 cores): no build is timed (an
  // incremental release rebuild alone relinks a function with fat LTO for a minute or more) and
  // one app size is synthesized, through both synth paths.
  if (only.length === 0) {
    if (!quick) {
      log('clean release build of the workspace in its own target folder, then an incremental rebuild');
      result.build = { ...(await cleanAndIncremental(platform)), incrementalIn: 'clean target' };
      // The touched handler is stale in the shared target too: rebuild it now, so the synths
      // below that run the workspace build measure an up-to-date build, not this recompile.
      await timedWorkspaceBuild(
        platform,
        platformTargetDir(platform),
        join(paths.dist, platformName(platform)),
      );
    }
    const counts = quick ? [1] : [1, 10, 50];
    log(`cdk synth of generated apps with ${counts.join(', ')} functions`);
    for (const s of await synthFigures(counts, quick ? 1 : 3)) result.synth[String(s.functions)] = s;
    result.localCloud = await measureLocalCloud(
      { invocations: quick ? 100 : 1000, watchReload: options.watchReload ?? false },
      log,
    );
  }

  result.targets = evaluateTargets(result);
  machine.loadAtEnd = loadavg()[0] ?? 0;
  result.durationSeconds = (performance.now() - started) / 1000;
  log(`done in ${(result.durationSeconds / 60).toFixed(1)} min`);
  const files = await writeResults(result, options.outDir ?? join(projectRoot, 'bench/results'));
  return { result, files };
}

export async function writeResults(result: BenchResult, outDir: string): Promise<BenchFiles> {
  await mkdir(outDir, { recursive: true });
  const base = `${result.date}-${result.commit}${result.quick ? '-quick' : ''}`;
  const files = {
    markdown: join(outDir, `${base}.md`),
    json: join(outDir, `${base}.json`),
    chart: join(outDir, `${base}.svg`),
  };
  await writeFile(files.json, `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(files.chart, renderChart(result));
  await writeFile(files.markdown, renderMarkdown(result, `${base}.svg`));
  return files;
}
