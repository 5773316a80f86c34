// The fuzz suite's runner: every built function started once under the Runtime API
// emulator (one long-lived process each, replaced only when it dies, as on Lambda), fed
// seeded mutations of the fixtures of its event sources, each answer judged.
import { readFileSync } from 'node:fs';
import {
  type BuiltArtifact,
  buildFunctions,
  defaultPlatform,
  describeArtifact,
  fixturePath,
  formatBytes,
  listAppFunctions,
  listFixtures,
  listFunctions,
  type Platform,
  table,
} from '@ferrule/cli';
import { LocalFunction } from '@ferrule/emulator';
import { FAILURES, judge, VERDICTS, type Verdict } from './classify.ts';
import { type Fixture, type FuzzEvent, fuzzEvent, type Json } from './mutate.ts';

/** RustFunction's default timeout, used when no synthesized app says otherwise. */
export const DEFAULT_TIMEOUT_SECONDS = 10;
/** Lambda's longest timeout: what `timeouts: 'hang'` waits before it calls an invocation hung. */
export const LAMBDA_MAX_TIMEOUT_SECONDS = 900;
/** Memory is compared between this many events and the end. */
export const MEMORY_BASELINE_EVENTS = 100;
/** Failing events listed per function and failing verdict (and one rejected event, to show what is). */
const EXAMPLES_PER_VERDICT = 3;

export interface FuzzOptions {
  readonly seed: number;
  /** Mutated events per function. */
  readonly events: number;
  /** Function names; every function by default. */
  readonly functions?: readonly string[];
  /** @default al2023 x86_64 */
  readonly platform?: Platform;
  /** Added to each function's environment: the AWS endpoint and credentials of the test bed. */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Build first with `buildFunctions` (a no-op when the artifacts are up to date); false
   * takes the artifacts in dist/ as they are.
   * @default true
   */
  readonly build?: boolean;
  /**
   * `function`: each invocation gets the function's own timeout (from the synthesized app
   * in cdk.out, else RustFunction's 10 s), as on Lambda. `hang`: Lambda's 15-minute
   * maximum, so only a function that never answers is a timeout however loaded the
   * machine is; a function's run then stops at its first timeout.
   * @default 'function'
   */
  readonly timeouts?: 'function' | 'hang';
  /** Progress lines. */
  readonly log?: (line: string) => void;
}

export interface Example {
  readonly verdict: Verdict;
  readonly index: number;
  readonly fixture: string;
  readonly kind: string;
  readonly path: string;
  readonly detail: string;
  readonly reason: string;
}

export interface FunctionReport {
  readonly name: string;
  /** Mutated events sent. */
  readonly events: number;
  readonly counts: Readonly<Record<Verdict, number>>;
  /** Processes started after the first (each crash or timeout costs one). */
  readonly restarts: number;
  /** Fixtures that answer 5xx or an error unmutated here: their mutations' errors are `rejected`. */
  readonly failingFixtures: readonly string[];
  /** Resident memory (VmRSS) after the first events and at the end. */
  readonly memory?: { readonly fromKb: number; readonly toKb: number; readonly sameProcess: boolean };
  /** Peak resident memory of the last process (Lambda's Max Memory Used). */
  readonly peakMb?: number;
  readonly timeoutSeconds: number;
  readonly seconds: number;
  readonly examples: readonly Example[];
  /** Why the run of this function ended before `events`, if it did. */
  readonly stopped?: string;
}

export interface FuzzReport {
  readonly seed: number;
  readonly functions: readonly FunctionReport[];
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const platform = options.platform ?? defaultPlatform;
  const artifacts = await artifactsOf(options, platform);
  const timeouts = options.timeouts === 'hang' ? undefined : await deployedTimeouts();
  const reports: FunctionReport[] = [];
  for (const artifact of artifacts) {
    const timeoutSeconds = timeouts
      ? (timeouts.get(artifact.function.name) ?? DEFAULT_TIMEOUT_SECONDS)
      : LAMBDA_MAX_TIMEOUT_SECONDS;
    reports.push(await fuzzFunction(artifact, timeoutSeconds, options));
  }
  return { seed: options.seed, functions: reports };
}

