// Concurrency in one execution environment, as Lambda Managed Instances run it: one process
// per subject and level, started with AWS_LAMBDA_MAX_CONCURRENCY = the level, driven by as many
// callers at once; throughput, latency, RSS, and what a million requests cost on LMI against
// classic Lambda at the same load.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { LocalFunction } from '@ferrule/emulator';
import { CliError } from '../errors.ts';
import { loadEvent } from '../events.ts';
import {
  classicPerMillion,
  LMI_ASSUMPTIONS,
  LMI_PRICES,
  type LmiAssumptions,
  type LmiCost,
  type LmiInstanceType,
  lmiCost,
  meanBilledMs,
  type PricedArchitecture,
} from './cost.ts';
import type { MeasuredSubject } from './measure.ts';
import { seedOrders } from './seed.ts';
import { type Spread, spread } from './stats.ts';
import { contains, SEED, type Subject } from './subjects.ts';

/** Levels, invocations per level and subjects of a full run and of --quick. */
export const CONCURRENCY_RUNS = {
  full: {
    levels: [1, 8, 64],
    invocations: 2000,
    subjects: ['hello-http', 'orders-api', 'fulfillment-worker', 'node-hello', 'node-orders-get'],
  },
  quick: {
    levels: [1, 8],
    invocations: 200,
    subjects: ['hello-http', 'orders-api', 'fulfillment-worker', 'node-hello', 'node-orders-get'],
  },
} as const satisfies Record<
  string,
  { levels: readonly number[]; invocations: number; subjects: readonly string[] }
>;

/** Memory sizes the classic Lambda cost is given for: the bench's own, and the LMI function's. */
export const CLASSIC_MEMORY_SIZES = [128, LMI_ASSUMPTIONS.functionMemoryMb] as const;

/** Records in each fulfillment-worker batch: as many as the `sqs/standard` fixture holds. */
export const FULFILLMENT_BATCH = 2;

/** Invocations before a level is measured: every runtime worker and client connection is up. */
export function warmupInvocations(level: number): number {
  return Math.max(20, 2 * level);
}

export interface LevelFigures {
  readonly concurrency: number;
  readonly invocations: number;
  readonly elapsedMs: number;
  /** Invocations answered per second of wall time, one process. */
  readonly invocationsPerSecond: number;
  /** `invoke()` called → report: what a caller waits, including for a free slot in the environment. */
  readonly latencyMs: Spread;
  /** Event handed to the runtime → response: Lambda's Duration. */
  readonly durationMs: Spread;
  /**
   * Invocations inside the runtime at once, on average (Σ Duration ÷ wall time, Little's law):
   * about the level when the runtime takes them concurrently, at most 1 when it takes one at a time.
   */
  readonly meanInRuntime: number;
  /** Each Duration rounded up to 1 ms, averaged: what classic Lambda bills per invocation. */
  readonly meanBilledMs: number;
  /** VmHWM of the process after the level (init and warm-up included), KiB. */
  readonly maxRssKb: number;
  /** Median VmRSS sampled while the measured invocations ran, KiB. */
  readonly steadyRssKb: number;
  /** VmRSS samples the steady figure is the median of. */
  readonly rssSamples: number;
}

export interface PerInFlight {
  /** The levels compared: the lowest and the highest. */
  readonly from: number;
  readonly to: number;
  /** (steady RSS at `to` − at `from`) ÷ (`to` − `from`), KiB per request in flight. */
  readonly steadyKb: number;
  /** The same from the peaks (VmHWM). */
  readonly maxKb: number;
}

export interface ConcurrencyCost {
  /** The level whose throughput the LMI figure rests on (the highest measured). */
  readonly level: number;
  readonly requestsPerSecond: number;
  readonly lmi: Record<LmiInstanceType, LmiCost>;
  /** Mean billed ms at concurrency 1 (one invocation per environment, as classic Lambda runs). */
  readonly classicBilledMs: number;
  /** USD per million requests by memory size (MB) and architecture. */
  readonly classic: Record<string, Record<PricedArchitecture, number>>;
}

export interface ConcurrencySubjectResult {
  readonly artifact: string;
  readonly language: Subject['language'];
  readonly event: string;
  /** By level (`"1"`, `"8"`, `"64"`). */
  readonly levels: Record<string, LevelFigures>;
  readonly perInFlight?: PerInFlight;
  readonly cost?: ConcurrencyCost;
}

export interface ConcurrencyResult {
  readonly levels: readonly number[];
  readonly invocationsPerLevel: number;
  readonly memoryMb: number;
  readonly subjects: Record<string, ConcurrencySubjectResult>;
  readonly assumptions: LmiAssumptions;
  readonly prices: typeof LMI_PRICES;
  /** 1-minute load average when the section started and ended: other work widens its figures. */
  readonly load?: { readonly atStart: number; readonly atEnd: number };
}

