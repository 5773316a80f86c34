import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareTemplates } from '@ferrule/cli';
import { App, CfnResource, type Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import {
  Adr002Checks,
  ORDERS_CRATES,
  OrdersStack,
  type OrdersStackProps,
  parsePlatform,
  type RustFunction,
  WorkspaceBuild,
} from '../lib/index.ts';
import { fakeArtifacts, grantPairs, policyPairs } from './helpers.ts';

type Crate = (typeof ORDERS_CRATES)[number];
type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: unknown }>;

const require = createRequire(import.meta.url);
const platform = parsePlatform('al2023-x86_64');
const artifactsDir = fakeArtifacts(['al2023-x86_64'], ORDERS_CRATES);

function ordersApp(props: Partial<OrdersStackProps> = {}) {
  const app = new App();
  WorkspaceBuild.configure(app, { artifactsDir });
  const stack = new OrdersStack(app, 'Orders', { platform, artifactsDir, ...props });
  return { app, stack, template: Template.fromStack(stack) };
}

const dev = ordersApp();
const prodProps = {
  stage: 'prod',
  signupAllowedDomains: 'shop.example.org',
  shippingBaseUrl: 'https://api.carrier.example.net/v2',
} as const;
const prod = ordersApp(prodProps);

const id = (stack: Stack, construct: IConstruct) =>
  stack.getLogicalId((construct.node.defaultChild ?? construct) as never);
const fnId = (crate: Crate) => id(dev.stack, dev.stack.functions[crate]);
const ref = (construct: IConstruct) => ({ Ref: id(dev.stack, construct) });
const arnOf = (construct: IConstruct) => ({ 'Fn::GetAtt': [id(dev.stack, construct), 'Arn'] });

