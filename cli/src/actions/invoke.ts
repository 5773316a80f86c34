// `ferrule invoke`: one event through a built function under the Runtime API emulator. Safe by
// default: the function talks to a local moto, never to AWS with the shell's credentials. It
// uses the running local cloud when that serves the function (its endpoint, its resource names
// and settings); otherwise a moto of its own with the app's resources created from cdk.out, as
// the local cloud creates them, stopped after the invocation. `--aws` opts in to the shell's AWS
// settings. Every line goes to .ferrule/logs/<function>.log too (`ferrule logs`).
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  DEFAULT_MEMORY_MB,
  DEFAULT_TIMEOUT_SECONDS,
  type InvokeReport,
  LocalFunction,
} from '@ferrule/emulator';
import type { LocalCloudState, LocalFunctionState } from '@ferrule/local-cloud';
import { functionResources, readAssembly } from '@ferrule/local-cloud/assembly';
import { endLine, startLine, reportLine as streamReportLine } from '@ferrule/local-cloud/log';
import { LogFiles } from '@ferrule/local-cloud/log-files';
import { startMoto } from '@ferrule/toolchain/moto';
import {
  artifactPath,
  type FunctionInfo,
  findFunction,
  invokePassthrough,
  parsePlatform,
  paths,
  projectRoot,
} from '@ferrule/toolchain/project';
import { CliError } from '../errors.ts';
import { loadEvent } from '../events.ts';
import { formatMs } from '../format.ts';
import { LOCAL_CLOUD_STATE, LOCAL_VALUES } from '../local-state.ts';

export interface InvokeFlags {
  readonly event: string;
  readonly arch?: string;
  readonly runtime?: string;
  readonly memory?: string;
  readonly timeout?: string;
  readonly env: readonly string[];
  readonly json?: boolean;
  readonly aws?: boolean;
  readonly concurrency?: string;
}

/** The credentials every locally run function gets: the ones the local cloud gives its functions. */
export const LOCAL_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_SESSION_TOKEN: 'testing',
} as const;

/** The settings a function runs with: from the template (or the crate), then the flags. */
export interface InvokePlan {
  /** `AWS_LAMBDA_FUNCTION_NAME`: the local name when the app has the function, else the crate. */
  readonly functionName: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly environment: Readonly<Record<string, string>>;
  readonly logFormat?: 'JSON' | 'Text';
  readonly logLevel?: string;
  readonly region?: string;
  /** Variables from outside the function: the endpoint, credentials, Rust's log and backtrace switches. */
  readonly passthrough: Readonly<Record<string, string | undefined>>;
  /** One line each, printed on stderr before the invocation. */
  readonly notes: readonly string[];
}

export interface PlanInput {
  /** The crate: its name and its `[package.metadata.ferrule.env]`. */
  readonly crate: Pick<FunctionInfo, 'name' | 'environment'>;
  /** The function as the app deploys it, when the synthesized app has it. */
  readonly served?: LocalFunctionState;
  /** `local`: the local AWS endpoint the function talks to; `aws`: the shell's AWS settings. */
  readonly target: { readonly kind: 'local'; readonly endpoint: string } | { readonly kind: 'aws' };
  readonly shell: Readonly<Record<string, string | undefined>>;
  readonly memoryMb?: number;
  readonly timeoutSeconds?: number;
  readonly environment?: Readonly<Record<string, string>>;
}

/**
 * What a function is run with. Locally: the template's memory, timeout, log settings and
 * environment (references resolved to local names), or the crate's environment and Lambda's
 * defaults; the local endpoint and fixed local credentials, never the shell's. With `--aws`: the
 * shell's AWS endpoint, credentials and region, and the crate's environment (deployed resource
 * names are not known here; `--env` sets them).
 */
