import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from './private/acknowledge.ts';
import { deadLetterAlarm } from './private/alarms.ts';
import { ignoreInCfnLint } from './private/cfn-lint.ts';
import { deadLetterQueue, secureQueue } from './private/queues.ts';
import type { RustFunction } from './rust-function.ts';
import { FerruleService } from './service.ts';

/** Lambda's recommendation: the queue hides a message for 6 × the function timeout (plus the batching window). */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

export interface QueueConsumerOptions {
  /**
   * Messages per invocation: 1..10 on a FIFO queue, 1..10000 on a standard queue
   * (above 10 needs `maxBatchingWindow`).
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * How long Lambda gathers messages before invoking (0..300 s; not on FIFO queues).
   * @default - none: invoke as soon as messages arrive
   */
  readonly maxBatchingWindow?: Duration;
  /**
   * Most concurrent invocations this queue may drive (2..1000), to protect a downstream.
   * @default - the function's concurrency limit
   */
  readonly maxConcurrency?: number;
}

export interface FerruleQueueProps extends QueueConsumerOptions {
  /** @default the stack's service (`FerruleService.of(this)`) */
  readonly service?: FerruleService;
  /**
   * The function that consumes the queue; also `addConsumer` later.
   * @default - none
   */
  readonly consumer?: RustFunction;
  /** @default false */
  readonly fifo?: boolean;
  /**
   * How long a received message stays hidden; must be at least 6 × the consumer's timeout
   * plus its batching window, or a message still being processed is delivered again.
   * @default 6 × the consumer's timeout + batching window; 60 s (6 × RustFunction's 10 s default) without a consumer
   */
  readonly visibilityTimeout?: Duration;
  /**
   * Receives before a message moves to the dead-letter queue (1..1000).
   * @default 5
   */
  readonly maxReceiveCount?: number;
  /** @default Duration.days(4) (SQS's default) */
  readonly retentionPeriod?: Duration;
  /**
   * Customer-managed key for the queue and its dead-letter queue (consumers and
   * producers then get `kms:Decrypt`/`kms:GenerateDataKey` on it).
   * @default - SQS-managed encryption (SSE-SQS)
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * A queue with its dead-letter queue (`maxReceiveCount` 5), TLS enforced, encrypted at
 * rest, consumed by a `RustFunction` with partial batch failures reported, and an
 * alarm on any dead letter. Producers declare `uses.queues: [{ queue: q.queue, access: 'send' }]`.
 */
export class FerruleQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly fifo: boolean;
  readonly visibilityTimeout: Duration;
  readonly service: FerruleService;
  readonly deadLetterAlarm: cloudwatch.Alarm;
  consumer?: RustFunction;
  eventSourceMapping?: lambda.EventSourceMapping;

