import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type ServiceCatalogEntry, serviceCatalog } from '@ferrule/infrastructure/service-catalog';
import { projectRoot, toolEnvironment } from '@ferrule/toolchain/project';
import { CliError } from '../errors.ts';
import { indexFile, type WiredTrigger, type WiredUses, wiringFile } from './declaration.ts';
import { constantCase, functionNameProblem, resourceNameProblem } from './names.ts';
import { render } from './render.ts';
import { isTrigger, TRIGGER_INFO, TRIGGERS, type Trigger } from './triggers.ts';

const execFileAsync = promisify(execFile);

/** The templates ship with the CLI: nothing is downloaded, so `ferrule new` works offline. */
export const templatesDir = join(dirname(fileURLToPath(import.meta.url)), '../../templates/function');

/** What `ferrule new function` is asked to create. */
export interface ScaffoldRequest {
  /** Crate and folder name, kebab-case (`payments-webhook`). */
  readonly name: string;
  /** One of {@link TRIGGERS}. */
  readonly trigger: Trigger | string;
  /** One line for Cargo.toml, the README and the Lambda description. @default a line from the trigger */
  readonly description?: string;
  /**
   * The service the function joins: `functions` (its own stack, resources created on first use)
   * or an existing service such as `orders`, whose table, queue, bus, user pool and HTTP API it
   * then uses by name (infrastructure/lib/service-catalog.ts lists them).
   * @default 'functions'
   */
  readonly service?: string;
  /**
   * Tables the function uses, `name` or `name:access` (`read`, `write`, `read-write`). For
   * `dynamodb-stream` the first one is the table whose stream it reads; every other one is
   * granted its access (default read-write), with its name in `<NAME>_TABLE`.
   * @default - none (`dynamodb-stream`: a table named like the function)
   */
  readonly tables?: readonly string[];
  /**
   * Indexes of the first used table the function queries; the table's access is then `read`
   * unless given, and only these indexes are granted.
   * @default - none
   */
  readonly indexes?: readonly string[];
  /**
   * Queues the function uses. For `sqs`/`sqs-fifo` the first one is the queue it consumes;
   * it sends to every other one (URL in `<NAME>_QUEUE_URL`).
   * @default - none (`sqs`, `sqs-fifo`: a queue named like the function)
   */
  readonly queues?: readonly string[];
  /**
   * Buses the function uses. For `eventbridge` the first one is the bus its rule listens on;
   * it publishes to every other one (name in `<NAME>_BUS`).
   * @default - none (`eventbridge`: the account's default bus)
   */
  readonly buses?: readonly string[];
  /** `schedule` only: `rate(...)` or `cron(...)`. @default 'rate(1 hour)' */
  readonly schedule?: string;
  /** `http` only: `"<METHOD> <path>"`. @default `GET /<name>` */
  readonly route?: string;
  /**
   * Cognito user pool: the pool of a `cognito-*` trigger, or the JWT authorizer of an `http` route.
   * @default 'users' for cognito triggers; none for http (the route is public)
   */
  readonly userPool?: string;
  /**
   * Run many invocations at once in one execution environment when it allows it (Lambda Managed
   * Instances, `AWS_LAMBDA_MAX_CONCURRENCY` > 1), one at a time elsewhere: `main` runs the
   * concurrent runtime loop and the crate declares `concurrent = true`, which `RustFunction`'s
   * `managedInstances` requires.
   * @default false
   */
  readonly concurrent?: boolean;
  /** Plan only: report the files without writing anything. @default false */
  readonly dryRun?: boolean;
  /** Project to scaffold into. @default the project the CLI runs in */
  readonly root?: string;
}

/** One file of a scaffold. */
export interface ScaffoldFile {
  /** Relative to the project root. */
  readonly path: string;
  /** `create`: a new file (never overwritten). `regenerate`: the generated index, rewritten. */
  readonly action: 'create' | 'regenerate';
  readonly bytes: number;
}