describe('OrdersStack resources', () => {
  it('keeps orders, profiles, notifications and idempotency records in one safe table', () => {
    dev.template.resourceCountIs('AWS::DynamoDB::Table', 1);
    dev.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ]),
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
        TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: false,
      },
    });
    prod.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
  });

  it('signs users in by e-mail on a pool whose triggers are identity-triggers', () => {
    const triggers = { 'Fn::GetAtt': [fnId('identity-triggers'), 'Arn'] };
    dev.template.hasResourceProperties('AWS::Cognito::UserPool', {
      UsernameAttributes: ['email'],
      AutoVerifiedAttributes: ['email'],
      LambdaConfig: { PreSignUp: triggers, PostConfirmation: triggers },
      Policies: {
        PasswordPolicy: Match.objectLike({
          MinimumLength: 12,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
        }),
      },
      AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
    });
    dev.template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      ExplicitAuthFlows: Match.arrayEquals([
        'ALLOW_USER_PASSWORD_AUTH',
        'ALLOW_USER_SRP_AUTH',
        'ALLOW_REFRESH_TOKEN_AUTH',
      ]),
      PreventUserExistenceErrors: 'ENABLED',
      AllowedOAuthFlows: Match.absent(),
      CallbackURLs: Match.absent(),
    });
    // Cognito invokes each trigger through the function's resource policy, limited to this pool.
    dev.template.resourcePropertiesCountIs(
      'AWS::Lambda::Permission',
      {
        Principal: 'cognito-idp.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': [fnId('identity-triggers'), 'Arn'] },
        SourceArn: arnOf(dev.stack.userPool),
      },
      2,
    );
    dev.template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 5,
      Environment: { Variables: Match.objectLike({ FERRULE_SERVICE_NAME: 'orders' }) },
      Description: 'Cognito PreSignUp / PostConfirmation',
    });
    prod.template.hasResource('AWS::Cognito::UserPool', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtection: 'ACTIVE' }),
    });
  });

  it('creates the stage parameters and the generated shipping secret', () => {
    dev.template.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/orders/dev/signup-allowed-domains',
      Type: 'String',
      Value: 'example.com',
    });
    dev.template.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/orders/dev/shipping-base-url',
      Type: 'String',
      Value: 'https://shipping.example.com',
    });
    prod.template.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/orders/prod/signup-allowed-domains',
      Value: prodProps.signupAllowedDomains,
    });
    prod.template.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/orders/prod/shipping-base-url',
      Value: prodProps.shippingBaseUrl,
    });
    dev.template.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({
        Name: 'orders/dev/shipping-api',
        GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{}', GenerateStringKey: 'apiKey' }),
      }),
    });
    prod.template.hasResource('AWS::SecretsManager::Secret', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ Name: 'orders/prod/shipping-api' }),
    });
    dev.template.hasResourceProperties('AWS::Events::EventBus', { Name: 'orders-dev' });
    prod.template.hasResourceProperties('AWS::Events::EventBus', { Name: 'orders-prod' });
  });

  it('refuses placeholder configuration in prod and a non-HTTPS shipping URL', () => {
    expect(() => ordersApp({ stage: 'prod', shippingBaseUrl: prodProps.shippingBaseUrl })).toThrow(
      /signupAllowedDomains is required in the prod stage/,
    );
    expect(() => ordersApp({ stage: 'prod', signupAllowedDomains: 'shop.example.org' })).toThrow(
      /shippingBaseUrl is required in the prod stage/,
    );
    expect(() => ordersApp({ shippingBaseUrl: 'http://carrier.example.net' })).toThrow(
      /shippingBaseUrl must be an https:\/\/ URL/,
    );
  });

  it('sets the environment each function reads', () => {
    const table = ref(dev.stack.table.table);
    const ssm = (construct: IConstruct) => ({ 'Fn::Join': ['', ['ssm:', ref(construct)]] });
    const expected: Record<Crate, Record<string, unknown>> = {
      'orders-api': { ORDERS_TABLE: table },
      'identity-triggers': {
        ORDERS_TABLE: table,
        SIGNUP_ALLOWED_DOMAINS: ssm(dev.stack.signupAllowedDomains),
      },
      'orders-stream': { EVENT_BUS_NAME: ref(dev.stack.bus) },
      'fulfillment-worker': {
        ORDERS_TABLE: table,
        SHIPPING_BASE_URL: ssm(dev.stack.shippingBaseUrl),
        SHIPPING_SECRET_ID: ref(dev.stack.shippingApiSecret),
      },
      'order-notifier': { ORDERS_TABLE: table },
    };
    const service = {
      FERRULE_SERVICE_NAME: 'orders',
      FERRULE_STAGE: 'dev',
      POWERTOOLS_SERVICE_NAME: 'orders',
      FERRULE_METRICS_NAMESPACE: 'orders',
      POWERTOOLS_METRICS_NAMESPACE: 'orders',
    };
    const resources = dev.template.toJSON().Resources as Resources;
    for (const crate of ORDERS_CRATES) {
      const properties = resources[fnId(crate)]?.Properties;
      expect(properties?.Environment, crate).toEqual({ Variables: { ...service, ...expected[crate] } });
      expect(properties?.Runtime, crate).toBe('provided.al2023');
    }
    dev.template.resourceCountIs('AWS::Lambda::Function', 5);
  });

  it('routes the four order endpoints to orders-api behind the pool client JWT', () => {
    const routes = dev.template.findResources('AWS::ApiGatewayV2::Route');
    const keys = Object.values(routes).map((route) => route.Properties.RouteKey as string);
    expect(keys.sort()).toEqual([
      'GET /orders',
      'GET /orders/{id}',
      'POST /orders',
      'POST /orders/{id}/cancel',
    ]);
    for (const route of Object.values(routes)) {
      expect(route.Properties.AuthorizationType).toBe('JWT');
    }
    dev.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: {
        Audience: [ref(dev.stack.userPoolClient)],
        Issuer: {
          'Fn::Join': [
            '',
            ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.amazonaws.com/', ref(dev.stack.userPool)],
          ],
        },
      },
    });
    dev.template.resourcePropertiesCountIs(
      'AWS::ApiGatewayV2::Integration',
      { IntegrationUri: { 'Fn::GetAtt': [fnId('orders-api'), 'Arn'] } },
      3,
    );
    dev.template.resourceCountIs('AWS::ApiGatewayV2::Integration', 3);
  });

  it('feeds the table stream to orders-stream with bounded retries and an on-failure queue', () => {
    dev.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [id(dev.stack, dev.stack.table.table), 'StreamArn'] },
      FunctionName: { Ref: fnId('orders-stream') },
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 3,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
  });

  it('queues OrderPlaced from the bus for fulfillment-worker', () => {
    const queue = dev.stack.fulfillmentQueue;
    dev.template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: ref(dev.stack.bus),
      EventPattern: { source: ['ferrule.orders'], 'detail-type': ['OrderPlaced'] },
      Targets: [
        {
          Arn: arnOf(queue.queue),
          Id: Match.anyValue(),
          DeadLetterConfig: { Arn: Match.anyValue() },
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        },
      ],
    });
    // Only this rule may send to the queue.
    dev.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [ref(queue.queue)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': Match.anyValue() } },
          }),
        ]),
      },
    });
    dev.template.hasResourceProperties('AWS::SQS::Queue', {
      // 6 × the worker's 30 s timeout.
      VisibilityTimeout: 180,
      RedrivePolicy: { deadLetterTargetArn: arnOf(queue.deadLetterQueue), maxReceiveCount: 5 },
      SqsManagedSseEnabled: true,
    });
    // Events EventBridge could not deliver to the queue raise an alarm.
    dev.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OrderPlacedUndelivered'), 'QueueName'] },
        },
      ],
      Threshold: 0,
    });
    dev.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: arnOf(queue.queue),
      FunctionName: { Ref: fnId('fulfillment-worker') },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 5,
      ScalingConfig: { MaximumConcurrency: 5 },
    });
  });

  it('sends OrderCancelled and OrderShipped to order-notifier with retries and dead letters', () => {
    dev.template.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: ref(dev.stack.bus),
      EventPattern: { source: ['ferrule.orders'], 'detail-type': ['OrderCancelled', 'OrderShipped'] },
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [fnId('order-notifier'), 'Arn'] },
          Id: Match.anyValue(),
          DeadLetterConfig: { Arn: Match.anyValue() },
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        },
      ],
    });
    dev.template.resourceCountIs('AWS::Events::Rule', 2);
  });
});

