// `ferrule check` and `ferrule list` against the real app (one synth with every pack, into
// a folder of its own), and `check` against a small app with a deliberate violation.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { artifactPath, projectRoot } from '@ferrule/toolchain/project';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppFunction, listAppFunctions } from '../src/app-functions.ts';
import { type CheckReport, runCheck } from '../src/check.ts';
import { runFerrule } from './run-ferrule.ts';

const violationApp = `node --import tsx ${join(projectRoot, 'cli/test/fixtures/violation-app.ts')}`;
const ORDERS = ['fulfillment-worker', 'identity-triggers', 'order-notifier', 'orders-api', 'orders-stream'];

const ferrule = (...args: string[]) => runFerrule(args, { env: { NO_COLOR: '1' }, timeoutMs: 240_000 });

const outdir = mkdtempSync(join(tmpdir(), 'ferrule-check-'));
let checked: ReturnType<typeof ferrule>;
let report: CheckReport;

beforeAll(() => {
  if (!existsSync(artifactPath('hello-http'))) {
    throw new Error('no artifacts in dist/lambda/al2023-x86_64: run `npx ferrule build` first');
  }
  // The only synth of the real app in this file; `list --no-synth` reads the same folder.
  checked = ferrule('check', '--json', '--output', outdir);
  report = JSON.parse(checked.stdout) as CheckReport;
}, 240_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('ferrule check on the app of infrastructure/', () => {
  it('passes: no error from ADR-002, AwsSolutions, Serverless or cfn-lint, exit 0', () => {
    expect(checked.code, checked.stderr).toBe(0);
    expect(report.ok).toBe(true);
    expect(report.errors).toBe(0);
    expect(report.checks).toEqual([
      'ADR002',
      'AwsSolutions',
      'Serverless',
      'cfn-lint (serverless rules)',
      'IAM equals code',
    ]);
    const errors = report.groups.flatMap((g) => g.findings).filter((f) => f.level === 'error');
    expect(errors).toEqual([]);
  });

  it('has one group per function, named by crate and construct path', () => {
    const functions = report.groups.filter((g) => g.kind === 'function');
    expect(functions.map((g) => g.crate).sort()).toEqual(expect.arrayContaining(['hello-http', ...ORDERS]));
    const orders = functions.find((g) => g.crate === 'orders-api');
    expect(orders).toMatchObject({
      constructPath: 'FerruleOrders-dev/OrdersApi',
      stack: 'FerruleOrders-dev',
    });
    // Any warning left is attributed and carries its fix.
    for (const finding of report.groups.flatMap((g) => g.findings)) {
      expect(finding.fix.length).toBeGreaterThan(10);
      expect(['cfn-lint', 'ADR002', 'AwsSolutions', 'Serverless', 'CloudFormation-Validate']).toContain(
        finding.source,
      );
    }
  });

  it("compares each function's role with the AWS calls of its crate: none granted but unused, none used but not granted", () => {
    expect(report.iam.map((c) => c.crate).sort()).toEqual(expect.arrayContaining(['hello-http', ...ORDERS]));
    for (const comparison of report.iam) {
      expect(comparison.grantedNotCalled, comparison.crate).toEqual([]);
      expect(comparison.calledNotGranted, comparison.crate).toEqual([]);
      expect(comparison.unknown, comparison.crate).toEqual([]);
    }
    const api = report.iam.find((c) => c.crate === 'orders-api');
    expect([...new Set(api?.granted.map((g) => g.action))].sort()).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
  });

  it('exits 2 on a bad option, with one line and no stack trace', () => {
    const bad = ferrule('check', '--arch', 'sparc');
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('ferrule: error: --arch must be x86_64 or arm64, not `sparc`');
  });
});

describe('ferrule list', () => {
  let functions: AppFunction[];
  beforeAll(async () => {
    functions = await listAppFunctions({ synth: false, outdir });
  });

  it('prints every function of the synthesized app as JSON, without synthesizing again', () => {
    const listed = ferrule('list', '--no-synth', '--output', outdir, '--json');
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual(functions);
    expect(functions.map((fn) => fn.crate)).toEqual(expect.arrayContaining(['hello-http', ...ORDERS]));
    for (const fn of functions) {
      expect(Object.keys(fn).sort()).toEqual(
        [
          'architecture',
          'constructPath',
          'crate',
          'description',
          'iamActions',
          'logicalId',
          'memoryMb',
          'permissions',
          'role',
          'runtime',
          'stack',
          'timeoutSeconds',
          'triggers',
        ].sort(),
      );
      expect(fn).toMatchObject({ runtime: 'provided.al2023', architecture: 'x86_64' });
    }
  });

  it('reads each trigger from the template', () => {
    const triggers = (crate: string) => functions.find((fn) => fn.crate === crate)?.triggers;
    expect(triggers('hello-http')).toEqual([{ type: 'http', source: 'Api/Api', detail: 'GET /hello' }]);
    expect(triggers('orders-api')?.map((t) => t.detail)).toEqual(
      expect.arrayContaining(['GET /orders (jwt)', 'POST /orders (jwt)', 'POST /orders/{id}/cancel (jwt)']),
    );
    expect(triggers('fulfillment-worker')).toEqual([
      { type: 'sqs', source: 'FulfillmentQueue/Queue', detail: 'batch 5' },
    ]);
    expect(triggers('orders-stream')).toEqual([
      { type: 'dynamodb-stream', source: 'OrdersTable/Table', detail: 'batch 100' },
    ]);
    expect(
      triggers('identity-triggers')
        ?.map((t) => `${t.type} ${t.detail}`)
        .sort(),
    ).toEqual(['cognito PostConfirmation', 'cognito PreSignUp']);
    expect(triggers('order-notifier')).toEqual([
      {
        type: 'eventbridge',
        source: 'NotifyRule/Rule',
        detail: 'source ferrule.orders, detail-type OrderCancelled|OrderShipped',
      },
    ]);
  });

  it('lists the IAM actions each role holds, and only those', () => {
    const fn = (crate: string) => functions.find((f) => f.crate === crate) as AppFunction;
    expect(fn('hello-http').iamActions).toEqual([
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    expect(fn('orders-stream').iamActions).toEqual(
      expect.arrayContaining(['events:PutEvents', 'dynamodb:GetRecords', 'sqs:SendMessage']),
    );
    expect(fn('orders-stream').iamActions).not.toContain('dynamodb:PutItem');
    expect(fn('orders-stream').permissions).toContainEqual({
      actions: ['dynamodb:ListStreams'],
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a reference inside an ARN is rendered as ${...}
      resources: ['${OrdersTable/Table}/stream/*'],
    });
    expect(fn('identity-triggers')).toMatchObject({ memoryMb: 256, timeoutSeconds: 5 });
  });

  it('prints a table with a row per function', () => {
    const listed = ferrule('list', '--no-synth', '--output', outdir);
    expect(listed.code, listed.stderr).toBe(0);
    const lines = listed.stdout.trim().split('\n');
    expect(lines[0]).toMatch(
      /^function\s+stack\s+triggers\s+runtime\s+arch\s+memory\s+timeout\s+iam actions$/,
    );
    expect(lines).toHaveLength(2 + functions.length);
    expect(listed.stdout).toMatch(
      /hello-http\s+FerruleHello-dev\s+http GET \/hello\s+provided\.al2023\s+x86_64\s+256 MB\s+10 s\s+logs:\{CreateLogStream,PutLogEvents\}/,
    );
    expect(listed.stdout).not.toContain('\u001b[');
  });

  it('says to synthesize first when --no-synth finds no app (exit 2)', () => {
    const empty = mkdtempSync(join(tmpdir(), 'ferrule-empty-'));
    const listed = ferrule('list', '--no-synth', '--output', empty);
    expect(listed.code).toBe(2);
    expect(listed.stderr).toMatch(
      /^ferrule: error: no synthesized app in .*manifest\.json is missing.*npx ferrule synth/,
    );
    rmSync(empty, { recursive: true, force: true });
  });
});

describe('ferrule check on an app with a violation', () => {
  const violationOut = mkdtempSync(join(tmpdir(), 'ferrule-check-violation-'));
  afterAll(() => rmSync(violationOut, { recursive: true, force: true }));

  it('reports the real findings of every pack and of cfn-lint under the function, with fixes, exit 1', () => {
    const run = ferrule('check', '--json', '--app', violationApp, '--output', violationOut);
    expect(run.code, run.stderr).toBe(1);
    const result = JSON.parse(run.stdout) as CheckReport;
    expect(result.ok).toBe(false);
    expect(result.errors).toBeGreaterThan(0);

    const bad = result.groups.find((g) => g.constructPath === 'Violation/NodeHandler');
    expect(bad).toMatchObject({ kind: 'function', crate: null, stack: 'Violation' });
    const rules = bad?.findings.map((f) => f.rule) ?? [];
    expect(rules).toEqual(
      expect.arrayContaining([
        'ADR002-OsOnlyRuntime',
        'ADR002-ActiveTracing',
        'ADR002-JsonLogs',
        'AwsSolutions-L1',
        'Serverless-LambdaDefaultTimeout',
        'ES1006',
      ]),
    );
    const runtime = bad?.findings.find((f) => f.rule === 'ADR002-OsOnlyRuntime');
    expect(runtime).toMatchObject({
      source: 'ADR002',
      level: 'error',
      constructPath: 'Violation/NodeHandler/Resource',
      acknowledge: 'ADR002-OsOnlyRuntime',
    });
    expect(runtime?.fix).toMatch(/^use RustFunction/);
    expect(runtime?.message).not.toMatch(/Fix:/);
    // The role cdk-nag flags belongs to the same function.
    expect(bad?.findings.find((f) => f.rule.startsWith('AwsSolutions-IAM4'))?.constructPath).toBe(
      'Violation/NodeHandler/ServiceRole/Resource',
    );
    const lint = bad?.findings.find((f) => f.rule === 'ES1006');
    expect(lint).toMatchObject({ source: 'cfn-lint', level: 'error' });
    expect(lint?.fix).toMatch(/explicit timeout/);

    // The clean stack next to it stays clean of errors.
    const hello = result.groups.find((g) => g.crate === 'hello-http');
    expect(hello?.findings.filter((f) => f.level === 'error')).toEqual([]);
  }, 240_000);

  it('runCheck returns the same report to callers (the text output summarises it)', async () => {
    const direct = await runCheck({ app: violationApp, outdir: violationOut });
    expect(direct.ok).toBe(false);
    expect(
      direct.groups.find((g) => g.constructPath === 'Violation/NodeHandler')?.findings.length,
    ).toBeGreaterThan(5);
    const text = ferrule('check', '--app', violationApp, '--output', violationOut);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/\(not a Ferrule crate\)\s+Violation\/NodeHandler\s+\d+ errors/);
    expect(text.stdout).toMatch(
      /error\s+ADR002-JsonLogs \(ADR002\) on the function\n\s+The Lambda function does not log in JSON\.\n\s+fix: loggingFormat/,
    );
    expect(text.stdout).toMatch(/^failed: \d+ errors, \d+ warnings$/m);
  }, 240_000);
});
