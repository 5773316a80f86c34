// What the suite measures: every function of the reference service with a fixture from its
// Cargo.toml (orders-api twice: with and without its AWS call), hello-http, the plain lambda_runtime floor, the libraries' cost, the emulator's
// own floor, and the Node.js 20 baselines users would pick instead.

import type { FunctionInfo } from '@ferrule/toolchain/project';
import { CliError } from '../errors.ts';
import { loadEvent } from '../events.ts';

export type Language = 'rust' | 'node';
export type Role = 'floor' | 'hello' | 'reference' | 'baseline' | 'calibration';

export interface Subject {
  readonly name: string;
  /**
   * The package whose artifact runs: a crate of `backend/` (Rust) or a handler of `bench/node/`
   * (Node.js). Usually the subject's name; two subjects may run one artifact with other events.
   */
  readonly artifact: string;
  readonly language: Language;
  readonly role: Role;
  /** What it is, one line for the report. */
  readonly about: string;
  /** The event every measured invocation receives. */
  readonly event: string;
  /** Fixture name or description of the event, for the report. */
  readonly eventLabel: string;
  readonly environment: Readonly<Record<string, string>>;
  /** `_HANDLER`; OS-only runtimes ignore it. */
  readonly handler?: string;
  /** Why a response is not the one measured (a 500, an error) or undefined when it is. */
  readonly check: (response: unknown) => string | undefined;
}

/** The reference service "orders", in the order one order travels through it. */
export const REFERENCE_FUNCTIONS = [
  'orders-api',
  'identity-triggers',
  'orders-stream',
  'fulfillment-worker',
  'order-notifier',
] as const;

/** orders-api on a route that answers before any AWS call: the budget without the GetItem. */
export const ORDERS_API_NO_CALL = 'orders-api-no-call';

/** Every subject a full run (and --quick) measures, in report order. */
export const SUBJECT_NAMES = [
  'noop-runtime',
  'baseline-hello',
  'libraries-hello',
  'hello-http',
  'orders-api',
  ORDERS_API_NO_CALL,
  'identity-triggers',
  'orders-stream',
  'fulfillment-worker',
  'order-notifier',
  'node-hello',
  'node-orders-get',
] as const;

/** Rust / Node.js pairs reported as ratios. */
export const PAIRS = [
  { rust: 'baseline-hello', node: 'node-hello', label: 'hello' },
  { rust: 'orders-api', node: 'node-orders-get', label: 'GET /orders/{id}' },
] as const;

/** What the suite creates in moto (names are the bench's own, `bench` stage). */
export const SEED = {
  table: 'orders-bench',
  /** The `sub` of the caller in apigw-http/orders-get-by-id. */
  customerId: '7d8e9f0a-1b2c-4d3e-8f4a-5b6c7d8e9f0a',
  orderId: '01M8BEWE407HD9W8BV0KBFG6HB',
  parameters: {
    '/orders/bench/signup-allowed-domains': 'example.com',
    '/orders/bench/shipping-base-url': 'https://shipping.example.test',
  },
  secret: { id: 'orders/bench/shipping', value: '{"apiKey":"bench-key"}' },
} as const;

/**
 * Each function's environment as CDK sets it in the cloud (configuration as `ssm:`
 * references, resolved at init against the seeded parameters), over its local values.
 */
export const CLOUD_ENVIRONMENT: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'orders-api': { ORDERS_TABLE: SEED.table },
  'identity-triggers': {
    ORDERS_TABLE: SEED.table,
    SIGNUP_ALLOWED_DOMAINS: 'ssm:/orders/bench/signup-allowed-domains',
  },
  'fulfillment-worker': {
    ORDERS_TABLE: SEED.table,
    SHIPPING_BASE_URL: 'ssm:/orders/bench/shipping-base-url',
    SHIPPING_SECRET_ID: SEED.secret.id,
  },
  'order-notifier': { ORDERS_TABLE: SEED.table },
};

