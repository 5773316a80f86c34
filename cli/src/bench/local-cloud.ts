// Figures of the local cloud (`ferrule start`), measured on the built and synthesized app:
// how long `ferrule start` takes until the HTTP API answers, what the local HTTP API adds over a
// direct emulator invocation of the same artifact (warm), and, with --watch-reload, how long an
// edit of a handler takes to answer through the API in watch mode.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { LocalFunction } from '@ferrule/emulator';
import { LocalCloud, type LocalCloudState, LogSink } from '@ferrule/local-cloud';
import { startMoto } from '@ferrule/toolchain/moto';
import { paths, projectRoot } from '@ferrule/toolchain/project';
import { CliError } from '../errors.ts';
import { loadEvent } from '../events.ts';
import { LOCAL_CLOUD_STATE } from '../local-state.ts';
import { type Spread, spread } from './stats.ts';

export interface LocalCloudFigures {
  /** `ferrule start` (no-op build, synth, moto, provisioning) → first 200 from `GET /hello`. */
  readonly startToAnswerMs: number;
  /** Warm `GET /hello` through the local HTTP API (client round trip). */
  readonly httpRoundTripMs: Spread;
  /** Warm invocation of the same artifact with the same event, straight to the emulator. */
  readonly directInvokeMs: Spread;
  /** p50 of the first minus p50 of the second. */
  readonly httpOverheadP50Ms: number;
  readonly invocations: number;
  /** Watch mode: a one-line change of hello-http → the new answer through the API (--watch-reload). */
  readonly watchReloadMs?: number;
  /** Watch mode's first build in the `local` profile, in the background after start. */
  readonly watchFirstBuildMs?: number;
}

const HELLO_HANDLER = join(projectRoot, 'backend/functions/hello-http/src/lib.rs');
const GREETING = 'format!("Hello, {who}!")';

/** Runs `ferrule start` as a user does, with its output captured. */
function startCli(args: readonly string[]) {
  const child: ChildProcess = spawn(
    process.execPath,
    [join(projectRoot, 'cli/bin/ferrule.mjs'), 'start', ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    },
  );
  let output = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-200_000);
    });
  }
  return { child, output: () => output };
}