/** Memory per request in flight, from the lowest and the highest level measured. */
export function perInFlight(levels: readonly LevelFigures[]): PerInFlight | undefined {
  const sorted = [...levels].sort((a, b) => a.concurrency - b.concurrency);
  const low = sorted[0];
  const high = sorted[sorted.length - 1];
  if (!low || !high || high.concurrency === low.concurrency) return undefined;
  const span = high.concurrency - low.concurrency;
  return {
    from: low.concurrency,
    to: high.concurrency,
    steadyKb: (high.steadyRssKb - low.steadyRssKb) / span,
    maxKb: (high.maxRssKb - low.maxRssKb) / span,
  };
}

/** LMI at the highest level's throughput against classic Lambda at concurrency 1's billed duration. */
export function concurrencyCost(
  levels: readonly LevelFigures[],
  assumptions: LmiAssumptions = LMI_ASSUMPTIONS,
): ConcurrencyCost | undefined {
  const sorted = [...levels].sort((a, b) => a.concurrency - b.concurrency);
  const one = sorted.find((l) => l.concurrency === 1);
  const high = sorted[sorted.length - 1];
  if (!one || !high) return undefined;
  const instances = Object.keys(LMI_PRICES.instances) as LmiInstanceType[];
  return {
    level: high.concurrency,
    requestsPerSecond: high.invocationsPerSecond,
    lmi: Object.fromEntries(
      instances.map((type) => [type, lmiCost(high.invocationsPerSecond, type, assumptions)]),
    ) as Record<LmiInstanceType, LmiCost>,
    classicBilledMs: one.meanBilledMs,
    classic: Object.fromEntries(
      CLASSIC_MEMORY_SIZES.map((memory) => [String(memory), classicPerMillion(one.meanBilledMs, memory)]),
    ),
  };
}

/** The figures of one level from its samples (pure: the tests feed it fixed numbers). */
export function levelFigures(sample: {
  readonly concurrency: number;
  readonly elapsedMs: number;
  readonly latenciesMs: readonly number[];
  readonly durationsMs: readonly number[];
  readonly rssSamplesKb: readonly number[];
  readonly maxRssKb: number;
}): LevelFigures {
  const invocations = sample.latenciesMs.length;
  const totalDuration = sample.durationsMs.reduce((a, b) => a + b, 0);
  return {
    concurrency: sample.concurrency,
    invocations,
    elapsedMs: sample.elapsedMs,
    invocationsPerSecond: (invocations * 1000) / sample.elapsedMs,
    latencyMs: spread(sample.latenciesMs),
    durationMs: spread(sample.durationsMs),
    meanInRuntime: totalDuration / sample.elapsedMs,
    meanBilledMs: meanBilledMs(sample.durationsMs),
    maxRssKb: sample.maxRssKb,
    steadyRssKb: spread(sample.rssSamplesKb).p50,
    rssSamples: sample.rssSamplesKb.length,
  };
}

// ---------- measuring ----------

/** A value of /proc/<pid>/status in KiB (Linux); undefined when the process is gone. */
function procStatusKb(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = readFileSync(`/proc/${pid}/status`, 'utf8').match(
      new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'),
    );
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The shipping provider fulfillment-worker calls: `POST /shipments` → 201 with a tracking number. */
export class FakeCarrier {
  shipments = 0;
  private server: Server | undefined;

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.method === 'POST' && req.url === '/shipments') {
          this.shipments++;
          res.writeHead(201, { 'content-type': 'application/json' });
          res.end('{"trackingNumber":"1Z999AA10123456784"}');
        } else {
          res.writeHead(404, { 'content-type': 'application/json' });
          res.end('{"message":"not found"}');
        }
      });
    });
    server.keepAliveTimeout = 60_000;
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    this.server = server;
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  }
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A valid ULID for the n-th seeded order: a fixed time part and n in the random part. */
export function orderUlid(n: number): string {
  let digits = '';
  let rest = n;
  for (let i = 0; i < 16; i++) {
    digits = (CROCKFORD[rest % 32] as string) + digits;
    rest = Math.floor(rest / 32);
  }
  return `01M8BEWE40${digits}`;
}

/**
 * fulfillment-worker's events: `sqs/standard`'s record shape, each record the OrderPlaced of a
 * fresh order seeded PLACED, so every message is a real shipment (GetItem, the carrier's POST,
 * a conditional UpdateItem), never a redelivery.
 */
export class FulfillmentEvents {
  private next = 0;
  constructor(
    private readonly template: Record<string, unknown>,
    private readonly orderIds: readonly string[],
  ) {}