export function planInvoke(input: PlanInput): InvokePlan {
  const { crate, served, target, shell } = input;
  const notes: string[] = [];
  const rust = { RUST_LOG: shell.RUST_LOG, RUST_BACKTRACE: shell.RUST_BACKTRACE };
  let passthrough: Record<string, string | undefined>;
  let environment: Readonly<Record<string, string>>;
  let region: string | undefined;
  if (target.kind === 'local') {
    passthrough = { AWS_ENDPOINT_URL: target.endpoint, ...LOCAL_CREDENTIALS, ...rust };
    environment = served?.environment ?? crate.environment;
    if (!served) {
      notes.push(
        `${crate.name} is not in the synthesized app (cdk.out): it runs with its Cargo.toml environment ([package.metadata.ferrule.env]) and Lambda's defaults (${DEFAULT_MEMORY_MB} MB, ${DEFAULT_TIMEOUT_SECONDS} s); \`npx ferrule synth\` adds it`,
      );
    }
  } else {
    // Long-term keys come without a session token: an empty one keeps the emulator's placeholder
    // token from going to AWS with them (the SDK ignores an empty token).
    passthrough = { ...invokePassthrough(shell), AWS_SESSION_TOKEN: shell.AWS_SESSION_TOKEN ?? '' };
    environment = crate.environment;
    region = shell.AWS_REGION || shell.AWS_DEFAULT_REGION || undefined;
    const where = shell.AWS_ENDPOINT_URL
      ? `${shell.AWS_ENDPOINT_URL} (AWS_ENDPOINT_URL)`
      : `AWS${region ? ` in ${region}` : ''}`;
    notes.push(
      `--aws: the function talks to ${where} with this shell's AWS credentials, and its Cargo.toml environment`,
    );
    if (!shell.AWS_ACCESS_KEY_ID) {
      notes.push(
        'no AWS_ACCESS_KEY_ID in this shell, so the function has placeholder credentials AWS refuses (a profile does not reach it): export keys first, e.g. eval "$(aws configure export-credentials --format env)"',
      );
    }
  }
  return {
    functionName: served?.name ?? crate.name,
    memoryMb: input.memoryMb ?? served?.memoryMb ?? DEFAULT_MEMORY_MB,
    timeoutSeconds: input.timeoutSeconds ?? served?.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
    environment: { ...environment, ...input.environment },
    ...(served?.logFormat ? { logFormat: served.logFormat } : {}),
    ...(served?.logLevel ? { logLevel: served.logLevel } : {}),
    ...(region ? { region } : {}),
    passthrough,
    notes,
  };
}

/** Where the function runs against, and how to let go of it afterwards. */
export interface Target {
  readonly served?: LocalFunctionState;
  readonly target: PlanInput['target'];
  readonly notes: readonly string[];
  stop(): Promise<void>;
}

export async function invoke(name: string, flags: InvokeFlags): Promise<number> {
  const platform = parsePlatform(flags);
  const fn = await findFunction(name);
  const settings = invokeSettings(flags);
  // The event is checked first: a typo there is reported before anything starts.
  const event = await loadEvent(flags.event);
  const artifact = artifactPath(fn.name, platform);
  if (!existsSync(artifact)) {
    throw new CliError(
      `no artifact for ${fn.name} at ${relative(projectRoot, artifact)}; run \`npx ferrule build ${fn.name}\`${
        flags.arch || flags.runtime ? ` with the same --arch/--runtime` : ''
      }`,
    );
  }
  const request: InvokeRequest = {
    fn,
    artifact,
    event: event.text,
    ...settings,
    onNote: (note) => process.stderr.write(`==> ${note}\n`),
    ...(flags.json ? {} : { onLog: (line: string) => process.stderr.write(`${line}\n`) }),
  };
  if ((settings.concurrency ?? 1) > 1) {
    const reports = await invokeConcurrently(request, settings.concurrency ?? 1);
    printConcurrentReports(reports, flags.json === true);
    return reports.every((report) => report.outcome.kind === 'success') ? 0 : 1;
  }
  const report = await invokeFunction(request);
  printReport(report, flags.json === true);
  return report.outcome.kind === 'success' ? 0 : 1;
}

/**
 * `--concurrency N`: the event N times at once in one execution environment that takes N
 * invocations (`AWS_LAMBDA_MAX_CONCURRENCY`), as Lambda Managed Instances run a function.
 */
export async function invokeConcurrently(
  request: InvokeRequest,
  concurrency: number,
): Promise<InvokeReport[]> {
  const { target, plan } = await openTarget(request.fn, request);
  try {
    return await runMany(request.fn.name, request.artifact, plan, request.event, request.onLog, concurrency);
  } finally {
    await target.stop();
  }
}

