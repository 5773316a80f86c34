// One order through the whole reference service, on moto, with every function's built
// artifact (dist/lambda/al2023-x86_64) started by the Runtime API emulator exactly as
// Lambda starts it — not the handlers in-process. Moto plays DynamoDB (and its stream),
// EventBridge (rules deliver to SQS), SQS (redrive to a DLQ), SSM and Secrets Manager; the
// shipping provider is a small HTTP server in this file. The event source mappings (stream
// → orders-stream, queue → fulfillment-worker) are the emulator's `DynamoDbStreamSource`
// and `SqsQueueSource`.
//
// In the cloud the notifier is the target of its EventBridge rule. Moto cannot invoke a
// function without Docker, so here that rule targets a queue this test reads, and each
// event on it is handed to order-notifier unchanged (the EventBridge event is the body).
//
// Run by `npm test` after the smoke suite (artifacts built, moto running) or alone with
// `npm run test:e2e`.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { artifactPath, loadEvent } from '@ferrule/cli';
import {
  type DynamoDbStreamEvent,
  DynamoDbStreamSource,
  type InvokeReport,
  LocalFunction,
  type SqsEvent,
  SqsQueueSource,
} from '@ferrule/emulator';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const endpoint = process.env.AWS_ENDPOINT_URL;
const region = process.env.AWS_REGION ?? 'eu-west-1';
if (!endpoint) {
  throw new Error('AWS_ENDPOINT_URL is not set: run `npm run test:e2e`, which starts moto first');
}

const run = randomUUID().slice(0, 8);
const names = {
  table: `orders-e2e-${run}`,
  bus: `orders-e2e-${run}`,
  fulfillment: `fulfillment-e2e-${run}`,
  fulfillmentDlq: `fulfillment-dlq-e2e-${run}`,
  notifications: `notifier-target-e2e-${run}`,
  secret: `orders/e2e-${run}/shipping`,
  allowedDomains: `/orders/e2e-${run}/signup-allowed-domains`,
  shippingBaseUrl: `/orders/e2e-${run}/shipping-base-url`,
};
const API_KEY = 'k-e2e-shipping';
const TRACKING = '1Z999AA10123456784';
const CUSTOMER = randomUUID();
const STRANGER = randomUUID();
/** Receives before the fulfillment queue moves a message to its DLQ. */
const MAX_RECEIVE_COUNT = 2;

const dynamodb = new DynamoDBClient({ region });
const events = new EventBridgeClient({ region });
const sqs = new SQSClient({ region });

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

// ---------- the functions, as Lambda runs them ----------

const carrier = new FakeCarrier();
const functions = new Map<string, LocalFunction>();

function start(name: string, environment: Record<string, string>): LocalFunction {
  const local = new LocalFunction({
    name,
    artifact: artifactPath(name),
    timeoutSeconds: 10,
    region,
    environment,
    passthroughEnvironment: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'testing',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'testing',
    },
  });
  functions.set(name, local);
  return local;
}

async function invoke(name: string, event: unknown): Promise<InvokeReport> {
  const local = functions.get(name);
  if (!local) throw new Error(`${name} was not started`);
  return local.invoke(event);
}

/** The JSON a successful invocation returned; fails the test with the logs otherwise. */
function success(report: InvokeReport): unknown {
  if (report.outcome.kind !== 'success') {
    throw new Error(`${report.outcome.errorType}: ${report.outcome.errorMessage}\n${report.logs.join('\n')}`);
  }
  return report.outcome.json;
}

interface HttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** The parts of an HTTP API v2 event this test changes. */
interface ApiEvent {
  rawPath: string;
  headers: Record<string, string>;
  body?: string;
  pathParameters?: Record<string, string>;
  requestContext: {
    requestId: string;
    http: { path: string };
    authorizer: { jwt: { claims: Record<string, string> } };
  };
}

/** An HTTP API request from `fixture`, as the JWT authorizer would pass it for `sub`. */
async function api(
  fixture: string,
  sub: string,
  change: { path?: string; id?: string; body?: unknown; headers?: Record<string, string> },
): Promise<HttpResponse> {
  const event = (await loadEvent(`apigw-http/${fixture}`)).json as ApiEvent;
  event.requestContext.authorizer.jwt.claims.sub = sub;
  event.requestContext.requestId = randomUUID();
  if (change.path) {
    event.rawPath = change.path;
    event.requestContext.http.path = change.path;
  }
  if (change.id) event.pathParameters = { id: change.id };
  if (change.body !== undefined) {
    event.body = JSON.stringify(change.body);
    event.headers['content-length'] = String(Buffer.byteLength(event.body));
  }
  Object.assign(event.headers, change.headers ?? {});
  const response = success(await invoke('orders-api', event)) as {
    statusCode: number;
    headers?: Record<string, string>;
    body?: string;
  };
  return {
    statusCode: response.statusCode,
    headers: response.headers ?? {},
    body: response.body ? (JSON.parse(response.body) as Record<string, unknown>) : {},
  };
}

