// EventBridge schedules on the local clock: `rate(...)` and `cron(...)` rules fire their targets
// as EventBridge does, and `ferrule trigger <rule>` fires one now. Cron evaluation is croner's
// (7 fields with the year, Quartz weekday numbering 1 = Sunday, as EventBridge's cron).
import { randomUUID } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Cron } from 'croner';
import type { RuleSpec } from './model.ts';
import { type AsyncInvoker, type SourceContext, sendToQueue } from './sources.ts';

export class ScheduleError extends Error {
  override readonly name = 'ScheduleError';
}

const RATE = /^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\((.+)\)$/;

/** The next time a schedule expression fires after `after`; null when it never will again. */
export function nextFire(expression: string, after: Date, startedAt: Date = after): Date | null {
  const rate = RATE.exec(expression.trim());
  if (rate) {
    const value = Number(rate[1]);
    const unit = String(rate[2]).replace(/s$/, '');
    if (value < 1 || (value === 1) !== (unit === String(rate[2]))) {
      throw new ScheduleError(
        `${expression}: use "1 ${unit}" or "N ${unit}s" with N > 1, as EventBridge requires`,
      );
    }
    const period =
      value * { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[unit as 'minute' | 'hour' | 'day'];
    const elapsed = after.getTime() - startedAt.getTime();
    return new Date(startedAt.getTime() + (Math.floor(elapsed / period) + 1) * period);
  }
  const cron = CRON.exec(expression.trim());
  if (cron) {
    const fields = String(cron[1]).trim().split(/\s+/);
    if (fields.length !== 6) {
      throw new ScheduleError(
        `${expression}: EventBridge cron has 6 fields (minutes hours day-of-month month day-of-week year)`,
      );
    }
    try {
      const job = new Cron(`0 ${fields.join(' ')}`, {
        timezone: 'UTC',
        mode: '7-part',
        alternativeWeekdays: true,
        paused: true,
      });
      return job.nextRun(after);
    } catch (error) {
      throw new ScheduleError(`${expression}: ${(error as Error).message}`);
    }
  }
  throw new ScheduleError(`${expression} is not rate(...) or cron(...)`);
}

/** Fires every enabled schedule rule on time; `fire` fires one at once. */
export class Scheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly sqs: SQSClient;
  private readonly startedAt = new Date();

  constructor(
    private readonly rules: () => readonly RuleSpec[],
    private readonly context: SourceContext,
    private readonly async: AsyncInvoker,
  ) {
    this.sqs = new SQSClient({
      region: context.region,
      endpoint: context.motoEndpoint,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
  }

  start(): void {
    for (const rule of this.rules()) {
      if (rule.schedule && rule.enabled) this.arm(rule, new Date());
    }
  }

  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.sqs.destroy();
  }

  /** When each schedule fires next, for the start-up table. */
  upcoming(rule: RuleSpec): Date | null {
    return rule.schedule ? nextFire(rule.schedule, new Date(), this.startedAt) : null;
  }

  /** Fires a rule's targets now with a `Scheduled Event`, as EventBridge would at its time. */
  async fire(rule: RuleSpec): Promise<number> {
    const event = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: this.context.accountId,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.context.region,
      resources: [rule.arn],
      detail: {},
    };
    let delivered = 0;
    for (const target of rule.targets) {
      const payload = target.input === undefined ? event : parse(target.input);
      if (target.kind === 'lambda') {
        this.async.submit(target.arn, payload, {
          retryAttempts: target.retryAttempts,
          maximumEventAgeSeconds: target.maximumEventAgeSeconds,
          ...(target.deadLetterArn ? { deadLetterArn: target.deadLetterArn } : {}),
        });
        delivered += 1;
      } else if (target.kind === 'sqs' && (await sendToQueue(this.context, this.sqs, target.arn, payload))) {
        delivered += 1;
      }
    }
    this.context.log.info(
      `schedule ${rule.name} (${rule.schedule ?? 'manual'}) fired: ${delivered} target(s)`,
    );
    return delivered;
  }

  private arm(rule: RuleSpec, after: Date): void {
    const next = nextFire(rule.schedule as string, after, this.startedAt);
    if (!next) return;
    // Timers cannot wait longer than about 24.8 days; re-arm on the way.
    const wait = Math.min(next.getTime() - Date.now(), 2 ** 31 - 1);
    const timer = setTimeout(
      () => {
        if (Date.now() + 5 < next.getTime()) return this.arm(rule, new Date());
        void this.fire(rule).catch((error: Error) =>
          this.context.log.info(`schedule ${rule.name}: ${error.message}`),
        );
        this.arm(rule, new Date(next.getTime() + 1));
      },
      Math.max(0, wait),
    );
    timer.unref();
    this.timers.set(rule.logicalId, timer);
  }
}

function parse(input: string): unknown {
  try {
    return JSON.parse(input) as unknown;
  } catch {
    return input;
  }
}
