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

interface Slot {
  readonly local: LocalFunction;
  requestId?: string;
}

export class FunctionPool {
  private readonly idle: Slot[] = [];
  private readonly all: Slot[] = [];
  private readonly waiting: ((slot: Slot) => void)[] = [];
  /** Environments replaced by newer code while busy: stopped when their invocation ends. */
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
    return this.all.length;
  }

  get limit(): number {
    const reserved = this.options.spec.reservedConcurrency;
    const max = this.options.maxEnvironments ?? DEFAULT_ENVIRONMENTS;
    return reserved !== undefined && reserved > 0 ? Math.min(reserved, max) : max;
  }

  async invoke(event: unknown, options: InvokeOptions = {}): Promise<InvokeReport> {
    const slot = await this.acquire();
    const requestId = options.requestId ?? randomUUID();
    slot.requestId = requestId;
    this.options.log.start(this.name, requestId);
    try {
      const report = await slot.local.invoke(event, { ...options, requestId });
      this.invocations += 1;
      this.options.log.report(this.name, report);
      return report;
    } finally {
      slot.requestId = undefined;
      this.release(slot);
    }
  }

  /** Watch mode: new code or settings. Idle environments stop now, busy ones when they finish. */
  async replace(spec: FunctionSpec): Promise<void> {
    this.options = { ...this.options, spec };
    const stale = [...this.all];
    this.all.length = 0;
    const idle = this.idle.splice(0);
    for (const slot of stale) this.stale.add(slot);
    await Promise.all(idle.map((slot) => slot.local.stop()));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const slots = [...this.all];
    this.all.length = 0;
    this.idle.length = 0;
    await Promise.all(slots.map((slot) => slot.local.stop()));
  }

  private async acquire(): Promise<Slot> {
    if (this.stopped) throw new Error(`${this.name} is stopped`);
    const ready = this.idle.pop();
    if (ready) return ready;
    if (this.all.length < this.limit) return this.newSlot();
    if (this.waiting.length >= this.limit * QUEUE_PER_ENVIRONMENT) {
      throw new ThrottledError(
        `Rate Exceeded: ${this.name} has ${this.limit} busy environments and a full queue`,
      );
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(slot: Slot): void {
    if (this.stale.has(slot) || this.stopped) {
      this.stale.delete(slot);
      void slot.local.stop();
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
    const { spec } = this.options;
    const slot: Slot = {
      local: new LocalFunction({
        name: spec.name,
        artifact: spec.artifact,
        memoryMb: spec.memoryMb,
        timeoutSeconds: spec.timeoutSeconds,
        region: this.options.region,
        accountId: this.options.accountId,
        logFormat: spec.logFormat,
        ...(spec.logLevel ? { logLevel: spec.logLevel } : {}),
        environment: spec.environment,
        passthroughEnvironment: this.options.passthroughEnvironment,
        onLog: (line) => this.options.log.line(spec.label, slot.requestId, line),
      }),
    };
    this.all.push(slot);
    return slot;
  }
}