/**
 * A template value with logical ids replaced by construct paths (`OrdersTable/Table.Arn`); a
 * parameter's `Ref` (its name) by the name itself.
 */
function readable(value: unknown, names: Map<string, string>): string {
  if (typeof value === 'string') return value;
  const object = value as Record<string, unknown>;
  if (typeof object.Ref === 'string') {
    return object.Ref.startsWith('AWS::') ? `\${${object.Ref}}` : (names.get(object.Ref) ?? object.Ref);
  }
  const getAtt = object['Fn::GetAtt'] as [string, string] | undefined;
  if (getAtt) return `${names.get(getAtt[0]) ?? getAtt[0]}.${getAtt[1]}`;
  const join = object['Fn::Join'] as [string, unknown[]] | undefined;
  if (join) return join[1].map((part) => readable(part, names)).join(join[0]);
  throw new Error(`unexpected template value ${JSON.stringify(value)}`);
}

/** Each resource of the function's role policies with the actions allowed on it, sorted. */
function permissionTable(stack: OrdersStack, fn: RustFunction): string[] {
  const template = Template.fromStack(stack).toJSON();
  const resources = template.Resources as Resources;
  const names = new Map<string, string>();
  for (const element of stack.node.findAll()) {
    if (!(element instanceof CfnResource)) continue;
    const logicalId = stack.getLogicalId(element);
    const name = resources[logicalId]?.Properties?.Name;
    names.set(
      logicalId,
      element.cfnResourceType === 'AWS::SSM::Parameter' && typeof name === 'string'
        ? name
        : element.node.path.replace(/^Orders\//, '').replace(/\/Resource$/, ''),
    );
  }
  const byResource = new Map<string, string[]>();
  for (const pair of policyPairs(template, id(stack, fn.role))) {
    const [action, json] = [pair.slice(0, pair.indexOf(' ')), pair.slice(pair.indexOf(' ') + 1)];
    const target = readable(JSON.parse(json), names);
    byResource.set(target, [...(byResource.get(target) ?? []), action]);
  }
  return [...byResource].map(([target, actions]) => `${target}: ${actions.sort().join(' ')}`).sort();
}

const LOGS = (fn: string) => `${fn}LogGroup.Arn: logs:CreateLogStream logs:PutLogEvents`;
const XRAY = '*: xray:PutTelemetryRecords xray:PutTraceSegments';
const SSM_ARN = (name: string) =>
  `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/orders/dev/${name}`;

/**
 * The reviewed permissions of the five functions (docs/constructs.md, "The reference stack's
 * permissions"): what each crate calls, and what Lambda uses on its behalf.
 */
const PERMISSIONS: Record<Crate, string[]> = {
  'orders-api': [
    XRAY,
    LOGS('OrdersApi'),
    'OrdersTable/Table.Arn: dynamodb:DeleteItem dynamodb:GetItem dynamodb:PutItem dynamodb:Query dynamodb:UpdateItem',
  ],
  'identity-triggers': [
    XRAY,
    LOGS('IdentityTriggers'),
    'OrdersTable/Table.Arn: dynamodb:PutItem',
    `${SSM_ARN('signup-allowed-domains')}: ssm:GetParameters`,
  ],
  'orders-stream': [
    XRAY,
    LOGS('OrdersStream'),
    'Bus.Arn: events:PutEvents',
    'OrdersTable/StreamConsumerOrdersStream/Failures.Arn: sqs:SendMessage',
    'OrdersTable/Table.Arn/stream/*: dynamodb:ListStreams',
    'OrdersTable/Table.StreamArn: dynamodb:DescribeStream dynamodb:GetRecords dynamodb:GetShardIterator',
  ],
  'fulfillment-worker': [
    XRAY,
    LOGS('FulfillmentWorker'),
    'FulfillmentQueue/Queue.Arn: sqs:ChangeMessageVisibility sqs:DeleteMessage sqs:GetQueueAttributes sqs:ReceiveMessage',
    'OrdersTable/Table.Arn: dynamodb:GetItem dynamodb:PutItem',
    'Service/ShippingApi: secretsmanager:GetSecretValue',
    `${SSM_ARN('shipping-base-url')}: ssm:GetParameters`,
  ],
  'order-notifier': [
    XRAY,
    LOGS('OrderNotifier'),
    'OrderNotifier/AsyncFailures.Arn: sqs:SendMessage',
    'OrdersTable/Table.Arn: dynamodb:PutItem',
  ],
};

describe('OrdersStack least privilege', () => {
  it.each(ORDERS_CRATES)('%s has exactly the reviewed permissions', (crate) => {
    const fn = dev.stack.functions[crate];
    expect(permissionTable(dev.stack, fn)).toEqual([...PERMISSIONS[crate]].sort());
  });

  it.each(ORDERS_CRATES)('%s: the role holds what the function declared, and nothing else', (crate) => {
    const fn = dev.stack.functions[crate];
    const template = dev.template.toJSON();
    expect(policyPairs(template, id(dev.stack, fn.role))).toEqual(
      grantPairs(dev.stack.resolve(fn.declaredGrants())),
    );
    // Only logs and X-Ray come with every function; the rest is a declaration.
    expect(new Set(fn.declaredGrants().map((grant) => grant.origin))).toEqual(
      new Set(['logs', 'tracing', 'uses']),
    );
    const role = (template.Resources as Resources)[id(dev.stack, fn.role)];
    expect(role?.Properties?.ManagedPolicyArns).toBeUndefined();
    expect(role?.Properties?.Policies).toBeUndefined();
  });

  it('gives every function its own role', () => {
    const roles = ORDERS_CRATES.map((crate) => id(dev.stack, dev.stack.functions[crate].role));
    expect(new Set(roles).size).toBe(ORDERS_CRATES.length);
  });
});

describe('OrdersStack IAM equals code', () => {
  // The same comparison as `ferrule check`: the crates' SDK calls (read from backend/) against
  // the synthesized roles, in dev and prod.
  const comparisons = compareTemplates({ Orders: dev.template.toJSON() });
  const prodComparisons = compareTemplates({ Orders: prod.template.toJSON() });
  const of = (crate: Crate) => comparisons.find((c) => c.crate === crate);
  const called = (crate: Crate) => [...new Set(of(crate)?.calls.map((c) => c.action))].sort();

  it('compares every function of the reference service', () => {
    expect(comparisons.map((c) => c.crate).sort()).toEqual([...ORDERS_CRATES].sort());
    expect(prodComparisons).toHaveLength(ORDERS_CRATES.length);
  });

  it.each(ORDERS_CRATES)('%s: no grant the code does not call, no call the role does not grant', (crate) => {
    for (const comparison of [of(crate), prodComparisons.find((c) => c.crate === crate)]) {
      expect(comparison?.grantedNotCalled).toEqual([]);
      expect(comparison?.calledNotGranted).toEqual([]);
      expect(comparison?.unknown).toEqual([]);
    }
  });

  it('reads the calls each crate makes, through the libraries it uses', () => {
    expect(called('orders-api')).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    expect(called('identity-triggers')).toEqual(['dynamodb:PutItem', 'ssm:GetParameters']);
    expect(called('orders-stream')).toEqual(['events:PutEvents']);
    expect(called('fulfillment-worker')).toEqual([
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'secretsmanager:GetSecretValue',
      'ssm:GetParameters',
    ]);
    expect(called('order-notifier')).toEqual(['dynamodb:PutItem']);
    // The idempotency records' update and delete come from ferrule-idempotency.
    expect(of('orders-api')?.calls.find((c) => c.action === 'dynamodb:UpdateItem')?.crate).toBe(
      'ferrule-idempotency',
    );
  });

  it("sets Lambda's own grants apart: event sources, failure destinations, logs, X-Ray", () => {
    const platform = (crate: Crate) =>
      [...new Set(of(crate)?.platform.map((p) => p.action.replace(/:.*/, '')))].sort();
    expect(platform('fulfillment-worker')).toEqual(['logs', 'sqs', 'xray']);
    expect(
      of('fulfillment-worker')
        ?.platform.filter((p) => p.action.startsWith('sqs:'))
        .map((p) => p.action),
    ).toEqual([
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:ReceiveMessage',
    ]);
    expect(of('orders-stream')?.platform.map((p) => p.action)).toEqual(
      expect.arrayContaining([
        'dynamodb:DescribeStream',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
        'dynamodb:ListStreams',
        'sqs:SendMessage',
      ]),
    );
    expect(of('order-notifier')?.platform.find((p) => p.action === 'sqs:SendMessage')?.reason).toMatch(
      /failed asynchronous invocations/,
    );
    // orders-api resolves no ssm: value in the cloud, so SSM is neither called nor granted.
    expect(of('orders-api')?.granted.some((g) => g.action.startsWith('ssm:'))).toBe(false);
  });
});

/** Each pack's unacknowledged findings on the app, as `<rule> <construct path>`. */
function findings(app: App): string[] {
  return [new AwsSolutionsChecks(), new ServerlessChecks(), new Adr002Checks()].flatMap((pack) =>
    pack
      .validateScope(app)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`)),
  );
}

/** Every acknowledgement in the stack: `<construct path> <rule id>` → reason. */
function acknowledgements(stack: Stack): Map<string, string> {
  const found = new Map<string, string>();
  for (const construct of stack.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [rule, reason] of Object.entries(entry.data as Record<string, string>)) {
        found.set(
          `${construct.node.path.replace(/^Orders\//, '')} ${rule.replace(/^annotation::/i, '')}`,
          reason,
        );
      }
    }
  }
  return found;
}

