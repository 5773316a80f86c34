import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { type ExtractedArtifact, extractArtifact } from '@ferrule/toolchain/artifact';
import {
  DEFAULT_TIMEOUT_SECONDS,
  type FunctionSettings,
  functionArn,
  lambdaEnvironment,
  newTraceHeader,
} from './environment.ts';
import { EmulatorError } from './errors.ts';

/**
 * Largest synchronous response Lambda returns. Lambda documents "6 MB" and reports
 * this exact byte count in its `Function.ResponseSizeTooLarge` message.
 */
export const MAX_RESPONSE_BYTES = 6_291_556;
/** Lambda gives on-demand init 10 seconds before it gives up on the environment. */
export const INIT_TIMEOUT_MS = 10_000;
/** How much of the process's stderr a crash report carries. */
const STDERR_TAIL_BYTES = 4096;

const API_PREFIX = '/2018-06-01/runtime';

export interface InvokeOptions {
  /** Request id; a UUID by default. */
  readonly requestId?: string;
  /** `Lambda-Runtime-Trace-Id`; a fresh unsampled X-Ray header by default. */
  readonly traceHeader?: string;
  /** Mobile SDK client context, sent as `Lambda-Runtime-Client-Context`. */
  readonly clientContext?: unknown;
  /** Cognito identity, sent as `Lambda-Runtime-Cognito-Identity`. */
  readonly cognitoIdentity?: unknown;
}

export type InvokeOutcome =
  | { readonly kind: 'success'; readonly payload: string; readonly json: unknown }
  | {
      readonly kind: 'error';
      /** `init` when the environment never became ready, `invoke` otherwise. */
      readonly phase: 'init' | 'invoke';
      readonly errorType: string;
      readonly errorMessage: string;
      readonly stackTrace?: readonly string[];
      /** The end of the process's stderr when it crashed or failed init. */
      readonly stderr?: string;
      /** The raw response when it was rejected (for example not JSON). */
      readonly payload?: string;
    };

export interface InvokeReport {
  readonly requestId: string;
  readonly outcome: InvokeOutcome;
  /** True when this invocation started a new process. */
  readonly coldStart: boolean;
  /** exec → first `/next`: what Lambda reports as Init Duration (cold starts only). */
  readonly initDurationMs?: number;
  /** exec → first response (cold starts only). */
  readonly execToResponseMs?: number;
  /** Event handed to the runtime → response or error: Lambda's Duration. */
  readonly durationMs: number;
  /** Peak resident memory of the process so far (VmHWM), Lambda's Max Memory Used. */
  readonly maxMemoryUsedMb?: number;
  readonly memorySizeMb: number;
  /** stdout and stderr lines written during this invocation (and its init, when cold). */
  readonly logs: readonly string[];
}

export interface LocalFunctionOptions extends FunctionSettings {
  /** Path of the zip artifact (`bootstrap.zip`). */
  readonly artifact: string;
  /** Variables added to the process environment, e.g. `AWS_ENDPOINT_URL` for moto. */
  readonly passthroughEnvironment?: Readonly<Record<string, string | undefined>>;
  /** Init limit; Lambda's is 10 s. @default INIT_TIMEOUT_MS */
  readonly initTimeoutMs?: number;
  /** Longest wait for output still in the pipe after a response. @default 10 */
  readonly logDrainMs?: number;
  /**
   * Called with each line the process writes, as it writes it, and the request id of the
   * invocation it is reported with when that is one invocation.
   */
  readonly onLog?: (line: string, stream: 'stdout' | 'stderr', requestId?: string) => void;
}

interface Invocation {
  readonly requestId: string;
  /** The execution environment it runs in. */
  readonly environment: Environment;
  /** Lines written while it ran (and during init, when it started the environment). */
  readonly logs: string[];
  readonly payload: string | Uint8Array;
  readonly headers: Record<string, string>;
  readonly settle: (outcome: InvokeOutcome) => void;
  /** Starts the function timeout; called when the event is handed to the runtime. */
  onDelivered: () => void;
  deliveredAt?: number;
  settled: boolean;
}