  static async create(orders: number): Promise<FulfillmentEvents> {
    const fixture = JSON.parse((await loadEvent('sqs/standard')).text) as {
      Records: Record<string, unknown>[];
    };
    const template = fixture.Records[0];
    if (!template) throw new CliError('sqs/standard has no record to build fulfillment batches from', 1);
    return new FulfillmentEvents(
      template,
      Array.from({ length: orders }, (_, i) => orderUlid(i + 1)),
    );
  }

  get orders(): readonly string[] {
    return this.orderIds;
  }

  /** The next batch of FULFILLMENT_BATCH records; throws when the seeded orders run out. */
  batch(): string {
    const records = Array.from({ length: FULFILLMENT_BATCH }, () => {
      const orderId = this.orderIds[this.next++];
      if (orderId === undefined)
        throw new CliError('the concurrency run used more orders than were seeded', 1);
      const body = {
        version: '0',
        id: randomUUID(),
        'detail-type': 'OrderPlaced',
        source: 'ferrule.orders',
        account: '123456789012',
        time: '2026-11-26T08:17:20Z',
        region: 'eu-west-1',
        resources: [],
        detail: {
          eventId: `${orderId}:1`,
          orderId,
          customerId: SEED.customerId,
          items: [
            { sku: 'BOOK-RUST-2021', quantity: 1, unitPriceCents: 3999 },
            { sku: 'MUG-FERRIS', quantity: 2, unitPriceCents: 1250 },
          ],
          totalCents: 6499,
          currency: 'EUR',
          placedAt: '2026-11-26T08:17:20.512Z',
        },
      };
      return { ...this.template, messageId: randomUUID(), body: JSON.stringify(body) };
    });
    return JSON.stringify({ Records: records });
  }
}

/** What one subject runs in the concurrency section: its artifact, events and check. */
interface ConcurrencySubject {
  readonly subject: Subject;
  readonly artifact: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly eventLabel: string;
  readonly event: () => string;
  readonly check: (response: unknown) => string | undefined;
  /** Shipments the carrier must have received per invocation (fulfillment-worker). */
  readonly shipmentsPerInvocation: number;
}

const noFailures = (response: unknown) =>
  contains(response, { batchItemFailures: [] }) ? undefined : 'reported batch item failures';

async function oneLevel(
  item: ConcurrencySubject,
  level: number,
  invocations: number,
  passthrough: Readonly<Record<string, string>>,
  carrier: FakeCarrier,
): Promise<LevelFigures> {
  const { subject } = item;
  // The process's last lines, for the error when it stops or restarts.
  const tail: string[] = [];
  const lastLines = () => (tail.length > 0 ? `; its last output:\n${tail.join('\n')}` : '');
  const local = new LocalFunction({
    name: subject.name,
    artifact: item.artifact,
    memoryMb: LMI_ASSUMPTIONS.functionMemoryMb,
    timeoutSeconds: 30,
    environment: item.environment,
    handler: subject.handler,
    passthroughEnvironment: passthrough,
    logDrainMs: 0,
    onLog: (line) => {
      tail.push(line.slice(0, 500));
      if (tail.length > 20) tail.shift();
    },
    ...(level > 1 ? { maxConcurrency: level } : {}),
  });
  const latencies: number[] = [];
  const durations: number[] = [];
  const rss: number[] = [];
  let sampler: NodeJS.Timeout | undefined;
  try {
    // One cold start per level: the first invocation's. Under concurrency it need not be the
    // first to answer (it pays the lazy clients' set-up), so cold starts are counted, not ordered.
    let coldStarts = 0;
    const run = async (count: number, record: boolean) => {
      let issued = 0;
      const worker = async () => {
        while (issued < count) {
          issued++;
          const begun = performance.now();
          const report = await local.invoke(item.event());
          const latency = performance.now() - begun;
          if (report.outcome.kind === 'error') {
            throw new CliError(
              `${subject.name} at concurrency ${level} failed: ${report.outcome.errorType}: ${report.outcome.errorMessage}${lastLines()}`,
              1,
            );
          }
          const problem = item.check(report.outcome.json);
          if (problem) {
            throw new CliError(
              `${subject.name} at concurrency ${level} ${problem}: ${report.outcome.payload.slice(0, 500)}`,
              1,
            );
          }
          if (report.coldStart && ++coldStarts > 1) {
            throw new CliError(
              `${subject.name} was restarted during the concurrency run at ${level}${lastLines()}`,
              1,
            );
          }
          if (record) {
            latencies.push(latency);
            durations.push(report.durationMs);
          }
        }
      };
      await Promise.all(Array.from({ length: level }, worker));
    };
    const shipmentsBefore = carrier.shipments;
    // Unzipped and listening before the callers start: concurrent first invocations would each
    // prepare the environment otherwise.
    await local.prepare();
    await run(warmupInvocations(level), false);
    const sample = () => {
      const kb = procStatusKb(local.pid, 'VmRSS');
      if (kb !== undefined) rss.push(kb);
    };
    sample();
    sampler = setInterval(sample, 25);
    const started = performance.now();
    await run(invocations, true);
    const elapsedMs = performance.now() - started;
    clearInterval(sampler);
    sample();
    const expected = (warmupInvocations(level) + invocations) * item.shipmentsPerInvocation;
    if (carrier.shipments - shipmentsBefore !== expected) {
      throw new CliError(
        `${subject.name} at concurrency ${level}: the carrier received ${carrier.shipments - shipmentsBefore} shipments, expected ${expected}`,
        1,
      );
    }
    const maxRssKb = procStatusKb(local.pid, 'VmHWM');
    if (maxRssKb === undefined) throw new CliError(`no process of ${subject.name} to read memory from`, 1);
    return levelFigures({
      concurrency: level,
      elapsedMs,
      latenciesMs: latencies,
      durationsMs: durations,
      rssSamplesKb: rss,
      maxRssKb,
    });
  } finally {
    clearInterval(sampler);
    await local.stop();
  }
}