describe('OrdersStack rule packs', () => {
  it('leaves no unacknowledged AwsSolutions, Serverless or ADR-002 finding, in dev and prod', () => {
    expect(findings(dev.app)).toEqual([]);
    expect(findings(prod.app)).toEqual([]);
  });

  it('acknowledges only reviewed findings, each with a written reason', () => {
    const acks = acknowledgements(dev.stack);
    const tableArn = `<${id(dev.stack, dev.stack.table.table)}.Arn>`;
    const failureQueues = [
      'OrdersTable/StreamConsumerOrdersStream/Failures',
      'OrderPlacedUndelivered',
      'OrderNotifier/AsyncFailures',
      'NotifyRule/DeadLetters',
    ];
    expect([...acks.keys()].sort()).toEqual(
      [
        ...ORDERS_CRATES.map(
          (crate) => `${dev.stack.functions[crate].node.id}ServiceRole AwsSolutions-IAM5[Resource::*]`,
        ),
        `OrdersStreamServiceRole AwsSolutions-IAM5[Resource::${tableArn}/stream/*]`,
        ...ORDERS_CRATES.map((crate) => `${dev.stack.functions[crate].node.id} Serverless-LambdaDLQ`),
        'FulfillmentQueue Serverless-LambdaEventSourceMappingDestination',
        ...failureQueues.flatMap((queue) => [
          `${queue} AwsSolutions-SQS3`,
          `${queue} Serverless-SQSRedrivePolicy`,
        ]),
        'FulfillmentQueue/DeadLetters Serverless-SQSRedrivePolicy',
        'Service/ShippingApi AwsSolutions-SMG4',
        'UserPool AwsSolutions-COG2',
        'UserPool AwsSolutions-COG8',
      ].sort(),
    );
    for (const [what, reason] of acks) {
      expect(reason.length, what).toBeGreaterThanOrEqual(40);
    }
    expect(acks.get('OrdersApiServiceRole AwsSolutions-IAM5[Resource::*]')).toMatch(
      /X-Ray has no resource-level/,
    );
  });

  it('still reports a new wildcard grant on an acknowledged role (the ADR-002 pack names each action)', () => {
    const { app, stack } = ordersApp();
    stack.functions['orders-api'].role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }),
    );
    expect(findings(app)).toEqual(
      expect.arrayContaining([
        'ADR002-NoWildcardPermissions[Resource::*::s3:GetObject] Orders/OrdersApiServiceRole/DefaultPolicy/Resource',
      ]),
    );
  });
});

