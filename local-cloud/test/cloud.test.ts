// The local cloud on a hand-written assembly whose functions are the emulator's test runtime,
// with moto behind it: resources from the template, the HTTP API's payload 2.0, init failures,
// queues with redrive, streams, rules, schedules, destinations and Cognito triggers.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CognitoIdentityProviderClient, SignUpCommand } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCloud } from '../src/cloud.ts';
import { eventually, memoryLog, motoEndpoint, testFunction, writeAssembly } from './helpers.ts';

const run = Math.random().toString(36).slice(2, 8);
const stack = `LocalCloudTest${run}`;
const fnArn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const queueArn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

const resources = {
  Table: {
    Type: 'AWS::DynamoDB::Table',
    Properties: {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
    },
  },
  Setting: {
    Type: 'AWS::SSM::Parameter',
    Properties: { Type: 'String', Value: 'from-template', Name: `/${run}/setting` },
  },
  ApiKey: {
    Type: 'AWS::SecretsManager::Secret',
    Properties: {
      Name: `${run}/api-key`,
      GenerateSecretString: {
        SecretStringTemplate: '{}',
        GenerateStringKey: 'apiKey',
        PasswordLength: 20,
        ExcludePunctuation: true,
      },
    },
  },
  ApiEcho: testFunction('api-echo', 'echo', {
    Environment: {
      Variables: {
        AWS_FIXTURE_TABLE: { Ref: 'Table' },
        AWS_FIXTURE_SETTING: { 'Fn::Join': ['', ['ssm:', { Ref: 'Setting' }]] },
        AWS_FIXTURE_SECRET: { Ref: 'ApiKey' },
      },
    },
  }),
  Broken: testFunction('broken', 'init-error'),
  EchoUrl: {
    Type: 'AWS::Lambda::Url',
    Properties: { TargetFunctionArn: fnArn('ApiEcho'), AuthType: 'NONE' },
  },
  Crashing: testFunction('crashing', 'crash'),
  Failing: testFunction('failing', 'handler-error'),
  QueueEcho: testFunction('queue-echo', 'echo'),
  StreamEcho: testFunction('stream-echo', 'echo'),
  EventsEcho: testFunction('events-echo', 'echo'),
  Api: {
    Type: 'AWS::ApiGatewayV2::Api',
    Properties: {
      Name: 'fixture',
      ProtocolType: 'HTTP',
      CorsConfiguration: {
        AllowOrigins: ['https://app.example'],
        AllowMethods: ['GET', 'POST'],
        AllowHeaders: ['authorization'],
        MaxAge: 300,
      },
    },
  },
  EchoIntegration: {
    Type: 'AWS::ApiGatewayV2::Integration',
    Properties: {
      ApiId: { Ref: 'Api' },
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: fnArn('ApiEcho'),
      PayloadFormatVersion: '2.0',
    },
  },
  BrokenIntegration: {
    Type: 'AWS::ApiGatewayV2::Integration',
    Properties: {
      ApiId: { Ref: 'Api' },
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: fnArn('Broken'),
      PayloadFormatVersion: '2.0',
    },
  },
  CrashIntegration: {
    Type: 'AWS::ApiGatewayV2::Integration',
    Properties: {
      ApiId: { Ref: 'Api' },
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: fnArn('Crashing'),
      PayloadFormatVersion: '2.0',
    },
  },
  ItemRoute: {
    Type: 'AWS::ApiGatewayV2::Route',
    Properties: {
      ApiId: { Ref: 'Api' },
      RouteKey: 'ANY /items/{id}',
      Target: { 'Fn::Join': ['', ['integrations/', { Ref: 'EchoIntegration' }]] },
    },
  },
  BrokenRoute: {
    Type: 'AWS::ApiGatewayV2::Route',
    Properties: {
      ApiId: { Ref: 'Api' },
      RouteKey: 'GET /broken',
      Target: { 'Fn::Join': ['', ['integrations/', { Ref: 'BrokenIntegration' }]] },
    },
  },
  CrashRoute: {
    Type: 'AWS::ApiGatewayV2::Route',
    Properties: {
      ApiId: { Ref: 'Api' },
      RouteKey: 'GET /crash',
      Target: { 'Fn::Join': ['', ['integrations/', { Ref: 'CrashIntegration' }]] },
    },
  },
  DeadLetters: { Type: 'AWS::SQS::Queue', Properties: { QueueName: `dlq-${run}` } },
  Work: {
    Type: 'AWS::SQS::Queue',
    Properties: {
      QueueName: `work-${run}`,
      VisibilityTimeout: 1,
      RedrivePolicy: { deadLetterTargetArn: queueArn('DeadLetters'), maxReceiveCount: 2 },
    },
  },
  WorkMapping: {
    Type: 'AWS::Lambda::EventSourceMapping',
    Properties: {
      EventSourceArn: queueArn('Work'),
      FunctionName: { Ref: 'Failing' },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    },
  },
  Inbox: { Type: 'AWS::SQS::Queue', Properties: { QueueName: `inbox-${run}` } },
  InboxMapping: {
    Type: 'AWS::Lambda::EventSourceMapping',
    Properties: {
      EventSourceArn: queueArn('Inbox'),
      FunctionName: { Ref: 'QueueEcho' },
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
    },
  },
  StreamMapping: {
    Type: 'AWS::Lambda::EventSourceMapping',
    Properties: {
      EventSourceArn: { 'Fn::GetAtt': ['Table', 'StreamArn'] },
      FunctionName: { Ref: 'StreamEcho' },
      StartingPosition: 'LATEST',
      BatchSize: 10,
    },
  },
  Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: `bus-${run}` } },
  Successes: { Type: 'AWS::SQS::Queue', Properties: { QueueName: `successes-${run}` } },
  Failures: { Type: 'AWS::SQS::Queue', Properties: { QueueName: `failures-${run}` } },
  EventsEchoConfig: {
    Type: 'AWS::Lambda::EventInvokeConfig',
    Properties: {
      FunctionName: { Ref: 'EventsEcho' },
      Qualifier: '$LATEST',
      DestinationConfig: { OnSuccess: { Destination: queueArn('Successes') } },
    },
  },
  FailingConfig: {
    Type: 'AWS::Lambda::EventInvokeConfig',
    Properties: {
      FunctionName: { Ref: 'Failing' },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 1,
      DestinationConfig: { OnFailure: { Destination: queueArn('Failures') } },
    },
  },
  OrderRule: {
    Type: 'AWS::Events::Rule',
    Properties: {
      EventBusName: { Ref: 'Bus' },
      EventPattern: { source: ['fixture.orders'], 'detail-type': ['OrderPlaced'] },
      Targets: [{ Id: 'echo', Arn: fnArn('EventsEcho') }],
    },
  },
  FailingRule: {
    Type: 'AWS::Events::Rule',
    Properties: {
      EventBusName: { Ref: 'Bus' },
      EventPattern: { source: ['fixture.failing'] },
      Targets: [{ Id: 'failing', Arn: fnArn('Failing') }],
    },
  },
  Nightly: {
    Type: 'AWS::Events::Rule',
    Properties: {
      Name: `nightly-${run}`,
      ScheduleExpression: 'cron(0 2 * * ? *)',
      Targets: [{ Id: 'echo', Arn: fnArn('EventsEcho') }],
    },
  },
  Pool: {
    Type: 'AWS::Cognito::UserPool',
    Properties: { UsernameAttributes: ['email'], LambdaConfig: { PreSignUp: fnArn('Failing') } },
  },
  PoolClient: {
    Type: 'AWS::Cognito::UserPoolClient',
    Properties: {
      UserPoolId: { Ref: 'Pool' },
      ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
    },
  },
  // Built for the other architecture: this machine cannot run it.
  OtherArch: testFunction('other-arch', 'echo', {
    Architectures: [process.arch === 'arm64' ? 'x86_64' : 'arm64'],
  }),
  Alarm: { Type: 'AWS::CloudWatch::Alarm', Properties: {} },
  Role: { Type: 'AWS::IAM::Role', Properties: {} },
};

