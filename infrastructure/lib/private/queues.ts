import { Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { acknowledge, LAST_STOP_REASON } from './acknowledge.ts';
import { ignoreInCfnLint } from './cfn-lint.ts';

/** SQS keeps a message at most 14 days: the longest time to notice and redrive a failure. */
export const DEAD_LETTER_RETENTION = Duration.days(14);

export interface SecureQueueOptions {
  readonly fifo?: boolean;
  readonly visibilityTimeout?: Duration;
  readonly retentionPeriod?: Duration;
  readonly deadLetterQueue?: sqs.DeadLetterQueue;
  readonly encryptionKey?: kms.IKey;
}

/** A queue that refuses plain HTTP and is encrypted at rest (SQS-managed keys unless a key is given). */
export function secureQueue(scope: Construct, id: string, options: SecureQueueOptions = {}): sqs.Queue {
  return new sqs.Queue(scope, id, {
    fifo: options.fifo || undefined,
    visibilityTimeout: options.visibilityTimeout,
    retentionPeriod: options.retentionPeriod,
    deadLetterQueue: options.deadLetterQueue,
    enforceSSL: true,
    encryption: options.encryptionKey ? sqs.QueueEncryption.KMS : sqs.QueueEncryption.SQS_MANAGED,
    encryptionMasterKey: options.encryptionKey,
  });
}

/**
 * A dead-letter queue: secure, and keeping messages as long as SQS allows. It is the last stop,
 * so the rule packs' "no redrive policy" findings are acknowledged on it.
 */
export function deadLetterQueue(
  scope: Construct,
  id: string,
  fifo = false,
  encryptionKey?: kms.IKey,
): sqs.Queue {
  const queue = secureQueue(scope, id, { fifo, retentionPeriod: DEAD_LETTER_RETENTION, encryptionKey });
  acknowledge(queue, 'Serverless-SQSRedrivePolicy', LAST_STOP_REASON);
  // cfn-lint-serverless makes the same check (ES6000).
  ignoreInCfnLint('deadLetterQueue', queue, ['ES6000']);
  return queue;
}

/**
 * A queue where failures land that is not another queue's dead-letter queue (an on-failure
 * destination, a rule's dead-letter queue): a {@link deadLetterQueue} that also answers the
 * "queue without a dead-letter queue" finding.
 */
export function failureQueue(scope: Construct, id: string): sqs.Queue {
  const queue = deadLetterQueue(scope, id);
  acknowledge(queue, 'AwsSolutions-SQS3', LAST_STOP_REASON);
  return queue;
}
