// The wiring `ferrule new function` writes, synthesized: each trigger in the `functions` service
// and functions added to the reference service, imported as written, wired into the app with
// `wireFunctions` and checked by the rule packs, so a template change that breaks the CDK code
// or widens a grant fails here (the full scaffold test, scripts/scaffold.ts, also compiles and
// runs the crates).
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FerruleServiceStack, RustFunction, ServiceFunction } from '@ferrule/infrastructure';
import { projectRoot } from '@ferrule/toolchain/project';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ruleFindings, wiredApp } from '../../infrastructure/test/helpers.ts';
import { planScaffold, type ScaffoldRequest } from '../src/scaffold/index.ts';

const CASES: readonly Omit<ScaffoldRequest, 'root'>[] = [
  { name: 'wired-webhook', trigger: 'http', route: 'POST /wired/webhook', tables: ['wired'] },
  { name: 'wired-profile', trigger: 'http', route: 'GET /wired/profile', userPool: 'wired-users' },
  { name: 'wired-worker', trigger: 'sqs', queues: ['wired-jobs', 'wired-receipts'], tables: ['wired:read'] },
  { name: 'wired-ledger', trigger: 'sqs-fifo', queues: ['wired-ledger'] },
  { name: 'wired-stream', trigger: 'dynamodb-stream', tables: ['wired'], buses: ['wired'] },
  { name: 'wired-events', trigger: 'eventbridge', buses: ['wired'] },
  { name: 'wired-nightly', trigger: 'schedule', schedule: 'cron(0 3 * * ? *)' },
  { name: 'wired-sign-up', trigger: 'cognito-pre-sign-up', userPool: 'wired-users' },
  { name: 'wired-welcome', trigger: 'cognito-post-confirmation', userPool: 'wired-users' },
  // The reference service: its table, bus, user pool and API, by name.
  {
    name: 'wired-digest',
    service: 'orders',
    trigger: 'schedule',
    schedule: 'cron(0 3 * * ? *)',
    tables: ['orders:read'],
    buses: ['orders'],
  },
  {
    name: 'wired-summary',
    service: 'orders',
    trigger: 'http',
    route: 'GET /orders/summary',
    userPool: 'users',
  },
  { name: 'wired-audit', service: 'orders', trigger: 'dynamodb-stream', tables: ['orders'] },
];

let root: string;
let wiringDir: string;
const modules = new Map<string, ServiceFunction>();

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'ferrule-wiring-'));
  cpSync(join(projectRoot, 'backend/events'), join(root, 'backend/events'), { recursive: true });
  mkdirSync(join(root, 'backend/functions'), { recursive: true });
  // Beside infrastructure/lib, so the generated `../lib/...` imports resolve as in infrastructure/functions.
  wiringDir = mkdtempSync(join(projectRoot, 'infrastructure/.wiring-check-'));
  for (const request of CASES) {
    const { plan } = planScaffold({ ...request, root });
    const wiring = plan.find((file) => file.path === `infrastructure/functions/${request.name}.ts`);
    if (!wiring) throw new Error(`no wiring file planned for ${request.name}`);
    const file = join(wiringDir, `${request.name}.ts`);
    writeFileSync(file, wiring.content);
    modules.set(request.name, (await import(pathToFileURL(file).href)) as ServiceFunction);
  }
}, 120_000);

afterAll(() => {
  if (wiringDir) rmSync(wiringDir, { recursive: true, force: true });
  if (root) rmSync(root, { recursive: true, force: true });
});

let built: ReturnType<typeof build> | undefined;

/** The app, built once for the tests that read it. */
function synth() {
  built ??= build();
  return built;
}

function build() {
  const built = wiredApp(
    [...modules.values()],
    CASES.map((c) => c.name),
  );
  return { ...built, functions: built.functions as FerruleServiceStack };
}

describe('the wiring ferrule new function writes', () => {
  it('declares each function’s service as asked', () => {
    expect(modules.get('wired-webhook')?.service).toBe('functions');
    expect(modules.get('wired-digest')?.service).toBe('orders');
  });

  it('synthesizes with no unacknowledged AwsSolutions, Serverless or ADR-002 finding', () => {
    const { app } = synth();
    expect(ruleFindings(app)).toEqual([]);
  });

  it('adds functions to the reference service with its own resources and the access asked for', () => {
    const { orders } = synth();
    const template = Template.fromStack(orders);
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'GET /orders/summary',
      AuthorizationType: 'JWT',
    });
    const digest = orders.node.findChild('WiredDigest') as RustFunction;
    const actions = digest
      .declaredGrants()
      .flatMap((grant) => grant.actions)
      .filter((action) => /^(dynamodb|events):/.test(action));
    // Read access on the table and its indexes, PutEvents on the bus, nothing written.
    expect(actions.some((action) => /PutItem|UpdateItem|DeleteItem|BatchWrite/.test(action))).toBe(false);
    expect(actions).toContain('dynamodb:Query');
    expect(actions).toContain('events:PutEvents');
  });

  it('creates the functions service’s resources once, on first use', () => {
    const template = Template.fromStack(synth().functions);
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.resourceCountIs('AWS::Events::EventBus', 1);
    template.resourceCountIs('AWS::Cognito::UserPool', 1);
    // Three queues with their dead-letter queues, the stream's on-failure queue, and per rule a
    // dead-letter queue and the target's on-failure queue.
    template.resourceCountIs('AWS::SQS::Queue', 3 * 2 + 1 + 2 * 2);
  });
});
