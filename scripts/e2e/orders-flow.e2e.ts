// One order through the whole reference service, served by the local cloud (`ferrule start`)
// from the synthesized app (cdk.out): every resource comes from the templates, every function
// runs its built artifact under the emulator, and this test uses public interfaces only: HTTP
// with a token from the local Cognito (the ordinary SignUp / ConfirmSignUp / InitiateAuth calls),
// and SDK calls to the local AWS endpoint. The shipping provider is a small HTTP server here,
// named by a local parameter override; its API key is a local secret value.
//
// Run by `npm test` after the smoke suite (artifacts built, app synthesized) or alone with
// `npm run test:e2e`.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CognitoIdentityProviderClient,
  ConfirmSignUpCommand,
  InitiateAuthCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type MotoServer, paths, startMoto } from '@ferrule/cli';
import { ordersTableSchema } from '@ferrule/infrastructure/orders-table';
import { LocalCloud, LogSink } from '@ferrule/local-cloud';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const API_KEY = 'k-e2e-shipping';
const TRACKING = '1Z999AA10123456784';
const PASSWORD = 'Passw0rd!Passw0rd';

// ---------- the fake shipping provider ----------

interface ShipmentRequest {
  readonly authorization: string | undefined;
  readonly idempotencyKey: string | undefined;
  readonly body: unknown;
}

/** `POST /shipments`: answers from `script` in order, then 201 with a tracking number. */
class FakeCarrier {
  readonly requests: ShipmentRequest[] = [];
  readonly script: number[] = [];
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.answer(req).then(([status, body]) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      });
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  private async answer(req: IncomingMessage): Promise<[number, unknown]> {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    if (req.method !== 'POST' || req.url !== '/shipments') return [404, { message: 'not found' }];
    this.requests.push({
      authorization: req.headers.authorization,
      idempotencyKey: req.headers['idempotency-key'] as string | undefined,
      body: JSON.parse(text) as unknown,
    });
    const status = this.script.shift() ?? 201;
    return status === 201
      ? [201, { trackingNumber: TRACKING }]
      : [status, { message: 'carrier unavailable' }];
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.close();
    await once(this.server, 'close');
  }
}

// ---------- the local cloud ----------

const carrier = new FakeCarrier();
const lines: string[] = [];
let moto: MotoServer;
let cloud: LocalCloud;
let api = '';
let clientId = '';
let cognito: CognitoIdentityProviderClient;
let dynamodb: DynamoDBClient;
let sqs: SQSClient;
let table = '';

/** Polls until `check` yields a value: each step is asynchronous (stream, bus, queue). */
async function eventually<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not happen; the local cloud's log:\n${lines.slice(-60).join('\n')}`);
}

async function signUp(email: string): Promise<void> {
  await cognito.send(
    new SignUpCommand({
      ClientId: clientId,
      Username: email,
      Password: PASSWORD,
      UserAttributes: [{ Name: 'email', Value: email }],
    }),
  );
}

async function signIn(email: string): Promise<{ token: string; sub: string }> {
  await signUp(email);
  // moto accepts any code; Cognito would have e-mailed one.
  await cognito.send(
    new ConfirmSignUpCommand({ ClientId: clientId, Username: email, ConfirmationCode: '000000' }),
  );
  const result = await cognito.send(
    new InitiateAuthCommand({
      ClientId: clientId,
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: email, PASSWORD: PASSWORD },
    }),
  );
  const token = result.AuthenticationResult?.IdToken ?? '';
  const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
    sub: string;
  };
  return { token, sub: claims.sub };
}

async function call(
  method: string,
  path: string,
  token: string | undefined,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

const schema = ordersTableSchema();

async function itemsOf(customer: string, skPrefix: string) {
  const result = await dynamodb.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :sk)',
      ExpressionAttributeNames: { '#pk': schema.partitionKey, '#sk': schema.sortKey },
      ExpressionAttributeValues: {
        ':pk': { S: `${schema.customerPrefix}${customer}` },
        ':sk': { S: skPrefix },
      },
    }),
  );
  return result.Items ?? [];
}