/** Orders fulfillment-worker needs for every level of a run: warm-ups and measured batches. */
export function ordersNeeded(levels: readonly number[], invocations: number): number {
  return levels.reduce((sum, level) => sum + (warmupInvocations(level) + invocations) * FULFILLMENT_BATCH, 0);
}

/**
 * The concurrency section for the measured subjects among `names`: each level in a fresh
 * process, subjects one after another. fulfillment-worker's orders are seeded first and its
 * carrier is a local HTTP server.
 */
export async function measureConcurrency(
  measured: readonly MeasuredSubject[],
  options: {
    readonly levels: readonly number[];
    readonly invocations: number;
    readonly names: readonly string[];
    readonly passthrough: Readonly<Record<string, string>>;
    readonly log: (line: string) => void;
  },
): Promise<ConcurrencyResult> {
  const { levels, invocations, passthrough, log } = options;
  const loadAtStart = loadavg()[0] ?? 0;
  const chosen = options.names
    .map((name) => measured.find((m) => m.subject.name === name))
    .filter((m): m is MeasuredSubject => m !== undefined);
  const carrier = new FakeCarrier();
  const carrierUrl = await carrier.start();
  const subjects: Record<string, ConcurrencySubjectResult> = {};
  try {
    const items: ConcurrencySubject[] = [];
    for (const { subject, artifact } of chosen) {
      if (subject.name === 'fulfillment-worker') {
        const events = await FulfillmentEvents.create(ordersNeeded(levels, invocations));
        log(`fulfillment-worker: seeding ${events.orders.length} PLACED orders; carrier on ${carrierUrl}`);
        await seedOrders(passthrough, SEED.customerId, events.orders);
        items.push({
          subject,
          artifact,
          // A plain value in place of the `ssm:` reference: the carrier's address is only known now.
          environment: { ...subject.environment, SHIPPING_BASE_URL: carrierUrl },
          eventLabel: `sqs/standard shape, ${FULFILLMENT_BATCH} OrderPlaced records, each a fresh PLACED order`,
          event: () => events.batch(),
          check: noFailures,
          shipmentsPerInvocation: FULFILLMENT_BATCH,
        });
      } else {
        items.push({
          subject,
          artifact,
          environment: subject.environment,
          eventLabel: subject.eventLabel,
          event: () => subject.event,
          check: subject.check,
          shipmentsPerInvocation: 0,
        });
      }
    }
    for (const item of items) {
      const figures: LevelFigures[] = [];
      for (const level of levels) {
        log(`${item.subject.name}: ${invocations} invocations at concurrency ${level} in one environment`);
        figures.push(await oneLevel(item, level, invocations, passthrough, carrier));
      }
      const per = perInFlight(figures);
      const cost = concurrencyCost(figures);
      subjects[item.subject.name] = {
        artifact: item.subject.artifact,
        language: item.subject.language,
        event: item.eventLabel,
        levels: Object.fromEntries(figures.map((f) => [String(f.concurrency), f])),
        ...(per ? { perInFlight: per } : {}),
        ...(cost ? { cost } : {}),
      };
    }
  } finally {
    await carrier.stop();
  }
  return {
    levels,
    invocationsPerLevel: invocations,
    memoryMb: LMI_ASSUMPTIONS.functionMemoryMb,
    subjects,
    assumptions: LMI_ASSUMPTIONS,
    prices: LMI_PRICES,
    load: { atStart: loadAtStart, atEnd: loadavg()[0] ?? 0 },
  };
}
