// Event sources as Lambda runs them: SQS and DynamoDB Streams mappings (the emulator's readers
// plus the mapping's batching, retries, bisection and failure destinations), asynchronous
// invocation with its retries and destinations (EventBridge rules targeting a function), and
// delivery to a dead-letter or destination queue.
import { randomUUID } from 'node:crypto';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  type DynamoDbStreamEvent,
  type DynamoDbStreamRecord,
  DynamoDbStreamSource,
  type InvokeReport,
  type SqsEvent,
  SqsQueueSource,
} from '@ferrule/emulator';
import { ThrottledError } from './functions.ts';
import type { LogSink } from './log.ts';
import type { AsyncInvokeConfig, CloudModel, SqsMappingSpec, StreamMappingSpec } from './model.ts';

export type Invoke = (functionArn: string, event: unknown) => Promise<InvokeReport>;

/** A rule target's retry policy and dead-letter queue: what EventBridge does when Lambda throttles. */
export interface DeliveryPolicy {
  readonly retryAttempts: number;
  readonly maximumEventAgeSeconds: number;
  readonly deadLetterArn?: string;
}

/** Local stand-ins for Lambda's waits, which are minutes in the cloud (docs/local-cloud.md). */
export const LOCAL_DELAYS = {
  /** Between attempts of an asynchronous invocation (Lambda: about 1 and 2 minutes). */
  asyncRetryMs: [1000, 2000],
  /** Before a failed stream batch is retried. */
  streamRetryMs: 500,
  /** Between polls of a stream with no new records (Lambda polls 4 times a second). */
  streamPollMs: 250,
  /** First wait before EventBridge delivers a throttled event again (doubling, at most 30 s). */
  deliveryBackoffMs: 1000,
  /** SQS long-poll wait; also how long a stop can take. */
  sqsWaitSeconds: 1,
};

export interface SourceContext {
  readonly model: CloudModel;
  readonly motoEndpoint: string;
  readonly region: string;
  readonly accountId: string;
  readonly log: LogSink;
  readonly invoke: Invoke;
}

export interface Runner {
  start(): Promise<void>;
  stop(): Promise<void>;
}

function clientConfig(context: SourceContext) {
  return {
    region: context.region,
    endpoint: context.motoEndpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends a message to a queue named by ARN (dead-letter queues, on-failure destinations). */
export async function sendToQueue(
  context: SourceContext,
  sqs: SQSClient,
  arn: string,
  body: unknown,
): Promise<boolean> {
  const queue = context.model.queues.get(arn);
  if (!queue) {
    context.log.info(`cannot deliver to ${arn}: only SQS queues of the app are destinations locally`);
    return false;
  }
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queue.motoUrl,
      MessageBody: typeof body === 'string' ? body : JSON.stringify(body),
      ...(queue.name.endsWith('.fifo')
        ? { MessageGroupId: 'ferrule-local', MessageDeduplicationId: randomUUID() }
        : {}),
    }),
  );
  return true;
}

/** An SQS event source mapping: batches, window, concurrency, partial failures; SQS redrives. */
export class SqsMappingPoller implements Runner {
  private running = false;
  private loop?: Promise<void>;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly source: SqsQueueSource;
  private readonly client: SQSClient;

  constructor(
    private readonly spec: SqsMappingSpec,
    private readonly context: SourceContext,
    private readonly concurrency: number,
    retryDelaySeconds?: number,
  ) {
    this.client = new SQSClient(clientConfig(context));
    this.source = new SqsQueueSource({
      ...(retryDelaySeconds !== undefined ? { retryDelaySeconds } : {}),
      queueUrl: spec.motoQueueUrl,
      batchSize: Math.min(10, spec.batchSize),
      reportBatchItemFailures: spec.reportBatchItemFailures,
      client: this.client,
      region: context.region,
    });
  }

  async start(): Promise<void> {
    if (!this.spec.enabled) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await Promise.all(this.inFlight);
    this.client.destroy();
  }

  /** FIFO queues keep order: one batch at a time. Standard queues: up to the mapping's concurrency. */
  private get limit(): number {
    if (this.spec.fifo) return 1;
    return Math.max(1, Math.min(this.concurrency, this.spec.maximumConcurrency ?? this.concurrency));
  }

  private async run(): Promise<void> {
    while (this.running) {
      if (this.inFlight.size >= this.limit) {
        await Promise.race(this.inFlight);
        continue;
      }
      let batch: SqsEvent | undefined;
      try {
        batch = await this.collect();
      } catch (error) {
        if (!this.running) break;
        this.context.log.info(`${this.spec.logicalId}: receive failed: ${(error as Error).message}`);
        await sleep(1000);
        continue;
      }
      if (!batch) continue;
      const task = this.process(batch).finally(() => this.inFlight.delete(task));
      this.inFlight.add(task);
    }
  }