export interface ScaffoldResult {
  readonly name: string;
  readonly trigger: Trigger;
  readonly dryRun: boolean;
  readonly files: readonly ScaffoldFile[];
  /** What ran after writing (lock file update, formatting); empty on a dry run. */
  readonly steps: readonly string[];
  /** Commands to run next. */
  readonly next: readonly string[];
}

interface Uses {
  tables: { table: string; access: 'read' | 'write' | 'read-write'; indexes?: string[]; env: string }[];
  queues: { queue: string; access: 'send'; env: string }[];
  buses: { bus: string; env: string }[];
}

const TABLE_ACCESS = ['read', 'write', 'read-write'] as const;

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * Scaffolds one function: the crate under backend/functions/<name> from the templates of
 * its trigger, its CDK declaration infrastructure/functions/<name>.ts, the regenerated
 * infrastructure/functions/index.ts, and (http) its fixture. Refuses to overwrite any file.
 * After writing it updates Cargo.lock (`cargo update --workspace --offline`) and formats the
 * new files (rustfmt, Biome), so `npm test` passes without an edit.
 *
 * Throws a `CliError` (exit code 2) naming the problem for invalid input or existing files.
 */
export async function scaffoldFunction(request: ScaffoldRequest): Promise<ScaffoldResult> {
  const root = request.root ?? projectRoot;
  const { name } = request;
  const { trigger, plan } = planScaffold(request);
  const info = TRIGGER_INFO[trigger];
  const existing = plan.filter((file) => file.action === 'create' && existsSync(join(root, file.path)));
  if (existing.length > 0) {
    throw new CliError(
      `refusing to overwrite ${existing.map((file) => file.path).join(', ')}; remove ${existing.length === 1 ? 'it' : 'them'} or choose another name`,
    );
  }
  const files = plan.map(({ path, action, content }) => ({
    path,
    action,
    bytes: Buffer.byteLength(content),
  }));
  const next = [
    `npx ferrule build ${name}`,
    `npx ferrule invoke ${name} --event ${plan.find((f) => f.fixture)?.fixture ?? info.fixture}`,
    `cargo test --manifest-path backend/Cargo.toml -p ${name}`,
    'npx ferrule check',
  ];
  if (request.dryRun) return { name, trigger, dryRun: true, files, steps: [], next };

  for (const file of plan) {
    const target = join(root, file.path);
    mkdirSync(dirname(target), { recursive: true });
    // `wx` fails if the file appeared since the check: never overwrite a user's file.
    writeFileSync(target, file.content, { flag: file.action === 'create' ? 'wx' : 'w' });
  }
  const steps = await finish(
    root,
    name,
    plan.filter((file) => /\.(ts|json|md)$/.test(file.path)).map((file) => file.path),
  );
  return { name, trigger, dryRun: false, files, steps, next };
}

/**
 * What `scaffoldFunction` would write, with each file's content, after checking the request
 * (name, trigger, options, the service's resources); writes nothing. Throws a `CliError`.
 */