async function artifactsOf(options: FuzzOptions, platform: Platform): Promise<BuiltArtifact[]> {
  if (options.build ?? true) {
    return buildFunctions({ platform, functions: options.functions, progress: 'quiet' });
  }
  const all = await listFunctions();
  const wanted = options.functions?.length ? options.functions : all.map((fn) => fn.name);
  const artifacts: BuiltArtifact[] = [];
  for (const name of wanted) {
    const fn = all.find((f) => f.name === name);
    if (!fn)
      throw new Error(
        `unknown function \`${name}\`; the functions are: ${all.map((f) => f.name).join(', ')}`,
      );
    artifacts.push(await describeArtifact(fn, platform));
  }
  return artifacts;
}

/** Each crate's timeout in the synthesized app (cdk.out), when there is one; the longest if it is deployed twice. */
async function deployedTimeouts(): Promise<Map<string, number>> {
  const timeouts = new Map<string, number>();
  try {
    for (const fn of await listAppFunctions({ synth: false })) {
      if (fn.crate) timeouts.set(fn.crate, Math.max(timeouts.get(fn.crate) ?? 0, fn.timeoutSeconds));
    }
  } catch {
    // No synthesized app: RustFunction's default applies.
  }
  return timeouts;
}

/** Every fixture of the sources the function declares fixtures from (`apigw-http/…` → all of apigw-http). */
export function fixturesOf(artifact: BuiltArtifact): Fixture[] {
  const sources = [...new Set(artifact.function.events.map((e) => e.event.split('/')[0] ?? ''))];
  return sources
    .flatMap((source) => listFixtures(source))
    .map((name) => ({ name, json: JSON.parse(readFileSync(fixturePath(name), 'utf8')) as Json }));
}

async function fuzzFunction(
  artifact: BuiltArtifact,
  timeoutSeconds: number,
  options: FuzzOptions,
): Promise<FunctionReport> {
  const name = artifact.function.name;
  const started = performance.now();
  const counts = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
  const examples: Example[] = [];
  const fixtures = fixturesOf(artifact);
  const base = {
    name,
    timeoutSeconds,
    counts,
    examples,
    failingFixtures: [] as string[],
  };
  if (fixtures.length === 0) {
    return {
      ...base,
      events: 0,
      restarts: 0,
      seconds: 0,
      stopped: 'no fixtures: declare [[package.metadata.ferrule.events]] in its Cargo.toml',
    };
  }
  const local = new LocalFunction({
    name,
    artifact: artifact.path,
    timeoutSeconds,
    initTimeoutMs: options.timeouts === 'hang' ? LAMBDA_MAX_TIMEOUT_SECONDS * 1000 : undefined,
    environment: artifact.function.environment,
    passthroughEnvironment: options.environment,
    // Output is not kept past each invocation here; no need to wait for stragglers.
    logDrainMs: 0,
  });
  let sent = 0;
  let coldStarts = 0;
  let stopped: string | undefined;
  let memoryFrom: { pid: number; kb: number } | undefined;
  let memoryTo: { pid: number; kb: number } | undefined;
  let peakMb: number | undefined;
  try {
    // Each fixture as it is first: those that already fail here need what the test bed lacks.
    const failing = new Set<string>();
    for (const fixture of fixtures) {
      const report = await local.invoke(JSON.stringify(fixture.json));
      if (report.coldStart) coldStarts += 1;
      const outcome = report.outcome;
      const status =
        outcome.kind === 'success'
          ? (outcome.json as { statusCode?: unknown } | null)?.statusCode
          : undefined;
      if (outcome.kind === 'error' || (typeof status === 'number' && status >= 500))
        failing.add(fixture.name);
    }
    base.failingFixtures.push(...failing);

    const baselineAt = Math.min(MEMORY_BASELINE_EVENTS, options.events);
    for (let index = 0; index < options.events; index += 1) {
      const event = fuzzEvent(fixtures, options.seed, index);
      const report = await local.invoke(event.payload);
      sent += 1;
      if (report.coldStart) coldStarts += 1;
      peakMb = report.maxMemoryUsedMb;
      const judgement = judge(event, report.outcome, failing.has(event.fixture));
      counts[judgement.verdict] += 1;
      if (FAILURES.includes(judgement.verdict) || judgement.verdict === 'rejected') {
        const listed = examples.filter((e) => e.verdict === judgement.verdict).length;
        if (listed < (judgement.verdict === 'rejected' ? 1 : EXAMPLES_PER_VERDICT))
          examples.push(example(event, judgement.verdict, judgement.reason ?? ''));
      }
      // From the baseline on (or the first live process after it), and the last live sample.
      if (index + 1 >= baselineAt) {
        const sample = sampleRss(local);
        if (sample) {
          memoryFrom ??= sample;
          memoryTo = sample;
        }
      }
      if (judgement.verdict === 'timeout' && options.timeouts === 'hang') {
        stopped = `stopped at event ${index}: no answer in ${timeoutSeconds} s`;
        break;
      }
      if ((index + 1) % 1000 === 0) options.log?.(`${name}: ${index + 1}/${options.events} events`);
    }
    const memory =
      memoryFrom && memoryTo
        ? { fromKb: memoryFrom.kb, toKb: memoryTo.kb, sameProcess: memoryFrom.pid === memoryTo.pid }
        : undefined;
    return {
      ...base,
      events: sent,
      restarts: Math.max(0, coldStarts - 1),
      memory,
      peakMb,
      seconds: (performance.now() - started) / 1000,
      stopped,
    };
  } finally {
    await local.stop();
  }
}