interface Environment {
  readonly child: ChildProcess;
  readonly spawnedAt: number;
  firstNextAt?: number;
  exited: boolean;
  exitDescription?: string;
  stderrTail: string;
  peakRssKb?: number;
  /** Runtime requests waiting on `/next`: one at a time, or up to `maxConcurrency` (LMI). */
  waiting: ServerResponse[];
  initError?: { errorType: string; errorMessage: string; stackTrace?: string[] };
}

/**
 * One function, started as Lambda starts it: the artifact is unzipped into a task
 * root, `bootstrap` is executed with the reserved environment and a Runtime API
 * endpoint, and each invocation is handed over through `/invocation/next`.
 * A process that crashes or times out is gone; the next invocation is a cold start.
 *
 * With `maxConcurrency` above 1 the environment works as on Lambda Managed Instances: the
 * runtime gets `AWS_LAMBDA_MAX_CONCURRENCY`, may hold that many `/next` requests open, and
 * gets that many invocations at once; a timed-out invocation fails alone, and a log line goes
 * to the invocation whose request id it carries.
 */
export class LocalFunction {
  private server?: Server;
  private runtimeApi?: string;
  private artifact?: ExtractedArtifact;
  /** The one preparation in progress or done (see `prepare`). */
  private preparing?: Promise<void>;
  private environment?: Environment;
  /** Invocations started and not yet reported, by request id. */
  private readonly inFlight = new Map<string, Invocation>();
  /** Invocations waiting for a runtime's `/next`, oldest first. */
  private undelivered: Invocation[] = [];
  /** Invocations running (at most `concurrency`), and those waiting for a turn. */
  private active = 0;
  private readonly turns: (() => void)[] = [];
  private readonly concurrency: number;
  private stopped = false;
  private lastOutputAt = 0;

