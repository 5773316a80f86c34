// orders-api and fulfillment-worker run one invocation at a time (classic Lambda,
// maxConcurrency 1) and many at once in one execution environment (Lambda Managed Instances,
// maxConcurrency 8): the same scenario and the same assertions in both modes, with moto as
// the AWS endpoint and the shipping provider a local HTTP server. Nothing here depends on how
// fast the machine is: every assertion is about answers, stored items, carrier calls and log
// lines, and a mode's concurrency is proven by requests that wait until others overlap them.
// In the e2e group: it needs the release artifacts.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import {
  createServer,
  request as forward,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type AttributeValue,
  CreateTableCommand,
  DynamoDBClient,
  paginateQuery,
} from '@aws-sdk/client-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { type InvokeReport, LocalFunction } from '@ferrule/emulator';
import { ordersTableKeys, ordersTableSchema } from '@ferrule/infrastructure/orders-table';
import { type MotoServer, startMoto } from '@ferrule/toolchain/moto';
import { artifactPath } from '@ferrule/toolchain/project';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MODES = [1, 8] as const;
const API_KEY = 'k-e2e-concurrency';
const CUSTOMERS = 10;
/** Orders placed with their own Idempotency-Key; the last REUSED of them reuse another customer's key. */
const PLACED = 120;
const REUSED = 10;
/** Every DUPLICATE_EVERY-th placement is sent twice at once. */
const DUPLICATE_EVERY = 6;
const UNKNOWN_GETS = 12;
/** Orders of the first placements fulfilled, BATCH_SIZE to a batch. */
const FULFILLED = 60;
const BATCH_SIZE = 5;
/** A batch whose index is a multiple of this also carries a body that is not JSON. */
const BAD_BODY_EVERY = 4;
/** The carrier answers 503 for these orders (by placement index) until it is healed. */
const isDown = (index: number) => index % 7 === 3;
/** How long a request waits for others to overlap it before it gives up (and the assertion on overlap fails). */
const OVERLAP_WAIT_MS = 30_000;