export function planScaffold(request: ScaffoldRequest): { trigger: Trigger; plan: PlannedFile[] } {
  const root = request.root ?? projectRoot;
  const { name } = request;

  if (!isTrigger(request.trigger)) {
    throw new CliError(`unknown trigger \`${request.trigger}\`; use one of: ${TRIGGERS.join(', ')}`);
  }
  const trigger = request.trigger;
  const nameProblem = functionNameProblem(name, root);
  if (nameProblem) throw new CliError(nameProblem);
  const service = request.service ?? 'functions';
  const catalog = serviceCatalog();
  const offer = catalog[service];
  if (!offer) {
    throw new CliError(
      `--service \`${service}\` is not a service of the app; use one of: ${Object.keys(catalog).join(', ')}`,
    );
  }
  const tableUses = (request.tables ?? []).map(parseTableUse);
  for (const [kind, names] of [
    ['table', tableUses.map((use) => use.table)],
    ['queue', request.queues],
    ['bus', request.buses],
    ['user-pool', request.userPool === undefined ? [] : [request.userPool]],
  ] as const) {
    const seen = new Set<string>();
    for (const resource of names ?? []) {
      const problem = resourceNameProblem(kind, resource);
      if (problem) throw new CliError(problem);
      if (seen.has(resource)) throw new CliError(`--${kind} \`${resource}\` is given twice; give it once`);
      seen.add(resource);
    }
  }
  if (request.schedule !== undefined && trigger !== 'schedule') {
    throw new CliError('--schedule applies to --trigger schedule only');
  }
  if (request.route !== undefined && trigger !== 'http')
    throw new CliError('--route applies to --trigger http only');
  if (request.userPool !== undefined && trigger !== 'http' && !trigger.startsWith('cognito-')) {
    throw new CliError(
      '--user-pool applies to --trigger http (JWT authorizer) and the cognito-* triggers only',
    );
  }
  const description = request.description ?? defaultDescription(trigger, request);
  if (!/^[^"\\`\p{Cc}]{1,200}$/u.test(description)) {
    throw new CliError(
      '--description must be one line of at most 200 characters without quotes, backslashes or backticks',
    );
  }

  for (const index of request.indexes ?? []) {
    // DynamoDB's own rule for index names (3-255 of letters, digits, _ . -); a letter first here.
    if (!/^[A-Za-z][A-Za-z0-9_.-]{2,254}$/.test(index)) {
      throw new CliError(
        `--index \`${index}\` is not an index name; use 3 to 255 letters, digits, _ . or -, starting with a letter (for example byStatus)`,
      );
    }
  }
  const plan = planFiles(root, name, trigger, description, { ...request, service }, tableUses, offer);
  return { trigger, plan };
}

export interface PlannedFile {
  readonly path: string;
  readonly action: 'create' | 'regenerate';
  readonly content: string;
  /** The fixture name when this file is one. */
  readonly fixture?: string;
}

/** The template values that choose the runtime loop: one invocation at a time, or concurrent. */
function runtimeLoop(concurrent: boolean): Record<string, string> {
  if (!concurrent) {
    return {
      run: 'run',
      run_comment: '',
      http_run: 'app.run().await',
      concurrent_setting: '',
      lambda_runtime_dep: 'lambda_runtime.workspace = true',
      ferrule_http_dep: 'ferrule-http.workspace = true',
    };
  }
  return {
    run: 'run_concurrent',
    run_comment:
      '    // Many invocations at once where the environment takes them (Lambda Managed Instances,\n    // AWS_LAMBDA_MAX_CONCURRENCY > 1), one at a time elsewhere: state shared across invocations\n    // must be read-only or synchronised (Arc, Mutex), never a per-request global.\n',
    http_run: 'ferrule_http::run_concurrent(app).await',
    concurrent_setting:
      '\n# main runs the concurrent runtime loop: safe on Lambda Managed Instances (RustFunction\n# managedInstances requires it).\nconcurrent = true',
    lambda_runtime_dep:
      '# `run_concurrent`: many invocations at once in one environment (Lambda Managed Instances).\nlambda_runtime = { workspace = true, features = ["concurrency-tokio"] }',
    ferrule_http_dep: 'ferrule-http = { workspace = true, features = ["concurrent"] }',
  };
}

/** `orders` or `orders:read`. */
function parseTableUse(value: string): { table: string; access?: (typeof TABLE_ACCESS)[number] } {
  const [table = '', access, ...rest] = value.split(':');
  if (rest.length > 0 || (access !== undefined && !(TABLE_ACCESS as readonly string[]).includes(access))) {
    throw new CliError(
      `--table \`${value}\` is not <name> or <name>:<access>; access is one of ${TABLE_ACCESS.join(', ')}`,
    );
  }
  return { table, access: access as (typeof TABLE_ACCESS)[number] | undefined };
}

/**
 * Refuses, before anything is written, a resource the service does not have (a service with a
 * fixed design, such as orders), with the names it does have.
 */
function checkOffer(service: string, offer: ServiceCatalogEntry, trigger: WiredTrigger, uses: Uses): void {
  if (offer.createsOnFirstUse) return;
  const lacks = (kind: string, wanted: string, has: readonly string[]) =>
    new CliError(
      `the ${service} service has no ${kind} \`${wanted}\`; ${has.length > 0 ? `it has: ${has.join(', ')}` : `it has no ${kind}`} (infrastructure/lib/service-catalog.ts)`,
    );
  const tables = Object.keys(offer.tables);
  const queues = Object.keys(offer.queues);
  for (const use of uses.tables) {
    const table = offer.tables[use.table];
    if (!table) throw lacks('table', use.table, tables);
    for (const index of use.indexes ?? []) {
      if (!table.indexes.includes(index)) {
        throw new CliError(
          `the ${use.table} table of the ${service} service has no index \`${index}\`; ${table.indexes.length > 0 ? `it has: ${table.indexes.join(', ')}` : 'it has none yet'}. Add the index to the table's definition first${service === 'orders' ? ' (`indexes` in backend/services/orders/table.json)' : ''}`,
        );
      }
    }
  }
  for (const use of uses.queues) if (!offer.queues[use.queue]) throw lacks('queue', use.queue, queues);
  for (const use of uses.buses) if (!offer.buses.includes(use.bus)) throw lacks('bus', use.bus, offer.buses);
  switch (trigger.type) {
    case 'http':
      if (!offer.httpApi)
        throw new CliError(`the ${service} service has no HTTP API; choose another --service`);
      if (trigger.userPool !== undefined && offer.httpApi.userPool !== trigger.userPool) {
        throw new CliError(
          offer.httpApi.userPool
            ? `the ${service} HTTP API trusts tokens of the user pool \`${offer.httpApi.userPool}\`; use --user-pool ${offer.httpApi.userPool}`
            : `the ${service} HTTP API has no JWT authorizer; leave out --user-pool`,
        );
      }
      return;
    case 'sqs': {
      const queue = offer.queues[trigger.queue];
      if (!queue) throw lacks('queue', trigger.queue, queues);
      if (queue.consumed) {
        throw new CliError(
          `the ${service} queue \`${trigger.queue}\` has a consumer already (a queue has one); consume another queue or use --service functions`,
        );
      }
      if (queue.fifo !== trigger.fifo) {
        throw new CliError(
          `the ${service} queue \`${trigger.queue}\` is ${queue.fifo ? 'FIFO' : 'standard'}; use --trigger ${queue.fifo ? 'sqs-fifo' : 'sqs'}`,
        );
      }
      return;
    }
    case 'dynamodb-stream': {
      const table = offer.tables[trigger.table];
      if (!table) throw lacks('table', trigger.table, tables);
      if (!table.stream) throw new CliError(`the ${service} table \`${trigger.table}\` has no stream`);
      return;
    }
    case 'eventbridge':
      if (trigger.bus !== undefined && !offer.buses.includes(trigger.bus))
        throw lacks('bus', trigger.bus, offer.buses);
      return;
    case 'cognito':
      if (!offer.userPools.includes(trigger.userPool))
        throw lacks('user pool', trigger.userPool, offer.userPools);
      return;
    case 'schedule':
      return;
  }
}

function planFiles(
  root: string,
  name: string,
  trigger: Trigger,
  description: string,
  request: ScaffoldRequest & { readonly service: string },
  tableUses: readonly { table: string; access?: (typeof TABLE_ACCESS)[number] }[],
  offer: ServiceCatalogEntry,
): PlannedFile[] {
  const info = TRIGGER_INFO[trigger];
  const uses: Uses = { tables: [], queues: [], buses: [] };
  const values: Record<string, string> = {
    name,
    crate_ident: name.replace(/-/g, '_'),
    description,
    trigger,
    fixture: info.fixture,
    ...runtimeLoop(request.concurrent ?? false),
  };
  const files: PlannedFile[] = [];
  let wired: WiredTrigger;

  const tables = [...tableUses];
  const queues = [...(request.queues ?? [])];
  const buses = [...(request.buses ?? [])];

  switch (trigger) {
    case 'http': {
      const route = parseRoute(request.route ?? `GET /${name}`);
      values.method = route.method;
      values.route_path = route.path;
      values.other_method = route.method === 'DELETE' ? 'PUT' : 'DELETE';
      values.fixture = `apigw-http/${name}`;
      values.access = request.userPool ? `JWT of the user pool \`${request.userPool}\`` : 'public';
      wired = { type: 'http', method: route.method, path: route.path, userPool: request.userPool };
      files.push({
        path: `backend/events/apigw-http/${name}.json`,
        action: 'create',
        content: httpFixture(root, route.method, route.path),
        fixture: values.fixture,
      });
      break;
    }
    case 'sqs':
    case 'sqs-fifo': {
      const fifo = trigger === 'sqs-fifo';
      const queue = queues.shift() ?? name;
      const records = fixtureJson(root, info.fixture) as { Records?: unknown[] };
      values.queue = queue;
      values.queue_kind = fifo ? 'FIFO' : 'standard';
      values.ordering = fifo
        ? 'On a FIFO queue a failure also reports every later message of the batch, so order is kept.'
        : 'Messages of a standard queue may arrive out of order and more than once: make handling idempotent.';
      values.failed_after_first = String(fifo ? (records.Records?.length ?? 1) : 1);
      wired = { type: 'sqs', queue, fifo };
      break;
    }
    case 'dynamodb-stream': {
      const table = tables.shift()?.table ?? name;
      values.table = table;
      wired = { type: 'dynamodb-stream', table };
      break;
    }
    case 'eventbridge': {
      const bus = buses.shift();
      const event = fixtureJson(root, info.fixture) as { source?: string; 'detail-type'?: string };
      const source = event.source ?? 'ferrule.example';
      const detailType = event['detail-type'] ?? 'Example';
      values.bus_doc = bus ? ` on the bus \`${bus}\`` : ' on the default bus';
      values.expect = `{ outcome = "handled", detailType = "${detailType}" }`;
      wired = { type: 'eventbridge', bus, source, detailType };
      break;
    }
    case 'schedule': {
      const schedule = request.schedule ?? 'rate(1 hour)';
      if (!/^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\([^()]+\))$/.test(schedule)) {
        throw new CliError(
          `--schedule \`${schedule}\` is not an EventBridge schedule; use rate(<n> minutes|hours|days) or cron(<6 fields>)`,
        );
      }
      const event = fixtureJson(root, info.fixture) as { time?: string };
      values.schedule = schedule;
      values.scheduled_for = (event.time ?? '').replace(/Z$/, '+00:00');
      values.expect = '{ outcome = "ran" }';
      wired = { type: 'schedule', schedule };
      break;
    }
    case 'cognito-pre-sign-up':
    case 'cognito-post-confirmation': {
      const userPool = request.userPool ?? 'users';
      const operation = trigger === 'cognito-pre-sign-up' ? 'pre-sign-up' : 'post-confirmation';
      values.user_pool = userPool;
      values.operation_title = operation === 'pre-sign-up' ? 'PreSignUp' : 'PostConfirmation';
      values.expect =
        operation === 'pre-sign-up'
          ? '{ triggerSource = "PreSignUp_SignUp", response = { autoConfirmUser = false } }'
          : '{ triggerSource = "PostConfirmation_ConfirmSignUp" }';
      wired = { type: 'cognito', userPool, operation };
      break;
    }
  }

  const indexes = request.indexes ?? [];
  if (indexes.length > 0 && tables.length === 0) {
    throw new CliError(
      '--index names an index of the first --table the function uses; give that --table too',
    );
  }
  tables.forEach(({ table, access }, position) => {
    const queried = position === 0 && indexes.length > 0;
    if (queried && access === 'write') {
      throw new CliError(
        `--index reads the table \`${table}\`, but its access is write; use ${table}:read or ${table}:read-write`,
      );
    }
    uses.tables.push({
      table,
      access: access ?? (queried ? 'read' : 'read-write'),
      ...(queried ? { indexes: [...indexes] } : {}),
      env: `${constantCase(table)}_TABLE`,
    });
  });
  for (const queue of queues) {
    uses.queues.push({ queue, access: 'send', env: `${constantCase(queue)}_QUEUE_URL` });
  }
  for (const bus of buses) uses.buses.push({ bus, env: `${constantCase(bus)}_BUS` });
  values.env_section = envSection(uses);
  values.uses_readme = usesReadme(uses);

  const templateDir = join(templatesDir, info.template);
  for (const file of ['Cargo.toml', 'src/main.rs', 'src/lib.rs', 'README.md']) {
    const source = join(templateDir, file);
    files.push({
      path: `backend/functions/${name}/${file}`,
      action: 'create',
      content: render(readFileSync(source, 'utf8'), values, `${info.template}/${file}`),
    });
  }

  checkOffer(request.service, offer, wired, uses);
  const functionsDir = join(root, 'infrastructure/functions');
  files.push({
    path: `infrastructure/functions/${name}.ts`,
    action: 'create',
    content: wiringFile({
      name,
      service: request.service,
      description,
      trigger: wired,
      uses: uses as WiredUses,
      createsOnFirstUse: offer.createsOnFirstUse,
    }),
  });
  files.push({
    path: 'infrastructure/functions/index.ts',
    action: 'regenerate',
    content: indexFile(functionsDir, [name]),
  });
  return files;
}

