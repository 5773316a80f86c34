// The artifact smoke test: build every function for each supported OS-only runtime,
// check the glibc each bootstrap needs, then start every artifact under the Runtime
// API emulator with each of its fixtures and compare the response with what the
// function's Cargo.toml says to expect.
import { spawnSync } from 'node:child_process';
import { isDeepStrictEqual } from 'node:util';
import {
  type BuiltArtifact,
  buildFunctions,
  buildPackages,
  compareVersions,
  glibcOf,
  highestGlibcVersion,
  loadEvent,
  type Platform,
  platformName,
  projectRoot,
} from '@ferrule/cli';
import { LocalFunction } from '@ferrule/emulator';

export interface CheckOutcome {
  readonly name: string;
  readonly ok: boolean;
  readonly detail?: string;
}

/** al2023 for every fixture; al2 (the same build, zipped for it) checked against glibc 2.26 and started once per function. */
export const smokePlatforms: readonly Platform[] = [
  { runtime: 'al2023', architecture: 'x86_64' },
  { runtime: 'al2', architecture: 'x86_64' },
];

export async function runSmoke(
  log: (line: string) => void,
  passthrough: Record<string, string> = {},
): Promise<CheckOutcome[]> {
  const results: CheckOutcome[] = [];
  for (const platform of smokePlatforms) {
    log(`building every function for ${platformName(platform)}`);
    const built = await buildFunctions({ platform, progress: 'quiet' });
    for (const artifact of built) {
      results.push(await glibcCheck(artifact));
      const events =
        platform.runtime === 'al2023' ? artifact.function.events : artifact.function.events.slice(0, 1);
      if (events.length === 0) {
        results.push({
          name: `${artifact.function.name}: declares fixtures`,
          ok: false,
          detail: 'add [[package.metadata.ferrule.events]] entries to its Cargo.toml',
        });
      }
      const local = new LocalFunction({
        name: artifact.function.name,
        artifact: artifact.path,
        timeoutSeconds: 10,
        environment: artifact.function.environment,
        passthroughEnvironment: passthrough,
      });
      try {
        for (const expectation of events) {
          results.push(await invokeCheck(local, platform, expectation.event, expectation.expect));
        }
      } finally {
        await local.stop();
      }
      if (platform.runtime === 'al2023' && events[0]) {
        results.push(await initErrorCheck(artifact, events[0].event, passthrough));
      }
    }
  }
  results.push(await cliInvokeCheck(passthrough));
  results.push(await panicCheck());
  return results;
}

/**
 * One start-up error path: a bad log level, and each of the function's variables unset or
 * empty in turn, either still start (an optional setting) or fail the cold start with
 * `Runtime.ConfigurationError` posted to /runtime/init/error, a message naming the variable,
 * and one JSON log line (no `Error: ...` Debug text).
 */
export async function initErrorCheck(
  artifact: BuiltArtifact,
  eventName: string,
  passthrough: Record<string, string>,
): Promise<CheckOutcome> {
  const fn = artifact.function;
  const name = `${fn.name}: configuration problems fail the start through /runtime/init/error, naming the setting`;
  const event = (await loadEvent(eventName)).text;
  const cases: {
    readonly label: string;
    readonly environment: Record<string, string>;
    readonly names: string;
  }[] = [
    {
      label: 'AWS_LAMBDA_LOG_LEVEL=LOUD',
      environment: { ...fn.environment, AWS_LAMBDA_LOG_LEVEL: 'LOUD' },
      names: 'AWS_LAMBDA_LOG_LEVEL',
    },
  ];
  for (const variable of Object.keys(fn.environment)) {
    const without = Object.fromEntries(Object.entries(fn.environment).filter(([key]) => key !== variable));
    cases.push({ label: `${variable} unset`, environment: without, names: variable });
    cases.push({
      label: `${variable}=""`,
      environment: { ...fn.environment, [variable]: '' },
      names: variable,
    });
  }
  const problems: string[] = [];
  for (const { label, environment, names } of cases) {
    const logs: string[] = [];
    const local = new LocalFunction({
      name: fn.name,
      artifact: artifact.path,
      timeoutSeconds: 10,
      environment: { ...environment, AWS_LAMBDA_LOG_FORMAT: 'JSON' },
      passthroughEnvironment: passthrough,
      onLog: (line) => logs.push(line),
    });
    try {
      const { outcome } = await local.invoke(event);
      if (outcome.kind !== 'error' || outcome.phase !== 'init') {
        // An optional setting may be left out; a log level Lambda does not know may not.
        if (names === 'AWS_LAMBDA_LOG_LEVEL') problems.push(`${label}: the function started`);
        continue;
      }
      if (outcome.errorType !== 'Runtime.ConfigurationError' || !outcome.errorMessage.includes(names)) {
        problems.push(`${label}: ${outcome.errorType}: ${outcome.errorMessage}`);
      }
      const errorLines = logs.filter((line) => /init failed/.test(line));
      const json = errorLines.filter((line) => {
        try {
          return (JSON.parse(line) as { error_type?: string }).error_type === 'Runtime.ConfigurationError';
        } catch {
          return false;
        }
      });
      if (json.length !== 1 || logs.some((line) => line.startsWith('Error: '))) {
        problems.push(`${label}: expected one JSON error line, got:\n${logs.join('\n')}`);
      }
    } finally {
      await local.stop();
    }
  }
  return { name, ok: problems.length === 0, detail: problems.join('\n') || undefined };
}