let moto: Awaited<ReturnType<typeof motoEndpoint>>;
let cloud: LocalCloud;
let valuesFile = '';
const log = memoryLog();
const config = () => ({
  region: 'eu-west-1',
  endpoint: cloud.endpointUrl,
  credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
});
let sqs: SQSClient;

async function receive(queue: string, wait = 1) {
  const url = `${cloud.endpointUrl}/123456789012/${queue}`;
  const result = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: wait, MaxNumberOfMessages: 10 }),
  );
  return result.Messages ?? [];
}

beforeAll(async () => {
  moto = await motoEndpoint();
  const dir = await writeAssembly({ [stack]: resources });
  valuesFile = join(dir, 'local-values.json');
  cloud = await LocalCloud.start({
    assemblyDir: dir,
    motoEndpoint: moto.endpoint,
    port: 0,
    valuesFile,
    log: log.sink,
    maxEnvironments: 2,
  });
  sqs = new SQSClient(config());
}, 60_000);

afterAll(async () => {
  sqs?.destroy();
  await cloud?.stop();
  await moto?.stop();
});

describe('the local cloud on a fixture app', () => {
  it('lists what it serves and what it does not emulate', () => {
    const summary = cloud.summary();
    expect(summary).toContain('ANY /items/{id}');
    expect(summary).toMatch(/not emulated locally: AWS::CloudWatch::Alarm Alarm/);
    expect(summary).toMatch(/not enforced locally: AWS::IAM::Role Role/);
    expect(summary).toMatch(
      /not emulated locally: AWS::Lambda::Function \(provided\.al2023, (arm64|x86_64) on an (x86_64|arm64) machine\) OtherArch/,
    );
    expect(summary).toContain(`nightly-${run} (cron(0 2 * * ? *), next `);
  });

  it("publishes each function's settings, references resolved, for `ferrule invoke`", async () => {
    const state = (await (await fetch(`${cloud.endpointUrl}/_ferrule/state`)).json()) as {
      functions: {
        crate?: string;
        name: string;
        memoryMb: number;
        timeoutSeconds: number;
        environment: Record<string, string>;
      }[];
    };
    const echo = state.functions.find((f) => f.crate === 'api-echo');
    expect(echo).toMatchObject({
      name: `${stack}-ApiEcho`,
      memoryMb: 256,
      timeoutSeconds: 5,
      logFormat: 'JSON',
    });
    expect(echo?.environment).toMatchObject({
      AWS_FIXTURE_TABLE: `${stack}-Table`,
      AWS_FIXTURE_SETTING: `ssm:/${run}/setting`,
    });
  });

  it('builds the payload 2.0 event as API Gateway does, and gives the function its template settings', async () => {
    const api = cloud.apiUrl('Api');
    const response = await fetch(`${api}/items/42?tag=a&tag=b&q=x%20y`, {
      method: 'POST',
      headers: {
        cookie: 'session=abc; theme=dark',
        'content-type': 'application/octet-stream',
        'x-custom': 'yes',
      },
      body: Buffer.from([0xff, 0x00, 0x01]),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('apigw-requestid')).toBeTruthy();
    const { event, env } = (await response.json()) as {
      event: {
        headers: Record<string, string>;
        requestContext: { time: string };
      } & Record<string, unknown>;
      env: Record<string, string>;
    };
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'ANY /items/{id}',
      rawPath: '/items/42',
      rawQueryString: 'tag=a&tag=b&q=x%20y',
      cookies: ['session=abc', 'theme=dark'],
      queryStringParameters: { tag: 'a,b', q: 'x y' },
      pathParameters: { id: '42' },
      isBase64Encoded: true,
      body: Buffer.from([0xff, 0x00, 0x01]).toString('base64'),
      requestContext: {
        http: { method: 'POST', path: '/items/42' },
        stage: '$default',
        routeKey: 'ANY /items/{id}',
      },
    });
    expect(event.headers['x-custom']).toBe('yes');
    expect(event.headers.cookie).toBeUndefined();
    expect(event.requestContext.time).toMatch(/^\d{2}\/\w{3}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    expect(env).toMatchObject({
      AWS_ENDPOINT_URL: cloud.endpointUrl,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_LAMBDA_LOG_FORMAT: 'JSON',
      AWS_LAMBDA_LOG_LEVEL: 'INFO',
      AWS_FIXTURE_SETTING: `ssm:/${run}/setting`,
    });
    expect(env.AWS_FIXTURE_TABLE).toBe(`${stack}-Table`);
    expect(env.AWS_FIXTURE_SECRET).toMatch(
      new RegExp(`^arn:aws:secretsmanager:eu-west-1:123456789012:secret:${run}/api-key`),
    );
  });

  it('serves a function URL on its own port, every path to the function with route $default', async () => {
    const url = cloud.current.apis.find((a) => a.logicalId === 'EchoUrl');
    expect(url).toBeDefined();
    const response = await fetch(`http://127.0.0.1:${url?.port}/any/path?x=1`, {
      method: 'PUT',
      body: '{"a":1}',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(200);
    const { event } = (await response.json()) as { event: Record<string, unknown> };
    expect(event).toMatchObject({
      routeKey: '$default',
      rawPath: '/any/path',
      rawQueryString: 'x=1',
      body: '{"a":1}',
      isBase64Encoded: false,
    });
  });

  it('generates a secret once into the local values file, and moto holds the same value', async () => {
    const values = JSON.parse(readFileSync(valuesFile, 'utf8')) as { secrets: Record<string, string> };
    const stored = values.secrets[`${run}/api-key`] as string;
    expect(JSON.parse(stored).apiKey).toMatch(/^[A-Za-z0-9]{20}$/);
    const secrets = new SecretsManagerClient(config());
    const value = await secrets.send(new GetSecretValueCommand({ SecretId: `${run}/api-key` }));
    secrets.destroy();
    expect(value.SecretString).toBe(stored);
  });

  it('answers CORS preflights from the template and 404 for unknown routes', async () => {
    const api = cloud.apiUrl('Api');
    const preflight = await fetch(`${api}/items/1`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(preflight.headers.get('access-control-max-age')).toBe('300');
    const missing = await fetch(`${api}/nowhere`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ message: 'Not Found' });
  });

  it('answers 502 when the function fails init, with the init error in its REPORT; a crash is replaced', async () => {
    const api = cloud.apiUrl('Api');
    const broken = await fetch(`${api}/broken`);
    expect(broken.status).toBe(502);
    expect(await broken.json()).toEqual({ message: 'Internal Server Error' });
    expect(
      log.lines.some(
        (l) => l.includes('broken') && l.includes('REPORT') && l.includes('init error Config.Missing'),
      ),
    ).toBe(true);

    const first = await fetch(`${api}/crash`);
    expect(first.status).toBe(502);
    const second = await fetch(`${api}/crash`);
    expect(second.status).toBe(502);
    // Each request got a new environment: two cold starts.
    expect(
      log.lines.filter((l) => l.includes('crashing') && l.includes('REPORT') && l.includes('(cold)')),
    ).toHaveLength(2);
  });

  it('runs a queue mapping: a message that keeps failing moves to the DLQ after maxReceiveCount', async () => {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: `${cloud.endpointUrl}/123456789012/work-${run}`,
        MessageBody: 'poison',
      }),
    );
    const dead = await eventually(
      async () => {
        const messages = await receive(`dlq-${run}`);
        return messages.length > 0 ? messages : undefined;
      },
      'the poison message reaching the DLQ',
      600,
    );
    expect(dead.map((m) => m.Body)).toEqual(['poison']);
    expect(
      log.lines.filter((l) => l.startsWith('failing') && l.includes('REPORT')).length,
    ).toBeGreaterThanOrEqual(2);
  }, 90_000);

  it('batches a queue within the batching window', async () => {
    const url = `${cloud.endpointUrl}/123456789012/inbox-${run}`;
    for (const body of ['one', 'two', 'three'])
      await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));
    await eventually(
      () => (log.lines.some((l) => l.startsWith('queue-echo') && l.includes('REPORT')) ? true : undefined),
      'the queue batch',
      600,
    );
    expect(await receive(`inbox-${run}`, 0)).toEqual([]);
  }, 90_000);

  it('feeds the table stream to its consumer from the position the mapping starts at', async () => {
    const dynamodb = new DynamoDBClient(config());
    await dynamodb.send(new PutItemCommand({ TableName: `${stack}-Table`, Item: { pk: { S: 'a' } } }));
    dynamodb.destroy();
    await eventually(
      () => (log.lines.some((l) => l.startsWith('stream-echo') && l.includes('REPORT')) ? true : undefined),
      'the stream batch',
      600,
    );
  }, 90_000);

  it('delivers a matching event to the rule’s function asynchronously, with its on-success destination', async () => {
    const events = new EventBridgeClient(config());
    await events.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: `bus-${run}`,
            Source: 'fixture.orders',
            DetailType: 'OrderPlaced',
            Detail: '{"orderId":"o-1"}',
          },
          { EventBusName: `bus-${run}`, Source: 'fixture.orders', DetailType: 'Ignored', Detail: '{}' },
        ],
      }),
    );
    events.destroy();
    const [record] = await eventually(
      async () => {
        const messages = await receive(`successes-${run}`);
        return messages.length > 0 ? messages : undefined;
      },
      'the success record',
      600,
    );
    const success = JSON.parse(record?.Body ?? '{}');
    expect(success.requestContext.condition).toBe('Success');
    expect(success.requestPayload).toMatchObject({
      source: 'fixture.orders',
      'detail-type': 'OrderPlaced',
      detail: { orderId: 'o-1' },
    });
  }, 90_000);

  it('retries a failing asynchronous invocation, then sends it to the on-failure destination', async () => {
    const events = new EventBridgeClient(config());
    await events.send(
      new PutEventsCommand({
        Entries: [{ EventBusName: `bus-${run}`, Source: 'fixture.failing', DetailType: 'x', Detail: '{}' }],
      }),
    );
    events.destroy();
    const [record] = await eventually(
      async () => {
        const messages = await receive(`failures-${run}`);
        return messages.length > 0 ? messages : undefined;
      },
      'the failure record',
      600,
    );
    const failure = JSON.parse(record?.Body ?? '{}');
    expect(failure.requestContext).toMatchObject({
      condition: 'RetriesExhausted',
      approximateInvokeCount: 2,
    });
    expect(failure.responsePayload).toEqual({ errorType: 'Validation', errorMessage: 'orderId is required' });
  }, 90_000);

  it('fires a schedule now with a Scheduled Event (ferrule trigger)', async () => {
    const rule = await cloud.trigger(`nightly-${run}`);
    expect(rule.schedule).toBe('cron(0 2 * * ? *)');
    const [record] = await eventually(
      async () => {
        const messages = await receive(`successes-${run}`);
        return messages.length > 0 ? messages : undefined;
      },
      'the scheduled invocation',
      600,
    );
    expect(JSON.parse(record?.Body ?? '{}').requestPayload).toMatchObject({
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      resources: [expect.stringContaining(`rule/nightly-${run}`)],
    });
    await expect(cloud.trigger('OrderRule')).rejects.toThrow(/put such an event on the bus/);
  }, 90_000);

  it("refuses a sign-up that the pool's PreSignUp trigger refuses, as Cognito does", async () => {
    const cognito = new CognitoIdentityProviderClient(config());
    const clientId = [...cloud.current.clientPools.keys()][0];
    await expect(
      cognito.send(
        new SignUpCommand({ ClientId: clientId, Username: 'ada@example.com', Password: 'Passw0rd!Passw0rd' }),
      ),
    ).rejects.toMatchObject({
      name: 'UserLambdaValidationException',
      message: 'PreSignUp failed with error orderId is required.',
    });
    cognito.destroy();
  });
});