function parseRoute(route: string): { method: (typeof METHODS)[number]; path: string } {
  const match =
    /^([A-Z]+) (\/(?:[A-Za-z0-9._~-]+|\{[a-z][A-Za-z0-9]*\})(?:\/(?:[A-Za-z0-9._~-]+|\{[a-z][A-Za-z0-9]*\}))*)$/.exec(
      route.trim(),
    );
  const method = match?.[1] as (typeof METHODS)[number] | undefined;
  if (!match || !method || !METHODS.includes(method) || !match[2]) {
    throw new CliError(
      `--route \`${route}\` is not "<METHOD> <path>"; use GET, POST, PUT, PATCH or DELETE and a path like /payments/{id}`,
    );
  }
  return { method, path: match[2] };
}

function fixtureJson(root: string, fixture: string): unknown {
  const path = join(root, 'backend/events', `${fixture}.json`);
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CliError(`cannot read the fixture ${fixture} (${path}): ${(error as Error).message}`, 1);
  }
}

/** A payload 2.0 request for the route, from the `apigw-http/get-hello` fixture. */
function httpFixture(root: string, method: string, path: string): string {
  const base = fixtureJson(root, 'apigw-http/get-hello') as Record<string, unknown> & {
    headers: Record<string, string>;
    requestContext: Record<string, unknown> & { http: Record<string, unknown> };
  };
  const rawPath = path.replace(/\{[^}]+\}/g, 'example');
  const event: Record<string, unknown> = {
    ...base,
    routeKey: `${method} ${path}`,
    rawPath,
    rawQueryString: '',
    requestContext: {
      ...base.requestContext,
      http: { ...base.requestContext.http, method, path: rawPath },
      routeKey: `${method} ${path}`,
    },
  };
  delete event.queryStringParameters;
  if (method !== 'GET' && method !== 'DELETE') {
    event.headers = { ...base.headers, 'content-type': 'application/json', 'content-length': '2' };
    event.body = '{}';
  }
  return `${JSON.stringify(event, null, 2)}\n`;
}