  /** One batch: up to BatchSize messages, waiting at most the batching window for more. */
  private async collect(): Promise<SqsEvent | undefined> {
    const first = await this.source.poll(LOCAL_DELAYS.sqsWaitSeconds);
    if (!first) return undefined;
    const records = [...first.Records];
    const deadline = Date.now() + this.spec.batchingWindowSeconds * 1000;
    while (this.running && records.length < this.spec.batchSize && Date.now() < deadline) {
      const more = await this.source.poll(0);
      if (more) records.push(...more.Records.slice(0, this.spec.batchSize - records.length));
      else await sleep(Math.min(200, Math.max(0, deadline - Date.now())));
    }
    return { Records: records };
  }

  private async process(batch: SqsEvent): Promise<void> {
    try {
      const report = await this.context.invoke(this.spec.functionArn, batch);
      const settlement = await this.source.settle(batch, report.outcome);
      if (settlement.retried.length > 0) {
        this.context.log.info(
          `${this.queueName}: ${settlement.retried.length} of ${batch.Records.length} messages stay in the queue for another receive${settlement.reason ? ` (${settlement.reason})` : ''}`,
        );
      }
    } catch (error) {
      // A throttled or failed invocation leaves the batch to SQS: it comes back after the visibility timeout.
      this.context.log.info(`${this.queueName}: batch not processed: ${(error as Error).message}`);
    }
  }

  private get queueName(): string {
    return this.spec.queueArn.split(':').pop() ?? this.spec.queueArn;
  }
}

/** A DynamoDB Streams mapping: in order, retries with bisection, partial failures, on-failure queue. */
export class StreamMappingPoller implements Runner {
  private running = false;
  private loop?: Promise<void>;
  private readonly source: DynamoDbStreamSource;
  private readonly streams: DynamoDBStreamsClient;
  private readonly sqs: SQSClient;

  constructor(
    private readonly spec: StreamMappingSpec,
    private readonly context: SourceContext,
  ) {
    this.streams = new DynamoDBStreamsClient(clientConfig(context));
    this.sqs = new SQSClient(clientConfig(context));
    this.source = new DynamoDbStreamSource({
      streamArn: spec.streamArn,
      batchSize: spec.batchSize,
      startingPosition: spec.startingPosition,
      client: this.streams,
      region: context.region,
    });
  }

  async start(): Promise<void> {
    if (!this.spec.enabled) return;
    await this.source.start();
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.streams.destroy();
    this.sqs.destroy();
  }

  private async run(): Promise<void> {
    while (this.running) {
      let batch: DynamoDbStreamEvent | undefined;
      try {
        batch = await this.source.poll();
      } catch (error) {
        if (!this.running) break;
        this.context.log.info(
          `${this.spec.logicalId}: reading the stream failed: ${(error as Error).message}`,
        );
      }
      if (!batch) {
        await sleep(LOCAL_DELAYS.streamPollMs);
        continue;
      }
      await this.deliver(batch.Records);
    }
  }

  /** Delivers records in order until each is processed or given up (then sent to the destination). */
  private async deliver(records: readonly DynamoDbStreamRecord[]): Promise<void> {
    let pending = [...records];
    let attempts = 0;
    while (pending.length > 0) {
      const report = await this.context
        .invoke(this.spec.functionArn, { Records: pending })
        .catch((error: Error) => error);
      const failedFrom = this.failedIndex(pending, report);
      if (failedFrom === undefined) return;
      attempts += 1;
      const failing = pending.slice(failedFrom);
      const tooOld = this.tooOld(failing[0]);
      if (tooOld || (this.spec.maximumRetryAttempts >= 0 && attempts > this.spec.maximumRetryAttempts)) {
        await this.giveUp(failing, attempts, report, tooOld ? 'RecordAgeExceeded' : 'RetryAttemptsExhausted');
        return;
      }
      if (!this.running) return;
      await sleep(LOCAL_DELAYS.streamRetryMs);
      if (failedFrom > 0) {
        // The records before the first reported failure are done: the retry starts at it.
        pending = failing;
      } else if (
        this.spec.bisectOnError &&
        !(report instanceof Error) &&
        report.outcome.kind === 'error' &&
        pending.length > 1
      ) {
        // Bisect: the halves are retried on their own, each with the attempts left.
        const half = Math.ceil(pending.length / 2);
        await this.deliver(pending.slice(0, half));
        pending = pending.slice(half);
        attempts = 0;
      }
    }
  }

