import { readFileSync } from 'node:fs';
import type { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { ACTIONS, FerruleService, RustFunction } from '../lib/index.ts';
import { grantPairs, policyPairs, testStack } from './helpers.ts';

function roleId(stack: Stack, fn: RustFunction): string {
  return stack.getLogicalId(fn.role.node.defaultChild as never);
}

function sample() {
  const { stack } = testStack();
  const table = new dynamodb.Table(stack, 'Orders', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
  });
  const queue = new sqs.Queue(stack, 'Shipments');
  return { stack, table, queue };
}

describe('least privilege from declared use', () => {
  it('a function reading one table and sending to one queue gets exactly that, plus its logs and X-Ray', () => {
    const { stack, table, queue } = sample();
    const fn = new RustFunction(stack, 'Api', {
      crate: 'api',
      uses: {
        tables: [{ table, access: 'read', env: 'ORDERS_TABLE' }],
        queues: [{ queue, access: 'send', env: 'SHIPMENTS_QUEUE_URL' }],
      },
    });
    const template = Template.fromStack(stack).toJSON();
    const tableArn = { 'Fn::GetAtt': [stack.getLogicalId(table.node.defaultChild as never), 'Arn'] };
    const queueArn = { 'Fn::GetAtt': [stack.getLogicalId(queue.node.defaultChild as never), 'Arn'] };
    const logsArn = { 'Fn::GetAtt': [stack.getLogicalId(fn.logGroup.node.defaultChild as never), 'Arn'] };
    const indexArn = { 'Fn::Join': ['', [tableArn, '/index/*']] };
    const expected = [
      ...['BatchGetItem', 'ConditionCheckItem', 'DescribeTable', 'GetItem', 'Query'].map(
        (action) => `dynamodb:${action} ${JSON.stringify(tableArn)}`,
      ),
      // Of the reads, only Query can name an index.
      `dynamodb:Query ${JSON.stringify(indexArn)}`,
      `sqs:SendMessage ${JSON.stringify(queueArn)}`,
      `logs:CreateLogStream ${JSON.stringify(logsArn)}`,
      `logs:PutLogEvents ${JSON.stringify(logsArn)}`,
      'xray:PutTraceSegments "*"',
      'xray:PutTelemetryRecords "*"',
    ].sort();
    expect(policyPairs(template, roleId(stack, fn))).toEqual(expected);
    // What the construct reports is what the role has.
    expect(grantPairs(stack.resolve(fn.declaredGrants()))).toEqual(expected);
    // Read is not write, and nothing is a wildcard action.
    expect(expected.some((pair) => /PutItem|UpdateItem|DeleteItem|Scan|:\*/.test(pair))).toBe(false);
  });

  it('sets the environment variables the libraries read', () => {
    const { stack, table, queue } = sample();
    new RustFunction(stack, 'Api', {
      crate: 'api',
      uses: {
        tables: [{ table, access: 'read', env: 'ORDERS_TABLE' }],
        queues: [{ queue, access: 'send', env: 'SHIPMENTS_QUEUE_URL' }],
      },
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          ORDERS_TABLE: { Ref: Match.stringLikeRegexp('^Orders') },
          SHIPMENTS_QUEUE_URL: { Ref: Match.stringLikeRegexp('^Shipments') },
        }),
      },
    });
  });

  it('grants write as put/update/delete/batch write on the table only (not its indexes)', () => {
    const { stack, table } = sample();
    const fn = new RustFunction(stack, 'Writer', {
      crate: 'api',
      uses: { tables: [{ table, access: 'write' }] },
    });
    const [grant] = stack.resolve(fn.declaredGrants().filter((g) => g.origin === 'uses'));
    expect(grant).toEqual({
      origin: 'uses',
      reason: 'table Orders (write): write',
      actions: ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      resources: [{ 'Fn::GetAtt': [stack.getLogicalId(table.node.defaultChild as never), 'Arn'] }],
    });
  });

  it('read-write is the union of read and write', () => {
    const { stack, table } = sample();
    const fn = new RustFunction(stack, 'Both', {
      crate: 'api',
      uses: { tables: [{ table, access: 'read-write' }] },
    });
    const actions = fn
      .declaredGrants()
      .filter((g) => g.origin === 'uses')
      .flatMap((g) => g.actions);
    expect([...new Set(actions)].sort()).toEqual(
      [
        'dynamodb:BatchGetItem',
        'dynamodb:ConditionCheckItem',
        'dynamodb:DescribeTable',
        'dynamodb:GetItem',
        'dynamodb:Query',
        'dynamodb:BatchWriteItem',
        'dynamodb:DeleteItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
      ].sort(),
    );
  });

  it('stream access reads the stream ARN and lists streams of that table only', () => {
    const { stack } = testStack();
    const table = new dynamodb.Table(stack, 'Orders', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      stream: dynamodb.StreamViewType.NEW_IMAGE,
    });
    const fn = new RustFunction(stack, 'Reader', {
      crate: 'api',
      uses: { tables: [{ table, access: 'stream' }] },
    });
    const tableId = stack.getLogicalId(table.node.defaultChild as never);
    expect(stack.resolve(fn.declaredGrants().filter((g) => g.origin === 'uses'))).toEqual([
      {
        origin: 'uses',
        reason: 'table Orders (stream): stream records',
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
        resources: [{ 'Fn::GetAtt': [tableId, 'StreamArn'] }],
      },
      {
        origin: 'uses',
        reason: 'table Orders (stream): list streams',
        actions: ['dynamodb:ListStreams'],
        resources: [{ 'Fn::Join': ['', [{ 'Fn::GetAtt': [tableId, 'Arn'] }, '/stream/*']] }],
      },
    ]);
  });

  it('consume is receive, delete, change visibility and attributes on that queue', () => {
    const { stack, queue } = sample();
    const fn = new RustFunction(stack, 'Worker', {
      crate: 'worker',
      uses: { queues: [{ queue, access: 'consume' }] },
    });
    expect(fn.declaredGrants().find((g) => g.origin === 'uses')?.actions).toEqual([
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:ReceiveMessage',
    ]);
  });

  it('publishes to a declared bus with events:PutEvents on that bus, and names it in the environment', () => {
    const { stack } = testStack();
    const bus = new events.EventBus(stack, 'Orders');
    new RustFunction(stack, 'Pub', { crate: 'api', uses: { buses: [{ bus, env: 'ORDERS_BUS' }] } });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: 'events:PutEvents',
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Orders'), 'Arn'] },
          },
        ]),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ ORDERS_BUS: { Ref: Match.stringLikeRegexp('^Orders') } }),
      },
    });
  });

  it('SSM parameters: GetParameters (what ferrule-parameters calls) on that parameter, env set to the ssm: reference', () => {
    const { stack } = testStack();
    const service = new FerruleService(stack, 'Svc', { serviceName: 'orders' });
    const maxItems = service.addParameter('MaxItems', { name: 'max-items', value: '25' });
    const fn = new RustFunction(stack, 'Api', {
      crate: 'api',
      service,
      uses: { parameters: [{ parameter: maxItems, env: 'MAX_ITEMS' }] },
    });
    const grant = stack.resolve(fn.declaredGrants().find((g) => g.origin === 'uses'));
    expect(grant.actions).toEqual(['ssm:GetParameters']);
    expect(grant.resources).toHaveLength(1);
    expect(JSON.stringify(grant.resources)).toMatch(
      /:ssm:eu-west-1:123456789012:parameter",\{"Ref":"SvcMaxItems/,
    );
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          MAX_ITEMS: { 'Fn::Join': ['', ['ssm:', { Ref: Match.stringLikeRegexp('^SvcMaxItems') }]] },
        }),
      },
    });
  });

  it('an imported parameter keeps a literal ssm: reference', () => {
    const { stack } = testStack();
    const service = new FerruleService(stack, 'Svc', { serviceName: 'orders', stage: 'prod' });
    const fn = new RustFunction(stack, 'Api', {
      crate: 'api',
      service,
      uses: { parameters: [{ parameter: service.importParameter('Max', 'max-items'), env: 'MAX_ITEMS' }] },
    });
    expect(fn.node.defaultChild).toBeDefined();
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ MAX_ITEMS: 'ssm:/orders/prod/max-items' }) },
    });
  });

  it('secrets: GetSecretValue on that secret only, env holding its id for ferrule-secrets', () => {
    const { stack } = testStack();
    const service = new FerruleService(stack, 'Svc', { serviceName: 'orders' });
    const shipping = service.addSecret('Shipping', { name: 'shipping' });
    const imported = service.importSecret('Legacy', 'legacy');
    const fn = new RustFunction(stack, 'Api', {
      crate: 'api',
      service,
      uses: {
        secrets: [
          { secret: shipping, env: 'SHIPPING_SECRET_ID' },
          { secret: imported, env: 'LEGACY_SECRET_ID' },
        ],
      },
    });
    const grants = stack.resolve(fn.declaredGrants().filter((g) => g.origin === 'uses'));
    expect(grants.map((g: { actions: string[] }) => g.actions)).toEqual([
      ['secretsmanager:GetSecretValue'],
      ['secretsmanager:GetSecretValue'],
    ]);
    expect(grants[0].resources).toEqual([{ Ref: stack.getLogicalId(shipping.node.defaultChild as never) }]);
    // Imported by name: the ARN ends in six random characters Secrets Manager appends.
    expect(JSON.stringify(grants[1].resources)).toMatch(/:secret:orders\/dev\/legacy-\?\?\?\?\?\?"/);
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          SHIPPING_SECRET_ID: { Ref: Match.stringLikeRegexp('^SvcShipping') },
          LEGACY_SECRET_ID: 'orders/dev/legacy',
        }),
      },
    });
  });

  it('KMS: Decrypt only on keys of declared resources, GenerateDataKey too for writes', () => {
    const { stack } = testStack();
    const tableKey = new kms.Key(stack, 'TableKey');
    const queueKey = new kms.Key(stack, 'QueueKey');
    const secretKey = new kms.Key(stack, 'SecretKey');
    const unrelated = new kms.Key(stack, 'Unrelated');
    const table = new dynamodb.Table(stack, 'Orders', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: tableKey,
    });
    const queue = new sqs.Queue(stack, 'Q', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: queueKey,
    });
    const secret = new secretsmanager.Secret(stack, 'S', { encryptionKey: secretKey });
    const fn = new RustFunction(stack, 'Api', {
      crate: 'api',
      uses: {
        tables: [{ table, access: 'read' }],
        queues: [{ queue, access: 'send' }],
        secrets: [{ secret }],
      },
    });
    const kmsGrants = stack
      .resolve(fn.declaredGrants())
      .filter((g: { actions: string[] }) => g.actions.some((a) => a.startsWith('kms:')));
    const keyId = (key: kms.Key) => ({
      'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as never), 'Arn'],
    });
    expect(
      kmsGrants.map((g: { actions: string[]; resources: unknown[] }) => [g.actions, g.resources]),
    ).toEqual([
      [['kms:Decrypt'], [keyId(tableKey)]],
      [['kms:Decrypt', 'kms:GenerateDataKey'], [keyId(queueKey)]],
      [['kms:Decrypt'], [keyId(secretKey)]],
    ]);
    expect(JSON.stringify(kmsGrants)).not.toContain(stack.getLogicalId(unrelated.node.defaultChild as never));
  });

  it('actions grant exactly the listed DynamoDB actions on the table, and no index', () => {
    const { stack, table } = sample();
    const fn = new RustFunction(stack, 'Api', {
      crate: 'api',
      uses: { tables: [{ table, actions: ['Query', 'GetItem', 'PutItem'], env: 'ORDERS_TABLE' }] },
    });
    const tableArn = { 'Fn::GetAtt': [stack.getLogicalId(table.node.defaultChild as never), 'Arn'] };
    expect(stack.resolve(fn.declaredGrants().filter((g) => g.origin === 'uses'))).toEqual([
      {
        origin: 'uses',
        reason: 'table Orders (GetItem, PutItem, Query)',
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
        resources: [tableArn],
      },
    ]);
  });

  it('indexes grant Query and Scan of the actions on each named index only', () => {
    const { stack, table } = sample();
    const fn = new RustFunction(stack, 'Api', {
      crate: 'api',
      uses: { tables: [{ table, actions: ['GetItem', 'Query'], indexes: ['by-status', 'by-date'] }] },
    });
    const tableArn = { 'Fn::GetAtt': [stack.getLogicalId(table.node.defaultChild as never), 'Arn'] };
    const index = (name: string) => ({ 'Fn::Join': ['', [tableArn, `/index/${name}`]] });
    expect(stack.resolve(fn.declaredGrants().filter((g) => g.origin === 'uses'))).toEqual([
      expect.objectContaining({ actions: ['dynamodb:GetItem', 'dynamodb:Query'], resources: [tableArn] }),
      expect.objectContaining({
        reason: 'table Orders (GetItem, Query): indexes',
        actions: ['dynamodb:Query'],
        resources: [index('by-status'), index('by-date')],
      }),
    ]);
  });

  it('read with named indexes queries those indexes instead of every one', () => {
    const { stack, table } = sample();
    const fn = new RustFunction(stack, 'Api', {
      crate: 'api',
      uses: { tables: [{ table, access: 'read', indexes: ['by-status'] }] },
    });
    const resources = JSON.stringify(stack.resolve(fn.declaredGrants().flatMap((g) => g.resources)));
    expect(resources).toContain('/index/by-status');
    expect(resources).not.toContain('/index/*');
  });

  it('a parameter declared with actions gets those reads', () => {
    const { stack } = testStack();
    const service = new FerruleService(stack, 'Svc', { serviceName: 'orders' });
    const fn = new RustFunction(stack, 'Api', {
      crate: 'api',
      service,
      uses: {
        parameters: [
          {
            parameter: service.addParameter('MaxItems', { name: 'max-items', value: '25' }),
            actions: ['GetParameter'],
          },
        ],
      },
    });
    expect(fn.declaredGrants().find((g) => g.origin === 'uses')?.actions).toEqual(['ssm:GetParameter']);
  });

  it('addUses declares more later, with the same exactness', () => {
    const { stack, table } = sample();
    const fn = new RustFunction(stack, 'Api', { crate: 'api' });
    expect(fn.declaredGrants().map((g) => g.origin)).toEqual(['logs', 'tracing']);
    fn.addUses({ tables: [{ table, access: 'read', env: 'ORDERS_TABLE' }] });
    expect(fn.declaredGrants().map((g) => g.reason)).toEqual([
      'own log group',
      'X-Ray (no resource-level permissions)',
      'table Orders (read): read',
      'table Orders (read): query indexes',
    ]);
    expect(policyPairs(Template.fromStack(stack).toJSON(), roleId(stack, fn))).toEqual(
      grantPairs(stack.resolve(fn.declaredGrants())),
    );
  });

  it('two functions never share a role', () => {
    const { stack, table } = sample();
    const reader = new RustFunction(stack, 'Reader', {
      crate: 'api',
      uses: { tables: [{ table, access: 'read' }] },
    });
    const other = new RustFunction(stack, 'Other', { crate: 'worker' });
    expect(reader.role).not.toBe(other.role);
    expect(
      policyPairs(Template.fromStack(stack).toJSON(), roleId(stack, other)).some((p) =>
        p.startsWith('dynamodb:'),
      ),
    ).toBe(false);
  });
});

describe('the action table in docs/constructs.md', () => {
  it('lists every action the constructs can grant', () => {
    const doc = readFileSync(new URL('../../docs/constructs.md', import.meta.url), 'utf8');
    const table = doc.slice(doc.indexOf('## Least privilege'), doc.indexOf('## FerruleService'));
    for (const action of Object.values(ACTIONS).flat()) {
      // The table spells the service prefix once per cell: `dynamodb:BatchGetItem`, `ConditionCheckItem`.
      expect(table, action).toMatch(new RegExp(`\`(${action.split(':')[0]}:)?${action.split(':')[1]}\``));
    }
  });
});