function envSection(uses: Uses): string {
  const entries = [
    ...uses.tables.map((use) => [use.env, `${use.table}-local`]),
    ...uses.queues.map((use) => [use.env, `http://localhost/000000000000/${use.queue}`]),
    ...uses.buses.map((use) => [use.env, `${use.bus}-local`]),
  ];
  if (entries.length === 0) return '';
  return [
    '',
    '# Local values of what CDK sets (`npx ferrule invoke`, the smoke test).',
    '[package.metadata.ferrule.env]',
    ...entries.map(([key, value]) => `${key} = "${value}"`),
    '',
  ].join('\n');
}

function usesReadme(uses: Uses): string {
  const parts = [
    ...uses.tables.map((use) => `table \`${use.table}\` (${use.access}, \`${use.env}\`)`),
    ...uses.queues.map((use) => `queue \`${use.queue}\` (${use.access}, \`${use.env}\`)`),
    ...uses.buses.map((use) => `bus \`${use.bus}\` (publish, \`${use.env}\`)`),
  ];
  if (parts.length === 0) return 'nothing beyond its own log group and X-Ray';
  // The shorthand grants more than code that does not exist yet calls; the check says so.
  const narrow =
    uses.tables.length > 0
      ? '; once the code calls a table, replace `read-write` with the `actions` it calls in infrastructure/functions/<name>.ts (`npx ferrule check` compares the role with the code)'
      : '';
  return `${parts.join(', ')}${narrow}`;
}