/** The Lambda result when it is an HTTP answer: its status code. */
function statusCode(response: unknown): number | undefined {
  const code = (response as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

function expectStatus(want: number) {
  return (response: unknown) => {
    const got = statusCode(response);
    return got === want ? undefined : `answered HTTP ${got ?? '(no status)'}, expected ${want}`;
  };
}

/** Whether `actual` contains `expected` (objects by key, header names in any case, JSON bodies parsed). */
export function contains(actual: unknown, expected: unknown, ignoreCase = false): boolean {
  if (expected === null || typeof expected !== 'object' || Array.isArray(expected)) {
    return JSON.stringify(actual) === JSON.stringify(expected);
  }
  let value = actual;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      return false;
    }
  }
  if (value === null || typeof value !== 'object') return false;
  const entries = Object.entries(value);
  return Object.entries(expected).every(([key, want]) => {
    const found = entries.find(([k]) => (ignoreCase ? k.toLowerCase() === key.toLowerCase() : k === key));
    return found !== undefined && contains(found[1], want, key === 'headers');
  });
}

/**
 * `apigw-http/orders-get-by-id` for the seeded order: the fixture's path holds a
 * placeholder id that is not a ULID (its Cargo.toml expectation is the 400), so the id is
 * replaced by the seeded order's; the caller stays the fixture's JWT `sub`.
 */
export async function ordersGetEvent(): Promise<string> {
  const fixture = JSON.parse((await loadEvent('apigw-http/orders-get-by-id')).text) as {
    rawPath: string;
    rawQueryString?: string;
    queryStringParameters?: unknown;
    pathParameters: { id: string };
    requestContext: { http: { path: string }; authorizer: { jwt: { claims: { sub: string } } } };
  };
  const path = `/orders/${SEED.orderId}`;
  fixture.rawPath = path;
  fixture.rawQueryString = '';
  delete fixture.queryStringParameters;
  fixture.pathParameters.id = SEED.orderId;
  fixture.requestContext.http.path = path;
  if (fixture.requestContext.authorizer.jwt.claims.sub !== SEED.customerId) {
    throw new CliError(
      'apigw-http/orders-get-by-id has another caller now; update SEED.customerId in cli/src/bench/subjects.ts',
      1,
    );
  }
  return JSON.stringify(fixture);
}

/** A Rust function of backend/functions/ with the first fixture its Cargo.toml declares. */
async function functionSubject(fn: FunctionInfo, role: Role): Promise<Subject> {
  const environment = { ...fn.environment, ...CLOUD_ENVIRONMENT[fn.name] };
  if (fn.name === 'orders-api') {
    return {
      name: fn.name,
      artifact: fn.name,
      language: 'rust',
      role,
      about: 'GET /orders/{id} of the caller’s own order: lazy DynamoDB client, one GetItem',
      event: await ordersGetEvent(),
      eventLabel: 'apigw-http/orders-get-by-id, id = the seeded order',
      environment,
      check: expectStatus(200),
    };
  }
  const first = fn.events[0];
  if (!first) {
    throw new CliError(
      `${fn.name} declares no fixture; add [[package.metadata.ferrule.events]] to its Cargo.toml`,
      1,
    );
  }
  return {
    name: fn.name,
    artifact: fn.name,
    language: 'rust',
    role,
    about: fn.description,
    event: (await loadEvent(first.event)).text,
    eventLabel: first.event,
    environment,
    check: (response) =>
      first.expect === undefined || contains(response, first.expect)
        ? undefined
        : `the response does not match ${first.event}'s expectation in ${fn.name}'s Cargo.toml`,
  };
}

/**
 * orders-api with `apigw-http/orders-get-by-id` as it is: its id is not a ULID, so the handler
 * answers 400 before it builds a client or calls DynamoDB. Same artifact and init as
 * `orders-api`; the difference between the two is the GetItem and its first-call costs.
 */
