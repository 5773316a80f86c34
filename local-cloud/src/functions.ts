// The functions of the app as Lambda runs them: execution environments started on first use
// (cold start), kept warm, up to a limit per function; an environment that crashes or times out is
// replaced by the emulator's next cold start. Requests beyond the limit wait their turn; past a
// bounded queue they are throttled, as Lambda answers 429 TooManyRequestsException.
import { randomUUID } from 'node:crypto';
import { type InvokeOptions, type InvokeReport, LocalFunction } from '@ferrule/emulator';
import type { LogSink } from './log.ts';
import type { FunctionSpec } from './model.ts';

/** Environments per function unless the template reserves fewer. */
export const DEFAULT_ENVIRONMENTS = 4;
/** Waiting invocations per environment before the next one is throttled. */
const QUEUE_PER_ENVIRONMENT = 50;

export class ThrottledError extends Error {
  override readonly name = 'TooManyRequestsException';
}

export interface FunctionPoolOptions {
  readonly spec: FunctionSpec;
  readonly region: string;
  readonly accountId: string;
  /** Variables every environment gets on top of the template's: the local AWS endpoint, credentials. */
  readonly passthroughEnvironment: Readonly<Record<string, string>>;
  readonly log: LogSink;
  /** @default DEFAULT_ENVIRONMENTS */
  readonly maxEnvironments?: number;
}

/** One execution environment: a process under the emulator, with seats for invocations. */
interface Host {
  readonly local: LocalFunction;
  /** Slots bound to it: 1, or up to the function's Managed Instances concurrency. */
  seats: number;
  /** Invocations running in it now. */
  busy: number;
  /** Replaced by newer code (watch mode): stopped once nothing runs in it. */
  stale: boolean;
}

/** One invocation's place in an environment. */
interface Slot {
  readonly host: Host;
}

export class FunctionPool {
  private readonly idle: Slot[] = [];
  private readonly all: Slot[] = [];
  private hosts: Host[] = [];
  private readonly waiting: ((slot: Slot) => void)[] = [];
  /** Slots of environments replaced by newer code while busy: released into nothing. */
  private readonly stale = new Set<Slot>();
  private stopped = false;
  /** Invocations answered, for the summary and tests. */
  invocations = 0;

  constructor(private options: FunctionPoolOptions) {}

  get spec(): FunctionSpec {
    return this.options.spec;
  }

  get name(): string {
    return this.options.spec.label;
  }

  /** Environments started so far (busy or idle). */
  get environments(): number {
    return this.hosts.length;
  }

  /** Most environments at once. */
  get limit(): number {
    const reserved = this.options.spec.reservedConcurrency;
    const max = this.options.maxEnvironments ?? DEFAULT_ENVIRONMENTS;
    return reserved !== undefined && reserved > 0 ? Math.min(reserved, max) : max;
  }

  /** Invocations one environment takes at once: 1, or the Managed Instances concurrency. */
  get perEnvironment(): number {
    return this.options.spec.managedInstancesConcurrency ?? 1;
  }

  /** Most invocations at once: environments × invocations per environment. */
  get concurrency(): number {
    return this.limit * this.perEnvironment;
  }

  async invoke(event: unknown, options: InvokeOptions = {}): Promise<InvokeReport> {
    const slot = await this.acquire();
    const requestId = options.requestId ?? randomUUID();
    this.options.log.start(this.name, requestId);
    slot.host.busy += 1;
    try {
      const report = await slot.host.local.invoke(event, { ...options, requestId });
      this.invocations += 1;
      this.options.log.report(this.name, report);
      return report;
    } finally {
      slot.host.busy -= 1;
      this.release(slot);
    }
  }

  /** Watch mode: new code or settings. Idle environments stop now, busy ones when they finish. */
  async replace(spec: FunctionSpec): Promise<void> {
    this.options = { ...this.options, spec };
    for (const slot of this.all) this.stale.add(slot);
    this.all.length = 0;
    this.idle.length = 0;
    const retired = this.hosts;
    this.hosts = [];
    for (const host of retired) host.stale = true;
    await Promise.all(retired.filter((host) => host.busy === 0).map((host) => host.local.stop()));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const hosts = this.hosts;
    this.hosts = [];
    this.all.length = 0;
    this.idle.length = 0;
    await Promise.all(hosts.map((host) => host.local.stop()));
  }

  private async acquire(): Promise<Slot> {
    if (this.stopped) throw new Error(`${this.name} is stopped`);
    const ready = this.idle.pop();
    if (ready) return ready;
    if (this.all.length < this.concurrency) return this.newSlot();
    if (this.waiting.length >= this.concurrency * QUEUE_PER_ENVIRONMENT) {
      throw new ThrottledError(
        `Rate Exceeded: ${this.name} has ${this.limit} busy environments and a full queue`,
      );
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(slot: Slot): void {
    if (this.stale.has(slot) || this.stopped) {
      this.stale.delete(slot);
      const { host } = slot;
      if ((host.stale || this.stopped) && host.busy === 0) void host.local.stop();
      // The freed capacity goes to the next waiting invocation, on current code.
      const next = this.waiting.shift();
      if (next && !this.stopped) next(this.newSlot());
      return;
    }
    const next = this.waiting.shift();
    if (next) next(slot);
    else this.idle.push(slot);
  }

  private newSlot(): Slot {
    const perEnvironment = this.perEnvironment;
    let host = this.hosts.find((candidate) => candidate.seats < perEnvironment);
    if (!host) {
      host = { local: this.newEnvironment(perEnvironment), seats: 0, busy: 0, stale: false };
      this.hosts.push(host);
    }
    host.seats += 1;
    const slot: Slot = { host };
    this.all.push(slot);
    return slot;
  }

  private newEnvironment(maxConcurrency: number): LocalFunction {
    const { spec } = this.options;
    return new LocalFunction({
      name: spec.name,
      artifact: spec.artifact,
      memoryMb: spec.memoryMb,
      timeoutSeconds: spec.timeoutSeconds,
      region: this.options.region,
      accountId: this.options.accountId,
      logFormat: spec.logFormat,
      ...(spec.logLevel ? { logLevel: spec.logLevel } : {}),
      ...(maxConcurrency > 1 ? { maxConcurrency } : {}),
      environment: spec.environment,
      passthroughEnvironment: this.options.passthroughEnvironment,
      // The emulator names the invocation a line belongs to (the only one running, or the one
      // whose request id the line carries).
      onLog: (line, _stream, requestId) => this.options.log.line(spec.label, requestId, line),
    });
  }
}