  /** Where the batch failed: undefined when it succeeded, 0 for the whole batch. */
  private failedIndex(
    records: readonly DynamoDbStreamRecord[],
    report: InvokeReport | Error,
  ): number | undefined {
    if (report instanceof Error) return 0;
    if (report.outcome.kind === 'error') return 0;
    if (!this.spec.reportBatchItemFailures) return undefined;
    const failures = (report.outcome.json as { batchItemFailures?: unknown } | null)?.batchItemFailures;
    if (failures === undefined || failures === null) return undefined;
    if (!Array.isArray(failures)) return 0;
    if (failures.length === 0) return undefined;
    const sequence = records.map((r) => String(r.dynamodb.SequenceNumber ?? ''));
    const indexes = failures.map((f) =>
      sequence.indexOf(String((f as { itemIdentifier?: unknown })?.itemIdentifier)),
    );
    // An unknown identifier fails the whole batch, as Lambda does.
    return indexes.some((i) => i < 0) ? 0 : Math.min(...indexes);
  }

  private tooOld(record: DynamoDbStreamRecord | undefined): boolean {
    if (!record || this.spec.maximumRecordAgeSeconds < 0) return false;
    const created = Number(record.dynamodb.ApproximateCreationDateTime ?? 0) * 1000;
    return created > 0 && Date.now() - created > this.spec.maximumRecordAgeSeconds * 1000;
  }

  private async giveUp(
    records: readonly DynamoDbStreamRecord[],
    attempts: number,
    report: InvokeReport | Error,
    condition: string,
  ): Promise<void> {
    const first = records[0];
    const last = records[records.length - 1];
    this.context.log.info(
      `${this.spec.logicalId}: ${records.length} stream records given up after ${attempts} attempts (${condition})${this.spec.onFailureArn ? '; sent to the on-failure destination' : ''}`,
    );
    if (!this.spec.onFailureArn || !first || !last) return;
    const outcome = report instanceof Error ? undefined : report.outcome;
    await sendToQueue(this.context, this.sqs, this.spec.onFailureArn, {
      requestContext: {
        requestId: report instanceof Error ? randomUUID() : report.requestId,
        functionArn: this.spec.functionArn,
        condition,
        approximateInvokeCount: attempts,
      },
      responseContext: {
        statusCode: 200,
        executedVersion: '$LATEST',
        functionError: outcome?.kind === 'error' ? 'Unhandled' : '',
      },
      version: '1.0',
      timestamp: new Date().toISOString(),
      DDBStreamBatchInfo: {
        shardId: 'shardId-local',
        startSequenceNumber: first.dynamodb.SequenceNumber,
        endSequenceNumber: last.dynamodb.SequenceNumber,
        approximateArrivalOfFirstRecord: new Date(
          Number(first.dynamodb.ApproximateCreationDateTime ?? 0) * 1000,
        ).toISOString(),
        approximateArrivalOfLastRecord: new Date(
          Number(last.dynamodb.ApproximateCreationDateTime ?? 0) * 1000,
        ).toISOString(),
        batchSize: records.length,
        streamArn: this.spec.streamArn,
      },
    });
  }
}

/**
 * Asynchronous invocation (EventBridge and schedules invoke functions this way): Lambda's
 * retries on a function error, then the on-failure destination or the function's DLQ.
 */