/** One line per invocation, then how they went together; `--json` prints the reports. */
function printConcurrentReports(reports: readonly InvokeReport[], json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
    return;
  }
  for (const report of reports) process.stderr.write(`${reportLine(report)}\n`);
  const durations = reports.map((report) => report.durationMs).sort((a, b) => a - b);
  const at = (q: number) => durations[Math.min(durations.length - 1, Math.floor(q * durations.length))] ?? 0;
  const failed = reports.filter((report) => report.outcome.kind !== 'success').length;
  process.stdout.write(
    `${reports.length} invocations at once in one environment: ${reports.length - failed} succeeded, ${failed} failed; duration p50 ${formatMs(at(0.5))}, max ${formatMs(at(1))}\n`,
  );
}

/** What the flags ask of the run: AWS or local, and the settings over the template's. */
export function invokeSettings(flags: InvokeFlags): InvokeSettings {
  const memoryMb =
    flags.memory === undefined ? undefined : numberOption(flags.memory, '--memory', 128, 10_240);
  const timeoutSeconds =
    flags.timeout === undefined ? undefined : numberOption(flags.timeout, '--timeout', 1, 900);
  const concurrency =
    flags.concurrency === undefined ? undefined : numberOption(flags.concurrency, '--concurrency', 1, 1600);
  if (concurrency !== undefined && !Number.isInteger(concurrency)) {
    throw new CliError(`--concurrency must be a whole number from 1 to 1600, not \`${flags.concurrency}\``);
  }
  return {
    aws: flags.aws === true,
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(memoryMb !== undefined ? { memoryMb } : {}),
    ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
    environment: Object.fromEntries(flags.env.map(parseAssignment)),
  };
}

/** The report on stdout as JSON, or the outcome on stdout and the REPORT line on stderr. */
export function printReport(report: InvokeReport, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    printOutcome(report);
    process.stderr.write(`${reportLine(report)}\n`);
  }
}

export interface InvokeSettings {
  /** The shell's AWS settings instead of a local moto. @default false */
  readonly aws?: boolean;
  readonly memoryMb?: number;
  readonly timeoutSeconds?: number;
  /** Invocations at once in one environment (Lambda Managed Instances). @default 1 */
  readonly concurrency?: number;
  /** Over the template's (or the crate's) environment. */
  readonly environment?: Readonly<Record<string, string>>;
  /** Where the function runs against, and the settings it did not get from the template. */
  readonly onNote?: (note: string) => void;
}

export interface InvokeRequest extends InvokeSettings {
  readonly fn: FunctionInfo;
  /** The built zip. */
  readonly artifact: string;
  readonly event: string;
  /** Each line the function writes, as it writes it. */
  readonly onLog?: (line: string) => void;
}

/**
 * One invocation, as `ferrule invoke` and the MCP server's invoke run it: against the local cloud
 * or a moto of its own (or AWS with `aws`), its lines also in the function's log file.
 */
export async function invokeFunction(request: InvokeRequest): Promise<InvokeReport> {
  const { target, plan } = await openTarget(request.fn, request);
  try {
    return await run(request.fn.name, request.artifact, plan, request.event, request.onLog);
  } finally {
    await target.stop();
  }
}

/**
 * The target the function runs against (the caller stops it) and the plan of its runs, with the
 * notes said once: `invoke` opens it for one run, `invoke --watch` for every run until Ctrl-C.
 */
export async function openTarget(
  fn: FunctionInfo,
  settings: InvokeSettings,
): Promise<{ target: Target; plan: InvokePlan }> {
  const target = settings.aws ? awsTarget(fn) : await localTarget(fn);
  try {
    const plan = planInvoke({
      crate: fn,
      ...(target.served ? { served: target.served } : {}),
      target: target.target,
      shell: process.env,
      ...(settings.memoryMb !== undefined ? { memoryMb: settings.memoryMb } : {}),
      ...(settings.timeoutSeconds !== undefined ? { timeoutSeconds: settings.timeoutSeconds } : {}),
      ...(settings.environment ? { environment: settings.environment } : {}),
    });
    for (const note of [...target.notes, ...plan.notes]) settings.onNote?.(note);
    return { target, plan };
  } catch (error) {
    await target.stop();
    throw error;
  }
}

