// `ferrule bench watch-loop`: the edit loop as a user lives it. `ferrule start --watch` runs on the
// built and synthesized app; the greeting of hello-http's handler is changed `runs` times, and each
// time the clock runs from the file write to the first HTTP answer carrying the new greeting. The
// anchor is `cargo lambda watch -p hello-http`, the same edits answered through its function URL
// endpoint (it runs offline: cargo-lambda is in .venv). The handler is restored afterwards, also
// when a step fails or the run is interrupted.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort } from '@ferrule/toolchain/moto';
import { paths, projectRoot, toolEnvironment } from '@ferrule/toolchain/project';
import { CliError } from '../errors.ts';
import { percentile } from './stats.ts';

/** The handler edited, and the line of it that changes. */
export const WATCH_LOOP_HANDLER = 'backend/functions/hello-http/src/lib.rs';
const GREETING = 'format!("Hello, {who}!")';
/**
 * An edit not answered after this long counts as stalled and is written again (cargo lambda watch
 * now and then stops its function while restarting it and answers nothing until the next change).
 */
const STALL_MS = 60_000;
const STALLS_ALLOWED = 3;
/** Longest wait for a server to serve (a cold first build takes many minutes on 2 cores). */
const START_LIMIT_MS = 30 * 60_000;
/** One request's limit: a server that holds a request must not hold the polling. */
const REQUEST_LIMIT_MS = 5_000;

export interface LoopFigures {
  /** The build each edit runs, as its tool prints it. */
  readonly build: string;
  /** Command started → the first answer from a build of the current sources. */
  readonly startToServingMs: number;
  /** File write → first answer with the change, per edit (a stalled edit: from its last write). */
  readonly editToAnswerMs: readonly number[];
  readonly medianMs: number;
  readonly maxMs: number;
  /** Edits that got no answer within a minute and were written again. */
  readonly stalls: number;
}

export interface WatchLoopFigures {
  readonly runs: number;
  readonly ferrule: LoopFigures;
  /** `cargo lambda watch`, or why it was not measured. */
  readonly cargoLambda: LoopFigures | { readonly skipped: string };
  readonly loadAtStart: number;
  readonly loadAtEnd: number;
}

/** A server under watch: how to reach hello-http through it, and its output so far. */
interface Served {
  readonly child: ChildProcess;
  readonly url: string;
  readonly build: string;
  readonly startToServingMs: number;
  output(): string;
}