beforeAll(async () => {
  const carrierUrl = await carrier.start();
  const dir = await mkdtemp(join(tmpdir(), 'ferrule-e2e-'));
  const valuesFile = join(dir, 'local-values.json');
  writeFileSync(
    valuesFile,
    JSON.stringify({
      secrets: { 'orders/dev/shipping-api': { apiKey: API_KEY } },
      parameters: { '/orders/dev/shipping-base-url': carrierUrl },
    }),
  );
  moto = await startMoto();
  cloud = await LocalCloud.start({
    assemblyDir: paths.cdkOut,
    motoEndpoint: moto.endpoint,
    port: 0,
    endpointPort: 0,
    valuesFile,
    // Failed messages come back at once instead of after the fulfillment queue's 180 s.
    sqsRetryDelaySeconds: 0,
    log: new LogSink({ json: true, write: (text) => lines.push(...text.trimEnd().split('\n')) }),
  });
  const orders = cloud.current.apis.find((a) => a.stackName.startsWith('FerruleOrders'));
  if (!orders) throw new Error('the assembly has no FerruleOrders HTTP API');
  api = `http://127.0.0.1:${orders.port}`;
  clientId = [...cloud.current.clientPools.keys()][0] ?? '';
  table = cloud.current.tables.find((t) => t.logicalId.startsWith('OrdersTable'))?.name ?? '';
  const config = {
    region: 'eu-west-1',
    endpoint: cloud.endpointUrl,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
  cognito = new CognitoIdentityProviderClient(config);
  dynamodb = new DynamoDBClient(config);
  sqs = new SQSClient(config);
}, 120_000);

afterAll(async () => {
  cognito?.destroy();
  dynamodb?.destroy();
  sqs?.destroy();
  await cloud?.stop();
  await moto?.stop();
  await carrier.stop();
});

// ---------- the flow, step by step (each test builds on the previous) ----------

describe.sequential('one order from sign-up to the shipment notification, through the local cloud', () => {
  let customer = { token: '', sub: '' };
  let orderId = '';

  test('PreSignUp refuses an e-mail domain outside the allowed list, as Cognito refuses it', async () => {
    await expect(signUp(`mallory-${randomUUID().slice(0, 6)}@evil.test`)).rejects.toMatchObject({
      name: 'UserLambdaValidationException',
      message: expect.stringMatching(/^PreSignUp failed with error .*evil\.test/),
    });
  });

  test('sign-up, confirmation and sign-in: PostConfirmation creates the customer profile', async () => {
    customer = await signIn(`grace-${randomUUID().slice(0, 6)}@example.com`);
    expect(customer.token).not.toBe('');
    const profiles = await itemsOf(customer.sub, schema.profileSortKey);
    expect(profiles).toHaveLength(1);
    expect(profiles[0]?.email?.S).toMatch(/@example\.com$/);
  });

  test('the API refuses a missing or tampered token with 401 before any function runs', async () => {
    expect((await call('GET', '/orders', undefined)).status).toBe(401);
    const tampered = `${customer.token.slice(0, -4)}AAAA`;
    const refused = await call('GET', '/orders', tampered);
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual({ message: 'Unauthorized' });
  });

  test('POST /orders places the order once per Idempotency-Key', async () => {
    carrier.script.push(503);
    const body = { currency: 'EUR', items: [{ sku: 'MUG-FERRIS', quantity: 2, unitPriceCents: 1250 }] };
    const key = randomUUID();
    const first = await call('POST', '/orders', customer.token, {
      body,
      headers: { 'idempotency-key': key },
    });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    orderId = String(first.body.orderId);
    expect(first.body).toMatchObject({ customerId: customer.sub, status: 'PLACED', totalCents: 2500 });

    const again = await call('POST', '/orders', customer.token, {
      body,
      headers: { 'idempotency-key': key },
    });
    expect(again.status).toBe(201);
    expect(again.body.orderId).toBe(orderId);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await itemsOf(customer.sub, schema.orderPrefix)).toHaveLength(1);
  });

  test('GET /orders/{id} shows the order to its owner only', async () => {
    const mine = await call('GET', `/orders/${orderId}`, customer.token);
    expect(mine.status).toBe(200);
    expect(mine.body).toMatchObject({ orderId });
    const stranger = await signIn(`eve-${randomUUID().slice(0, 6)}@example.com`);
    expect((await call('GET', `/orders/${orderId}`, stranger.token)).status).toBe(404);
  });

  test('stream → bus → queue → worker: a carrier 503 is retried by SQS, then the order ships', async () => {
    const shipped = await eventually('the order shipping', async () => {
      const order = await call('GET', `/orders/${orderId}`, customer.token);
      return order.body.status === 'SHIPPED' ? order.body : undefined;
    });
    expect(shipped).toMatchObject({ trackingNumber: TRACKING });
    // Two calls (503, then 201), both with the secret's API key and the order id as idempotency key.
    expect(carrier.requests).toHaveLength(2);
    for (const request of carrier.requests) {
      expect(request.authorization).toBe(`Bearer ${API_KEY}`);
      expect(request.idempotencyKey).toBe(orderId);
    }
  });

  test('the MODIFY becomes OrderShipped on the bus, and its rule invokes order-notifier with a metric', async () => {
    const notifications = await eventually('the notification', async () => {
      const items = await itemsOf(customer.sub, schema.notificationPrefix);
      return items.length > 0 ? items : undefined;
    });
    expect(notifications).toHaveLength(1);
    const emf = lines.filter((line) => line.startsWith('order-notifier') && line.includes('"_aws"'));
    expect(emf.some((line) => line.includes('"OrderShipped"'))).toBe(true);
  });

  test('cancelling a shipped order is refused with 409 problem+json', async () => {
    const cancelled = await call('POST', `/orders/${orderId}/cancel`, customer.token);
    expect(cancelled.status).toBe(409);
    expect(cancelled.headers.get('content-type')).toBe('application/problem+json');
  });

  test('a message that keeps failing ends in the fulfillment DLQ after maxReceiveCount', async () => {
    const queues = [...cloud.current.queues.values()];
    const queue = queues.find((q) => /FulfillmentQueue[0-9A-F]{8}$/.test(q.name));
    const dlq = queues.find((q) => q.name.includes('FulfillmentQueueDeadLetters'));
    if (!queue || !dlq) throw new Error('the fulfillment queue or its DLQ is missing');
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: '{"detail-type":' }));
    const dead = await eventually('the poison message reaching the DLQ', async () => {
      const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq.url, WaitTimeSeconds: 1 }));
      return received.Messages?.length ? received.Messages : undefined;
    });
    expect(dead.map((m) => m.Body)).toEqual(['{"detail-type":']);
    // maxReceiveCount is 5: five deliveries to the worker, each reporting the message.
    const reports = lines.filter((line) => line.startsWith('fulfillment-worker') && line.includes('REPORT'));
    expect(reports.length).toBeGreaterThanOrEqual(5 + 2);
  });
});