/**
 * Release builds unwind: a handler that panics answers 500 for that request, and the same
 * process (no new cold start) serves the next one. On the built `fault-probe` artifact.
 */
export async function panicCheck(): Promise<CheckOutcome> {
  const name = 'fault-probe (al2023): a panicking request answers 500, the same process serves the next';
  const platform = smokePlatforms[0] as Platform;
  // Links this one binary: the functions built above stay fresh (buildPackages selects with --bin).
  const artifact = (await buildPackages(platform, ['fault-probe'], 'quiet')).get('fault-probe') as string;
  const local = new LocalFunction({ name: 'fault-probe', artifact, timeoutSeconds: 10 });
  const request = async (path: string) => {
    const event = JSON.parse((await loadEvent('apigw-http/get-hello')).text) as Record<string, unknown>;
    event.rawPath = path;
    event.rawQueryString = '';
    return local.invoke(JSON.stringify(event));
  };
  try {
    const before = await request('/before');
    const panicked = await request('/panic');
    const after = await request('/after');
    const problems: string[] = [];
    const answer = (report: typeof before) =>
      report.outcome.kind === 'error'
        ? `${report.outcome.errorType}: ${report.outcome.errorMessage}`
        : (report.outcome.json as { statusCode?: number; body?: string });
    const [first, middle, last] = [answer(before), answer(panicked), answer(after)];
    if (typeof middle === 'string' || middle.statusCode !== 500) {
      problems.push(`/panic answered ${JSON.stringify(middle)}, expected statusCode 500`);
    }
    if (typeof first === 'string' || typeof last === 'string' || first.body !== last.body) {
      problems.push(
        `before ${JSON.stringify(first)} and after ${JSON.stringify(last)} differ: the process changed`,
      );
    }
    if (after.coldStart) problems.push('the request after the panic was a cold start');
    return { name, ok: problems.length === 0, detail: problems.join('\n') || undefined };
  } finally {
    await local.stop();
  }
}

/** The path a user takes: `npx ferrule invoke` prints the response and Lambda's REPORT line. */
async function cliInvokeCheck(passthrough: Record<string, string>): Promise<CheckOutcome> {
  const name = 'ferrule invoke hello-http --event apigw-http/get-hello';
  const result = spawnSync(
    process.execPath,
    ['cli/bin/ferrule.mjs', 'invoke', 'hello-http', '--event', 'apigw-http/get-hello'],
    { cwd: projectRoot, encoding: 'utf8', env: { ...process.env, ...passthrough } },
  );
  const ok =
    result.status === 0 &&
    /"statusCode": 200/.test(result.stdout) &&
    /REPORT RequestId: .*Duration: .*Max Memory Used: \d+ MB.*Init Duration: /.test(result.stderr);
  return { name, ok, detail: ok ? undefined : `exit ${result.status}\n${result.stdout}\n${result.stderr}` };
}

async function glibcCheck(artifact: BuiltArtifact): Promise<CheckOutcome> {
  const limit = glibcOf[artifact.platform.runtime];
  const name = `${artifact.function.name} (${platformName(artifact.platform)}): needs glibc <= ${limit}`;
  const highest = await highestGlibcVersion(artifact.path);
  if (highest === undefined) return { name, ok: true, detail: 'statically linked' };
  const ok = compareVersions(highest, limit) <= 0;
  return { name, ok, detail: `highest GLIBC symbol version: ${highest}` };
}

async function invokeCheck(
  local: LocalFunction,
  platform: Platform,
  eventName: string,
  expected: Record<string, unknown> | undefined,
): Promise<CheckOutcome> {
  const name = `${local.name} (${platformName(platform)}) with ${eventName}`;
  const event = await loadEvent(eventName);
  const report = await local.invoke(event.text);
  if (report.outcome.kind === 'error') {
    const { errorType, errorMessage, stderr } = report.outcome;
    return { name, ok: false, detail: `${errorType}: ${errorMessage}${stderr ? `\n${stderr}` : ''}` };
  }
  const mismatch = expected ? firstMismatch(report.outcome.json, expected, '') : undefined;
  return mismatch
    ? { name, ok: false, detail: `${mismatch}\nresponse: ${report.outcome.payload.slice(0, 2000)}` }
    : { name, ok: true };
}

/**
 * The first place where `actual` does not contain `expected`: objects match when
 * every expected key matches (header names ignore case), and a JSON string in
 * `actual` (an HTTP body) is parsed when `expected` is an object.
 */
export function firstMismatch(actual: unknown, expected: unknown, path: string): string | undefined {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    let value = actual;
    if (typeof value === 'string') {
      try {
        value = JSON.parse(value);
      } catch {
        return `${path || 'response'} is not JSON but an object was expected`;
      }
    }
    if (value === null || typeof value !== 'object') return `${path || 'response'} is not an object`;
    const entries = Object.entries(value as Record<string, unknown>);
    const ignoreCase = path.endsWith('headers');
    for (const [key, want] of Object.entries(expected)) {
      const found = entries.find(([k]) => (ignoreCase ? k.toLowerCase() === key.toLowerCase() : k === key));
      if (!found) return `${path}${path ? '.' : ''}${key} is missing`;
      const inner = firstMismatch(found[1], want, `${path}${path ? '.' : ''}${key}`);
      if (inner) return inner;
    }
    return undefined;
  }
  return isDeepStrictEqual(actual, expected)
    ? undefined
    : `${path} is ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`;
}