async function stopCli(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

/**
 * Waits for the state file of the `ferrule start` child (it lists the APIs and their free ports),
 * then polls `path` on each API until one answers 200 with `expect` in the body. The child ending
 * first is an error.
 */
async function firstAnswer(
  path: string,
  child: ChildProcess,
  output: () => string,
  expect = '',
): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (child.exitCode !== null)
      throw new CliError(`ferrule start ended early:\n${output().slice(-3000)}`, 1);
    for (const url of apiUrls(child.pid)) {
      try {
        const response = await fetch(`${url}${path}`);
        const body = await response.text();
        if (response.status === 200 && body.includes(expect)) return performance.now() - started;
      } catch {
        // Not listening yet.
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The API URLs the local cloud of process `pid` published; none before it wrote them. */
function apiUrls(pid: number | undefined): string[] {
  try {
    const state = JSON.parse(readFileSync(LOCAL_CLOUD_STATE, 'utf8')) as LocalCloudState;
    return state.pid === pid ? state.apis.map((api) => api.url) : [];
  } catch {
    return [];
  }
}

export async function measureLocalCloud(
  options: { invocations: number; watchReload: boolean },
  log: (line: string) => void,
): Promise<LocalCloudFigures> {
  log('local cloud: ferrule start (already built) until GET /hello answers');
  const started = performance.now();
  const cli = startCli(['--port', '0', '--endpoint-port', '0']);
  let startToAnswerMs: number;
  try {
    await firstAnswer('/hello?name=Ada', cli.child, cli.output);
    startToAnswerMs = performance.now() - started;
  } finally {
    await stopCli(cli.child);
  }

  log(
    `local cloud: ${options.invocations} warm GET /hello through the HTTP API and straight to the emulator`,
  );
  const overhead = await measureOverhead(options.invocations);
  const figures: LocalCloudFigures = { startToAnswerMs, ...overhead, invocations: options.invocations };
  if (!options.watchReload) return figures;

  log('local cloud: watch mode, one-line change of hello-http until the new answer');
  return { ...figures, ...(await measureWatch(log)) };
}

async function measureOverhead(
  invocations: number,
): Promise<Pick<LocalCloudFigures, 'httpRoundTripMs' | 'directInvokeMs' | 'httpOverheadP50Ms'>> {
  const moto = await startMoto();
  const cloud = await LocalCloud.start({
    assemblyDir: paths.cdkOut,
    motoEndpoint: moto.endpoint,
    port: 0,
    endpointPort: 0,
    valuesFile: join(await mkdtemp(join(tmpdir(), 'ferrule-bench-')), 'local-values.json'),
    maxEnvironments: 1,
    log: new LogSink({ write: () => {} }),
  });
  const hello = cloud.findFunction('hello-http');
  const api = cloud.current.apis.find((a) => a.routes.some((r) => r.functionArn === hello?.arn));
  if (!hello || !api) {
    await cloud.stop();
    await moto.stop();
    throw new CliError('the synthesized app has no HTTP API serving hello-http', 1);
  }
  const direct = new LocalFunction({
    name: hello.name,
    artifact: hello.artifact,
    memoryMb: hello.memoryMb,
    timeoutSeconds: hello.timeoutSeconds,
    environment: hello.environment,
    logDrainMs: 0,
  });
  const event = (await loadEvent('apigw-http/get-hello')).json;
  const url = `http://127.0.0.1:${api.port}/hello?name=Ada`;
  const viaHttp: number[] = [];
  const viaEmulator: number[] = [];
  try {
    // Warm both first; then interleave so that load on the machine affects both alike.
    await fetch(url).then((r) => r.text());
    await direct.invoke(event);
    for (let i = 0; i < invocations; i += 1) {
      let t0 = performance.now();
      await fetch(url).then((r) => r.text());
      viaHttp.push(performance.now() - t0);
      t0 = performance.now();
      await direct.invoke(event);
      viaEmulator.push(performance.now() - t0);
    }
  } finally {
    await direct.stop();
    await cloud.stop();
    await moto.stop();
  }
  const httpRoundTripMs = spread(viaHttp);
  const directInvokeMs = spread(viaEmulator);
  return { httpRoundTripMs, directInvokeMs, httpOverheadP50Ms: httpRoundTripMs.p50 - directInvokeMs.p50 };
}

async function measureWatch(
  log: (line: string) => void,
): Promise<Pick<LocalCloudFigures, 'watchReloadMs' | 'watchFirstBuildMs'>> {
  const source = readFileSync(HELLO_HANDLER, 'utf8');
  if (!source.includes(GREETING))
    throw new CliError(`${HELLO_HANDLER} no longer has ${GREETING} to change`, 1);
  const cli = startCli(['--watch', '--no-build', '--port', '0', '--endpoint-port', '0']);
  try {
    const started = performance.now();
    while (!/watch builds ready|first watch build failed/.test(cli.output())) {
      if (cli.child.exitCode !== null)
        throw new CliError(`ferrule start --watch ended:\n${cli.output().slice(-3000)}`, 1);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const watchFirstBuildMs = performance.now() - started;
    log(`local cloud: first watch build in ${(watchFirstBuildMs / 1000).toFixed(1)} s`);
    const edited = performance.now();
    writeFileSync(HELLO_HANDLER, source.replace(GREETING, 'format!("Hello again, {who}!")'));
    await firstAnswer('/hello?name=Ada', cli.child, cli.output, 'Hello again');
    return { watchReloadMs: performance.now() - edited, watchFirstBuildMs };
  } finally {
    writeFileSync(HELLO_HANDLER, source);
    await stopCli(cli.child);
  }
}