  constructor(scope: Construct, id: string, props: FerruleQueueProps = {}) {
    super(scope, id);
    this.service = props.service ?? FerruleService.of(this);
    this.fifo = props.fifo ?? false;
    const maxReceiveCount = props.maxReceiveCount ?? 5;
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > 1000) {
      throw new Error(
        `FerruleQueue ${id}: maxReceiveCount must be a whole number in 1..1000, got ${maxReceiveCount}`,
      );
    }
    this.visibilityTimeout =
      props.visibilityTimeout ??
      (props.consumer
        ? requiredVisibility(props.consumer, props.maxBatchingWindow)
        : Duration.seconds(VISIBILITY_TIMEOUT_FACTOR * 10));
    if (this.visibilityTimeout.toSeconds() > Duration.hours(12).toSeconds()) {
      throw new Error(`FerruleQueue ${id}: visibilityTimeout must be at most 12 hours (SQS's limit)`);
    }
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetters', this.fifo, props.encryptionKey);
    this.queue = secureQueue(this, 'Queue', {
      fifo: this.fifo,
      visibilityTimeout: this.visibilityTimeout,
      retentionPeriod: props.retentionPeriod,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount },
      encryptionKey: props.encryptionKey,
    });
    this.deadLetterAlarm = deadLetterAlarm(
      this,
      this.service,
      this.deadLetterQueue,
      `${this.service.serviceName}/${id}`,
    );
    this.service.addWidgets(
      new cloudwatch.GraphWidget({
        title: `${this.service.serviceName}/${id}: backlog`,
        left: [this.queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1) })],
        right: [this.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1) })],
        width: 12,
      }),
    );
    if (props.consumer) {
      this.addConsumer(props.consumer, {
        batchSize: props.batchSize,
        maxBatchingWindow: props.maxBatchingWindow,
        maxConcurrency: props.maxConcurrency,
      });
    }
  }

  /**
   * Makes `fn` the queue's consumer: an SQS event source reporting partial batch failures,
   * and the `consume` declaration on its role.
   */
  addConsumer(fn: RustFunction, options: QueueConsumerOptions = {}): lambda.EventSourceMapping {
    const owner = `FerruleQueue ${this.node.id}`;
    if (this.consumer) {
      throw new Error(`${owner}: already consumed by ${this.consumer.node.id}; one queue has one consumer`);
    }
    const batchSize = options.batchSize ?? 10;
    const maxBatch = this.fifo ? 10 : 10_000;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > maxBatch) {
      throw new Error(
        `${owner}: batchSize must be 1..${maxBatch} for a ${this.fifo ? 'FIFO' : 'standard'} queue, got ${batchSize}`,
      );
    }
    const window = options.maxBatchingWindow;
    if (window && this.fifo) {
      throw new Error(`${owner}: maxBatchingWindow is not supported on FIFO queues; remove it`);
    }
    if (window && window.toSeconds() > 300) {
      throw new Error(
        `${owner}: maxBatchingWindow must be at most 300 seconds, got ${window.toHumanString()}`,
      );
    }
    if (!this.fifo && batchSize > 10 && (!window || window.toSeconds() < 1)) {
      throw new Error(
        `${owner}: batchSize ${batchSize} is above 10, which Lambda allows only with maxBatchingWindow of at least 1 second; set maxBatchingWindow: Duration.seconds(1) or more`,
      );
    }
    const concurrency = options.maxConcurrency;
    if (
      concurrency !== undefined &&
      !Token.isUnresolved(concurrency) &&
      (concurrency < 2 || concurrency > 1000)
    ) {
      throw new Error(`${owner}: maxConcurrency must be 2..1000, got ${concurrency}`);
    }
    const needed = requiredVisibility(fn, window);
    if (this.visibilityTimeout.toSeconds() < needed.toSeconds()) {
      throw new Error(
        `${owner}: visibilityTimeout is ${this.visibilityTimeout.toSeconds()} s but must be at least ${VISIBILITY_TIMEOUT_FACTOR} × the timeout of ${fn.node.id} (${fn.timeout.toSeconds()} s)${window ? ` + maxBatchingWindow (${window.toSeconds()} s)` : ''} = ${needed.toSeconds()} s, or messages still being processed are delivered again; set visibilityTimeout: Duration.seconds(${needed.toSeconds()}) or leave it unset to derive it from the consumer`,
      );
    }
    fn.addUses({ queues: [{ queue: this.queue, access: 'consume' }] });
    const mapping = new lambda.EventSourceMapping(this, 'Consumer', {
      target: fn,
      eventSourceArn: this.queue.queueArn,
      batchSize,
      maxBatchingWindow: window,
      maxConcurrency: concurrency,
      reportBatchItemFailures: true,
    });
    // The mapping checks the role's permissions when it is created.
    mapping.node.addDependency(fn.role);
    acknowledge(
      fn,
      'Serverless-LambdaDLQ',
      "Invoked by an SQS mapping: failed messages move to the queue's dead-letter queue after the queue's maxReceiveCount receives.",
    );
    acknowledge(
      this,
      'Serverless-LambdaEventSourceMappingDestination',
      "SQS mappings do not support on-failure destinations; the queue's redrive policy moves failed messages to its dead-letter queue.",
    );
    // The same check in cfn-lint-serverless (ES1001); the redrive policy is the destination.
    ignoreInCfnLint(owner, mapping, ['ES1001']);
    this.consumer = fn;
    this.eventSourceMapping = mapping;
    return mapping;
  }
}

function requiredVisibility(fn: RustFunction, window: Duration | undefined): Duration {
  return Duration.seconds(VISIBILITY_TIMEOUT_FACTOR * fn.timeout.toSeconds() + (window?.toSeconds() ?? 0));
}
