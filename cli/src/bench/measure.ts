// Measurements under the Runtime API emulator: cold starts in fresh processes, warm
// invocations in one long-lived process per function, and the floor of the machine
// (spawning /bin/true the way the emulator spawns bootstrap).
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { type InvokeOutcome, LocalFunction } from '@ferrule/emulator';
import { inspectArtifact } from '@ferrule/toolchain/artifact';
import { CliError } from '../errors.ts';
import { mean, type Spread, spread } from './stats.ts';
import type { Subject } from './subjects.ts';

/** Memory size the functions run with, as configured on Lambda; it is not enforced locally. */
export const BENCH_MEMORY_MB = 128;

export interface MeasuredSubject {
  readonly subject: Subject;
  readonly artifact: string;
}

export interface ColdFigures {
  readonly runs: number;
  /** exec → first `/next`: Lambda's Init Duration. */
  readonly initMs: Spread;
  /** exec → first response. */
  readonly firstResponseMs: Spread;
  /** Duration of the first invocation (event handed over → response). */
  readonly firstDurationMs: Spread;
  /** Max Memory Used after the first invocation (median over the runs). */
  readonly peakRssMb: number;
}

export interface WarmFigures {
  readonly invokes: number;
  /** Event handed over → response: Lambda's Duration. */
  readonly durationMs: Spread;
  /** `invoke()` called → report back: the emulator round trip. */
  readonly roundTripMs: Spread;
  /** Invocations per second through one process, one at a time. */
  readonly invokesPerSecond: number;
  /** Max Memory Used after every warm invocation. */
  readonly peakRssMb: number;
}

export interface SubjectFigures {
  readonly zippedBytes: number;
  readonly unzippedBytes: number;
  cold?: ColdFigures;
  warm?: WarmFigures;
}

export function localFunction(measured: MeasuredSubject, passthrough: Readonly<Record<string, string>>) {
  const { subject, artifact } = measured;
  return new LocalFunction({
    name: subject.name,
    artifact,
    memoryMb: BENCH_MEMORY_MB,
    timeoutSeconds: 10,
    environment: subject.environment,
    handler: subject.handler,
    passthroughEnvironment: passthrough,
    // Reports must not wait for log lines: a benchmark invocation is over when it answers.
    logDrainMs: 0,
  });
}

/** Throws when an invocation did not produce the response that is meant to be measured. */
function ensureMeasured(subject: Subject, outcome: InvokeOutcome) {
  if (outcome.kind === 'error') {
    throw new CliError(
      `${subject.name} failed with ${subject.eventLabel}: ${outcome.errorType}: ${outcome.errorMessage}${
        outcome.stderr ? `\n${outcome.stderr.trim()}` : ''
      }`,
      1,
    );
  }
  const problem = subject.check(outcome.json);
  if (problem) {
    throw new CliError(
      `${subject.name} with ${subject.eventLabel} ${problem}: ${outcome.payload.slice(0, 500)}`,
      1,
    );
  }
}

export async function artifactFigures(artifact: string): Promise<SubjectFigures> {
  const { zippedBytes, unzippedBytes } = await inspectArtifact(artifact);
  return { zippedBytes, unzippedBytes };
}

/** `runs` cold starts, each in a fresh environment (new task root, new process). */
export async function measureCold(
  measured: MeasuredSubject,
  runs: number,
  passthrough: Readonly<Record<string, string>>,
): Promise<ColdFigures> {
  const init: number[] = [];
  const first: number[] = [];
  const duration: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < runs; i++) {
    const local = localFunction(measured, passthrough);
    try {
      // Unzipping is not part of a cold start's figures: Lambda's init starts at exec too.
      await local.prepare();
      const report = await local.invoke(measured.subject.event);
      ensureMeasured(measured.subject, report.outcome);
      init.push(report.initDurationMs ?? Number.NaN);
      first.push(report.execToResponseMs ?? Number.NaN);
      duration.push(report.durationMs);
      if (report.maxMemoryUsedMb !== undefined) rss.push(report.maxMemoryUsedMb);
    } finally {
      await local.stop();
    }
  }
  return {
    runs,
    initMs: spread(init),
    firstResponseMs: spread(first),
    firstDurationMs: spread(duration),
    peakRssMb: spread(rss).p50,
  };
}

/**
 * `invokes` warm invocations of every subject, interleaved (one of each in turn) so that
 * noise from the machine falls on all of them alike. One warm-up invocation each first.
 */
export async function measureWarm(
  all: readonly MeasuredSubject[],
  invokes: number,
  passthrough: Readonly<Record<string, string>>,
): Promise<Map<string, WarmFigures>> {
  const locals = all.map((measured) => localFunction(measured, passthrough));
  const durations = all.map((): number[] => []);
  const roundTrips = all.map((): number[] => []);
  const rss = all.map(() => 0);
  try {
    for (const [index, local] of locals.entries()) {
      const measured = all[index] as MeasuredSubject;
      ensureMeasured(measured.subject, (await local.invoke(measured.subject.event)).outcome);
    }
    for (let i = 0; i < invokes; i++) {
      for (const [index, local] of locals.entries()) {
        const measured = all[index] as MeasuredSubject;
        const started = performance.now();
        const report = await local.invoke(measured.subject.event);
        roundTrips[index]?.push(performance.now() - started);
        if (report.outcome.kind !== 'success') ensureMeasured(measured.subject, report.outcome);
        durations[index]?.push(report.durationMs);
        rss[index] = report.maxMemoryUsedMb ?? rss[index] ?? 0;
      }
    }
  } finally {
    await Promise.all(locals.map((local) => local.stop()));
  }
  return new Map(
    all.map((measured, index) => {
      const trips = roundTrips[index] ?? [];
      return [
        measured.subject.name,
        {
          invokes,
          durationMs: spread(durations[index] ?? []),
          roundTripMs: spread(trips),
          invokesPerSecond: 1000 / mean(trips),
          peakRssMb: rss[index] ?? 0,
        },
      ];
    }),
  );
}

/** exec → exit of /bin/true, spawned as the emulator spawns bootstrap (pipes, no shell). */
export async function measureSpawnFloor(runs: number): Promise<Spread> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    times.push(
      await new Promise<number>((resolve, reject) => {
        const started = performance.now();
        const child = spawn('/bin/true', [], { stdio: ['ignore', 'pipe', 'pipe'] });
        child.on('error', (error) => reject(new CliError(`could not spawn /bin/true: ${error.message}`, 1)));
        child.on('exit', () => resolve(performance.now() - started));
      }),
    );
  }
  return spread(times);
}