/** One invocation; its lines (and START, END, REPORT) also go to the function's log file. */
export async function run(
  crate: string,
  artifact: string,
  plan: InvokePlan,
  event: string,
  onLog: ((line: string) => void) | undefined,
): Promise<InvokeReport> {
  const [report] = await runMany(crate, artifact, plan, event, onLog, 1);
  return report as InvokeReport;
}

/**
 * `count` invocations of the event at once in one environment (one: a classic invocation); every
 * line goes to the log file under the request id the emulator attributes it to.
 */
async function runMany(
  crate: string,
  artifact: string,
  plan: InvokePlan,
  event: string,
  onLog: ((line: string) => void) | undefined,
  count: number,
): Promise<InvokeReport[]> {
  const requestIds = Array.from({ length: count }, () => randomUUID());
  let logError: Error | undefined;
  const files = new LogFiles(paths.logs, { onError: (error) => (logError = error) });
  const local = new LocalFunction({
    name: plan.functionName,
    artifact,
    memoryMb: plan.memoryMb,
    timeoutSeconds: plan.timeoutSeconds,
    environment: plan.environment,
    ...(plan.logFormat ? { logFormat: plan.logFormat } : {}),
    ...(plan.logLevel ? { logLevel: plan.logLevel } : {}),
    ...(plan.region ? { region: plan.region } : {}),
    ...(count > 1 ? { maxConcurrency: count } : {}),
    passthroughEnvironment: plan.passthrough,
    onLog: (line, _stream, requestId) => {
      files.append(crate, requestId ?? requestIds[0] ?? '', line);
      onLog?.(line);
    },
  });
  try {
    const reports = await Promise.all(
      requestIds.map(async (requestId) => {
        files.append(crate, requestId, startLine(requestId));
        const report = await local.invoke(event, { requestId });
        files.append(crate, requestId, endLine(requestId));
        files.append(crate, requestId, streamReportLine(report));
        return report;
      }),
    );
    if (logError) process.stderr.write(`==> the lines were not kept in ${paths.logs}: ${logError.message}\n`);
    return reports;
  } finally {
    await local.stop();
  }
}

/** The running local cloud when it serves the function; else a moto of its own with the app in it. */
async function localTarget(fn: FunctionInfo): Promise<Target> {
  const cloud = runningLocalCloud();
  const servedByCloud = cloud?.functions?.find((f) => f.crate === fn.name || f.label === fn.name);
  if (cloud && servedByCloud) {
    return {
      served: servedByCloud,
      target: { kind: 'local', endpoint: cloud.endpoint },
      notes: [
        `the local cloud (pid ${cloud.pid}) serves ${fn.name}: its endpoint ${cloud.endpoint} and resources`,
      ],
      stop: async () => {},
    };
  }
  const notes = [
    `${cloud ? `the local cloud (pid ${cloud.pid}) does not serve ${fn.name}; ` : ''}a moto of its own with the app's resources (cdk.out), stopped afterwards`,
  ];
  const moto = await startMoto();
  try {
    const served = existsSync(join(paths.cdkOut, 'manifest.json'))
      ? await provisioned(fn.name, moto.endpoint)
      : undefined;
    return {
      ...(served ? { served } : {}),
      target: { kind: 'local', endpoint: moto.endpoint },
      notes,
      stop: () => moto.stop(),
    };
  } catch (error) {
    await moto.stop();
    throw error;
  }
}

/** The app's resources created in moto; the function built from the crate, if the app has it. */
async function provisioned(crate: string, motoEndpoint: string): Promise<LocalFunctionState | undefined> {
  // Loaded here: the SDK clients that create the resources are needed on this path only.
  const { AssemblyError, LocalValuesError, ProvisionError, provisionAssembly } = await import(
    '@ferrule/local-cloud'
  );
  try {
    const model = await provisionAssembly({
      assemblyDir: paths.cdkOut,
      motoEndpoint,
      valuesFile: LOCAL_VALUES,
    });
    const specs = [...model.functions.values()];
    return specs.find((spec) => spec.crate === crate) ?? specs.find((spec) => spec.label === crate);
  } catch (error) {
    if (
      error instanceof ProvisionError ||
      error instanceof LocalValuesError ||
      error instanceof AssemblyError
    ) {
      throw new CliError(`creating the app's resources in moto failed: ${error.message}`, 1);
    }
    throw error;
  }
}

