import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '@ferrule/toolchain/project';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatJson } from '../src/agent/projections.ts';
import { syncProjections } from '../src/agent/sync.ts';
import { wiringFile } from '../src/scaffold/index.ts';
import { bin, call, connect, progressMessages, serverOn, text } from './mcp-client.ts';

describe('ferrule MCP server (stdio) on this repository', () => {
  const client = serverOn(projectRoot);

  it('lists its tools with input schemas', async () => {
    const { tools } = await client().listTools();
    const names = tools.map((tool) => tool.name).sort();
    expect(names).toEqual(
      expect.arrayContaining(['build', 'explain_rule', 'invoke', 'list_functions', 'verify']),
    );
    const invoke = tools.find((tool) => tool.name === 'invoke');
    expect(invoke?.inputSchema.required).toEqual(expect.arrayContaining(['function', 'event']));
  });

  it('list_functions returns every function with its trigger and fixtures', async () => {
    const result = await call(client(), 'list_functions');
    expect(result.isError).toBeFalsy();
    const body = JSON.parse(text(result)) as {
      functions: { name: string; trigger: string; fixtures: string[]; deployed: { actions: string[] }[] }[];
    };
    const hello = body.functions.find((fn) => fn.name === 'hello-http');
    expect(hello?.trigger).toBe('http');
    expect(hello?.fixtures).toContain('apigw-http/get-hello');
    expect(body.functions.map((fn) => fn.name)).toContain('orders-api');
    // When cdk.out matches the built artifacts, each function shows its role's actions.
    const api = body.functions.find((fn) => fn.name === 'orders-api');
    for (const deployed of api?.deployed ?? []) {
      expect(deployed.actions).toContain('logs:PutLogEvents');
      expect(deployed.actions.some((action) => action.endsWith(':*') || action === '*')).toBe(false);
    }
  });

  it('explain_rule explains an ADR-002 finding by id and an agent rule by name', async () => {
    const finding = await call(client(), 'explain_rule', {
      id: 'ADR002-NoWildcardPermissions[Action::s3:*]',
    });
    expect(finding.isError).toBeFalsy();
    const body = JSON.parse(text(finding)) as { id: string; whatAndFix: string; why: string };
    expect(body.id).toBe('ADR002-NoWildcardPermissions');
    expect(body.whatAndFix.length).toBeGreaterThan(20);
    const short = JSON.parse(text(await call(client(), 'explain_rule', { id: 'ActiveTracing' }))) as {
      id: string;
    };
    expect(short.id).toBe('ADR002-ActiveTracing');
    const agentRule = JSON.parse(text(await call(client(), 'explain_rule', { id: 'security' }))) as {
      text: string;
    };
    expect(agentRule.text).toContain('Secrets Manager');
    const unknown = await call(client(), 'explain_rule', { id: 'NoSuchRule' });
    expect(unknown.isError).toBe(true);
    expect(text(unknown)).toContain('ADR002-JsonLogs');
  });

  it('rejects invalid input with a tool error instead of crashing', async () => {
    const bad = await call(client(), 'invoke', { function: 'Hello World', event: 'nope' });
    expect(bad.isError).toBe(true);
    expect(text(bad)).toMatch(/crate name|fixture name/);
    const unknownFn = await call(client(), 'invoke', {
      function: 'no-such-fn',
      event: 'apigw-http/get-hello',
    });
    expect(unknownFn.isError).toBe(true);
    expect(text(unknownFn)).toContain('unknown function `no-such-fn`');
    const unknownFixture = await call(client(), 'invoke', {
      function: 'hello-http',
      event: 'apigw-http/nope',
    });
    expect(unknownFixture.isError).toBe(true);
    expect(text(unknownFixture)).toContain('apigw-http/get-hello');
    const build = await call(client(), 'build', { functions: ['no-such-fn'] });
    expect(build.isError).toBe(true);
    expect(text(build)).toContain('unknown function `no-such-fn`');
    // The server is still answering.
    expect((await client().listTools()).tools.length).toBeGreaterThan(0);
  });

  it('scaffold_function plans a function on a dry run and refuses bad input', async () => {
    const plan = await call(client(), 'scaffold_function', {
      name: 'mcp-dry-run',
      trigger: 'sqs',
      queues: ['jobs'],
      dryRun: true,
    });
    expect(plan.isError).toBeFalsy();
    const body = JSON.parse(text(plan)) as { dryRun: boolean; files: { path: string }[] };
    expect(body.dryRun).toBe(true);
    expect(body.files.map((file) => file.path)).toEqual(
      expect.arrayContaining([
        'backend/functions/mcp-dry-run/Cargo.toml',
        'infrastructure/functions/mcp-dry-run.ts',
      ]),
    );
    expect(existsSync(join(projectRoot, 'backend/functions/mcp-dry-run'))).toBe(false);
    const badTrigger = await call(client(), 'scaffold_function', { name: 'x-y', trigger: 'ftp' });
    expect(badTrigger.isError).toBe(true);
    const existing = await call(client(), 'scaffold_function', {
      name: 'hello-http',
      trigger: 'http',
      dryRun: true,
    });
    expect(existing.isError).toBe(true);
    expect(text(existing)).toContain('hello-http');
  });

  it('declare_use refuses functions that are not scaffolded, naming the skill to follow', async () => {
    const result = await call(client(), 'declare_use', {
      function: 'orders-api',
      kind: 'table',
      resource: 'orders',
      access: 'read',
    });
    expect(result.isError).toBe(true);
    expect(text(result)).toContain('declare-resource-use');
  });
});

