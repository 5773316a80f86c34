import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '@ferrule/toolchain/project';
import { afterAll, describe, expect, it } from 'vitest';
import {
  functionNameProblem,
  indexFile,
  literal,
  planScaffold,
  render,
  scaffoldFunction,
  TRIGGERS,
} from '../src/scaffold/index.ts';
import { runFerrule } from './run-ferrule.ts';

const ferrule = (...args: string[]) => runFerrule(args);

/** A project with the fixtures and one existing function, to scaffold into without touching this one. */
const roots: string[] = [];
afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function fakeProject(): string {
  const root = mkdtempSync(join(tmpdir(), 'ferrule-scaffold-unit-'));
  roots.push(root);
  cpSync(join(projectRoot, 'backend/events'), join(root, 'backend/events'), { recursive: true });
  mkdirSync(join(root, 'backend/functions/existing-fn'), { recursive: true });
  writeFileSync(join(root, 'backend/functions/existing-fn/Cargo.toml'), '[package]\nname = "existing-fn"\n');
  mkdirSync(join(root, 'infrastructure/functions'), { recursive: true });
  return root;
}

describe('function names', () => {
  const root = fakeProject();

  it.each(['payments-webhook', 'a', 'worker2', 'v2-api'])('accepts %s', (name) => {
    expect(functionNameProblem(name, root)).toBeUndefined();
  });

  it.each([
    ['PaymentsWebhook', /kebab-case/],
    ['payments_webhook', /kebab-case/],
    ['-payments', /kebab-case/],
    ['payments--webhook', /kebab-case/],
    ['2fa', /kebab-case/],
    [`a${'-b'.repeat(25)}`, /at most 40 characters/],
    ['match', /Rust keyword/],
    ['async', /Rust keyword/],
    ['std', /reserved/],
    ['build', /reserved/],
    ['existing-fn', /already exists in the Cargo workspace/],
  ])('refuses %s, saying what is allowed', (name, message) => {
    expect(functionNameProblem(name, root)).toMatch(message);
  });

  it.each([
    ['serde', /workspace dependency `serde`/],
    ['tokio', /workspace dependency `tokio`/],
    ['serde-json', /workspace dependency `serde_json`/],
    ['lambda-runtime', /workspace dependency `lambda_runtime`/],
    ['hyper', /package `hyper` the workspace depends on/],
    ['http', /package `http` the workspace depends on/],
  ])('refuses %s, a dependency of this workspace, with the reason', (name, message) => {
    expect(functionNameProblem(name, projectRoot)).toMatch(message);
  });

  it('refuses the names of crates elsewhere in this workspace', () => {
    expect(functionNameProblem('hello-http', projectRoot)).toMatch(/already exists/);
    expect(functionNameProblem('ferrule-http', projectRoot)).toMatch(/already exists/);
  });
});