const infrastructure = fileURLToPath(new URL('..', import.meta.url));
const cfnLint = fileURLToPath(new URL('../../.venv/bin/cfn-lint', import.meta.url));

describe('OrdersStack synth', () => {
  it('synthesizes with the cdk CLI offline, with no credentials, and passes cfn-lint with the serverless rules', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferrule-orders-synth-'));
    const app = join(dir, 'app.ts');
    const lib = new URL('../lib/index.ts', import.meta.url).href;
    writeFileSync(
      app,
      [
        `import { App, Validations } from ${JSON.stringify(require.resolve('aws-cdk-lib'))};`,
        `import { AwsSolutionsChecks, ServerlessChecks } from ${JSON.stringify(require.resolve('cdk-nag'))};`,
        `import { Adr002Checks, OrdersStack, parsePlatform } from ${JSON.stringify(lib)};`,
        'const app = new App();',
        'Validations.of(app).addPlugins(new Adr002Checks(app), new AwsSolutionsChecks(app), new ServerlessChecks(app));',
        `new OrdersStack(app, 'Orders', { platform: parsePlatform('al2023-x86_64'), artifactsDir: ${JSON.stringify(artifactsDir)} });`,
        'app.synth();',
      ].join('\n'),
    );
    const out = join(dir, 'cdk.out');
    const home = mkdtempSync(join(tmpdir(), 'ferrule-home-'));
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, CDK_DISABLE_CLI_TELEMETRY: 'true' };
    // No credentials, profiles or instance metadata to fall back on.
    Object.assign(env, {
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: join(home, 'none'),
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
    });
    const synth = spawnSync(
      join(infrastructure, '../node_modules/.bin/cdk'),
      [
        'synth',
        '--app',
        `node --import tsx ${app}`,
        '--output',
        out,
        '--quiet',
        '--no-notices',
        '--no-version-reporting',
      ],
      { cwd: infrastructure, env, encoding: 'utf8', timeout: 120_000 },
    );
    expect(synth.status, `${synth.stdout}\n${synth.stderr}`).toBe(0);
    const lint = spawnSync(
      cfnLint,
      [
        '--append-rules',
        'cfn_lint_serverless.rules',
        '--ignore-checks',
        'WS1004',
        '--',
        join(out, 'Orders.template.json'),
      ],
      { encoding: 'utf8', timeout: 120_000 },
    );
    // cfn-lint's exit code adds up 2 (errors), 4 (warnings) and 8 (informational); only warnings
    // (core W3005 on RustFunction's role dependency) and notes are allowed.
    expect([0, 4, 8, 12], lint.stdout + lint.stderr).toContain(lint.status);
    expect(lint.stdout).not.toMatch(/^E/m);
  }, 180_000);
});