/** `--aws`: the shell's AWS settings; memory, timeout and log settings from the template when it has the function. */
function awsTarget(fn: FunctionInfo): Target {
  return {
    ...(existsSync(join(paths.cdkOut, 'manifest.json')) ? { served: templateSettings(fn) } : {}),
    target: { kind: 'aws' },
    notes: [],
    stop: async () => {},
  };
}

/** The template's memory, timeout and log settings of the crate's function (its environment is left to the crate). */
function templateSettings(fn: FunctionInfo): LocalFunctionState | undefined {
  const [resource] = functionResources(readAssembly(paths.cdkOut), fn.name);
  if (!resource) return undefined;
  const props = resource.properties;
  const logging = (props.LoggingConfig ?? {}) as Record<string, unknown>;
  return {
    label: fn.name,
    crate: fn.name,
    name: fn.name,
    memoryMb: typeof props.MemorySize === 'number' ? props.MemorySize : DEFAULT_MEMORY_MB,
    timeoutSeconds: typeof props.Timeout === 'number' ? props.Timeout : DEFAULT_TIMEOUT_SECONDS,
    environment: fn.environment,
    logFormat: logging.LogFormat === 'Text' ? 'Text' : 'JSON',
    ...(typeof logging.ApplicationLogLevel === 'string' ? { logLevel: logging.ApplicationLogLevel } : {}),
  };
}

/** The local cloud `ferrule start` runs here, if its process is alive. */
function runningLocalCloud(): LocalCloudState | undefined {
  if (!existsSync(LOCAL_CLOUD_STATE)) return undefined;
  try {
    const state = JSON.parse(readFileSync(LOCAL_CLOUD_STATE, 'utf8')) as LocalCloudState;
    process.kill(state.pid, 0);
    return state;
  } catch {
    // A state file left by a local cloud that is gone, or one being written.
    return undefined;
  }
}

function printOutcome(report: InvokeReport) {
  const { outcome } = report;
  if (outcome.kind === 'success') {
    process.stdout.write(`${JSON.stringify(outcome.json, null, 2)}\n`);
    return;
  }
  const body: Record<string, unknown> = { errorType: outcome.errorType, errorMessage: outcome.errorMessage };
  if (outcome.stackTrace) body.stackTrace = outcome.stackTrace;
  process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  if (outcome.stderr)
    process.stderr.write(`--- stderr of the process (${outcome.phase} phase) ---\n${outcome.stderr}\n`);
}

/** The platform REPORT line, as Lambda writes it to CloudWatch Logs. */
function reportLine(report: InvokeReport): string {
  const parts = [
    `REPORT RequestId: ${report.requestId}`,
    `Duration: ${formatMs(report.durationMs)}`,
    `Billed Duration: ${Math.ceil(report.durationMs + (report.initDurationMs ?? 0))} ms`,
    `Memory Size: ${report.memorySizeMb} MB`,
    `Max Memory Used: ${report.maxMemoryUsedMb ?? '-'} MB`,
  ];
  if (report.initDurationMs !== undefined) parts.push(`Init Duration: ${formatMs(report.initDurationMs)}`);
  if (report.outcome.kind === 'error') parts.push(`Status: error (${report.outcome.errorType})`);
  return parts.join('\t');
}

function numberOption(raw: string, flag: string, min: number, max: number): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new CliError(`${flag} must be a number from ${min} to ${max}, not \`${raw}\``);
  }
  return value;
}

function parseAssignment(raw: string): [string, string] {
  const at = raw.indexOf('=');
  if (at <= 0) throw new CliError(`--env expects KEY=VALUE, not \`${raw}\``);
  return [raw.slice(0, at), raw.slice(at + 1)];
}