describe('scaffoldFunction', () => {
  it.each(TRIGGERS)(
    'plans the crate, its declaration and the index for %s, writing nothing on a dry run',
    async (trigger) => {
      const root = fakeProject();
      const result = await scaffoldFunction({ name: 'new-fn', trigger, dryRun: true, root });
      const paths = result.files.map((file) => file.path);
      expect(paths).toEqual(
        expect.arrayContaining([
          'backend/functions/new-fn/Cargo.toml',
          'backend/functions/new-fn/src/main.rs',
          'backend/functions/new-fn/src/lib.rs',
          'backend/functions/new-fn/README.md',
          'infrastructure/functions/new-fn.ts',
          'infrastructure/functions/index.ts',
        ]),
      );
      expect(result.files.find((f) => f.path.endsWith('index.ts'))?.action).toBe('regenerate');
      expect(result.files.every((f) => f.bytes > 0)).toBe(true);
      expect(result).toMatchObject({ name: 'new-fn', trigger, dryRun: true, steps: [] });
      for (const path of paths) expect(existsSync(join(root, path))).toBe(false);
    },
  );

  it('refuses to overwrite an existing file, naming it', async () => {
    const root = fakeProject();
    writeFileSync(join(root, 'infrastructure/functions/new-fn.ts'), '// mine\n');
    await expect(scaffoldFunction({ name: 'new-fn', trigger: 'sqs', root })).rejects.toThrow(
      /refusing to overwrite infrastructure\/functions\/new-fn\.ts/,
    );
  });

  it('refuses bad options with what is allowed', async () => {
    const root = fakeProject();
    const plan = (extra: object) =>
      scaffoldFunction({ name: 'x', trigger: 'http', dryRun: true, root, ...extra });
    await expect(plan({ trigger: 'kafka' })).rejects.toThrow(
      /unknown trigger `kafka`; use one of: http, sqs/,
    );
    await expect(plan({ route: 'FETCH /x' })).rejects.toThrow(/--route `FETCH \/x` is not "<METHOD> <path>"/);
    await expect(plan({ tables: ['Orders'] })).rejects.toThrow(
      /--table `Orders` is not a valid resource name/,
    );
    await expect(plan({ schedule: 'rate(1 hour)' })).rejects.toThrow(
      /--schedule applies to --trigger schedule only/,
    );
    await expect(plan({ trigger: 'schedule', schedule: 'every day' })).rejects.toThrow(
      /not an EventBridge schedule/,
    );
    await expect(plan({ queues: ['a', 'a'] })).rejects.toThrow(/--queue `a` is given twice/);
    await expect(plan({ tables: ['orders:admin'] })).rejects.toThrow(
      /--table `orders:admin` is not <name> or <name>:<access>; access is one of read, write, read-write/,
    );
    await expect(plan({ indexes: ['byStatus'] })).rejects.toThrow(/give that --table too/);
    await expect(plan({ tables: ['orders:write'], indexes: ['byStatus'] })).rejects.toThrow(
      /--index reads the table `orders`, but its access is write/,
    );
    await expect(plan({ service: 'billing' })).rejects.toThrow(
      /--service `billing` is not a service of the app; use one of: functions, orders, hello/,
    );
  });

  it('adds a function to the orders service only with what that service has', async () => {
    const root = fakeProject();
    const plan = (extra: object) =>
      scaffoldFunction({ name: 'x', trigger: 'schedule', service: 'orders', dryRun: true, root, ...extra });
    await expect(plan({ tables: ['orders:read'], buses: ['orders'] })).resolves.toMatchObject({
      dryRun: true,
    });
    await expect(plan({ tables: ['payments'] })).rejects.toThrow(
      /the orders service has no table `payments`; it has: orders/,
    );
    await expect(plan({ buses: ['payments'] })).rejects.toThrow(
      /the orders service has no bus `payments`; it has: orders/,
    );
    await expect(plan({ tables: ['orders'], indexes: ['byStatus'] })).rejects.toThrow(
      /the orders table of the orders service has no index `byStatus`; it has none yet\. Add the index to the table's definition first \(`indexes` in backend\/services\/orders\/table\.json\)/,
    );
    await expect(plan({ trigger: 'sqs', queues: ['fulfillment'] })).rejects.toThrow(
      /the orders queue `fulfillment` has a consumer already/,
    );
    await expect(plan({ trigger: 'http', route: 'GET /orders/x', userPool: 'staff' })).rejects.toThrow(
      /trusts tokens of the user pool `users`; use --user-pool users/,
    );
    await expect(plan({ trigger: 'cognito-pre-sign-up', userPool: 'users' })).resolves.toMatchObject({
      dryRun: true,
    });
  });

  it('--concurrent runs the concurrent runtime loop and declares it; without it, one at a time', () => {
    const root = fakeProject();
    const file = (trigger: string, concurrent: boolean, path: string) =>
      planScaffold({ name: 'busy', trigger, concurrent, root }).plan.find(
        (f) => f.path === `backend/functions/busy/${path}`,
      )?.content ?? '';
    expect(file('http', true, 'src/main.rs')).toContain('ferrule_http::run_concurrent(app).await');
    expect(file('http', true, 'Cargo.toml')).toContain(
      'ferrule-http = { workspace = true, features = ["concurrent"] }',
    );
    expect(file('http', true, 'Cargo.toml')).toMatch(/^concurrent = true$/m);
    expect(file('sqs', true, 'src/main.rs')).toContain(
      'lambda_runtime::run_concurrent(service_fn(busy::handler)).await',
    );
    expect(file('sqs', true, 'Cargo.toml')).toContain(
      'lambda_runtime = { workspace = true, features = ["concurrency-tokio"] }',
    );
    expect(file('sqs', false, 'src/main.rs')).toContain(
      'lambda_runtime::run(service_fn(busy::handler)).await',
    );
    expect(file('sqs', false, 'Cargo.toml')).not.toMatch(/concurrent/);
    expect(file('http', false, 'src/main.rs')).toContain('app.run().await');
  });

  it('writes the wiring with the access and indexes asked for', () => {
    const root = fakeProject();
    const { plan } = planScaffold({
      name: 'digest',
      trigger: 'schedule',
      tables: ['payments', 'ledger:read'],
      indexes: ['byDay'],
      root,
    });
    const wiring = plan.find((file) => file.path === 'infrastructure/functions/digest.ts')?.content ?? '';
    expect(wiring).toContain(
      "{ table: stack.resources.table('payments').table, access: 'read', indexes: ['byDay'], env: 'PAYMENTS_TABLE' }",
    );
    expect(wiring).toContain(
      "{ table: stack.resources.table('ledger').table, access: 'read', env: 'LEDGER_TABLE' }",
    );
    expect(wiring).toContain("export const service = 'functions';");
  });
});