function defaultDescription(trigger: Trigger, request: ScaffoldRequest): string {
  switch (trigger) {
    case 'http':
      return `HTTP API route ${request.route ?? `GET /${request.name}`}`;
    case 'sqs':
      return `Consumes the SQS queue ${request.queues?.[0] ?? request.name} with partial batch failures`;
    case 'sqs-fifo':
      return `Consumes the SQS FIFO queue ${request.queues?.[0] ?? request.name} in order, with partial batch failures`;
    case 'dynamodb-stream':
      return `Reads the stream of the DynamoDB table ${request.tables?.[0] ?? request.name}`;
    case 'eventbridge':
      return `Handles EventBridge events${request.buses?.[0] ? ` of the bus ${request.buses[0]}` : ''}`;
    case 'schedule':
      return `Runs on the schedule ${request.schedule ?? 'rate(1 hour)'}`;
    case 'cognito-pre-sign-up':
      return `PreSignUp trigger of the Cognito user pool ${request.userPool ?? 'users'}`;
    case 'cognito-post-confirmation':
      return `PostConfirmation trigger of the Cognito user pool ${request.userPool ?? 'users'}`;
  }
}

/** Lock file and formatting, so the checks of `npm test` pass on the new files as written. */
async function finish(root: string, name: string, formatted: readonly string[]): Promise<string[]> {
  const steps: string[] = [];
  const manifest = join(root, 'backend/Cargo.toml');
  const env = toolEnvironment();
  const run = async (label: string, cmd: string, args: string[], cwd = root) => {
    try {
      await execFileAsync(cmd, args, { cwd, env, maxBuffer: 16 * 1024 * 1024 });
      steps.push(label);
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr?.trim().split('\n').slice(-3).join(' ');
      throw new CliError(
        `the files are written, but \`${label}\` failed: ${stderr || (error as Error).message}; fix it and run it again`,
        1,
      );
    }
  };
  // The workspace globs functions/*, so the folder is the registration; the lock file gains the
  // new member here, or `cargo ... --locked` (npm test) would refuse to update it.
  await run('cargo update --workspace --offline', 'cargo', [
    'update',
    '--workspace',
    '--offline',
    '--manifest-path',
    manifest,
  ]);
  await run(`cargo fmt -p ${name}`, 'cargo', ['fmt', '--manifest-path', manifest, '-p', name]);
  const biome = join(root, 'node_modules/.bin/biome');
  if (existsSync(biome) && formatted.length > 0) {
    // Twice: Biome can lay out a long call chain differently on a second pass over its own
    // output, and `biome ci` (npm test) compares with that second layout.
    for (const pass of ['', ' (again, until stable)']) {
      await run(`biome check --write (new TypeScript, JSON and Markdown files)${pass}`, biome, [
        'check',
        '--write',
        ...formatted,
      ]);
    }
  }
  return steps;
}