describe('ferrule MCP server: verify on a small project', () => {
  let root: string;
  let client: Client;
  beforeAll(async () => {
    // A project with one tiny crate, one TypeScript file and the agent projections, so a
    // real `verify --quick` (cargo fmt, clippy, test, tsc, biome, agent check) takes seconds.
    root = mkdtempSync(join(tmpdir(), 'ferrule-mcp-'));
    mkdirSync(join(root, 'backend/crates/tiny/src'), { recursive: true });
    writeFileSync(join(root, 'package.json'), '{ "name": "tiny", "private": true, "type": "module" }\n');
    writeFileSync(join(root, 'backend/Cargo.toml'), '[workspace]\nmembers = ["crates/*"]\nresolver = "2"\n');
    writeFileSync(
      join(root, 'backend/crates/tiny/Cargo.toml'),
      '[package]\nname = "tiny"\nversion = "0.1.0"\nedition = "2021"\n',
    );
    writeFileSync(
      join(root, 'backend/crates/tiny/src/lib.rs'),
      'pub fn add(a: u32, b: u32) -> u32 {\n    a + b\n}\n\n#[test]\nfn adds() {\n    assert_eq!(add(1, 2), 3);\n}\n',
    );
    writeFileSync(
      join(root, 'tsconfig.json'),
      '{ "compilerOptions": { "strict": true, "noEmit": true }, "files": ["x.ts"] }\n',
    );
    writeFileSync(join(root, 'x.ts'), 'export const x: number = 1;\n');
    writeFileSync(
      join(root, 'biome.json'),
      `${formatJson({
        files: { includes: ['**/*.ts', '!node_modules', '!backend/target'] },
        formatter: { indentStyle: 'space', indentWidth: 2, lineWidth: 110 },
        javascript: { formatter: { quoteStyle: 'single', trailingCommas: 'all', semicolons: 'always' } },
      })}\n`,
    );
    symlinkSync(join(projectRoot, 'node_modules'), join(root, 'node_modules'));
    mkdirSync(join(root, 'infrastructure/functions'), { recursive: true });
    writeFileSync(
      join(root, 'infrastructure/functions/tiny-worker.ts'),
      `// keep this comment\n${wiringFile({
        name: 'tiny-worker',
        service: 'functions',
        description: 'A tiny worker',
        trigger: { type: 'sqs', queue: 'jobs', fifo: false },
        uses: {
          tables: [],
          queues: [{ queue: 'receipts', access: 'send', env: 'RECEIPTS_QUEUE_URL' }],
          buses: [],
        },
        createsOnFirstUse: true,
      })}`,
    );
    mkdirSync(join(root, 'backend/functions/tiny-worker'), { recursive: true });
    writeFileSync(
      join(root, 'backend/functions/tiny-worker/Cargo.toml'),
      '[package]\nname = "tiny-worker"\n\n[package.metadata.ferrule.env]\nRECEIPTS_QUEUE_URL = "http://localhost/000000000000/receipts"\n',
    );
    syncProjections(root);
    client = await connect(root);
  }, 60_000);
  afterAll(async () => {
    await client?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('declare_use adds, updates and keeps a use in the wiring file and the crate manifest, leaving the rest of both', async () => {
    const file = join(root, 'infrastructure/functions/tiny-worker.ts');
    const read = () => readFileSync(file, 'utf8');
    const manifest = () => readFileSync(join(root, 'backend/functions/tiny-worker/Cargo.toml'), 'utf8');
    const added = await call(client, 'declare_use', {
      function: 'tiny-worker',
      kind: 'table',
      resource: 'orders',
      access: 'read',
    });
    expect(added.isError).toBeFalsy();
    expect(JSON.parse(text(added))).toMatchObject({
      change: 'added',
      entry: { table: 'orders', env: 'ORDERS_TABLE' },
    });
    expect(read()).toContain(
      "tables: [{ table: stack.resources.table('orders').table, access: 'read', env: 'ORDERS_TABLE' }]",
    );
    expect(read()).toContain(
      "queues: [{ queue: stack.resources.queue('receipts').queue, access: 'send', env: 'RECEIPTS_QUEUE_URL' }]",
    );
    expect(read()).toContain("stack.resources.queue('jobs').addConsumer(fn);");
    expect(read()).toContain('// keep this comment');
    expect(manifest()).toContain('ORDERS_TABLE = "orders-local"');
    expect(manifest()).toContain('RECEIPTS_QUEUE_URL = "http://localhost/000000000000/receipts"');

    const bus = await call(client, 'declare_use', {
      function: 'tiny-worker',
      kind: 'bus',
      resource: 'events',
    });
    expect(JSON.parse(text(bus))).toMatchObject({ change: 'added' });
    expect(read()).toContain("buses: [{ bus: stack.resources.bus('events'), env: 'EVENTS_BUS' }]");

    const again = await call(client, 'declare_use', {
      function: 'tiny-worker',
      kind: 'table',
      resource: 'orders',
      access: 'read',
    });
    expect(JSON.parse(text(again))).toMatchObject({ change: 'unchanged' });
    const wider = await call(client, 'declare_use', {
      function: 'tiny-worker',
      kind: 'table',
      resource: 'orders',
      access: 'read-write',
    });
    expect(JSON.parse(text(wider))).toMatchObject({ change: 'updated' });
    expect(read()).toContain(
      "{ table: stack.resources.table('orders').table, access: 'read-write', env: 'ORDERS_TABLE' }",
    );
    expect(read().match(/table\('orders'\)/g)).toHaveLength(1);

    const renamed = await call(client, 'declare_use', {
      function: 'tiny-worker',
      kind: 'table',
      resource: 'orders',
      access: 'read-write',
      env: 'ORDERS_TABLE_NAME',
    });
    expect(JSON.parse(text(renamed))).toMatchObject({ change: 'updated' });
    expect(manifest()).toContain('ORDERS_TABLE_NAME = "orders-local"');
    expect(manifest()).not.toMatch(/^ORDERS_TABLE =/m);

    const badAccess = await call(client, 'declare_use', {
      function: 'tiny-worker',
      kind: 'queue',
      resource: 'jobs',
      access: 'read',
    });
    expect(badAccess.isError).toBe(true);
    expect(text(badAccess)).toContain('send | consume');
  });

  it('verify (quick) passes and returns every step; a formatting error becomes the first thing to fix', async () => {
    const before = progressMessages.length;
    const passing = await call(client, 'verify', { quick: true });
    expect(passing.isError).toBeFalsy();
    // A notification as each step starts. The SDK client drops notifications it handles after
    // the response (the last step's may arrive in the same read), so the last step is not
    // required: counting every one would depend on how the machine schedules the two reads.
    const seen = progressMessages.slice(before);
    for (const title of [
      'cargo fmt --check',
      'cargo clippy -D warnings',
      'cargo test',
      'tsc (strict)',
      'biome ci',
    ]) {
      expect(
        seen.some((message) => message.startsWith(title)),
        `${title} in ${JSON.stringify(seen)}`,
      ).toBe(true);
    }
    const report = JSON.parse(text(passing, 1)) as { ok: boolean; steps: { id: string; status: string }[] };
    expect(report.steps.map((step) => step.id)).toEqual([
      'rustfmt',
      'clippy',
      'cargo-test',
      'tsc',
      'biome',
      'vitest-related',
      'agent-check',
    ]);
    // Not a git checkout: no change to follow, so no TypeScript test is picked.
    expect(report.steps.find((step) => step.id === 'vitest-related')?.status).toBe('skip');
    expect((report as { firstFailure?: unknown }).firstFailure).toBeUndefined();
    expect(report).toMatchObject({ ok: true });

    writeFileSync(join(root, 'backend/crates/tiny/src/lib.rs'), 'pub fn add(a:u32,b:u32)->u32{a+b}\n');
    const failing = await call(client, 'verify', { quick: true });
    expect(failing.isError).toBeFalsy();
    expect(text(failing)).toContain('First thing to fix (cargo fmt --check)');
    const failed = JSON.parse(text(failing, 1)) as { ok: boolean; firstFailure: { id: string; fix: string } };
    expect(failed.ok).toBe(false);
    expect(failed.firstFailure.id).toBe('rustfmt');
    expect(failed.firstFailure.fix).toContain('cargo fmt');
    const biomeStep = (failed as unknown as { steps: { id: string; status: string }[] }).steps.find(
      (step) => step.id === 'biome',
    );
    expect(biomeStep?.status).toBe('pass');

    writeFileSync(join(root, 'x.ts'), 'export const x: number = 1\n');
    const lint = JSON.parse(text(await call(client, 'verify', { quick: true }), 1)) as {
      steps: { id: string; status: string; detail?: string; fix?: string }[];
    };
    const biome = lint.steps.find((step) => step.id === 'biome');
    expect(biome?.status).toBe('fail');
    expect(biome?.detail).toMatch(/^x\.ts /);
    expect(biome?.fix).toContain('npx biome check --write x.ts');

    // The stop hook refuses to end the turn (exit 2) with the same summary, unless turned off.
    const hook = (extra: Record<string, string>) =>
      spawnSync(process.execPath, [bin, 'agent', 'hook', 'verify-before-stop'], {
        cwd: root,
        env: { ...process.env, FERRULE_ROOT: root, ...extra },
        input: JSON.stringify({ hook_event_name: 'Stop', stop_hook_active: false }),
        encoding: 'utf8',
      });
    const refused = hook({});
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('Not done: `npx ferrule verify --quick` fails.');
    expect(refused.stderr).toContain('First thing to fix (cargo fmt --check)');
    expect(hook({ FERRULE_SKIP_STOP_VERIFY: '1' }).status).toBe(0);
  }, 900_000);
});