export async function measureWatchLoop(options: {
  readonly runs: number;
  readonly log: (line: string) => void;
}): Promise<WatchLoopFigures> {
  const handler = join(projectRoot, WATCH_LOOP_HANDLER);
  const original = readFileSync(handler, 'utf8');
  if (!original.includes(GREETING)) {
    throw new CliError(`${WATCH_LOOP_HANDLER} no longer has ${GREETING} to change`, 1);
  }
  const children = new Set<ChildProcess>();
  const restore = () => writeFileSync(handler, original);
  // Ctrl-C skips `finally`: put the handler back and stop the servers before leaving.
  const interrupted = (signal: NodeJS.Signals) => {
    restore();
    for (const child of children) killGroup(child, 'SIGKILL');
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  const loadAtStart = loadavg()[0] ?? 0;
  try {
    options.log('ferrule start --watch --no-build: waiting for its watch build');
    const ferrule = await measureLoop(await startFerrule(children), handler, original, options);
    restore();
    let cargoLambda: WatchLoopFigures['cargoLambda'];
    if (existsSync(join(paths.venvBin, 'cargo-lambda'))) {
      options.log('cargo lambda watch -p hello-http: waiting for its first answer');
      cargoLambda = await measureLoop(await startCargoLambda(children), handler, original, options);
    } else {
      cargoLambda = { skipped: 'cargo-lambda is not installed in .venv (npm run setup)' };
    }
    return { runs: options.runs, ferrule, cargoLambda, loadAtStart, loadAtEnd: loadavg()[0] ?? 0 };
  } finally {
    restore();
    for (const child of children) await stopGroup(child);
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
  }
}

/** `runs` edits of the greeting, each timed from the write to the first answer that shows it. */
async function measureLoop(
  served: Served,
  handler: string,
  original: string,
  options: { readonly runs: number; readonly log: (line: string) => void },
): Promise<LoopFigures> {
  const editToAnswerMs: number[] = [];
  let stalls = 0;
  try {
    for (let run = 1; run <= options.runs; run += 1) {
      // A pause, so the previous swap, restart and build output are over before the clock starts.
      await sleep(1000);
      for (;;) {
        const marker = `Hello from edit ${run}.${Date.now() % 100_000}`;
        const written = performance.now();
        writeFileSync(handler, original.replace(GREETING, `format!("${marker}, {who}!")`));
        const url = served.url;
        if (await until(async () => (await answer(url))?.includes(marker) === true, served, STALL_MS)) {
          const elapsed = performance.now() - written;
          editToAnswerMs.push(elapsed);
          options.log(`  edit ${run}/${options.runs}: ${(elapsed / 1000).toFixed(2)} s`);
          break;
        }
        stalls += 1;
        if (stalls > STALLS_ALLOWED) {
          throw new CliError(`${stalls} edits got no answer:\n${served.output().slice(-3000)}`, 1);
        }
        options.log(`  edit ${run}/${options.runs}: no answer after ${STALL_MS / 1000} s; writing it again`);
      }
    }
  } finally {
    await stopGroup(served.child);
  }
  return {
    build: served.build,
    startToServingMs: served.startToServingMs,
    editToAnswerMs,
    medianMs: percentile(editToAnswerMs, 50),
    maxMs: Math.max(...editToAnswerMs),
    stalls,
  };
}

/** `ferrule start --watch` on the built app, once its watch build serves. */
async function startFerrule(children: Set<ChildProcess>): Promise<Served> {
  const started = performance.now();
  const { child, output } = spawnServer(
    process.execPath,
    [
      join(projectRoot, 'cli/bin/ferrule.mjs'),
      'start',
      '--watch',
      '--no-build',
      '--port',
      '0',
      '--endpoint-port',
      '0',
    ],
    projectRoot,
    { ...process.env, NO_COLOR: '1' },
    children,
  );
  // --no-build: every function moves to its watch build once that is ready.
  const ready = () => /watch builds ready|first watch build failed/.test(output());
  if (!(await until(ready, { child, output }, START_LIMIT_MS))) {
    throw new CliError(`no watch build after ${START_LIMIT_MS / 60_000} min:\n${output().slice(-3000)}`, 1);
  }
  if (/first watch build failed/.test(output())) {
    throw new CliError(`the first watch build failed:\n${output().slice(-3000)}`, 1);
  }
  const build = /preparing watch builds in the background: (.+)/.exec(output())?.[1]?.trim() ?? 'unknown';
  // Each HTTP API of the app gets its own port; hello-http is behind one of them.
  const ports = [...output().matchAll(/HTTP API .*http:\/\/127\.0\.0\.1:(\d+)/g)].map((m) => m[1]);
  let url: string | undefined;
  for (const port of ports) {
    const candidate = `http://127.0.0.1:${port}/hello?name=Ada`;
    if ((await answer(candidate))?.includes('Hello')) url = candidate;
  }
  if (!url) {
    throw new CliError(`no HTTP API of the app answers GET /hello:\n${output().slice(-3000)}`, 1);
  }
  return { child, url, build, startToServingMs: performance.now() - started, output };
}

/** `cargo lambda watch -p hello-http`, once it has answered through its function URL endpoint. */
async function startCargoLambda(children: Set<ChildProcess>): Promise<Served> {
  const port = await freePort();
  const started = performance.now();
  const { child, output } = spawnServer(
    'cargo',
    [
      'lambda',
      'watch',
      '--package',
      'hello-http',
      '--invoke-address',
      '127.0.0.1',
      '--invoke-port',
      String(port),
    ],
    paths.backend,
    toolEnvironment(),
    children,
  );
  const url = `http://127.0.0.1:${port}/lambda-url/hello-http/hello?name=Ada`;
  // It compiles on start (`cargo run`, dev profile, this machine), then serves.
  const serving = async () => (await answer(url))?.includes('Hello') === true;
  if (!(await until(serving, { child, output }, START_LIMIT_MS))) {
    throw new CliError(`no answer after ${START_LIMIT_MS / 60_000} min:\n${output().slice(-3000)}`, 1);
  }
  return {
    child,
    url,
    build: 'cargo build (dev profile, for this machine)',
    startToServingMs: performance.now() - started,
    output,
  };
}

function spawnServer(
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  children: Set<ChildProcess>,
) {
  // Its own process group: stopping it stops what it started (cargo, the function).
  const child = spawn(command, [...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.add(child);
  let output = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-200_000);
    });
  }
  return { child, output: () => output };
}

/** The body of a 200 answer, or undefined (not listening yet, an error status). */
async function answer(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(REQUEST_LIMIT_MS) });
    const body = await response.text();
    return response.status === 200 ? body : undefined;
  } catch {
    return undefined;
  }
}

/** Polls `done` every 20 ms: true once it is, false after `limitMs`; fails when the server ends. */
async function until(
  done: () => boolean | Promise<boolean>,
  server: Pick<Served, 'child' | 'output'>,
  limitMs: number,
): Promise<boolean> {
  const started = performance.now();
  for (;;) {
    if (await done()) return true;
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      throw new CliError(`the server ended early:\n${server.output().slice(-3000)}`, 1);
    }
    if (performance.now() - started > limitMs) return false;
    await sleep(20);
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** SIGTERM to the server's process group, SIGKILL if it has not ended 10 s later. */
async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The figures as a table, for `ferrule bench watch-loop`. */
export function watchLoopRows(figures: WatchLoopFigures): string[][] {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const row = (name: string, loop: WatchLoopFigures['cargoLambda']) =>
    'skipped' in loop
      ? [name, loop.skipped, '–', '–', '–', '–']
      : [
          name,
          loop.build,
          seconds(loop.startToServingMs),
          seconds(loop.medianMs),
          seconds(loop.maxMs),
          String(loop.stalls),
        ];
  return [row('ferrule start --watch', figures.ferrule), row('cargo lambda watch', figures.cargoLambda)];
}