const schema = ordersTableSchema();
const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../backend/events/${name}.json`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;
const postFixture = fixture('apigw-http/orders-post');
const getFixture = fixture('apigw-http/orders-get-by-id');
const listFixture = fixture('apigw-http/orders-list');
const sqsRecordFixture = (fixture('sqs/standard').Records as Record<string, unknown>[])[0] as Record<
  string,
  unknown
>;

// ---------- events ----------

const clone = <T>(value: T): T => structuredClone(value);

function withCaller(event: Record<string, unknown>, sub: string, requestId: string): Record<string, unknown> {
  const context = event.requestContext as {
    requestId: string;
    authorizer: { jwt: { claims: Record<string, string> } };
  };
  context.authorizer.jwt.claims.sub = sub;
  context.requestId = requestId;
  return event;
}

interface OrderLine {
  readonly sku: string;
  readonly quantity: number;
  readonly unitPriceCents: number;
}

function postEvent(sub: string, body: unknown, key: string | undefined, tag: string) {
  const event = clone(postFixture);
  event.body = JSON.stringify(body);
  const headers = event.headers as Record<string, string>;
  delete headers['content-length'];
  if (key !== undefined) headers['idempotency-key'] = key;
  return withCaller(event, sub, tag);
}

function getEvent(sub: string, id: string, tag: string) {
  const event = clone(getFixture);
  event.rawPath = `/orders/${id}`;
  event.rawQueryString = '';
  delete event.queryStringParameters;
  event.pathParameters = { id };
  (event.requestContext as { http: { path: string } }).http.path = `/orders/${id}`;
  return withCaller(event, sub, tag);
}

function listEvent(sub: string, tag: string) {
  const event = clone(listFixture);
  event.rawQueryString = 'limit=100';
  event.queryStringParameters = { limit: '100' };
  return withCaller(event, sub, tag);
}

interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Record<string, unknown>;
}

function httpAnswer(report: InvokeReport): HttpAnswer {
  expect(report.outcome.kind, JSON.stringify(report.outcome)).toBe('success');
  const json = (
    report.outcome as { json: { statusCode: number; headers?: Record<string, string>; body?: string } }
  ).json;
  return {
    status: json.statusCode,
    headers: json.headers ?? {},
    body: json.body ? (JSON.parse(json.body) as Record<string, unknown>) : {},
  };
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** A valid ULID no order has: `0Z` then 24 digits from `seed`. */
const unknownOrderId = (seed: number) =>
  `0Z${Array.from({ length: 24 }, (_, i) => CROCKFORD[(seed * 7 + i * 13) % 32]).join('')}`;

// ---------- the AWS endpoint, with a gate that waits for overlapping requests ----------

/**
 * Forwards every request to moto. While `needed` is above 1 and the gate is closed, a request
 * waits until `needed` requests are pending at once (or OVERLAP_WAIT_MS passed): with one
 * invocation at a time a function makes one call at a time, so only invocations running at
 * the same time can open the gate.
 */
class OverlapGate {
  maxPending = 0;
  private pending = 0;
  private open: boolean;
  private waiting: (() => void)[] = [];
  private server: Server | undefined;

  constructor(
    private readonly target: string,
    private readonly needed: number,
  ) {
    this.open = needed <= 1;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    this.pending += 1;
    this.maxPending = Math.max(this.maxPending, this.pending);
    if (!this.open && this.pending >= this.needed) this.release();
    if (!this.open) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => this.release(), OVERLAP_WAIT_MS);
        this.waiting.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const upstream = forward(
      new URL(req.url ?? '/', this.target),
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('end', () => {
          this.pending -= 1;
        });
      },
    );
    upstream.on('error', (error) => {
      this.pending -= 1;
      res.writeHead(502).end(String(error));
    });
    upstream.end(Buffer.concat(chunks));
  }

  private release() {
    this.open = true;
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }
}

// ---------- the shipping provider ----------

interface ShipmentCall {
  readonly orderId: string;
  readonly authorization: string | undefined;
  readonly idempotencyKey: string | undefined;
  readonly status: number;
}

/**
 * `POST /shipments`: 201 with `TRK-<orderId>`, or 503 for an order in `down`. While the gate
 * is closed, a request waits until requests of `needed` different batches are pending at once
 * (or OVERLAP_WAIT_MS passed): a batch's own records run at once inside one invocation, so
 * only batches handled at the same time can open it.
 */
class FakeCarrier {
  readonly calls: ShipmentCall[] = [];
  readonly down = new Set<string>();
  maxBatchesPending = 0;
  private readonly pending = new Map<number, number>();
  private open: boolean;
  private waiting: (() => void)[] = [];
  private server: Server | undefined;

  constructor(
    private readonly batchOf: (orderId: string) => number,
    private readonly needed: number,
  ) {
    this.open = needed <= 1;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    if (req.method !== 'POST' || req.url !== '/shipments') {
      res.writeHead(404).end();
      return;
    }
    const { orderId } = JSON.parse(text) as { orderId: string };
    const batch = this.batchOf(orderId);
    this.pending.set(batch, (this.pending.get(batch) ?? 0) + 1);
    this.maxBatchesPending = Math.max(this.maxBatchesPending, this.pending.size);
    if (!this.open && this.pending.size >= this.needed) this.release();
    if (!this.open) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => this.release(), OVERLAP_WAIT_MS);
        this.waiting.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const left = (this.pending.get(batch) ?? 1) - 1;
    if (left === 0) this.pending.delete(batch);
    else this.pending.set(batch, left);
    const status = this.down.has(orderId) ? 503 : 201;
    this.calls.push({
      orderId,
      authorization: req.headers.authorization,
      idempotencyKey: req.headers['idempotency-key'] as string | undefined,
      status,
    });
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(
        status === 201 ? { trackingNumber: `TRK-${orderId}` } : { message: 'carrier unavailable' },
      ),
    );
  }

  private release() {
    this.open = true;
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }
}

// ---------- log lines ----------

interface LogLine {
  readonly requestId?: string;
  readonly message?: string;
  readonly [field: string]: unknown;
}

/** The JSON lines of `lines` (the function's own; the emulator's START/END/REPORT are text). */
const jsonLines = (lines: readonly string[]): LogLine[] =>
  lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as LogLine);

/** Every JSON line reported with an invocation that names a request id names that invocation. */
function expectOwnLines(reports: readonly InvokeReport[]) {
  for (const report of reports) {
    for (const line of jsonLines(report.logs)) {
      if (line.requestId !== undefined) expect(line.requestId, JSON.stringify(line)).toBe(report.requestId);
    }
  }
}

// ---------- the test bed ----------

let moto: MotoServer;
let aws: { region: string; endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } };

beforeAll(async () => {
  moto = await startMoto();
  aws = {
    region: 'eu-west-1',
    endpoint: moto.endpoint,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
}, 60_000);

afterAll(async () => {
  await moto?.stop();
});

async function createOrdersTable(name: string) {
  const dynamodb = new DynamoDBClient(aws);
  try {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        ...ordersTableKeys(),
      }),
    );
  } finally {
    dynamodb.destroy();
  }
}

/** The stored order items of a customer (`CUSTOMER#<sub>` / `ORDER#…`). */
async function storedOrders(table: string, sub: string): Promise<Record<string, AttributeValue>[]> {
  const dynamodb = new DynamoDBClient(aws);
  try {
    const items: Record<string, AttributeValue>[] = [];
    const pages = paginateQuery(
      { client: dynamodb },
      {
        TableName: table,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :sk)',
        ExpressionAttributeNames: { '#pk': schema.partitionKey, '#sk': schema.sortKey },
        ExpressionAttributeValues: {
          ':pk': { S: `${schema.customerPrefix}${sub}` },
          ':sk': { S: schema.orderPrefix },
        },
      },
    );
    for await (const page of pages) items.push(...(page.Items ?? []));
    return items;
  } finally {
    dynamodb.destroy();
  }
}