export class AsyncInvoker {
  private readonly sqs: SQSClient;
  private readonly pending = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly context: SourceContext) {
    this.sqs = new SQSClient(clientConfig(context));
  }

  /** Accepts the event (as Lambda's 202) and runs it in the background. */
  submit(functionArn: string, event: unknown, delivery?: DeliveryPolicy): void {
    const task = this.run(functionArn, event, delivery).catch((error: Error) =>
      this.context.log.info(`asynchronous invocation of ${functionArn} failed: ${error.message}`),
    );
    this.pending.add(task);
    void task.finally(() => this.pending.delete(task));
  }

  /** Resolves when every accepted event is done (delivered, retried out, or dead-lettered). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.pending);
    this.sqs.destroy();
  }

  /**
   * One attempt as EventBridge delivers it: a throttled invocation (Lambda's 429) is retried with
   * backoff under the target's retry policy, then the event goes to the target's dead-letter queue.
   * Returns undefined when the event was never accepted.
   */
  private async deliver(
    functionArn: string,
    event: unknown,
    delivery: DeliveryPolicy | undefined,
  ): Promise<InvokeReport | Error | undefined> {
    const started = Date.now();
    for (let retry = 0; ; retry += 1) {
      const result = await this.context.invoke(functionArn, event).catch((error: Error) => error);
      if (!(result instanceof ThrottledError) || !delivery) return result;
      const expired = Date.now() - started > delivery.maximumEventAgeSeconds * 1000;
      if (retry >= delivery.retryAttempts || expired || this.stopped) {
        if (delivery.deadLetterArn) await sendToQueue(this.context, this.sqs, delivery.deadLetterArn, event);
        this.context.log.info(
          `${functionArn.split(':').pop()}: delivery throttled ${retry + 1} times; ${delivery.deadLetterArn ? "the event went to the target's dead-letter queue" : 'the event was dropped'}`,
        );
        return undefined;
      }
      await sleep(Math.min(LOCAL_DELAYS.deliveryBackoffMs * 2 ** retry, 30_000));
    }
  }

  private async run(functionArn: string, event: unknown, delivery?: DeliveryPolicy): Promise<void> {
    const config: AsyncInvokeConfig = this.context.model.asyncConfigs.get(functionArn) ?? {
      maximumRetryAttempts: 2,
      maximumEventAgeSeconds: 21_600,
    };
    const spec = this.context.model.functions.get(functionArn);
    const requestId = randomUUID();
    let last: InvokeReport | Error | undefined;
    for (let attempt = 0; attempt <= config.maximumRetryAttempts; attempt += 1) {
      if (attempt > 0) {
        if (this.stopped) return;
        await sleep(
          LOCAL_DELAYS.asyncRetryMs[Math.min(attempt - 1, LOCAL_DELAYS.asyncRetryMs.length - 1)] ?? 1000,
        );
      }
      const result = await this.deliver(functionArn, event, attempt === 0 ? delivery : undefined);
      if (result === undefined) return;
      last = result;
      if (!(last instanceof Error) && last.outcome.kind === 'success') {
        if (config.onSuccessArn) {
          await sendToQueue(
            this.context,
            this.sqs,
            config.onSuccessArn,
            this.record('Success', functionArn, requestId, attempt + 1, event, last),
          );
        }
        return;
      }
    }
    const attempts = config.maximumRetryAttempts + 1;
    if (config.onFailureArn) {
      await sendToQueue(
        this.context,
        this.sqs,
        config.onFailureArn,
        this.record('RetriesExhausted', functionArn, requestId, attempts, event, last),
      );
      this.context.log.info(
        `${spec?.name ?? functionArn}: event sent to the on-failure destination after ${attempts} attempts`,
      );
    } else if (spec?.deadLetterArn) {
      await sendToQueue(this.context, this.sqs, spec.deadLetterArn, event);
      this.context.log.info(`${spec.name}: event sent to the dead-letter queue after ${attempts} attempts`);
    } else {
      this.context.log.info(
        `${spec?.name ?? functionArn}: event dropped after ${attempts} attempts (no destination)`,
      );
    }
  }

  private record(
    condition: string,
    functionArn: string,
    requestId: string,
    attempts: number,
    event: unknown,
    report: InvokeReport | Error | undefined,
  ) {
    const outcome = report instanceof Error || !report ? undefined : report.outcome;
    return {
      version: '1.0',
      timestamp: new Date().toISOString(),
      requestContext: {
        requestId,
        functionArn: `${functionArn}:$LATEST`,
        condition,
        approximateInvokeCount: attempts,
      },
      requestPayload: event,
      responseContext: {
        statusCode: 200,
        executedVersion: '$LATEST',
        ...(outcome?.kind === 'error' ? { functionError: 'Unhandled' } : {}),
      },
      responsePayload:
        outcome?.kind === 'error'
          ? { errorType: outcome.errorType, errorMessage: outcome.errorMessage }
          : (outcome?.json ?? (report instanceof Error ? { errorMessage: report.message } : null)),
    };
  }
}

/**
 * An EventBridge rule with a function target: moto matches the pattern and delivers to a relay
 * queue; this reads it and invokes the function asynchronously, as EventBridge does.
 */
export class RuleRelay implements Runner {
  private running = false;
  private loop?: Promise<void>;
  private readonly sqs: SQSClient;

  constructor(
    private readonly relayQueueUrl: string,
    private readonly functionArn: string,
    private readonly context: SourceContext,
    private readonly async: AsyncInvoker,
    private readonly delivery?: DeliveryPolicy,
  ) {
    this.sqs = new SQSClient(clientConfig(context));
  }

  async start(): Promise<void> {
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.sqs.destroy();
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const received = await this.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.relayQueueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: LOCAL_DELAYS.sqsWaitSeconds,
          }),
        );
        const messages = received.Messages ?? [];
        if (messages.length === 0) continue;
        for (const message of messages) {
          this.async.submit(this.functionArn, parseEvent(message.Body ?? ''), this.delivery);
        }
        await this.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.relayQueueUrl,
            Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        );
      } catch (error) {
        if (!this.running) break;
        this.context.log.info(`rule delivery to ${this.functionArn}: ${(error as Error).message}`);
        await sleep(1000);
      }
    }
  }
}

function parseEvent(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}