describe('templates and generated TypeScript', () => {
  it('fails on a placeholder without a value instead of writing it', () => {
    expect(render('{{name}}!', { name: 'x' }, 't')).toBe('x!');
    expect(() => render('{{name}} {{nope}}', { name: 'x' }, 'http/lib.rs')).toThrow(
      /template http\/lib.rs uses \{\{nope\}\}/,
    );
  });

  it('writes literals TypeScript reads back', () => {
    expect(literal({ crate: "it's", 'detail-type': ['A'], n: 5 })).toBe(
      `{ crate: 'it\\'s', 'detail-type': ['A'], n: 5 }`,
    );
  });

  it('lists every declaration file in the index, in name order', () => {
    const root = fakeProject();
    const dir = join(root, 'infrastructure/functions');
    writeFileSync(join(dir, 'zeta-fn.ts'), '');
    const index = indexFile(dir, ['alpha-fn']);
    expect(index).toMatch(/^\/\/ Generated by `ferrule new function`/);
    expect(index).toContain("import * as alphaFn from './alpha-fn.ts';");
    expect(index).toContain('export const functions: readonly ServiceFunction[] = [alphaFn, zetaFn];');
  });
});

describe('ferrule new function (CLI)', () => {
  // Names of this run only: the README's examples (payments-webhook, ...) may exist in the
  // repository, and a dry run refuses a name that is taken.
  const unique = Date.now().toString(36);
  const webhook = `dry-run-${unique}-webhook`;
  const worker = `dry-run-${unique}-worker`;

  it('--dry-run --json prints the planned files and writes nothing', () => {
    const result = ferrule('new', 'function', webhook, '--trigger', 'http', '--dry-run', '--json');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(Object.keys(json).sort()).toEqual(['dryRun', 'files', 'name', 'next', 'steps', 'trigger']);
    expect(json).toMatchObject({ name: webhook, trigger: 'http', dryRun: true, steps: [] });
    expect(json.files).toContainEqual({
      path: `backend/events/apigw-http/${webhook}.json`,
      action: 'create',
      bytes: expect.any(Number),
    });
    expect(existsSync(join(projectRoot, 'backend/functions', webhook))).toBe(false);
  });

  it('--dry-run prints the files as text', () => {
    const result = ferrule('new', 'function', worker, '--trigger', 'sqs', '--queue', 'payments', '--dry-run');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`would create ${worker} (sqs); nothing written`);
    expect(result.stdout).toMatch(new RegExp(`create\\s+infrastructure/functions/${worker}\\.ts`));
  });

  it('a bad name is a one-line usage error (exit 2)', () => {
    const result = ferrule('new', 'function', 'Payments', '--trigger', 'http');
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/`Payments` is not a valid function name; use kebab-case/);
  });

  it('--help lists the triggers and examples', () => {
    const result = ferrule('new', 'function', '--help');
    expect(result.code).toBe(0);
    for (const trigger of TRIGGERS) expect(result.stdout).toContain(trigger);
    expect(result.stdout).toMatch(/Examples:/);
  });
});