function example(event: FuzzEvent, verdict: Verdict, reason: string): Example {
  return {
    verdict,
    index: event.index,
    fixture: event.fixture,
    kind: event.kind,
    path: event.path,
    detail: event.detail,
    reason,
  };
}

/** The live process and its VmRSS; undefined off Linux or when it is gone. */
function sampleRss(local: LocalFunction): { pid: number; kb: number } | undefined {
  const pid = local.pid;
  const kb = local.residentKb();
  return pid === undefined || kb === undefined ? undefined : { pid, kb };
}

/** Failing events of a report, one count per function and failing verdict. */
export function failureCount(report: FunctionReport): number {
  return FAILURES.reduce((sum, verdict) => sum + report.counts[verdict], 0) + (report.stopped ? 1 : 0);
}

/** The table `npm run fuzz` prints: one row per function, a column per verdict. */
export function formatReport(report: FuzzReport): string {
  const rows = report.functions.map((f) => [
    f.name,
    String(f.events),
    String(f.counts.crash),
    String(f.counts.timeout),
    String(f.counts['client-5xx']),
    String(f.counts.malformed),
    String(f.counts['whole-batch-error']),
    String(f.counts.rejected),
    formatMemory(f),
    `${f.seconds.toFixed(1)} s`,
  ]);
  const lines = [
    table(
      [
        'function',
        'events',
        'crashes',
        'timeouts',
        '5xx for client input',
        'malformed responses',
        'whole-batch errors',
        'rejected (expected)',
        'memory growth',
        'time',
      ],
      rows,
    ),
  ];
  for (const f of report.functions) {
    const notes: string[] = [];
    if (f.stopped) notes.push(`  ${f.stopped}`);
    if (f.restarts > 0) notes.push(`  ${f.restarts} process restarts (timeout ${f.timeoutSeconds} s)`);
    if (f.peakMb !== undefined)
      notes.push(`  peak memory of the last process (Max Memory Used): ${f.peakMb} MB`);
    if (f.failingFixtures.length > 0) {
      notes.push(
        `  fail unmutated in this test bed (their errors count as rejected): ${f.failingFixtures.join(', ')}`,
      );
    }
    for (const e of f.examples) {
      notes.push(
        `  #${e.index} ${e.fixture} ${e.kind} ${e.path || '(event)'} [${e.detail}] → ${e.verdict}: ${e.reason}`,
      );
    }
    if (notes.length > 0) lines.push('', `${f.name}:`, ...notes);
  }
  lines.push(
    '',
    `seed ${report.seed}: \`npm run fuzz -- --seed ${report.seed}\` sends the same events again`,
  );
  return lines.join('\n');
}

function formatMemory(f: FunctionReport): string {
  if (!f.memory) return '-';
  const growth = (f.memory.toKb - f.memory.fromKb) * 1024;
  const sign = growth < 0 ? '-' : '+';
  const text = `${sign}${formatBytes(Math.abs(growth))} (${formatBytes(f.memory.fromKb * 1024)} → ${formatBytes(f.memory.toKb * 1024)})`;
  return f.memory.sameProcess ? text : `${text}, other process`;
}