async function itemsOf(customer: string, skPrefix: string) {
  const result = await dynamodb.send(
    new QueryCommand({
      TableName: names.table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :sk)',
      ExpressionAttributeValues: { ':pk': { S: `CUSTOMER#${customer}` }, ':sk': { S: skPrefix } },
    }),
  );
  return result.Items ?? [];
}

/** Polls a queue until it yields a batch (EventBridge → SQS delivery is asynchronous). */
async function nextBatch(source: SqsQueueSource): Promise<SqsEvent> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const batch = await source.poll(1);
    if (batch) return batch;
  }
  throw new Error('no message arrived within 20 s');
}

function detailOf(record: { body: string }): { type: string; detail: Record<string, unknown> } {
  const envelope = JSON.parse(record.body) as { 'detail-type': string; detail: Record<string, unknown> };
  return { type: envelope['detail-type'], detail: envelope.detail };
}

async function queueUrl(name: string, attributes: Record<string, string> = {}): Promise<string> {
  const created = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!created.QueueUrl) throw new Error(`queue ${name} has no URL`);
  return created.QueueUrl;
}

async function queueArn(url: string): Promise<string> {
  const attributes = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
  );
  const arn = attributes.Attributes?.QueueArn;
  if (!arn) throw new Error(`queue ${url} has no ARN`);
  return arn;
}

let stream: DynamoDbStreamSource;
let fulfillment: SqsQueueSource;
let notifications: SqsQueueSource;
let fulfillmentUrl: string;
let dlqUrl: string;

beforeAll(async () => {
  const carrierUrl = await carrier.start();

  // The resources OrdersStack creates, named for this run.
  const table = await dynamodb.send(
    new CreateTableCommand({
      TableName: names.table,
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 30 }, { TableName: names.table });
  const streamArn = table.TableDescription?.LatestStreamArn;
  if (!streamArn) throw new Error('the table has no stream');

  await events.send(new CreateEventBusCommand({ Name: names.bus }));
  dlqUrl = await queueUrl(names.fulfillmentDlq);
  fulfillmentUrl = await queueUrl(names.fulfillment, {
    VisibilityTimeout: '30',
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: await queueArn(dlqUrl),
      maxReceiveCount: MAX_RECEIVE_COUNT,
    }),
  });
  const notificationsUrl = await queueUrl(names.notifications);
  const rules: [string, string[], string][] = [
    ['fulfil-placed-orders', ['OrderPlaced'], await queueArn(fulfillmentUrl)],
    ['notify-customers', ['OrderCancelled', 'OrderShipped'], await queueArn(notificationsUrl)],
  ];
  for (const [rule, detailTypes, target] of rules) {
    await events.send(
      new PutRuleCommand({
        Name: rule,
        EventBusName: names.bus,
        EventPattern: JSON.stringify({ source: ['ferrule.orders'], 'detail-type': detailTypes }),
      }),
    );
    await events.send(
      new PutTargetsCommand({ Rule: rule, EventBusName: names.bus, Targets: [{ Id: 'queue', Arn: target }] }),
    );
  }

  const ssm = new SSMClient({ region });
  await ssm.send(
    new PutParameterCommand({ Name: names.allowedDomains, Value: 'example.com', Type: 'String' }),
  );
  await ssm.send(new PutParameterCommand({ Name: names.shippingBaseUrl, Value: carrierUrl, Type: 'String' }));
  await new SecretsManagerClient({ region }).send(
    new CreateSecretCommand({ Name: names.secret, SecretString: JSON.stringify({ apiKey: API_KEY }) }),
  );

  // Each function's environment as OrdersStack sets it: names, and ssm: references
  // resolved at init by ferrule-parameters.
  start('identity-triggers', {
    ORDERS_TABLE: names.table,
    SIGNUP_ALLOWED_DOMAINS: `ssm:${names.allowedDomains}`,
  });
  start('orders-api', { ORDERS_TABLE: names.table });
  start('orders-stream', { EVENT_BUS_NAME: names.bus });
  start('fulfillment-worker', {
    ORDERS_TABLE: names.table,
    SHIPPING_BASE_URL: `ssm:${names.shippingBaseUrl}`,
    SHIPPING_SECRET_ID: names.secret,
  });
  start('order-notifier', {
    ORDERS_TABLE: names.table,
    FERRULE_METRICS_NAMESPACE: 'Orders',
    FERRULE_SERVICE_NAME: 'order-notifier',
  });

  stream = new DynamoDbStreamSource({ streamArn, region });
  // Failed messages come back at once instead of after the 30 s visibility timeout.
  fulfillment = new SqsQueueSource({ queueUrl: fulfillmentUrl, region, retryDelaySeconds: 0 });
  notifications = new SqsQueueSource({ queueUrl: notificationsUrl, region });
}, 60_000);

