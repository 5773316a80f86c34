import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import {
  FerruleHttpApi,
  FerruleQueue,
  FerruleRule,
  FerruleService,
  FerruleTable,
  RustFunction,
} from '../lib/index.ts';
import { testStack } from './helpers.ts';

describe('FerruleService: stages', () => {
  it("defaults to 'dev' and reads context ferrule:stage", () => {
    expect(new FerruleService(testStack().stack, 'S', { serviceName: 'orders' }).stage).toBe('dev');
    const { stack } = testStack({ context: { 'ferrule:stage': 'prod' } });
    const service = new FerruleService(stack, 'S', { serviceName: 'orders' });
    expect(service.stage).toBe('prod');
    expect(service.isProduction).toBe(true);
  });

  it('prefers the stage prop over context', () => {
    const { stack } = testStack({ context: { 'ferrule:stage': 'prod' } });
    expect(new FerruleService(stack, 'S', { serviceName: 'orders', stage: 'dev' }).stage).toBe('dev');
  });
});

describe('FerruleService: configuration per stage', () => {
  it('creates parameters at /<service>/<stage>/<name>', () => {
    const { stack } = testStack({ context: { 'ferrule:stage': 'prod' } });
    const service = new FerruleService(stack, 'S', { serviceName: 'orders' });
    service.addParameter('MaxItems', { name: 'max-items', value: '25', description: 'Most items per order' });
    Template.fromStack(stack).hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/orders/prod/max-items',
      Type: 'String',
      Value: '25',
    });
    expect(service.importParameter('Limits', 'limits/daily').parameterName).toBe('/orders/prod/limits/daily');
  });

  it('creates secrets named <service>/<stage>/<name> with a generated value, kept in prod', () => {
    const dev = testStack();
    new FerruleService(dev.stack, 'S', { serviceName: 'orders' }).addSecret('Shipping', { name: 'shipping' });
    Template.fromStack(dev.stack).hasResource('AWS::SecretsManager::Secret', {
      Properties: Match.objectLike({
        Name: 'orders/dev/shipping',
        GenerateSecretString: Match.objectLike({ PasswordLength: 32 }),
      }),
      DeletionPolicy: 'Delete',
    });
    const prod = testStack();
    new FerruleService(prod.stack, 'S', { serviceName: 'orders', stage: 'prod' }).addSecret('Shipping', {
      name: 'shipping',
    });
    Template.fromStack(prod.stack).hasResource('AWS::SecretsManager::Secret', {
      Properties: Match.objectLike({ Name: 'orders/prod/shipping' }),
      DeletionPolicy: 'Retain',
    });
  });

  it('imports secrets by their stage name without a lookup', () => {
    const { stack } = testStack();
    const secret = new FerruleService(stack, 'S', { serviceName: 'orders' }).importSecret('Legacy', 'legacy');
    expect(secret.secretName).toBe('orders/dev/legacy');
  });
});

describe('FerruleService: operations', () => {
  function wholeService(withTopic = false) {
    const { stack } = testStack();
    const alarmTopic = withTopic ? new sns.Topic(stack, 'Pager') : undefined;
    const service = new FerruleService(stack, 'Orders', { serviceName: 'orders', alarmTopic });
    const pool = new cognito.UserPool(stack, 'Users');
    const api = new FerruleHttpApi(stack, 'Http', {
      jwt: { userPool: pool, userPoolClients: [pool.addClient('Web')] },
    });
    const fn = new RustFunction(stack, 'Api', { crate: 'api' });
    api.addRoute('/orders', fn);
    const worker = new RustFunction(stack, 'Worker', { crate: 'worker' });
    new FerruleQueue(stack, 'Jobs', { consumer: worker });
    const table = new FerruleTable(stack, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      stream: dynamodb.StreamViewType.NEW_IMAGE,
    });
    table.addStreamConsumer(new RustFunction(stack, 'Projector', { crate: 'worker' }));
    new FerruleRule(stack, 'Nightly', {
      target: new RustFunction(stack, 'Batch', { crate: 'worker' }),
      schedule: events.Schedule.rate(Duration.days(1)),
    });
    return { stack, service };
  }

  it('every alarm of the service notifies the topic', () => {
    const { stack, service } = wholeService(true);
    const template = Template.fromStack(stack);
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    // 4 functions × 3, API 5xx, queue DLQ, stream failures DLQ, iterator age, rule DLQ, async failures DLQ.
    expect(alarms).toHaveLength(4 * 3 + 6);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([
        { Ref: stack.getLogicalId(service.alarmTopic?.node.defaultChild as never) },
      ]);
    }
    expect(service.alarms).toHaveLength(alarms.length);
  });

  it('creates alarms without actions when there is no topic', () => {
    const { stack } = wholeService();
    for (const alarm of Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm'))) {
      expect(alarm.Properties.AlarmActions).toBeUndefined();
    }
  });

  it('has one dashboard per service, named <service>-<stage>, with a widget row per part', () => {
    const { stack, service } = wholeService();
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'orders-dev' });
    const body = JSON.stringify(
      stack.resolve((service.dashboard.node.defaultChild as cloudwatch.CfnDashboard).dashboardBody),
    );
    for (const title of [
      'orders/api: duration p99',
      'orders/Jobs: backlog',
      'orders/Jobs: dead letters',
      'iterator age',
    ]) {
      expect(body).toContain(title);
    }
  });

  it('functions of a stack without a declared service share one default service and dashboard', () => {
    const { stack } = testStack();
    new RustFunction(stack, 'A', { crate: 'api' });
    new RustFunction(stack, 'B', { crate: 'worker' });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'test-dev' });
  });

  it('names the default service from context ferrule:service', () => {
    const { stack } = testStack({ context: { 'ferrule:service': 'billing' } });
    const fn = new RustFunction(stack, 'A', { crate: 'api' });
    expect(fn.service.serviceName).toBe('billing');
  });

  it('asks which service when a stack has several', () => {
    const { stack } = testStack();
    new FerruleService(stack, 'One', { serviceName: 'one' });
    new FerruleService(stack, 'Two', { serviceName: 'two' });
    expect(() => new RustFunction(stack, 'A', { crate: 'api' })).toThrow(
      /stack Test has 2 FerruleServices \(one, two\); pass `service`/,
    );
  });
});
