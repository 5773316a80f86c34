// Receives from an SQS queue (moto's or AWS's) and settles batches the way Lambda's event
// source mapping does with `ReportBatchItemFailures`: what `npm start` and the end-to-end
// tests use to feed queue consumers. Lambda's poller is not a library anyone ships.
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { InvokeOutcome } from '../local-function.ts';

/** One message as a Lambda function receives it (`aws_lambda_events::sqs::SqsMessage`). */
export interface SqsRecord {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  readonly attributes: Record<string, string>;
  readonly messageAttributes: Record<string, unknown>;
  readonly md5OfBody: string;
  readonly eventSource: 'aws:sqs';
  readonly eventSourceARN: string;
  readonly awsRegion: string;
}

export interface SqsEvent {
  readonly Records: SqsRecord[];
}

export interface SqsQueueSourceOptions {
  readonly queueUrl: string;
  /** Messages per event, as the mapping's `BatchSize`. @default 10 */
  readonly batchSize?: number;
  /**
   * Visibility given to the messages a batch reported as failed. Lambda leaves them
   * invisible until the queue's visibility timeout ends; a local run may want them back
   * sooner.
   * @default undefined (the queue's visibility timeout, as on Lambda)
   */
  readonly retryDelaySeconds?: number;
  /**
   * Whether the mapping has `FunctionResponseTypes: [ReportBatchItemFailures]`. Without it a
   * successful invocation deletes the whole batch, whatever the response says.
   * @default true
   */
  readonly reportBatchItemFailures?: boolean;
  /** @default a client from the environment (`AWS_ENDPOINT_URL` points it at moto) */
  readonly client?: SQSClient;
  /** @default AWS_REGION, else 'eu-west-1' */
  readonly region?: string;
}

/** What became of a batch: the messages deleted and those left for SQS to deliver again. */
export interface Settlement {
  readonly deleted: readonly string[];
  readonly retried: readonly string[];
  /** Why the whole batch was retried, when it was. */
  readonly reason?: string;
}

export class SqsQueueSource {
  private readonly client: SQSClient;
  private readonly region: string;
  private readonly batchSize: number;
  private queueArn: string | undefined;

  constructor(private readonly options: SqsQueueSourceOptions) {
    this.region = options.region ?? process.env.AWS_REGION ?? 'eu-west-1';
    this.client = options.client ?? new SQSClient({ region: this.region });
    this.batchSize = options.batchSize ?? 10;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1 || this.batchSize > 10) {
      throw new RangeError(`batchSize must be an integer from 1 to 10, not ${options.batchSize}`);
    }
  }

  /** Up to `batchSize` visible messages; undefined when the queue has none. */
  async poll(waitSeconds = 0): Promise<SqsEvent | undefined> {
    const arn = await this.arn();
    const received = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: this.options.queueUrl,
        MaxNumberOfMessages: this.batchSize,
        WaitTimeSeconds: waitSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) return undefined;
    return { Records: messages.map((m) => this.toLambdaRecord(m, arn)) };
  }

  /**
   * Settles a batch from the invocation's outcome, as Lambda does with
   * `ReportBatchItemFailures`: on success every message not listed in `batchItemFailures`
   * is deleted; an error, or a response naming a message that was not in the batch,
   * retries the whole batch.
   */
  async settle(event: SqsEvent, outcome: InvokeOutcome): Promise<Settlement> {
    const ids = event.Records.map((r) => r.messageId);
    let failed: Set<string>;
    let reason: string | undefined;
    if (outcome.kind === 'error') {
      failed = new Set(ids);
      reason = `${outcome.errorType}: ${outcome.errorMessage}`;
    } else if (this.options.reportBatchItemFailures === false) {
      failed = new Set();
    } else {
      const listed = batchItemFailures(outcome.json);
      if (listed === 'invalid' || listed.some((id) => !ids.includes(id))) {
        failed = new Set(ids);
        reason = 'the response names a message that is not in the batch, or is not a batch response';
      } else {
        failed = new Set(listed);
      }
    }
    const done = event.Records.filter((r) => !failed.has(r.messageId));
    const retry = event.Records.filter((r) => failed.has(r.messageId));
    // SQS takes at most 10 entries per batch call; a mapping's batch may hold more.
    for (const chunk of chunks(done, 10)) {
      await this.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: chunk.map((r, i) => ({ Id: String(i), ReceiptHandle: r.receiptHandle })),
        }),
      );
    }
    if (this.options.retryDelaySeconds !== undefined) {
      for (const chunk of chunks(retry, 10)) {
        await this.client.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.options.queueUrl,
            Entries: chunk.map((r, i) => ({
              Id: String(i),
              ReceiptHandle: r.receiptHandle,
              VisibilityTimeout: this.options.retryDelaySeconds,
            })),
          }),
        );
      }
    }
    return {
      deleted: done.map((r) => r.messageId),
      retried: retry.map((r) => r.messageId),
      ...(reason ? { reason } : {}),
    };
  }

  private async arn(): Promise<string> {
    if (this.queueArn) return this.queueArn;
    const attributes = await this.client.send(
      new GetQueueAttributesCommand({ QueueUrl: this.options.queueUrl, AttributeNames: ['QueueArn'] }),
    );
    const arn = attributes.Attributes?.QueueArn;
    if (!arn) throw new Error(`queue ${this.options.queueUrl} has no QueueArn attribute`);
    this.queueArn = arn;
    return arn;
  }

  private toLambdaRecord(message: Message, arn: string): SqsRecord {
    const messageAttributes = Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        {
          dataType: value.DataType,
          stringValue: value.StringValue,
          binaryValue: value.BinaryValue ? Buffer.from(value.BinaryValue).toString('base64') : undefined,
          stringListValues: value.StringListValues ?? [],
          binaryListValues: (value.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
        },
      ]),
    );
    return {
      messageId: message.MessageId ?? '',
      receiptHandle: message.ReceiptHandle ?? '',
      body: message.Body ?? '',
      attributes: { ...(message.Attributes ?? {}) },
      messageAttributes,
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: arn,
      awsRegion: this.region,
    };
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The ids a batch response reports as failed, or 'invalid' when it is not a batch response. */
function batchItemFailures(response: unknown): string[] | 'invalid' {
  // Lambda treats an empty or null response as "every message succeeded".
  if (response === null || response === undefined) return [];
  if (typeof response !== 'object') return 'invalid';
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return [];
  if (!Array.isArray(failures)) return 'invalid';
  const ids: string[] = [];
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '') return 'invalid';
    ids.push(id);
  }
  return ids;
}