  constructor(private readonly options: LocalFunctionOptions) {
    const concurrency = options.maxConcurrency ?? 1;
    if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1600) {
      throw new EmulatorError(
        `maxConcurrency must be a whole number in 1..1600 (Lambda Managed Instances' limit), got ${concurrency}`,
        'InvalidSettings',
      );
    }
    this.concurrency = concurrency;
  }

  get name(): string {
    return this.options.name;
  }

  /** Size of the artifact, known after the first invocation (or `prepare`). */
  get artifactSizes(): { zippedBytes: number; unzippedBytes: number } | undefined {
    return (
      this.artifact && { zippedBytes: this.artifact.zippedBytes, unzippedBytes: this.artifact.unzippedBytes }
    );
  }

  /**
   * Unzips the artifact and opens the Runtime API endpoint; idempotent. Invocations that arrive
   * together at a fresh function (Managed Instances, `invoke --concurrency`) share one preparation:
   * one unzipped task root and one endpoint, which `stop` removes.
   */
  async prepare(): Promise<void> {
    if (this.stopped) throw new EmulatorError(`${this.name} was stopped`, 'Stopped');
    this.preparing ??= this.prepareOnce().catch((error: unknown) => {
      // A failed preparation (a bad artifact) is tried again by the next invocation.
      this.preparing = undefined;
      throw error;
    });
    await this.preparing;
  }

  private async prepareOnce(): Promise<void> {
    this.artifact ??= await extractArtifact(this.options.artifact);
    if (!this.server) {
      const server = createServer((req, res) => this.route(req, res));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      this.server = server;
      this.runtimeApi = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    }
  }

  /** Process id of the running `bootstrap`, while an environment is up (to read /proc/<pid>/). */
  get pid(): number | undefined {
    const environment = this.environment;
    return environment && !environment.exited ? environment.child.pid : undefined;
  }

  /** Resident memory (VmRSS) of the running `bootstrap` in KiB; undefined when none is up (or off Linux). */
  residentKb(): number | undefined {
    const pid = this.pid;
    return pid === undefined ? undefined : procStatusKb(pid, 'VmRSS');
  }

  /**
   * Invokes the function once; invocations are queued, one at a time as in one Lambda
   * environment (or `maxConcurrency` at a time). A string or bytes (`Uint8Array`, `Buffer`)
   * are handed over as they are, so a test can send what no JSON encoder writes (invalid
   * UTF-8); anything else is sent as its JSON.
   */
  async invoke(event: unknown, options: InvokeOptions = {}): Promise<InvokeReport> {
    const payload = typeof event === 'string' || event instanceof Uint8Array ? event : JSON.stringify(event);
    // Take a turn, or wait for one to be handed over (first come, first served).
    if (this.active < this.concurrency) this.active += 1;
    else await new Promise<void>((resolve) => this.turns.push(resolve));
    try {
      return await this.invokeNow(payload, options);
    } finally {
      const next = this.turns.shift();
      if (next) next();
      else this.active -= 1;
    }
  }

  /** Kills the process (if any), closes the endpoint and removes the unzipped files. */
  async stop(): Promise<void> {
    this.stopped = true;
    const child = this.environment?.child;
    this.killEnvironment(this.environment, 'stopped');
    // Resolve only once the process is gone, so a caller that exits right after leaves none behind.
    if (child && child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        if (child.exitCode !== null || child.signalCode !== null) resolve();
      });
    }
    await new Promise<void>((resolve) => {
      if (!this.server) return resolve();
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
    this.server = undefined;
    if (this.artifact) await rm(this.artifact.taskRoot, { recursive: true, force: true });
  }

  private async invokeNow(payload: string | Uint8Array, options: InvokeOptions): Promise<InvokeReport> {
    await this.prepare();
    const requestId = options.requestId ?? randomUUID();
    if (this.inFlight.has(requestId)) {
      throw new EmulatorError(`an invocation with request id ${requestId} is already running`, 'Busy');
    }
    const coldStart = !this.environment || this.environment.exited;
    const timeoutMs = (this.options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
    const initTimeoutMs = this.options.initTimeoutMs ?? INIT_TIMEOUT_MS;
    let invocation!: Invocation;

    const outcome = await new Promise<InvokeOutcome>((resolve) => {
      let invokeTimer: NodeJS.Timeout | undefined;
      let initTimer: NodeJS.Timeout | undefined;
      const logs: string[] = [];
      // Registered before a cold start spawns the process, so its init lines are reported with it.
      const pending = {
        requestId,
        payload,
        logs,
        headers: this.invocationHeaders(requestId, timeoutMs, options),
        settled: false,
        onDelivered: () => {
          invokeTimer = setTimeout(() => {
            invocation.settle({
              kind: 'error',
              phase: 'invoke',
              errorType: 'Sandbox.Timedout',
              errorMessage: `RequestId: ${requestId} Error: Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
            });
            // Classic Lambda ends the environment; on Managed Instances the others go on.
            if (this.concurrency === 1) this.killEnvironment(invocation.environment, 'timeout');
          }, timeoutMs);
        },
        settle: (result: InvokeOutcome) => {
          if (invocation.settled) return;
          invocation.settled = true;
          this.undelivered = this.undelivered.filter((waiting) => waiting !== invocation);
          clearTimeout(initTimer);
          clearTimeout(invokeTimer);
          resolve(result);
        },
      };
      this.inFlight.set(requestId, pending as Invocation);
      const environment = coldStart ? this.spawnEnvironment() : (this.environment as Environment);
      invocation = Object.assign(pending, { environment }) as Invocation;
      // Init has its own 10 s limit; the function timeout starts when the event is handed over.
      initTimer = coldStart
        ? setTimeout(() => {
            if (invocation.deliveredAt !== undefined) return;
            const failure = this.initFailure(
              environment,
              'Sandbox.Timedout',
              `Init timed out after ${(initTimeoutMs / 1000).toFixed(2)} seconds`,
            );
            this.settleAll(environment, () => failure);
            this.killEnvironment(environment, 'init timeout');
          }, initTimeoutMs)
        : undefined;
      if (environment.exited) {
        invocation.settle(this.exitFailure(environment, requestId));
      } else if (environment.waiting.length > 0) {
        this.deliver(environment, invocation);
      } else {
        this.undelivered.push(invocation);
      }
    });

    const now = performance.now();
    await this.drainOutput();
    this.inFlight.delete(requestId);
    const deliveredAt = invocation.deliveredAt ?? now;
    const env = invocation.environment;
    this.samplePeakRss(env);
    return {
      requestId,
      outcome,
      coldStart,
      initDurationMs:
        coldStart && env.firstNextAt !== undefined ? env.firstNextAt - env.spawnedAt : undefined,
      execToResponseMs: coldStart ? now - env.spawnedAt : undefined,
      durationMs: now - deliveredAt,
      maxMemoryUsedMb: env.peakRssKb === undefined ? undefined : Math.ceil(env.peakRssKb / 1024),
      memorySizeMb: this.options.memoryMb ?? 128,
      logs: invocation.logs,
    };
  }

  /** Settles every invocation still running in `environment` (a crash, an init failure). */
  private settleAll(environment: Environment, outcome: (invocation: Invocation) => InvokeOutcome) {
    for (const invocation of [...this.inFlight.values()]) {
      if (invocation.environment === environment && !invocation.settled)
        invocation.settle(outcome(invocation));
    }
  }

  private invocationHeaders(requestId: string, timeoutMs: number, options: InvokeOptions) {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'lambda-runtime-aws-request-id': requestId,
      // Filled in when the event is handed over: the deadline counts from then.
      'lambda-runtime-deadline-ms': String(Date.now() + timeoutMs),
      'lambda-runtime-invoked-function-arn': functionArn(this.options),
      'lambda-runtime-trace-id': options.traceHeader ?? newTraceHeader(),
    };
    if (options.clientContext !== undefined) {
      headers['lambda-runtime-client-context'] = JSON.stringify(options.clientContext);
    }
    if (options.cognitoIdentity !== undefined) {
      headers['lambda-runtime-cognito-identity'] = JSON.stringify(options.cognitoIdentity);
    }
    return headers;
  }

  private spawnEnvironment(): Environment {
    const artifact = this.artifact as ExtractedArtifact;
    const env = lambdaEnvironment(
      this.options,
      this.runtimeApi as string,
      artifact.taskRoot,
      this.options.passthroughEnvironment,
    );
    const spawnedAt = performance.now();
    const child = spawn(artifact.bootstrap, [], {
      cwd: artifact.taskRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const environment: Environment = { child, spawnedAt, exited: false, stderrTail: '', waiting: [] };
    this.environment = environment;
    this.captureLines(child, environment);
    const onGone = (description: string) => {
      if (environment.exited) return;
      environment.exited = true;
      environment.exitDescription = description;
      for (const waiting of environment.waiting.splice(0)) waiting.destroy();
      this.settleAll(environment, (invocation) => this.exitFailure(environment, invocation.requestId));
    };
    child.on('error', (error) => onGone(`could not start bootstrap: ${error.message}`));
    child.on('exit', (code, signal) => onGone(signal ? `signal: ${signal}` : `exit status ${code}`));
    return environment;
  }

  private captureLines(child: ChildProcess, environment: Environment) {
    for (const stream of ['stdout', 'stderr'] as const) {
      let partial = '';
      child[stream]?.setEncoding('utf8');
      child[stream]?.on('data', (chunk: string) => {
        this.lastOutputAt = performance.now();
        if (stream === 'stderr')
          environment.stderrTail = (environment.stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) this.emitLog(line, stream);
      });
      child[stream]?.on('end', () => {
        if (partial) this.emitLog(partial, stream);
        partial = '';
      });
    }
  }

  /**
   * Lines written just before the response may still sit in the pipe when the
   * response arrives over HTTP: let the event loop read them (at most a few ms) so
   * they are reported with the invocation that wrote them.
   */
  private async drainOutput(): Promise<void> {
    const cap = performance.now() + (this.options.logDrainMs ?? 10);
    await new Promise((resolve) => setImmediate(resolve));
    while (performance.now() - this.lastOutputAt < 1 && performance.now() < cap) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  /**
   * One invocation at a time: the line is its own. Several (Managed Instances): the line goes to
   * the invocation whose request id it carries (Lambda's JSON logs carry it), else to all of them.
   */
  private emitLog(line: string, stream: 'stdout' | 'stderr') {
    let targets: Invocation[];
    if (this.inFlight.size <= 1) {
      // One invocation at a time (classic Lambda): no copy of the map for every line.
      const only = this.inFlight.values().next().value;
      targets = only ? [only] : [];
    } else {
      const running = [...this.inFlight.values()];
      const owners = running.filter((invocation) => line.includes(invocation.requestId));
      targets = owners.length > 0 ? owners : running;
    }
    for (const invocation of targets) invocation.logs.push(line);
    this.options.onLog?.(line, stream, targets.length === 1 ? targets[0]?.requestId : undefined);
  }

  /** Ends the environment; invocations still running in it fail as Lambda reports a runtime exit. */
  private killEnvironment(environment: Environment | undefined, reason: string) {
    if (!environment || environment.exited) return;
    this.samplePeakRss(environment);
    environment.exited = true;
    environment.exitDescription = reason;
    // Kill first: closing the pending /next first would make the runtime log a broken connection.
    environment.child.kill('SIGKILL');
    for (const waiting of environment.waiting.splice(0)) waiting.destroy();
    this.settleAll(environment, (invocation) => this.exitFailure(environment, invocation.requestId));
  }

  private exitFailure(environment: Environment, requestId: string): InvokeOutcome {
    if (environment.initError) {
      return this.initFailure(
        environment,
        environment.initError.errorType,
        environment.initError.errorMessage,
      );
    }
    const phase = environment.firstNextAt === undefined ? 'init' : 'invoke';
    return {
      kind: 'error',
      phase,
      errorType: 'Runtime.ExitError',
      errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: ${environment.exitDescription}`,
      stderr: environment.stderrTail,
    };
  }

  private initFailure(environment: Environment, errorType: string, errorMessage: string): InvokeOutcome {
    return { kind: 'error', phase: 'init', errorType, errorMessage, stderr: environment.stderrTail };
  }

  /** Peak RSS from /proc (Linux); elsewhere the figure is simply absent. */
  private samplePeakRss(environment: Environment) {
    const pid = environment.child.pid;
    if (pid === undefined || environment.exited) return;
    // The process is gone or /proc is not available: keep the last figure.
    const peak = procStatusKb(pid, 'VmHWM');
    if (peak !== undefined) environment.peakRssKb = Math.max(environment.peakRssKb ?? 0, peak);
  }

  private deliver(environment: Environment, invocation: Invocation) {
    const response = environment.waiting.shift();
    if (!response) return;
    invocation.deliveredAt = performance.now();
    const timeoutMs = (this.options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
    invocation.headers['lambda-runtime-deadline-ms'] = String(Date.now() + timeoutMs);
    response.writeHead(200, invocation.headers);
    response.end(invocation.payload);
    invocation.onDelivered();
  }

  // ---- Runtime API ------------------------------------------------------------

  private route(req: IncomingMessage, res: ServerResponse) {
    const url = req.url ?? '';
    const environment = this.environment;
    if (!environment || environment.exited) {
      // A process we already killed; Lambda would have frozen it.
      return reply(res, 403, { errorType: 'Forbidden', errorMessage: 'environment is shut down' });
    }
    if (req.method === 'GET' && url === `${API_PREFIX}/invocation/next`) {
      return this.next(environment, res);
    }
    if (req.method === 'POST' && url === `${API_PREFIX}/init/error`) {
      return this.initError(environment, req, res);
    }
    const match = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(url);
    if (req.method === 'POST' && match?.[1] && match[2]) {
      return this.result(decodeURIComponent(match[1]), match[2] as 'response' | 'error', req, res);
    }
    reply(res, 404, {
      errorType: 'NotFound',
      errorMessage: `${req.method} ${url} is not a Runtime API route`,
    });
  }

  private next(environment: Environment, res: ServerResponse) {
    environment.firstNextAt ??= performance.now();
    this.samplePeakRss(environment);
    // One `/next` at a time in classic Lambda (a new one replaces the old); up to
    // `maxConcurrency` on Managed Instances, each a worker of the runtime.
    if (this.concurrency === 1) for (const waiting of environment.waiting.splice(0)) waiting.destroy();
    if (environment.waiting.length >= this.concurrency) {
      return reply(res, 400, {
        errorType: 'TooManyRequests',
        errorMessage: `more than AWS_LAMBDA_MAX_CONCURRENCY=${this.concurrency} requests wait on /next`,
      });
    }
    environment.waiting.push(res);
    res.once('close', () => {
      const index = environment.waiting.indexOf(res);
      if (index >= 0) environment.waiting.splice(index, 1);
    });
    const invocation = this.undelivered.find((waiting) => waiting.environment === environment);
    if (invocation) {
      this.undelivered = this.undelivered.filter((waiting) => waiting !== invocation);
      this.deliver(environment, invocation);
    }
  }

  private async initError(environment: Environment, req: IncomingMessage, res: ServerResponse) {
    const body = await readBody(req, MAX_RESPONSE_BYTES);
    const parsed = parseErrorBody(body.text, req.headers['lambda-runtime-function-error-type']);
    environment.initError = parsed;
    reply(res, 202, { status: 'OK' });
    // Lambda ends the environment after an init error.
    setImmediate(() => {
      const failure = this.initFailure(environment, parsed.errorType, parsed.errorMessage);
      this.settleAll(environment, () => failure);
      this.killEnvironment(environment, 'init error');
    });
  }

  private async result(
    requestId: string,
    kind: 'response' | 'error',
    req: IncomingMessage,
    res: ServerResponse,
  ) {
    const body = await readBody(req, MAX_RESPONSE_BYTES);
    const invocation = this.inFlight.get(requestId);
    if (!invocation || invocation.settled || invocation.deliveredAt === undefined) {
      return reply(res, 400, {
        errorType: 'InvalidRequestID',
        errorMessage: `no invocation ${requestId} is in progress`,
      });
    }
    if (body.tooLarge) {
      reply(res, 413, {
        errorType: 'RequestEntityTooLarge',
        errorMessage: `Exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
      });
      return invocation.settle({
        kind: 'error',
        phase: 'invoke',
        errorType: 'Function.ResponseSizeTooLarge',
        errorMessage: `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
      });
    }
    reply(res, 202, { status: 'OK' });
    if (kind === 'error') {
      const parsed = parseErrorBody(body.text, req.headers['lambda-runtime-function-error-type']);
      return invocation.settle({ kind: 'error', phase: 'invoke', ...parsed });
    }
    try {
      const json: unknown = body.text.length === 0 ? null : JSON.parse(body.text);
      invocation.settle({ kind: 'success', payload: body.text, json });
    } catch (error) {
      // Lambda passes raw bytes through, but no event source or API Gateway accepts
      // them: report it here, where the cause is still obvious.
      invocation.settle({
        kind: 'error',
        phase: 'invoke',
        errorType: 'Runtime.InvalidResponsePayload',
        errorMessage: `the response is not JSON: ${(error as Error).message}`,
        payload: body.text.slice(0, 1024),
      });
    }
  }
}

function reply(res: ServerResponse, status: number, body: unknown) {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage, limit: number): Promise<{ text: string; tooLarge: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) tooLarge = true;
    if (!tooLarge) chunks.push(chunk as Buffer);
  }
  return { text: tooLarge ? '' : Buffer.concat(chunks).toString('utf8'), tooLarge };
}

function parseErrorBody(
  text: string,
  headerType: string | string[] | undefined,
): { errorType: string; errorMessage: string; stackTrace?: string[] } {
  const fallbackType = (Array.isArray(headerType) ? headerType[0] : headerType) ?? 'Runtime.Unknown';
  try {
    const body = JSON.parse(text) as { errorType?: unknown; errorMessage?: unknown; stackTrace?: unknown };
    return {
      errorType: typeof body.errorType === 'string' ? body.errorType : fallbackType,
      errorMessage: typeof body.errorMessage === 'string' ? body.errorMessage : text,
      ...(Array.isArray(body.stackTrace) ? { stackTrace: body.stackTrace.map(String) } : {}),
    };
  } catch {
    return { errorType: fallbackType, errorMessage: text };
  }
}

/** A `kB` line of /proc/<pid>/status (Linux); undefined when the process or the file is gone. */
function procStatusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(
      readFileSync(`/proc/${pid}/status`, 'utf8'),
    );
    return match?.[1] ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}
