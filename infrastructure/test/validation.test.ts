import { App, Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import {
  FerruleHttpApi,
  FerruleQueue,
  FerruleRule,
  FerruleService,
  FerruleTable,
  RustFunction,
  type RustFunctionProps,
  resolveStage,
  TableStreamConsumer,
} from '../lib/index.ts';
import { testStack } from './helpers.ts';

/** Builds a function with `props` and returns the synth-time error message (or '' when it is accepted). */
function functionError(props: Partial<RustFunctionProps>, platforms?: string[]): string {
  const { stack } = testStack({ platforms });
  try {
    new RustFunction(stack, 'Fn', { crate: 'worker', ...props });
    Template.fromStack(stack);
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('RustFunction props that make no sense fail at synth', () => {
  it('crate must be a kebab-case crate name', () => {
    expect(functionError({ crate: 'Hello_Http' })).toMatch(
      /crate "Hello_Http" must be a kebab-case crate name/,
    );
  });

  it('memorySize must be 128..10240 MB', () => {
    expect(functionError({ memorySize: 64 })).toMatch(
      /memorySize must be a whole number of MB in 128\.\.10240, got 64/,
    );
    expect(functionError({ memorySize: 10_241 })).toMatch(/memorySize .* got 10241/);
    expect(functionError({ memorySize: 128 })).toBe('');
    expect(functionError({ memorySize: 10_240 })).toBe('');
  });

  it('timeout must be at most 15 minutes', () => {
    expect(functionError({ timeout: Duration.seconds(901) })).toMatch(
      /RustFunction Fn: timeout must be at most 15 minutes \(Lambda's limit\), got 15 minutes 1 second/,
    );
    expect(functionError({ timeout: Duration.minutes(15) })).toBe('');
  });

  it.each([
    ['role', { role: 'ROLE' }, /`role` is not accepted: the function gets a role of its own/],
    ['initialPolicy', { initialPolicy: [] }, /`initialPolicy` is not accepted: declare access under `uses`/],
    [
      'tracing',
      { tracing: lambda.Tracing.DISABLED },
      /tracing must stay lambda.Tracing.ACTIVE .* got Disabled/,
    ],
    [
      'loggingFormat',
      { loggingFormat: lambda.LoggingFormat.TEXT },
      /loggingFormat must stay lambda.LoggingFormat.JSON/,
    ],
    [
      'applicationLogLevel',
      { applicationLogLevel: 'DEBUG' },
      /`applicationLogLevel` is not accepted: use applicationLogLevelV2/,
    ],
  ])('refuses %s, which would undo what the construct guarantees', (_name, props, message) => {
    expect(functionError(props as Partial<RustFunctionProps>)).toMatch(message);
  });

  it('accepts tracing ACTIVE and loggingFormat JSON, which it sets anyway', () => {
    expect(functionError({ tracing: lambda.Tracing.ACTIVE, loggingFormat: lambda.LoggingFormat.JSON })).toBe(
      '',
    );
  });

  it('timeout must be at least 1 second', () => {
    expect(functionError({ timeout: Duration.millis(500) })).toMatch(/timeout must be at least 1 second/);
  });

  it('an unknown runtime is refused, naming the two that exist', () => {
    expect(functionError({ runtime: 'al2024' as never })).toMatch(
      /runtime must be 'al2023' \(provided\.al2023, the default\) or 'al2' \(provided\.al2\), not "al2024"/,
    );
  });

  it('al2 with arm64 is allowed (Lambda supports it)', () => {
    expect(functionError({ runtime: 'al2', architecture: lambda.Architecture.ARM_64 }, ['al2-arm64'])).toBe(
      '',
    );
  });

  it('an unknown architecture is refused', () => {
    expect(functionError({ architecture: lambda.Architecture.custom('sparc') })).toMatch(
      /architecture must be lambda\.Architecture\.X86_64 or lambda\.Architecture\.ARM_64, not "sparc"/,
    );
  });

  it('packaging must be auto, zip or image', () => {
    expect(functionError({ packaging: 'tarball' as never })).toMatch(
      /packaging must be 'auto', 'zip' or 'image'/,
    );
  });

  it.each(['DB_PASSWORD', 'SHIPPING_SECRET', 'GITHUB_TOKEN', 'STRIPE_API_KEY', 'apikey'])(
    'a plain environment variable named like a secret (%s) must be declared under uses.secrets',
    (name) => {
      expect(functionError({ environment: { [name]: 'x' } })).toMatch(
        new RegExp(
          `environment\\.${name} looks like a secret .* declare it under uses\\.secrets: \\[\\{ secret, env: '${name}' \\}\\]`,
        ),
      );
    },
  );

  it('a plain environment value shaped like an AWS secret access key or key id is refused', () => {
    expect(functionError({ environment: { UPSTREAM: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' } })).toMatch(
      /environment\.UPSTREAM holds what looks like an AWS access key; .*uses\.secrets/,
    );
    expect(functionError({ environment: { UPSTREAM: 'AKIAIOSFODNN7EXAMPLE' } })).toMatch(
      /looks like an AWS access key/,
    );
    // A 40-character git commit hash is not a key.
    expect(functionError({ environment: { COMMIT: 'e83c5163316f89bfbde7d9ab23ca2e25604af290' } })).toBe('');
  });

  it('environment variables reserved by Lambda are refused', () => {
    expect(functionError({ environment: { AWS_REGION: 'eu-west-1' } })).toMatch(
      /environment\.AWS_REGION: AWS_REGION is reserved by Lambda/,
    );
  });

  it('an invalid environment variable name is refused', () => {
    expect(functionError({ environment: { 'MAX-ITEMS': '3' } })).toMatch(
      /"MAX-ITEMS" is not a valid environment variable name/,
    );
  });

  it("the service's variables cannot be overridden", () => {
    expect(functionError({ environment: { FERRULE_STAGE: 'prod' } })).toMatch(
      /environment\.FERRULE_STAGE: FERRULE_STAGE is already set by the construct/,
    );
  });

  it('two declarations cannot set the same variable', () => {
    const { stack } = testStack();
    const table = new dynamodb.Table(stack, 'T', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    });
    const queue = new sqs.Queue(stack, 'Q');
    expect(
      () =>
        new RustFunction(stack, 'Fn', {
          crate: 'hello-http',
          environment: { ORDERS: 'x' },
          uses: { tables: [{ table, access: 'read', env: 'ORDERS' }], queues: [{ queue, access: 'send' }] },
        }),
    ).toThrow(/uses\.tables\[0\]\.env: ORDERS is already set by environment\.ORDERS/);
  });

  it('an unknown table or queue access is refused', () => {
    const { stack } = testStack();
    const table = new dynamodb.Table(stack, 'T', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    });
    expect(
      () =>
        new RustFunction(stack, 'A', {
          crate: 'api',
          uses: { tables: [{ table, access: 'admin' as never }] },
        }),
    ).toThrow(/uses\.tables\[0\]\.access must be read, write, read-write or stream, not "admin"/);
    const queue = new sqs.Queue(stack, 'Q');
    expect(
      () =>
        new RustFunction(stack, 'B', {
          crate: 'api',
          uses: { queues: [{ queue, access: 'purge' as never }] },
        }),
    ).toThrow(/uses\.queues\[0\]\.access must be send or consume/);
  });

  it('a table declaration gives exactly one of access and actions, each action known once', () => {
    const { stack } = testStack();
    const table = new dynamodb.Table(stack, 'T', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    });
    let count = 0;
    const error = (use: object) => {
      try {
        new RustFunction(stack, `Fn${count++}`, {
          crate: 'api',
          uses: { tables: [{ table, ...use }] },
        });
        return '';
      } catch (caught) {
        return (caught as Error).message;
      }
    };
    expect(error({})).toMatch(/uses\.tables\[0\]: give exactly one of actions .* and access/);
    expect(error({ access: 'read', actions: ['GetItem'] })).toMatch(/give exactly one of actions/);
    expect(error({ actions: [] })).toMatch(/uses\.tables\[0\]\.actions is empty/);
    expect(error({ actions: ['dynamodb:GetItem'] })).toMatch(
      /"dynamodb:GetItem" is not a table action; use BatchGetItem, .* \(without the dynamodb: prefix\)/,
    );
    expect(error({ actions: ['GetItem', 'GetItem'] })).toMatch(/names an action twice/);
    expect(error({ actions: ['GetItem'], indexes: ['by-status'] })).toMatch(
      /indexes: only Query and Scan can name an index, and actions has neither/,
    );
    expect(error({ actions: ['Query'], indexes: ['x'] })).toMatch(/"x" is not an index name/);
    expect(error({ access: 'write', indexes: ['by-status'] })).toMatch(/write access reads no index/);
    expect(error({ actions: ['Query'], indexes: ['by-status'] })).toBe('');
  });

  it('a parameter read must be GetParameter or GetParameters', () => {
    const { stack } = testStack();
    const service = new FerruleService(stack, 'Svc', { serviceName: 'orders' });
    const parameter = service.addParameter('P', { name: 'p', value: 'v' });
    expect(
      () =>
        new RustFunction(stack, 'Fn', {
          crate: 'api',
          service,
          uses: { parameters: [{ parameter, actions: ['GetParametersByPath' as never] }] },
        }),
    ).toThrow(
      /uses\.parameters\[0\]\.actions: "GetParametersByPath" is not a parameter read; use GetParameter or GetParameters/,
    );
  });

  it('a plain ssm: value is refused: the role would not read it; the fix declares the parameter', () => {
    expect(functionError({ environment: { MAX_ITEMS: 'ssm:/orders/dev/max-items' } })).toMatch(
      /environment\.MAX_ITEMS is an SSM reference .* would fail to start\. Declare the parameter instead: uses\.parameters: \[\{ parameter, env: 'MAX_ITEMS' \}\]/,
    );
    // A value that merely mentions SSM is plain configuration.
    expect(functionError({ environment: { NOTE: 'see ssm:/x' } })).toBe('');
  });

  it('stream access on a table without a stream says how to add one', () => {
    const { stack } = testStack();
    const table = new dynamodb.Table(stack, 'T', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    });
    expect(
      () => new RustFunction(stack, 'A', { crate: 'api', uses: { tables: [{ table, access: 'stream' }] } }),
    ).toThrow(/uses\.tables\[0\]: table T has no stream; create it with `stream`/);
  });

  it('a Cognito trigger needs a timeout of 5 s or less', () => {
    const { stack } = testStack();
    const pool = new cognito.UserPool(stack, 'Users');
    const fn = new RustFunction(stack, 'Fn', { crate: 'api' });
    expect(() => fn.addUserPoolTrigger(pool, cognito.UserPoolOperation.PRE_SIGN_UP)).toThrow(
      /a Cognito preSignUp trigger gives up after 5 s, but timeout is 10 s; set timeout: Duration\.seconds\(5\)/,
    );
  });
});

describe('FerruleQueue props that make no sense fail at synth', () => {
  it('visibilityTimeout must be at least 6 × the consumer timeout (+ batching window), naming the fix', () => {
    const { stack } = testStack();
    const worker = new RustFunction(stack, 'Worker', { crate: 'worker', timeout: Duration.seconds(20) });
    expect(
      () => new FerruleQueue(stack, 'Jobs', { consumer: worker, visibilityTimeout: Duration.seconds(60) }),
    ).toThrow(
      /FerruleQueue Jobs: visibilityTimeout is 60 s but must be at least 6 × the timeout of Worker \(20 s\) = 120 s.*set visibilityTimeout: Duration\.seconds\(120\) or leave it unset/,
    );
  });

  it('visibilityTimeout is checked again when a consumer is added later', () => {
    const { stack } = testStack();
    const jobs = new FerruleQueue(stack, 'Jobs');
    const slow = new RustFunction(stack, 'Slow', { crate: 'worker', timeout: Duration.seconds(15) });
    expect(() => jobs.addConsumer(slow)).toThrow(/visibilityTimeout is 60 s but must be at least .* = 90 s/);
  });

  it('visibilityTimeout must be at most 12 hours', () => {
    const { stack } = testStack();
    expect(() => new FerruleQueue(stack, 'Jobs', { visibilityTimeout: Duration.hours(13) })).toThrow(
      /visibilityTimeout must be at most 12 hours/,
    );
  });

  it.each([
    [true, 11, /batchSize must be 1\.\.10 for a FIFO queue, got 11/],
    [false, 10_001, /batchSize must be 1\.\.10000 for a standard queue, got 10001/],
    [false, 0, /batchSize must be 1\.\.10000 for a standard queue, got 0/],
  ])('batchSize out of range (fifo: %s, %i) is refused', (fifo, batchSize, message) => {
    const { stack } = testStack();
    const worker = new RustFunction(stack, 'Worker', { crate: 'worker' });
    expect(() => new FerruleQueue(stack, 'Jobs', { consumer: worker, fifo, batchSize })).toThrow(message);
  });

  it('a standard batch above 10 needs a batching window of at least 1 s', () => {
    const { stack } = testStack();
    const worker = new RustFunction(stack, 'Worker', { crate: 'worker' });
    expect(() => new FerruleQueue(stack, 'Jobs', { consumer: worker, batchSize: 100 })).toThrow(
      /batchSize 100 is above 10, .*set maxBatchingWindow: Duration\.seconds\(1\) or more/,
    );
  });

  it('a FIFO queue takes no batching window', () => {
    const { stack } = testStack();
    const worker = new RustFunction(stack, 'Worker', { crate: 'worker' });
    expect(
      () =>
        new FerruleQueue(stack, 'Jobs', {
          consumer: worker,
          fifo: true,
          maxBatchingWindow: Duration.seconds(1),
        }),
    ).toThrow(/maxBatchingWindow is not supported on FIFO queues/);
  });

  it('the batching window is at most 300 s', () => {
    const { stack } = testStack();
    const worker = new RustFunction(stack, 'Worker', { crate: 'worker' });
    expect(
      () => new FerruleQueue(stack, 'Jobs', { consumer: worker, maxBatchingWindow: Duration.seconds(301) }),
    ).toThrow(/maxBatchingWindow must be at most 300 seconds/);
  });

  it('maxReceiveCount must be 1..1000', () => {
    const { stack } = testStack();
    expect(() => new FerruleQueue(stack, 'Jobs', { maxReceiveCount: 0 })).toThrow(
      /maxReceiveCount must be a whole number in 1\.\.1000, got 0/,
    );
  });

  it('maxConcurrency must be 2..1000', () => {
    const { stack } = testStack();
    const worker = new RustFunction(stack, 'Worker', { crate: 'worker' });
    expect(() => new FerruleQueue(stack, 'Jobs', { consumer: worker, maxConcurrency: 1 })).toThrow(
      /maxConcurrency must be 2\.\.1000, got 1/,
    );
  });

  it('a queue has one consumer', () => {
    const { stack } = testStack();
    const jobs = new FerruleQueue(stack, 'Jobs', {
      consumer: new RustFunction(stack, 'A', { crate: 'worker' }),
    });
    expect(() => jobs.addConsumer(new RustFunction(stack, 'B', { crate: 'worker' }))).toThrow(
      /already consumed by A; one queue has one consumer/,
    );
  });
});

describe('stream consumer props that make no sense fail at synth', () => {
  function consumerError(options: Record<string, unknown>, stream = true): string {
    const { stack } = testStack();
    const table = new FerruleTable(stack, 'Orders', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      stream: stream ? dynamodb.StreamViewType.NEW_IMAGE : undefined,
    });
    try {
      table.addStreamConsumer(new RustFunction(stack, 'Fn', { crate: 'worker' }), options);
      return '';
    } catch (error) {
      return (error as Error).message;
    }
  }

  it('the table needs a stream', () => {
    expect(consumerError({}, false)).toMatch(/table Table has no stream; set stream/);
  });

  it('batchSize must be 1..10000', () => {
    expect(consumerError({ batchSize: 10_001 })).toMatch(/batchSize must be 1\.\.10000, got 10001/);
  });

  it('retryAttempts must be 0..10000', () => {
    expect(consumerError({ retryAttempts: -1 })).toMatch(/retryAttempts must be 0\.\.10000, got -1/);
  });

  it('maxRecordAge must be 60 s..7 days', () => {
    expect(consumerError({ maxRecordAge: Duration.seconds(30) })).toMatch(
      /maxRecordAge must be between 60 seconds and 7 days/,
    );
    expect(consumerError({ maxRecordAge: Duration.days(8) })).toMatch(/maxRecordAge must be between/);
  });

  it('the batching window is at most 300 s', () => {
    expect(consumerError({ maxBatchingWindow: Duration.minutes(6) })).toMatch(
      /maxBatchingWindow must be at most 300 seconds/,
    );
  });

  it('works on an imported table with a stream ARN', () => {
    const { stack } = testStack();
    const table = dynamodb.Table.fromTableAttributes(stack, 'T', {
      tableName: 'orders',
      tableStreamArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders/stream/2024-01-01T00:00:00.000',
    });
    expect(
      () =>
        new TableStreamConsumer(stack, 'C', {
          table,
          consumer: new RustFunction(stack, 'Fn', { crate: 'worker' }),
        }),
    ).not.toThrow();
  });
});

describe('FerruleRule props that make no sense fail at synth', () => {
  function ruleError(props: Record<string, unknown>): string {
    const { stack } = testStack();
    try {
      new FerruleRule(stack, 'R', { target: new RustFunction(stack, 'Fn', { crate: 'worker' }), ...props });
      return '';
    } catch (error) {
      return (error as Error).message;
    }
  }

  it('needs exactly one of eventPattern and schedule', () => {
    expect(ruleError({})).toMatch(/give exactly one of eventPattern and schedule/);
    expect(
      ruleError({ eventPattern: { source: ['x'] }, schedule: events.Schedule.rate(Duration.hours(1)) }),
    ).toMatch(/exactly one/);
  });

  it('a schedule runs on the default bus', () => {
    const { stack } = testStack();
    const bus = new events.EventBus(stack, 'Bus');
    expect(
      () =>
        new FerruleRule(stack, 'R', {
          target: new RustFunction(stack, 'Fn', { crate: 'worker' }),
          schedule: events.Schedule.rate(Duration.hours(1)),
          eventBus: bus,
        }),
    ).toThrow(/schedules run on the default bus; remove eventBus/);
  });

  it('retryAttempts must be 0..185', () => {
    expect(ruleError({ eventPattern: { source: ['x'] }, retryAttempts: 186 })).toMatch(
      /retryAttempts must be 0\.\.185, got 186/,
    );
  });

  it('maxEventAge must be 60 s..24 h', () => {
    expect(ruleError({ eventPattern: { source: ['x'] }, maxEventAge: Duration.hours(25) })).toMatch(
      /maxEventAge must be between 60 seconds and 24 hours/,
    );
  });
});

describe('FerruleHttpApi props that make no sense fail at synth', () => {
  it('a route is authorized by default, so an API without jwt needs an explicit opt-out', () => {
    const { stack } = testStack();
    const api = new FerruleHttpApi(stack, 'Http');
    expect(() => api.addRoute('/orders', new RustFunction(stack, 'Fn', { crate: 'api' }))).toThrow(
      /route GET \/orders is authorized by default but the API has no jwt; set jwt: \{ userPool, userPoolClients \} on the API, or authorized: false on this route/,
    );
  });

  it('jwt needs at least one app client', () => {
    const { stack } = testStack();
    const pool = new cognito.UserPool(stack, 'Users');
    expect(() => new FerruleHttpApi(stack, 'Http', { jwt: { userPool: pool, userPoolClients: [] } })).toThrow(
      /jwt\.userPoolClients must name at least one app client/,
    );
  });

  it('a route function may not outlive the 30 s integration timeout', () => {
    const { stack } = testStack();
    const api = new FerruleHttpApi(stack, 'Http');
    const slow = new RustFunction(stack, 'Slow', { crate: 'api', timeout: Duration.seconds(60) });
    expect(() => api.addRoute('/report', slow, { authorized: false })).toThrow(
      /Slow has a 60 s timeout but an HTTP API gives up after 30 s; set timeout to 30 seconds or less/,
    );
  });

  it('scopes on a public route are contradictory', () => {
    const { stack } = testStack();
    const api = new FerruleHttpApi(stack, 'Http');
    expect(() =>
      api.addRoute('/x', new RustFunction(stack, 'Fn', { crate: 'api' }), {
        authorized: false,
        scopes: ['a'],
      }),
    ).toThrow(/has scopes but authorized: false/);
  });

  it('throttling limits must be positive', () => {
    const { stack } = testStack();
    expect(() => new FerruleHttpApi(stack, 'A', { rateLimit: 0 })).toThrow(/rateLimit must be above 0/);
    expect(() => new FerruleHttpApi(stack, 'B', { burstLimit: 0 })).toThrow(
      /burstLimit must be a whole number of at least 1/,
    );
  });
});

describe('FerruleService props that make no sense fail at synth', () => {
  it('the stage is dev or prod, from the prop or from context ferrule:stage', () => {
    expect(() => resolveStage(new App({ context: { 'ferrule:stage': 'qa' } }))).toThrow(
      /context ferrule:stage must be one of dev, prod, not "qa"/,
    );
    const { stack } = testStack();
    expect(
      () => new FerruleService(stack, 'S', { serviceName: 'orders', stage: 'staging' as never }),
    ).toThrow(/^stage must be one of dev, prod, not "staging"/);
  });

  it('the service name is lowercase kebab-case', () => {
    const { stack } = testStack();
    expect(() => new FerruleService(stack, 'S', { serviceName: 'Orders Service' })).toThrow(
      /serviceName must be lowercase kebab-case/,
    );
  });

  it('the metrics namespace may not use the AWS/ prefix', () => {
    const { stack } = testStack();
    expect(
      () => new FerruleService(stack, 'S', { serviceName: 'orders', metricsNamespace: 'AWS/Lambda' }),
    ).toThrow(/metricsNamespace .* must not start with AWS\//);
  });

  it('parameter names are relative to /<service>/<stage>/', () => {
    const { stack } = testStack();
    const service = new FerruleService(stack, 'S', { serviceName: 'orders' });
    expect(() => service.addParameter('P', { name: '/orders/dev/x', value: '1' })).toThrow(
      /parameter name "\/orders\/dev\/x" must be .* \(no leading \/; the \/<service>\/<stage>\/ prefix is added\)/,
    );
  });
});

describe("RustFunction environment against the crate's declared variables", () => {
  /** orders-api declares ORDERS_TABLE (required) and IDEMPOTENCY_EXPIRES_AFTER_SECS (optional). */
  function ordersApiError(environment: Record<string, string>, later?: Record<string, string>): string {
    const { stack } = testStack({ crates: ['orders-api'] });
    try {
      const fn = new RustFunction(stack, 'Api', { crate: 'orders-api', environment });
      for (const [name, value] of Object.entries(later ?? {})) fn.addEnvironment(name, value);
      Template.fromStack(stack);
      return '';
    } catch (error) {
      return (error as Error).message;
    }
  }

  it('refuses at synth an environment without a variable the crate requires, naming it and the manifest', () => {
    expect(ordersApiError({})).toMatch(
      /RustFunction Api: ORDERS_TABLE is required by crate orders-api \(backend\/functions\/orders-api\/Cargo.toml\) but not set/,
    );
  });

  it('refuses a variable the crate does not read, including one added after construction', () => {
    expect(ordersApiError({ ORDERS_TABLE: 'orders', ORDER_TABLE: 'typo' })).toMatch(
      /ORDER_TABLE is set but crate orders-api does not read it; remove it, or declare it in backend\/functions\/orders-api\/Cargo.toml/,
    );
    expect(ordersApiError({ ORDERS_TABLE: 'orders' }, { LEFT_OVER: 'x' })).toMatch(
      /LEFT_OVER is set but crate/,
    );
  });

  it("accepts the required and optional variables, and the platform's own", () => {
    expect(ordersApiError({ ORDERS_TABLE: 'orders', IDEMPOTENCY_EXPIRES_AFTER_SECS: '60' })).toBe('');
    expect(
      ordersApiError({ ORDERS_TABLE: 'orders', RUST_LOG: 'debug' }, { AWS_LAMBDA_EXEC_WRAPPER: '/opt/w' }),
    ).toBe('');
  });

  it('accepts a required variable set by a uses declaration', () => {
    const { stack } = testStack({ crates: ['orders-api'] });
    const table = new dynamodb.TableV2(stack, 'Orders', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    });
    new RustFunction(stack, 'Api', {
      crate: 'orders-api',
      uses: { tables: [{ table, actions: ['GetItem'], env: 'ORDERS_TABLE' }] },
    });
    expect(() => Template.fromStack(stack)).not.toThrow();
  });

  it('compares nothing for a crate that is not in backend/functions', () => {
    expect(functionError({ crate: 'worker', environment: { ANYTHING: 'x' } })).toBe('');
  });
});