afterAll(async () => {
  await Promise.all([...functions.values()].map((f) => f.stop()));
  await carrier.stop();
});

// ---------- the flow, step by step (each test builds on the previous) ----------

describe.sequential('one order from sign-up to the shipment notification', () => {
  let orderId = '';
  let placedBatch: SqsEvent | undefined;
  let shippedEvent: unknown;
  let modifyBatch: DynamoDbStreamEvent | undefined;

  test('Cognito PostConfirmation creates the customer profile once, even when retried', async () => {
    const event = (await loadEvent('cognito/post-confirmation')).json as {
      request: { userAttributes: Record<string, string> };
    };
    event.request.userAttributes.sub = CUSTOMER;
    for (const _attempt of [1, 2]) {
      const response = success(await invoke('identity-triggers', event)) as Record<string, unknown>;
      expect(response.triggerSource).toBe('PostConfirmation_ConfirmSignUp');
    }
    const profiles = await itemsOf(CUSTOMER, 'PROFILE');
    expect(profiles).toHaveLength(1);
    expect(profiles[0]?.email?.S).toBe('grace@example.com');
  });

  test('POST /orders places the order once per Idempotency-Key', async () => {
    const body = { currency: 'EUR', items: [{ sku: 'MUG-FERRIS', quantity: 2, unitPriceCents: 1250 }] };
    const key = randomUUID();
    const first = await api('orders-post', CUSTOMER, { body, headers: { 'idempotency-key': key } });
    expect(first.statusCode, JSON.stringify(first.body)).toBe(201);
    orderId = String(first.body.orderId);
    expect(first.body).toMatchObject({ customerId: CUSTOMER, status: 'PLACED', totalCents: 2500 });

    const again = await api('orders-post', CUSTOMER, { body, headers: { 'idempotency-key': key } });
    expect(again.statusCode).toBe(201);
    expect(again.body.orderId).toBe(orderId);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(await itemsOf(CUSTOMER, 'ORDER#')).toHaveLength(1);
  });

  test('GET /orders/{id} shows the order to its owner only', async () => {
    const path = `/orders/${orderId}`;
    const mine = await api('orders-get-by-id', CUSTOMER, { path, id: orderId });
    expect(mine.statusCode).toBe(200);
    expect(mine.body).toMatchObject({ orderId, status: 'PLACED' });
    const theirs = await api('orders-get-by-id', STRANGER, { path, id: orderId });
    expect(theirs.statusCode).toBe(404);
  });

  test('the INSERT on the stream becomes OrderPlaced on the bus, delivered to the fulfillment queue', async () => {
    const batch = await stream.poll();
    expect(batch?.Records.map((r) => r.eventName)).toContain('INSERT');
    const response = success(await invoke('orders-stream', batch)) as { batchItemFailures: unknown[] };
    expect(response.batchItemFailures).toEqual([]);

    placedBatch = await nextBatch(fulfillment);
    expect(placedBatch.Records).toHaveLength(1);
    const placed = detailOf(placedBatch.Records[0] as { body: string });
    expect(placed.type).toBe('OrderPlaced');
    expect(placed.detail).toMatchObject({ orderId, customerId: CUSTOMER });
  });

  test('a carrier 503 fails the message, SQS delivers it again, the retry ships the order', async () => {
    carrier.script.push(503);
    const batch = placedBatch as SqsEvent;
    const messageId = batch.Records[0]?.messageId;
    const failed = success(await invoke('fulfillment-worker', batch));
    expect(failed).toEqual({ batchItemFailures: [{ itemIdentifier: messageId }] });
    expect(await fulfillment.settle(batch, { kind: 'success', payload: '', json: failed })).toMatchObject({
      retried: [messageId],
    });

    const redelivered = await nextBatch(fulfillment);
    expect(redelivered.Records[0]?.messageId).toBe(messageId);
    expect(redelivered.Records[0]?.attributes.ApproximateReceiveCount).toBe('2');
    const shipped = success(await invoke('fulfillment-worker', redelivered));
    expect(shipped).toEqual({ batchItemFailures: [] });
    expect(
      await fulfillment.settle(redelivered, { kind: 'success', payload: '', json: shipped }),
    ).toMatchObject({
      deleted: [messageId],
    });

    // Both calls carried the API key from Secrets Manager and the order id as the carrier's
    // idempotency key, so the carrier can tell a retry from a new shipment.
    expect(carrier.requests).toHaveLength(2);
    for (const request of carrier.requests) {
      expect(request.authorization).toBe(`Bearer ${API_KEY}`);
      expect(request.idempotencyKey).toBe(orderId);
    }
    const order = await api('orders-get-by-id', CUSTOMER, { path: `/orders/${orderId}`, id: orderId });
    expect(order.body).toMatchObject({ status: 'SHIPPED', trackingNumber: TRACKING });
  });

  test('the status MODIFY becomes OrderShipped, and order-notifier records it with a metric', async () => {
    modifyBatch = await stream.poll();
    expect(modifyBatch?.Records.map((r) => r.eventName)).toContain('MODIFY');
    expect(success(await invoke('orders-stream', modifyBatch))).toEqual({ batchItemFailures: [] });

    const delivered = await nextBatch(notifications);
    const record = delivered.Records[0] as { body: string };
    expect(detailOf(record)).toMatchObject({
      type: 'OrderShipped',
      detail: { orderId, trackingNumber: TRACKING },
    });
    shippedEvent = JSON.parse(record.body);
    const report = await invoke('order-notifier', shippedEvent);
    expect(success(report)).toMatchObject({ outcome: 'recorded', detailType: 'OrderShipped' });
    await notifications.settle(delivered, report.outcome);

    const emf = report.logs.filter((line) => line.includes('"_aws"') && line.includes('"OrderShipped"'));
    expect(emf, report.logs.join('\n')).toHaveLength(1);
    expect(await itemsOf(CUSTOMER, 'NOTIFICATION#')).toHaveLength(1);

    // The notification item is on the stream too; orders-stream publishes nothing for it.
    const notificationInsert = await stream.poll();
    expect(notificationInsert?.Records.map((r) => r.dynamodb.Keys)).toEqual([
      { pk: { S: `CUSTOMER#${CUSTOMER}` }, sk: { S: expect.stringMatching(/^NOTIFICATION#/) } },
    ]);
    expect(success(await invoke('orders-stream', notificationInsert))).toEqual({ batchItemFailures: [] });
    expect(await notifications.poll(1)).toBeUndefined();
  });

  test('cancelling a shipped order is refused with 409', async () => {
    const cancelled = await api('orders-cancel', CUSTOMER, {
      path: `/orders/${orderId}/cancel`,
      id: orderId,
    });
    expect(cancelled.statusCode).toBe(409);
    expect(cancelled.headers['content-type']).toBe('application/problem+json');
  });

  test('a second delivery at every step is a no-op', async () => {
    const before = await dynamodb.send(
      new GetItemCommand({
        TableName: names.table,
        Key: { pk: { S: `CUSTOMER#${CUSTOMER}` }, sk: { S: `ORDER#${orderId}` } },
      }),
    );

    // The stream redelivers the MODIFY batch: OrderShipped is published again, same event id.
    expect(success(await invoke('orders-stream', modifyBatch))).toEqual({ batchItemFailures: [] });
    const again = await nextBatch(notifications);
    const republished = JSON.parse((again.Records[0] as { body: string }).body) as { detail: unknown };
    expect(republished.detail).toEqual((shippedEvent as { detail: unknown }).detail);
    const duplicate = await invoke('order-notifier', republished);
    expect(success(duplicate)).toMatchObject({ outcome: 'duplicate' });
    await notifications.settle(again, duplicate.outcome);
    expect(duplicate.logs.some((line) => line.includes('"OrderShipped":1'))).toBe(false);
    expect(await itemsOf(CUSTOMER, 'NOTIFICATION#')).toHaveLength(1);

    // SQS delivers the OrderPlaced message again (at-least-once): the carrier is not called.
    const replayed: SqsEvent = placedBatch as SqsEvent;
    expect(success(await invoke('fulfillment-worker', replayed))).toEqual({ batchItemFailures: [] });
    expect(carrier.requests).toHaveLength(2);

    const after = await dynamodb.send(
      new GetItemCommand({
        TableName: names.table,
        Key: { pk: { S: `CUSTOMER#${CUSTOMER}` }, sk: { S: `ORDER#${orderId}` } },
      }),
    );
    expect(after.Item).toEqual(before.Item);
    expect(await stream.poll(), 'nothing was written, so the stream has no new record').toBeUndefined();
  });

  test('a message that keeps failing ends in the fulfillment DLQ', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: fulfillmentUrl, MessageBody: '{"detail-type":' }));
    for (let receive = 1; receive <= MAX_RECEIVE_COUNT; receive += 1) {
      const batch = await nextBatch(fulfillment);
      const response = success(await invoke('fulfillment-worker', batch));
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: batch.Records[0]?.messageId }] });
      await fulfillment.settle(batch, { kind: 'success', payload: '', json: response });
    }
    // The next receive finds the message over maxReceiveCount: SQS moves it to the DLQ.
    expect(await fulfillment.poll(1)).toBeUndefined();
    const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, WaitTimeSeconds: 1 }));
    expect(dead.Messages?.map((m) => m.Body)).toEqual(['{"detail-type":']);
  });
});