// ---------- the scenario, once per mode ----------

interface Placement {
  readonly index: number;
  readonly sub: string;
  readonly key: string;
  readonly body: { currency: string; items: OrderLine[] };
}

interface Placed extends Placement {
  readonly orderId: string;
  readonly answer: HttpAnswer;
}

describe.each(MODES)('orders-api and fulfillment-worker with maxConcurrency %i', (mode) => {
  const table = `orders-e2e-${mode}`;
  const customers = Array.from(
    { length: CUSTOMERS },
    (_, c) => `0c0ffee0-0000-4000-8000-${String(mode).padStart(4, '0')}${String(c).padStart(8, '0')}`,
  );
  const placements: Placement[] = Array.from({ length: PLACED }, (_, index) => {
    const reused = index >= PLACED - REUSED;
    return {
      index,
      // A reused key belongs to the next customer, who placed nothing under it.
      sub: customers[(index + (reused ? 1 : 0)) % CUSTOMERS] as string,
      key: `key-${reused ? index - (PLACED - REUSED) : index}`,
      body: {
        currency: 'EUR',
        items: [{ sku: `SKU-${mode}-${index}`, quantity: (index % 9) + 1, unitPriceCents: 100 + index }],
      },
    };
  });
  const duplicates = placements.filter((p) => p.index % DUPLICATE_EVERY === 0);

  let gate: OverlapGate;
  let ordersApi: LocalFunction;
  let invocations = 0;
  const ordersApiReports: InvokeReport[] = [];
  const ordersApiLines: string[] = [];
  const placed = new Map<number, Placed>();

  const callApi = async (event: Record<string, unknown>, label: string) => {
    invocations += 1;
    const report = await ordersApi.invoke(event, { requestId: `${label}-m${mode}-${invocations}` });
    ordersApiReports.push(report);
    return report;
  };

  beforeAll(async () => {
    await createOrdersTable(table);
    gate = new OverlapGate(moto.endpoint, Math.min(mode, 2));
    const endpoint = await gate.start();
    ordersApi = new LocalFunction({
      name: 'orders-api',
      artifact: artifactPath('orders-api'),
      memoryMb: 2048,
      timeoutSeconds: 60,
      maxConcurrency: mode,
      // ferrule_http's "request rejected" lines name the answer's detail and request id.
      environment: { ORDERS_TABLE: table, RUST_LOG: 'info,ferrule_http=debug' },
      passthroughEnvironment: { ...moto.environment, AWS_ENDPOINT_URL: endpoint },
      onLog: (line) => ordersApiLines.push(line),
    });
  }, 60_000);

  afterAll(async () => {
    await ordersApi?.stop();
    await gate?.stop();
  });

  it(`places ${PLACED} orders and ${duplicates.length} overlapping duplicates, each answered with its own order and created once`, async () => {
    type Sent =
      | { kind: 'place'; placement: Placement; report: InvokeReport }
      | { kind: 'duplicate'; placement: Placement; report: InvokeReport }
      | { kind: 'unknown'; id: string; sub: string; report: InvokeReport };
    // Every request at once, duplicates and unknown ids interleaved with the placements.
    const requests: Promise<Sent>[] = [];
    for (const placement of placements) {
      const { sub, body, key } = placement;
      requests.push(
        callApi(postEvent(sub, body, key, `p${placement.index}`), 'place').then((report) => ({
          kind: 'place',
          placement,
          report,
        })),
      );
      if (placement.index % DUPLICATE_EVERY === 0) {
        requests.push(
          callApi(postEvent(sub, body, key, `d${placement.index}`), 'duplicate').then((report) => ({
            kind: 'duplicate',
            placement,
            report,
          })),
        );
      }
      if (placement.index % (PLACED / UNKNOWN_GETS) === 5) {
        const id = unknownOrderId(placement.index);
        requests.push(
          callApi(getEvent(sub, id, `u${placement.index}`), 'unknown').then((report) => ({
            kind: 'unknown',
            id,
            sub,
            report,
          })),
        );
      }
    }
    const sent = await Promise.all(requests);

    // A key sent twice at once (same caller, same body) places one order: whichever request
    // claims the key first answers 201; the other gets that answer replayed, or 409 while the
    // first still runs. Every other key is sent once and answers 201.
    const copies = new Map<number, InvokeReport[]>();
    for (const item of sent) {
      if (item.kind === 'unknown') continue;
      copies.set(item.placement.index, [...(copies.get(item.placement.index) ?? []), item.report]);
    }
    for (const placement of placements) {
      const answers = (copies.get(placement.index) ?? []).map(httpAnswer);
      expect(answers).toHaveLength(placement.index % DUPLICATE_EVERY === 0 ? 2 : 1);
      const firsts = answers.filter(
        (a) => a.status === 201 && a.headers['idempotent-replayed'] === undefined,
      );
      expect(firsts, JSON.stringify(answers.map((a) => [a.status, a.body]))).toHaveLength(1);
      const answer = firsts[0] as HttpAnswer;
      const line = placement.body.items[0] as OrderLine;
      expect(answer.body).toMatchObject({
        customerId: placement.sub,
        items: [line],
        totalCents: line.quantity * line.unitPriceCents,
        currency: 'EUR',
        status: 'PLACED',
        version: 1,
      });
      const orderId = answer.body.orderId as string;
      expect(answer.headers.location).toBe(`/orders/${orderId}`);
      placed.set(placement.index, { ...placement, orderId, answer });
      for (const other of answers.filter((a) => a !== answer)) {
        if (other.status === 409) {
          expect(other.body.title).toBe('Request in progress');
        } else {
          expect(other.status, JSON.stringify(other.body)).toBe(201);
          expect(other.headers['idempotent-replayed']).toBe('true');
          expect(other.body).toEqual(answer.body);
          expect(other.headers.location).toBe(answer.headers.location);
        }
      }
    }
    expect(placed.size).toBe(PLACED);
    expect(new Set([...placed.values()].map((p) => p.orderId)).size).toBe(PLACED);

    // An unknown order is 404 for that request: its problem document names its request id.
    const unknown = sent.filter((s) => s.kind === 'unknown');
    expect(unknown).toHaveLength(UNKNOWN_GETS);
    for (const item of unknown) {
      const answer = httpAnswer(item.report);
      expect(answer.status).toBe(404);
      expect(answer.body.requestId).toBe(item.report.requestId);
      expect(String(answer.body.detail)).toContain(item.id);
    }

    // Created once: each customer's table items are exactly the orders placed for them.
    for (const sub of customers) {
      const items = await storedOrders(table, sub);
      const expected = [...placed.values()]
        .filter((p) => p.sub === sub)
        .map((p) => `${schema.orderPrefix}${p.orderId}`);
      expect(items.map((item) => item[schema.sortKey]?.S).sort()).toEqual(expected.sort());
    }
  }, 300_000);

  it('answers overlapping reads each with its own order, and every replay with the first answer', async () => {
    const all = [...placed.values()];
    expect(all).toHaveLength(PLACED);
    const [gets, foreign, lists, replays] = await Promise.all([
      Promise.all(all.map((p) => callApi(getEvent(p.sub, p.orderId, `g${p.index}`), 'get'))),
      // Someone else's order is not there.
      Promise.all(
        all.slice(0, CUSTOMERS).map((p) => {
          const other = customers[(customers.indexOf(p.sub) + 3) % CUSTOMERS] as string;
          return callApi(getEvent(other, p.orderId, `f${p.index}`), 'foreign');
        }),
      ),
      Promise.all(customers.map((sub, c) => callApi(listEvent(sub, `l${c}`), 'list'))),
      // Every duplicate and every reused key again, now that the first requests are done.
      Promise.all(
        [...duplicates, ...all.slice(PLACED - REUSED)].map((p) =>
          callApi(postEvent(p.sub, p.body, p.key, `r${p.index}`), 'replay'),
        ),
      ),
    ]);
    for (const [i, report] of gets.entries()) {
      const answer = httpAnswer(report);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual((all[i] as Placed).answer.body);
    }
    for (const [i, report] of foreign.entries()) {
      const answer = httpAnswer(report);
      expect(answer.status).toBe(404);
      expect(String(answer.body.detail)).toContain((all[i] as Placed).orderId);
    }
    for (const [c, report] of lists.entries()) {
      const answer = httpAnswer(report);
      expect(answer.status).toBe(200);
      const ids = (answer.body.items as { orderId: string }[]).map((item) => item.orderId).sort();
      expect(ids).toEqual(
        all
          .filter((p) => p.sub === customers[c])
          .map((p) => p.orderId)
          .sort(),
      );
    }
    const replayed = [...duplicates, ...all.slice(PLACED - REUSED)];
    for (const [i, report] of replays.entries()) {
      const answer = httpAnswer(report);
      const first = placed.get((replayed[i] as Placement).index) as Placed;
      expect(answer.status).toBe(201);
      expect(answer.headers['idempotent-replayed']).toBe('true');
      expect(answer.body).toEqual(first.answer.body);
    }
  }, 300_000);

  it('logs every line under the request id of the invocation it belongs to, from one environment', () => {
    expectOwnLines(ordersApiReports);
    // Independently of how the emulator attributes lines: each rejection names the request id
    // of the context it answered and the order it looked for, and is logged in that request's span.
    const rejected = jsonLines(ordersApiLines).filter((line) => line.message === 'request rejected');
    const notFound = ordersApiReports.filter(
      (report) => report.requestId.startsWith('unknown-') || report.requestId.startsWith('foreign-'),
    );
    expect(rejected.length).toBeGreaterThanOrEqual(notFound.length);
    for (const line of rejected) expect(line.requestId).toBe(line.request_id);
    for (const report of notFound) {
      const own = rejected.filter((line) => line.request_id === report.requestId);
      expect(own, report.requestId).toHaveLength(1);
      const answer = httpAnswer(report);
      expect(String(own[0]?.detail)).toBe(String(answer.body.detail));
    }
    expect(ordersApiReports.filter((report) => report.coldStart)).toHaveLength(1);
    expect(ordersApiLines.some((line) => line.includes('running sequentially'))).toBe(false);
    // With one invocation at a time the function makes one AWS call at a time; with several,
    // calls of different invocations overlapped (the gate waited for that before any answer).
    expect(gate.maxPending).toBeGreaterThanOrEqual(Math.min(mode, 2));
    if (mode === 1) expect(gate.maxPending).toBe(1);
  });

  describe('fulfillment-worker', () => {
    let carrier: FakeCarrier;
    let worker: LocalFunction;
    const workerLines: string[] = [];
    const workerReports: InvokeReport[] = [];
    /** Order id → the batch (round 1) it was sent in. */
    const batchOfOrder = new Map<string, number>();

    beforeAll(async () => {
      carrier = new FakeCarrier((orderId) => batchOfOrder.get(orderId) ?? -1, Math.min(mode, 2));
      const carrierUrl = await carrier.start();
      const parameter = `/orders/e2e-${mode}/shipping-base-url`;
      const secret = `orders/e2e-${mode}/shipping`;
      const ssm = new SSMClient(aws);
      const secrets = new SecretsManagerClient(aws);
      try {
        await ssm.send(new PutParameterCommand({ Name: parameter, Value: carrierUrl, Type: 'String' }));
        await secrets.send(
          new CreateSecretCommand({ Name: secret, SecretString: JSON.stringify({ apiKey: API_KEY }) }),
        );
      } finally {
        ssm.destroy();
        secrets.destroy();
      }
      worker = new LocalFunction({
        name: 'fulfillment-worker',
        artifact: artifactPath('fulfillment-worker'),
        memoryMb: 2048,
        timeoutSeconds: 60,
        maxConcurrency: mode,
        environment: {
          ORDERS_TABLE: table,
          SHIPPING_BASE_URL: `ssm:${parameter}`,
          SHIPPING_SECRET_ID: secret,
        },
        passthroughEnvironment: moto.environment,
        onLog: (line) => workerLines.push(line),
      });
    }, 60_000);

    afterAll(async () => {
      await worker?.stop();
      await carrier?.stop();
    });

    /** The SQS record of an OrderPlaced envelope, as the bus rule puts it on the queue. */
    function record(messageId: string, order: Placed): Record<string, unknown> {
      const body = order.answer.body as {
        orderId: string;
        customerId: string;
        items: OrderLine[];
        totalCents: number;
        currency: string;
        placedAt: string;
      };
      const envelope = {
        version: '0',
        id: `e-${messageId}`,
        'detail-type': 'OrderPlaced',
        source: 'ferrule.orders',
        account: '123456789012',
        time: body.placedAt.replace(/\.\d+Z$/, 'Z'),
        region: 'eu-west-1',
        resources: [],
        detail: {
          eventId: `${body.orderId}:1`,
          orderId: body.orderId,
          customerId: body.customerId,
          items: body.items,
          totalCents: body.totalCents,
          currency: body.currency,
          placedAt: body.placedAt,
        },
      };
      return { ...clone(sqsRecordFixture), messageId, body: JSON.stringify(envelope), attributes: {} };
    }

    const badRecord = (messageId: string): Record<string, unknown> => ({
      ...clone(sqsRecordFixture),
      messageId,
      body: 'not an event',
    });

    let invocation = 0;
    const invokeWorker = async (records: unknown[], label: string) => {
      invocation += 1;
      const report = await worker.invoke(
        { Records: records },
        { requestId: `${label}-m${mode}-${invocation}` },
      );
      workerReports.push(report);
      expect(report.outcome.kind, JSON.stringify(report.outcome)).toBe('success');
      return report;
    };
    const failuresOf = (report: InvokeReport) =>
      (
        (report.outcome as { json: { batchItemFailures: { itemIdentifier: string }[] } }).json
          .batchItemFailures ?? []
      ).map((failure) => failure.itemIdentifier);
    /** Which invocation handled each message id, and which order each message carried. */
    const handledBy = new Map<string, string[]>();
    const orderOfMessage = new Map<string, string>();

    it('ships overlapping batches, each order once, and reports only the failed items of each batch', async () => {
      const orders = [...placed.values()].slice(0, FULFILLED);
      expect(orders).toHaveLength(FULFILLED);
      for (const order of orders) if (isDown(order.index)) carrier.down.add(order.orderId);
      const batches = Array.from({ length: FULFILLED / BATCH_SIZE }, (_, b) => {
        const entries = orders.slice(b * BATCH_SIZE, (b + 1) * BATCH_SIZE).map((order) => {
          const messageId = `m${mode}-${order.index}`;
          batchOfOrder.set(order.orderId, b);
          orderOfMessage.set(messageId, order.orderId);
          return { messageId, record: record(messageId, order), fails: isDown(order.index) };
        });
        if (b % BAD_BODY_EVERY === 0) {
          const messageId = `m${mode}-bad-${b}`;
          entries.splice(2, 0, { messageId, record: badRecord(messageId), fails: true });
        }
        return {
          records: entries.map((entry) => entry.record),
          ids: entries.map((entry) => entry.messageId),
          // Reported in record order.
          expected: entries.filter((entry) => entry.fails).map((entry) => entry.messageId),
        };
      });
      const reports = await Promise.all(batches.map((batch, b) => invokeWorker(batch.records, `batch${b}`)));
      for (const [b, report] of reports.entries()) {
        const batch = batches[b] as (typeof batches)[number];
        expect(failuresOf(report), `batch ${b}`).toEqual(batch.expected);
        for (const id of batch.ids) handledBy.set(id, [report.requestId]);
      }

      // Each order that could ship was shipped once, with the key of the secret; the others
      // were tried and are still placed.
      for (const order of orders) {
        const calls = carrier.calls.filter((call) => call.orderId === order.orderId);
        if (isDown(order.index)) {
          expect(calls.length).toBeGreaterThanOrEqual(1);
          expect(calls.every((call) => call.status === 503)).toBe(true);
        } else {
          expect(calls).toHaveLength(1);
          expect(calls[0]).toMatchObject({
            status: 201,
            authorization: `Bearer ${API_KEY}`,
            idempotencyKey: order.orderId,
          });
        }
      }
      const reads = await Promise.all(
        orders.map((order) => callApi(getEvent(order.sub, order.orderId, 'read'), 'read')),
      );
      for (const [i, report] of reads.entries()) {
        const order = orders[i] as Placed;
        const answer = httpAnswer(report);
        expect(answer.status).toBe(200);
        expect(answer.body).toMatchObject(
          isDown(order.index)
            ? { orderId: order.orderId, status: 'PLACED', version: 1 }
            : {
                orderId: order.orderId,
                status: 'SHIPPED',
                trackingNumber: `TRK-${order.orderId}`,
                version: 2,
              },
        );
      }
    }, 300_000);

    it('ships the failed orders on redelivery and acknowledges redelivered shipped orders without a call', async () => {
      const orders = [...placed.values()].slice(0, FULFILLED);
      carrier.down.clear();
      // Every message again, in batches that mix the failed ones with shipped ones.
      const messages = orders.map((order) => record(`m${mode}-${order.index}`, order));
      const batches = Array.from({ length: FULFILLED / BATCH_SIZE }, (_, b) =>
        messages.filter((_, i) => i % (FULFILLED / BATCH_SIZE) === b),
      );
      const reports = await Promise.all(batches.map((records, b) => invokeWorker(records, `again${b}`)));
      for (const [b, report] of reports.entries()) {
        expect(failuresOf(report), `batch ${b}`).toEqual([]);
        for (const item of batches[b] as { messageId: string }[]) {
          handledBy.get(item.messageId)?.push(report.requestId);
        }
      }
      for (const order of orders) {
        const shipped = carrier.calls.filter((call) => call.orderId === order.orderId && call.status === 201);
        expect(shipped, order.orderId).toHaveLength(1);
      }
      const reads = await Promise.all(
        orders.map((order) => callApi(getEvent(order.sub, order.orderId, 'read'), 'read')),
      );
      for (const [i, report] of reads.entries()) {
        const order = orders[i] as Placed;
        expect(httpAnswer(report).body).toMatchObject({
          status: 'SHIPPED',
          trackingNumber: `TRK-${order.orderId}`,
          version: 2,
        });
      }
    }, 300_000);

    it('logs each shipment and each failed item under the request id of the batch that held it, from one environment', () => {
      expectOwnLines(workerReports);
      const lines = jsonLines(workerLines);
      const shippedLines = lines.filter((line) => line.message === 'order shipped');
      const messageOfOrder = new Map([...orderOfMessage].map(([message, order]) => [order, message]));
      expect(shippedLines).toHaveLength(FULFILLED);
      for (const line of shippedLines) {
        const message = messageOfOrder.get(String(line.order_id)) as string;
        expect(handledBy.get(message), String(line.order_id)).toContain(line.requestId);
      }
      const failedLines = lines.filter(
        (line) => line.message === 'batch record failed; it is reported for retry',
      );
      expect(failedLines.length).toBeGreaterThan(0);
      for (const line of failedLines) {
        // A failure is only ever in the first round.
        expect(line.requestId).toBe(handledBy.get(String(line.record_id))?.[0]);
      }
      expect(workerReports.filter((report) => report.coldStart)).toHaveLength(1);
      expect(workerLines.some((line) => line.includes('running sequentially'))).toBe(false);
      // One batch at a time never has two batches at the carrier; several did overlap there.
      expect(carrier.maxBatchesPending).toBeGreaterThanOrEqual(Math.min(mode, 2));
      if (mode === 1) expect(carrier.maxBatchesPending).toBe(1);
    });
  });
});
