import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { FerruleService } from '../service.ts';

const MINUTE = Duration.minutes(1);

/** Share of the timeout above which the p99 duration alarms: close enough to time out soon. */
export const DURATION_ALARM_RATIO = 0.8;

/** Errors, throttles and p99 duration near the timeout, plus a dashboard row. */
export function functionAlarms(
  scope: Construct,
  service: FerruleService,
  fn: lambda.Function,
  label: string,
  timeout: Duration,
): cloudwatch.Alarm[] {
  const errors = fn.metricErrors({ period: MINUTE, statistic: cloudwatch.Stats.SUM });
  const throttles = fn.metricThrottles({ period: MINUTE, statistic: cloudwatch.Stats.SUM });
  const duration = fn.metricDuration({ period: Duration.minutes(5), statistic: cloudwatch.Stats.p(99) });
  const limitMs = Math.floor(timeout.toMilliseconds() * DURATION_ALARM_RATIO);
  const alarms = [
    new cloudwatch.Alarm(scope, 'ErrorsAlarm', {
      alarmDescription: `${label}: the function returned errors`,
      metric: errors,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
    new cloudwatch.Alarm(scope, 'ThrottlesAlarm', {
      alarmDescription: `${label}: invocations were throttled (concurrency limit reached)`,
      metric: throttles,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
    new cloudwatch.Alarm(scope, 'DurationAlarm', {
      alarmDescription: `${label}: p99 duration above ${DURATION_ALARM_RATIO * 100}% of the ${timeout.toSeconds()} s timeout`,
      metric: duration,
      threshold: limitMs,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
  ];
  for (const alarm of alarms) service.addAlarm(alarm);
  service.addWidgets(
    new cloudwatch.GraphWidget({
      title: `${label}: invocations, errors, throttles`,
      left: [fn.metricInvocations({ period: MINUTE }), errors, throttles],
      width: 12,
    }),
    new cloudwatch.GraphWidget({
      title: `${label}: duration p99 (ms)`,
      left: [duration],
      leftAnnotations: [{ value: limitMs, label: `${DURATION_ALARM_RATIO * 100}% of timeout` }],
      width: 12,
    }),
  );
  return alarms;
}

/** Any message in a dead-letter queue is a failure someone has to look at. */
export function deadLetterAlarm(
  scope: Construct,
  service: FerruleService,
  dlq: sqs.IQueue,
  label: string,
): cloudwatch.Alarm {
  const depth = dlq.metricApproximateNumberOfMessagesVisible({
    period: MINUTE,
    statistic: cloudwatch.Stats.MAXIMUM,
  });
  const alarm = service.addAlarm(
    new cloudwatch.Alarm(scope, 'DeadLetterAlarm', {
      alarmDescription: `${label}: messages in the dead-letter queue`,
      metric: depth,
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
  );
  service.addWidgets(
    new cloudwatch.GraphWidget({ title: `${label}: dead letters`, left: [depth], width: 12 }),
  );
  return alarm;
}

/** A stream consumer falling behind: the age of the newest record it has read. */
export function iteratorAgeAlarm(
  scope: Construct,
  service: FerruleService,
  fn: lambda.IFunction,
  label: string,
  threshold: Duration,
): cloudwatch.Alarm {
  const age = fn.metric('IteratorAge', { period: MINUTE, statistic: cloudwatch.Stats.MAXIMUM });
  const alarm = service.addAlarm(
    new cloudwatch.Alarm(scope, 'IteratorAgeAlarm', {
      alarmDescription: `${label}: stream records waited more than ${threshold.toHumanString()}`,
      metric: age,
      threshold: threshold.toMilliseconds(),
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }),
  );
  service.addWidgets(
    new cloudwatch.GraphWidget({ title: `${label}: iterator age (ms)`, left: [age], width: 12 }),
  );
  return alarm;
}
