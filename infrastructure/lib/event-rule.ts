import { Duration } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from './private/acknowledge.ts';
import { deadLetterAlarm } from './private/alarms.ts';
import { ignoreInCfnLint } from './private/cfn-lint.ts';
import { failureQueue } from './private/queues.ts';
import type { RustFunction } from './rust-function.ts';
import { FerruleService } from './service.ts';

export interface FerruleRuleProps {
  /** The function the rule invokes (asynchronously). */
  readonly target: RustFunction;
  /**
   * Events to match; exactly one of `eventPattern` and `schedule`.
   * @default - none
   */
  readonly eventPattern?: events.EventPattern;
  /**
   * When to run; exactly one of `eventPattern` and `schedule`.
   * @default - none
   */
  readonly schedule?: events.Schedule;
  /**
   * Bus to match events on (pattern rules only; schedules run on the default bus).
   * @default the account's default bus
   */
  readonly eventBus?: events.IEventBus;
  /**
   * Times EventBridge retries delivering an event to the function (0..185).
   * @default 3
   */
  readonly retryAttempts?: number;
  /**
   * Oldest event EventBridge still tries to deliver (60 s..24 h).
   * @default Duration.hours(1)
   */
  readonly maxEventAge?: Duration;
  /** @default - none */
  readonly description?: string;
  /** @default the stack's service */
  readonly service?: FerruleService;
}

/**
 * An EventBridge rule (pattern or schedule) invoking a `RustFunction` with a bounded
 * retry policy, an SQS dead-letter queue for events EventBridge could not deliver, and
 * the function's own on-failure queue for events it failed after Lambda's retries. Both
 * queues alarm on any message.
 */
export class FerruleRule extends Construct {
  readonly rule: events.Rule;
  /** Events EventBridge could not deliver. */
  readonly deadLetterQueue: sqs.Queue;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: FerruleRuleProps) {
    super(scope, id);
    const owner = `FerruleRule ${id}`;
    const service = props.service ?? FerruleService.of(this);
    if ((props.eventPattern === undefined) === (props.schedule === undefined)) {
      throw new Error(`${owner}: give exactly one of eventPattern and schedule`);
    }
    if (props.schedule && props.eventBus) {
      throw new Error(`${owner}: schedules run on the default bus; remove eventBus or use an eventPattern`);
    }
    const retryAttempts = props.retryAttempts ?? 3;
    if (!Number.isInteger(retryAttempts) || retryAttempts < 0 || retryAttempts > 185) {
      throw new Error(`${owner}: retryAttempts must be 0..185, got ${retryAttempts}`);
    }
    const maxEventAge = props.maxEventAge ?? Duration.hours(1);
    if (maxEventAge.toSeconds() < 60 || maxEventAge.toSeconds() > Duration.hours(24).toSeconds()) {
      throw new Error(
        `${owner}: maxEventAge must be between 60 seconds and 24 hours, got ${maxEventAge.toHumanString()}`,
      );
    }

    this.deadLetterQueue = failureQueue(this, 'DeadLetters');
    this.alarms.push(
      deadLetterAlarm(this, service, this.deadLetterQueue, `${service.serviceName}/${id} undelivered`),
    );
    this.rule = new events.Rule(this, 'Rule', {
      description: props.description,
      eventPattern: props.eventPattern,
      schedule: props.schedule,
      eventBus: props.eventBus,
    });
    this.rule.addTarget(
      new targets.LambdaFunction(props.target, {
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts,
        maxEventAge,
      }),
    );
    props.target.asyncFailureQueue();
    acknowledge(
      props.target,
      'Serverless-LambdaDLQ',
      'Asynchronous failures go to an on-failure destination (AsyncFailures queue, EventInvokeConfig), which also records the error; a DLQ would duplicate it.',
    );
    // False positive: the EventInvokeConfig names the function by Ref, the permission by ARN,
    // and cfn-lint-serverless's ES1007 compares the two literally.
    for (const permission of this.node.findAll()) {
      if (permission instanceof lambda.CfnPermission) ignoreInCfnLint(owner, permission, ['ES1007']);
    }
  }
}