async function ordersApiNoCallSubject(fn: FunctionInfo): Promise<Subject> {
  const fixture = 'apigw-http/orders-get-by-id';
  const declared = fn.events.find((e) => e.event === fixture);
  if (declared?.expect === undefined) {
    throw new CliError(
      `${fn.name}'s Cargo.toml no longer expects an answer to ${fixture}; ${ORDERS_API_NO_CALL} needs its 400 (the route answered without an AWS call)`,
      1,
    );
  }
  const expected = declared.expect;
  const status = expectStatus(400);
  return {
    name: ORDERS_API_NO_CALL,
    artifact: fn.name,
    language: 'rust',
    role: 'reference',
    about:
      'orders-api, GET /orders/{id} with an id that is not a ULID: 400 before any client is built or AWS call made',
    event: (await loadEvent(fixture)).text,
    eventLabel: `${fixture} (id not a ULID → 400)`,
    environment: { ...fn.environment, ...CLOUD_ENVIRONMENT[fn.name] },
    // 400 and nothing else: any other status may mean the handler reached DynamoDB.
    check: (response) =>
      status(response) ??
      (contains(response, expected)
        ? undefined
        : `the response does not match ${fixture}'s expectation in ${fn.name}'s Cargo.toml`),
  };
}

const helloEvent = JSON.stringify({ name: 'Ada' });
const helloCheck = (response: unknown) =>
  contains(response, { hello: 'Ada' }) ? undefined : 'expected {"hello":"Ada"}';

/** Every subject, in report order; `only` narrows the Rust functions by name. */
export async function allSubjects(functions: readonly FunctionInfo[]): Promise<Subject[]> {
  const byName = new Map(functions.map((fn) => [fn.name, fn]));
  const subjects: Subject[] = [
    {
      name: 'noop-runtime',
      artifact: 'noop-runtime',
      language: 'rust',
      role: 'calibration',
      about: 'no runtime library: answers {} at once (the emulator’s floor)',
      event: helloEvent,
      eventLabel: '{"name":"Ada"}',
      environment: {},
      check: (response) => (contains(response, {}) ? undefined : 'expected {}'),
    },
    {
      name: 'baseline-hello',
      artifact: 'baseline-hello',
      language: 'rust',
      role: 'floor',
      about: 'plain lambda_runtime, no Ferrule library',
      event: helloEvent,
      eventLabel: '{"name":"Ada"}',
      environment: {},
      check: helloCheck,
    },
    {
      name: 'libraries-hello',
      artifact: 'libraries-hello',
      language: 'rust',
      role: 'floor',
      about: 'baseline-hello with ferrule-logger, -metrics, -tracer, -parameters initialised',
      event: helloEvent,
      eventLabel: '{"name":"Ada"}',
      environment: { FERRULE_SERVICE_NAME: 'libraries-hello', FERRULE_METRICS_NAMESPACE: 'Ferrule' },
      check: helloCheck,
    },
  ];
  const hello = byName.get('hello-http');
  if (hello) subjects.push(await functionSubject(hello, 'hello'));
  for (const name of REFERENCE_FUNCTIONS) {
    const fn = byName.get(name);
    if (!fn) continue;
    subjects.push(await functionSubject(fn, 'reference'));
    if (name === 'orders-api') subjects.push(await ordersApiNoCallSubject(fn));
  }
  subjects.push(
    {
      name: 'node-hello',
      artifact: 'node-hello',
      language: 'node',
      role: 'baseline',
      about: 'Node.js 20, bench/node/hello.ts: baseline-hello’s answer',
      event: helloEvent,
      eventLabel: '{"name":"Ada"}',
      environment: {},
      handler: 'index.handler',
      check: helloCheck,
    },
    {
      name: 'node-orders-get',
      artifact: 'node-orders-get',
      language: 'node',
      role: 'baseline',
      about: 'Node.js 20, bench/node/orders-get.ts: orders-api’s GET route, SDK v3 client at module scope',
      event: await ordersGetEvent(),
      eventLabel: 'apigw-http/orders-get-by-id, id = the seeded order',
      environment: { ORDERS_TABLE: SEED.table },
      handler: 'index.handler',
      check: expectStatus(200),
    },
  );
  return subjects;
}
