import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, SecretValue, Stack, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { ADR002_RULES, Adr002Checks } from '../lib/rules/index.ts';

const LAMBDA_TRUST = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};

/** Every finding of the pack on the app, as `<rule id> <construct path>`, sorted. */
function findings(build: (stack: Stack) => void): string[] {
  const app = new App();
  build(new Stack(app, 'Test'));
  const report = new Adr002Checks().validateScope(app);
  return report.violations
    .flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`))
    .sort();
}

function role(stack: Stack, id: string): iam.CfnRole {
  return new iam.CfnRole(stack, id, { assumeRolePolicyDocument: LAMBDA_TRUST });
}

/** A raw function that meets every ADR-002 rule, with its own role; `overrides` break one rule. */
function fn(stack: Stack, id = 'Fn', overrides: Partial<lambda.CfnFunctionProps> = {}): lambda.CfnFunction {
  const execution = role(stack, `${id}Role`);
  new iam.CfnPolicy(stack, `${id}Policy`, {
    policyName: `${id}Policy`,
    roles: [execution.ref],
    policyDocument: {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: 'arn:aws:logs:eu-west-1:111122223333:log-group:/ferrule/hello:*',
        },
      ],
    },
  });
  return new lambda.CfnFunction(stack, id, {
    role: execution.attrArn,
    runtime: 'provided.al2023',
    handler: 'bootstrap',
    code: { s3Bucket: 'cdk-assets', s3Key: 'hello.zip' },
    tracingConfig: { mode: 'Active' },
    loggingConfig: { logFormat: 'JSON' },
    timeout: 10,
    environment: { variables: { FERRULE_SERVICE_NAME: 'hello' } },
    ...overrides,
  });
}

function policy(stack: Stack, roles: string[], statements: object[], id = 'Extra'): iam.CfnPolicy {
  return new iam.CfnPolicy(stack, id, {
    policyName: id,
    roles,
    policyDocument: { Version: '2012-10-17', Statement: statements },
  });
}

function placeholderZip(): string {
  const zip = join(mkdtempSync(join(tmpdir(), 'ferrule-rules-')), 'bootstrap.zip');
  writeFileSync(zip, 'placeholder');
  return zip;
}

/** An L2 function set up the ADR-002 way (what RustFunction does), for event-source wiring. */
function l2Function(stack: Stack, id = 'Handler', timeout = Duration.seconds(10)): lambda.Function {
  return new lambda.Function(stack, id, {
    runtime: lambda.Runtime.PROVIDED_AL2023,
    handler: 'bootstrap',
    code: lambda.Code.fromAsset(placeholderZip()),
    tracing: lambda.Tracing.ACTIVE,
    loggingFormat: lambda.LoggingFormat.JSON,
    timeout,
  });
}

describe('ADR002 compliant stacks', () => {
  it('reports nothing for a raw function that follows ADR-002', () => {
    expect(findings((s) => fn(s))).toEqual([]);
  });

  it('reports nothing for an L2 function with SQS and DynamoDB sources set up safely', () => {
    expect(
      findings((s) => {
        const handler = l2Function(s);
        const dlq = new sqs.Queue(s, 'Dlq');
        const queue = new sqs.Queue(s, 'Queue', {
          visibilityTimeout: Duration.seconds(60),
          deadLetterQueue: { queue: dlq, maxReceiveCount: 3 },
        });
        handler.addEventSource(new SqsEventSource(queue, { reportBatchItemFailures: true }));
        const table = new dynamodb.Table(s, 'Table', {
          partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
          stream: dynamodb.StreamViewType.NEW_IMAGE,
        });
        handler.addEventSource(
          new DynamoEventSource(table, {
            startingPosition: lambda.StartingPosition.LATEST,
            bisectBatchOnError: true,
            reportBatchItemFailures: true,
            retryAttempts: 3,
            onFailure: new SqsDlq(dlq),
          }),
        );
        new events.Rule(s, 'Nightly', {
          schedule: events.Schedule.rate(Duration.days(1)),
          targets: [new targets.LambdaFunction(handler, { deadLetterQueue: dlq, retryAttempts: 2 })],
        });
      }),
    ).toEqual([]);
  });
});

describe('ADR002-OsOnlyRuntime', () => {
  it('flags a managed runtime and a handler other than bootstrap', () => {
    expect(findings((s) => fn(s, 'Fn', { runtime: 'nodejs20.x', handler: 'index.handler' }))).toEqual([
      'ADR002-OsOnlyRuntime Test/Fn',
    ]);
    expect(findings((s) => fn(s, 'Fn', { handler: 'main' }))).toEqual(['ADR002-OsOnlyRuntime Test/Fn']);
    expect(findings((s) => fn(s, 'Fn', { runtime: 'provided.al2' }))).toEqual([]);
  });

  it('accepts a container image', () => {
    expect(
      findings((s) =>
        fn(s, 'Fn', {
          packageType: 'Image',
          runtime: undefined,
          handler: undefined,
          code: { imageUri: '111122223333.dkr.ecr.eu-west-1.amazonaws.com/hello:1' },
        }),
      ),
    ).toEqual([]);
  });
});

describe('ADR002-OneRolePerFunction', () => {
  it('flags every function of a shared role, by reference or by literal ARN', () => {
    expect(
      findings((s) => {
        const a = fn(s, 'A');
        fn(s, 'B', { role: a.role });
      }),
    ).toEqual(['ADR002-OneRolePerFunction Test/A', 'ADR002-OneRolePerFunction Test/B']);
    const arn = 'arn:aws:iam::111122223333:role/shared';
    expect(
      findings((s) => {
        fn(s, 'A', { role: arn });
        fn(s, 'B', { role: arn });
      }),
    ).toEqual(['ADR002-OneRolePerFunction Test/A', 'ADR002-OneRolePerFunction Test/B']);
  });
});

describe('ADR002-ActiveTracing', () => {
  it('flags PassThrough and missing tracing', () => {
    expect(findings((s) => fn(s, 'Fn', { tracingConfig: { mode: 'PassThrough' } }))).toEqual([
      'ADR002-ActiveTracing Test/Fn',
    ]);
    expect(findings((s) => fn(s, 'Fn', { tracingConfig: undefined }))).toEqual([
      'ADR002-ActiveTracing Test/Fn',
    ]);
  });
});

describe('ADR002-JsonLogs', () => {
  it('flags the Text format and a missing logging config', () => {
    expect(findings((s) => fn(s, 'Fn', { loggingConfig: { logFormat: 'Text' } }))).toEqual([
      'ADR002-JsonLogs Test/Fn',
    ]);
    expect(findings((s) => fn(s, 'Fn', { loggingConfig: undefined }))).toEqual(['ADR002-JsonLogs Test/Fn']);
  });

  it('sees raw property overrides, not only the typed properties', () => {
    expect(
      findings((s) => {
        const handler = l2Function(s);
        (handler.node.defaultChild as lambda.CfnFunction).addPropertyOverride(
          'LoggingConfig.LogFormat',
          'Text',
        );
      }),
    ).toEqual(['ADR002-JsonLogs Test/Handler/Resource']);
  });
});

describe('ADR002-ArtifactPackaging', () => {
  it('flags inline code and an image without ImageUri', () => {
    expect(findings((s) => fn(s, 'Fn', { code: { zipFile: 'exit 0' } }))).toEqual([
      'ADR002-ArtifactPackaging Test/Fn',
    ]);
    expect(
      findings((s) => fn(s, 'Fn', { packageType: 'Image', code: { s3Bucket: 'b', s3Key: 'k.zip' } })),
    ).toEqual(['ADR002-ArtifactPackaging Test/Fn']);
  });
});

describe('ADR002-NoWildcardPermissions', () => {
  const rule = 'ADR002-NoWildcardPermissions';

  it('flags *, service:* and NotAction on a function role, one finding each', () => {
    expect(
      findings((s) => {
        fn(s);
        const execution = s.node.findChild('FnRole') as iam.CfnRole;
        policy(
          s,
          [execution.ref],
          [
            { Effect: 'Allow', Action: ['s3:*', 'sqs:SendMessage'], Resource: 'arn:aws:s3:::data/*' },
            { Effect: 'Allow', Action: '*', Resource: 'arn:aws:s3:::data' },
            { Effect: 'Allow', NotAction: 'iam:*', Resource: 'arn:aws:s3:::data' },
          ],
        );
      }),
    ).toEqual([
      `${rule}[Action::*] Test/Extra`,
      `${rule}[Action::s3:*] Test/Extra`,
      `${rule}[NotAction] Test/Extra`,
    ]);
  });

  it('flags an action on every resource, except the resource-less X-Ray and ListStreams actions', () => {
    expect(
      findings((s) => {
        fn(s);
        const execution = s.node.findChild('FnRole') as iam.CfnRole;
        policy(
          s,
          [execution.ref],
          [
            { Effect: 'Allow', Action: ['dynamodb:ListStreams', 's3:GetObject'], Resource: '*' },
            { Effect: 'Deny', Action: '*', Resource: '*' },
          ],
        );
      }),
    ).toEqual([`${rule}[Resource::*::s3:GetObject] Test/Extra`]);
  });

  it('checks inline role policies and managed policies, and ignores roles no function uses', () => {
    expect(
      findings((s) => {
        const inline = role(s, 'InlineRole');
        inline.policies = [
          {
            policyName: 'p',
            policyDocument: { Statement: [{ Effect: 'Allow', Action: 'dynamodb:*', Resource: '*' }] },
          },
        ];
        fn(s, 'Fn', { role: inline.attrArn });
        new iam.CfnManagedPolicy(s, 'Managed', {
          roles: [inline.ref],
          policyDocument: {
            Statement: [{ Effect: 'Allow', Action: 'kms:*', Resource: 'arn:aws:kms:::key/1' }],
          },
        });
        const unrelated = role(s, 'Unrelated');
        policy(s, [unrelated.ref], [{ Effect: 'Allow', Action: '*', Resource: '*' }], 'Admin');
      }),
    ).toEqual([`${rule}[Action::dynamodb:*] Test/InlineRole`, `${rule}[Action::kms:*] Test/Managed`]);
  });

  it('reports nothing for what lambda.Function grants itself under active tracing', () => {
    expect(findings((s) => l2Function(s))).toEqual([]);
  });
});

describe('ADR002-NoSecretsInEnvironment', () => {
  const env = (variables: Record<string, string>) => ({ environment: { variables } });

  it('flags secret-named literals, key-shaped values and dynamic secret references', () => {
    expect(
      findings((s) =>
        fn(
          s,
          'Fn',
          env({
            DB_PASSWORD: 'hunter2',
            STRIPE_API_KEY: 'sk_live_abc',
            SIGNING: '-----BEGIN RSA PRIVATE KEY-----\nMIIE...',
            UPSTREAM: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
            KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
            TOKEN: SecretValue.secretsManager('github-token').unsafeUnwrap(),
          }),
        ),
      ),
    ).toEqual([
      'ADR002-NoSecretsInEnvironment[Variable::DB_PASSWORD] Test/Fn',
      'ADR002-NoSecretsInEnvironment[Variable::KEY_ID] Test/Fn',
      'ADR002-NoSecretsInEnvironment[Variable::SIGNING] Test/Fn',
      'ADR002-NoSecretsInEnvironment[Variable::STRIPE_API_KEY] Test/Fn',
      'ADR002-NoSecretsInEnvironment[Variable::TOKEN] Test/Fn',
      'ADR002-NoSecretsInEnvironment[Variable::UPSTREAM] Test/Fn',
    ]);
  });

  it('accepts where a secret lives (ARN, name, parameter path) and ordinary values', () => {
    expect(
      findings((s) =>
        fn(
          s,
          'Fn',
          env({
            DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:db-AbCdEf',
            API_KEY_PARAMETER: '/ferrule/api-key',
            GITHUB_TOKEN_NAME: 'ci/github',
            BUILD_SHA: '3f786850e387550fdab836ed7e6dc881de23001b',
            TABLE_NAME: 'orders',
          }),
        ),
      ),
    ).toEqual([]);
  });
});

describe('ADR002-TimeoutBelowMax', () => {
  it('flags the 900 s maximum and accepts anything below it (and the 3 s default)', () => {
    expect(findings((s) => fn(s, 'Fn', { timeout: 900 }))).toEqual(['ADR002-TimeoutBelowMax Test/Fn']);
    expect(findings((s) => fn(s, 'Fn', { timeout: 899 }))).toEqual([]);
    expect(findings((s) => fn(s, 'Fn', { timeout: undefined }))).toEqual([]);
  });
});

describe('ADR002-SqsEventSource', () => {
  const rule = 'ADR002-SqsEventSource';

  function sqsSource(
    s: Stack,
    queueProps: sqs.CfnQueueProps,
    mapping: Partial<lambda.CfnEventSourceMappingProps>,
  ) {
    const f = fn(s, 'Fn', { timeout: 10 });
    const queue = new sqs.CfnQueue(s, 'Queue', queueProps);
    new lambda.CfnEventSourceMapping(s, 'Mapping', {
      functionName: f.ref,
      eventSourceArn: queue.attrArn,
      functionResponseTypes: ['ReportBatchItemFailures'],
      ...mapping,
    });
  }
  const safeQueue = {
    visibilityTimeout: 60,
    redrivePolicy: { deadLetterTargetArn: 'arn:aws:sqs:eu-west-1:111122223333:dlq', maxReceiveCount: 3 },
  };

  it('accepts partial batch responses, a DLQ and 6 × the function timeout', () => {
    expect(findings((s) => sqsSource(s, safeQueue, {}))).toEqual([]);
  });

  it('flags each missing safety, one finding each', () => {
    expect(findings((s) => sqsSource(s, safeQueue, { functionResponseTypes: undefined }))).toEqual([
      `${rule}[ReportBatchItemFailures] Test/Mapping`,
    ]);
    expect(findings((s) => sqsSource(s, { visibilityTimeout: 60 }, {}))).toEqual([
      `${rule}[RedrivePolicy] Test/Mapping`,
    ]);
    expect(findings((s) => sqsSource(s, { ...safeQueue, visibilityTimeout: 59 }, {}))).toEqual([
      `${rule}[VisibilityTimeout] Test/Mapping`,
    ]);
    // Defaults: a 30 s queue in front of a 10 s function.
    expect(findings((s) => sqsSource(s, { redrivePolicy: safeQueue.redrivePolicy }, {}))).toEqual([
      `${rule}[VisibilityTimeout] Test/Mapping`,
    ]);
  });

  it('checks only the mapping of an imported queue (its DLQ is not in the template)', () => {
    expect(
      findings((s) => {
        const f = fn(s);
        new lambda.CfnEventSourceMapping(s, 'Mapping', {
          functionName: f.ref,
          eventSourceArn: 'arn:aws:sqs:eu-west-1:111122223333:orders',
        });
      }),
    ).toEqual([`${rule}[ReportBatchItemFailures] Test/Mapping`]);
  });

  it('flags the L2 SqsEventSource defaults: no partial batch response, no DLQ, 30 s visibility', () => {
    const found = findings((s) =>
      l2Function(s).addEventSource(new SqsEventSource(new sqs.Queue(s, 'Queue'))),
    );
    expect(found.map((f) => f.split(' ')[0])).toEqual([
      `${rule}[RedrivePolicy]`,
      `${rule}[ReportBatchItemFailures]`,
      `${rule}[VisibilityTimeout]`,
    ]);
  });
});

describe('ADR002-StreamEventSource', () => {
  const rule = 'ADR002-StreamEventSource';

  function tableSource(s: Stack, mapping: Partial<lambda.CfnEventSourceMappingProps>) {
    const f = fn(s);
    const table = new dynamodb.CfnTable(s, 'Table', {
      keySchema: [{ attributeName: 'pk', keyType: 'HASH' }],
      attributeDefinitions: [{ attributeName: 'pk', attributeType: 'S' }],
      billingMode: 'PAY_PER_REQUEST',
      streamSpecification: { streamViewType: 'NEW_IMAGE' },
    });
    new lambda.CfnEventSourceMapping(s, 'Mapping', {
      functionName: f.ref,
      eventSourceArn: table.attrStreamArn,
      startingPosition: 'LATEST',
      ...mapping,
    });
  }
  const safe = {
    bisectBatchOnFunctionError: true,
    functionResponseTypes: ['ReportBatchItemFailures'],
    maximumRetryAttempts: 3,
    destinationConfig: { onFailure: { destination: 'arn:aws:sqs:eu-west-1:111122223333:dlq' } },
  };

  it('accepts bisect, partial batch responses, bounded retries and an on-failure destination', () => {
    expect(findings((s) => tableSource(s, safe))).toEqual([]);
  });

  it('flags each missing setting, and infinite retries', () => {
    expect(findings((s) => tableSource(s, {}))).toEqual([
      `${rule}[BisectBatchOnFunctionError] Test/Mapping`,
      `${rule}[MaximumRetryAttempts] Test/Mapping`,
      `${rule}[OnFailureDestination] Test/Mapping`,
      `${rule}[ReportBatchItemFailures] Test/Mapping`,
    ]);
    expect(findings((s) => tableSource(s, { ...safe, maximumRetryAttempts: -1 }))).toEqual([
      `${rule}[MaximumRetryAttempts] Test/Mapping`,
    ]);
  });

  it('recognizes a Kinesis stream by its ARN', () => {
    expect(
      findings((s) => {
        const f = fn(s);
        new lambda.CfnEventSourceMapping(s, 'Mapping', {
          functionName: f.ref,
          eventSourceArn: 'arn:aws:kinesis:eu-west-1:111122223333:stream/clicks',
          startingPosition: 'LATEST',
          ...safe,
          destinationConfig: undefined,
        });
      }),
    ).toEqual([`${rule}[OnFailureDestination] Test/Mapping`]);
  });
});

describe('ADR002-EventBridgeTarget', () => {
  const rule = 'ADR002-EventBridgeTarget';

  function eventRule(s: Stack, target: Partial<events.CfnRule.TargetProperty>, arn?: string) {
    const f = fn(s);
    new events.CfnRule(s, 'Rule', {
      scheduleExpression: 'rate(1 day)',
      targets: [{ id: 'Fn', arn: arn ?? f.attrArn, ...target }],
    });
  }

  it('accepts a function target with a dead-letter queue and a retry policy', () => {
    expect(
      findings((s) =>
        eventRule(s, {
          deadLetterConfig: { arn: 'arn:aws:sqs:eu-west-1:111122223333:dlq' },
          retryPolicy: { maximumRetryAttempts: 2 },
        }),
      ),
    ).toEqual([]);
  });

  it('flags a function target without them, and leaves other targets alone', () => {
    expect(findings((s) => eventRule(s, {}))).toEqual([
      `${rule}[Target::Fn::DeadLetterConfig] Test/Rule`,
      `${rule}[Target::Fn::RetryPolicy] Test/Rule`,
    ]);
    expect(findings((s) => eventRule(s, {}, 'arn:aws:lambda:eu-west-1:111122223333:function:other'))).toEqual(
      [`${rule}[Target::Fn::DeadLetterConfig] Test/Rule`, `${rule}[Target::Fn::RetryPolicy] Test/Rule`],
    );
    expect(findings((s) => eventRule(s, {}, 'arn:aws:sqs:eu-west-1:111122223333:inbox'))).toEqual([]);
  });
});

describe('acknowledging a finding', () => {
  it('suppresses exactly the acknowledged rule or finding, with a written reason', () => {
    expect(
      findings((s) => {
        const f = fn(s, 'Fn', { tracingConfig: undefined, environment: { variables: { DB_PASSWORD: 'x' } } });
        Validations.of(f).acknowledge({
          id: 'ADR002-ActiveTracing',
          reason: 'Sampled by the upstream API; tracing here doubles the cost (issue #12).',
        });
        Validations.of(f).acknowledge({
          id: 'ADR002-NoSecretsInEnvironment[Variable::OTHER]',
          reason: 'A different variable: must not hide DB_PASSWORD.',
        });
      }),
    ).toEqual(['ADR002-NoSecretsInEnvironment[Variable::DB_PASSWORD] Test/Fn']);
  });

  it('applies an acknowledgement on a parent construct to the resources below it', () => {
    expect(
      findings((s) => {
        fn(s, 'Fn', { timeout: 900 });
        Validations.of(s).acknowledge({
          id: 'ADR002-TimeoutBelowMax',
          reason: 'Nightly export bounded by the upstream API; moving to Fargate in Q3.',
        });
      }),
    ).toEqual([]);
  });

  it('reports an acknowledgement without a real reason', () => {
    expect(
      findings((s) => {
        const f = fn(s, 'Fn', { tracingConfig: undefined });
        Validations.of(f).acknowledge({ id: 'ADR002-ActiveTracing', reason: 'ok' });
      }),
    ).toEqual(['ADR002-AcknowledgementReason Test/Fn']);
  });
});

describe('registered on an app with Validations', () => {
  function app(build: (stack: Stack) => void): App {
    const a = new App();
    Validations.of(a).addPlugins(new Adr002Checks(a));
    build(new Stack(a, 'Test'));
    return a;
  }

  it('fails synthesis with the rule id and its fix', () => {
    const a = app((s) => fn(s, 'Fn', { loggingConfig: undefined }));
    expect(() => a.synth()).toThrow(/does not log in JSON\. Fix: loggingFormat: lambda\.LoggingFormat\.JSON/);
    expect(() => a.synth()).toThrow(/Test\/Fn[\s\S]*Acknowledge with 'ADR002::ADR002-JsonLogs'/);
  });

  it('synthesizes a compliant app, and one whose findings are acknowledged', () => {
    expect(() => app((s) => fn(s)).synth()).not.toThrow();
    const acknowledged = app((s) => {
      const f = fn(s, 'Fn', { loggingConfig: undefined });
      Validations.of(f).acknowledge({
        id: 'ADR002-JsonLogs',
        reason: 'Legacy log pipeline parses text until May.',
      });
    });
    expect(() => acknowledged.synth()).not.toThrow();
  });

  it("accepts the plugin-namespaced id CDK's report suggests, and still requires its reason", () => {
    const ack = (reason: string) =>
      app((s) => {
        const f = fn(s, 'Fn', { loggingConfig: undefined });
        Validations.of(f).acknowledge({ id: 'ADR002::ADR002-JsonLogs', reason });
      });
    expect(() => ack('Legacy log pipeline parses text until May.').synth()).not.toThrow();
    expect(() => ack('tbd').synth()).toThrow(/without a written reason[\s\S]*Test\/Fn/);
  });
});

describe('the rule catalogue', () => {
  it('has unique ids, a fix in every info, and a row for each rule in docs/rules.md', () => {
    const ids = ADR002_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of ADR002_RULES) expect(rule.info).toMatch(/Fix: /);
    const docs = readFileSync(new URL('../../docs/rules.md', import.meta.url), 'utf8');
    for (const id of ids) expect(docs).toContain(`| \`${id}\``);
  });
});
