import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { platformTargetDir } from '../src/build.ts';
import { highestGlibcIn } from '../src/glibc.ts';
import { toolEnvironment } from '../src/project.ts';
import { runFerrule } from './run-ferrule.ts';

const ferrule = (...args: string[]) => runFerrule(args);

/** Bad input: one line that says what is wrong and what to do, exit code 2, no stack trace. */
function expectUsageError(result: ReturnType<typeof ferrule>, pattern: RegExp) {
  expect(result.code).toBe(2);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe('ferrule invoke: bad input', () => {
  it('names the known functions for an unknown one', () => {
    expectUsageError(
      ferrule('invoke', 'no-such-fn', '--event', 'apigw-http/get-hello'),
      /unknown function `no-such-fn`.*hello-http/,
    );
  });

  it('says which build to run when the artifact is missing', () => {
    expectUsageError(
      ferrule(
        'invoke',
        'hello-http',
        '--runtime',
        'al2',
        '--arch',
        'arm64',
        '--event',
        'apigw-http/get-hello',
      ),
      /no artifact for hello-http at dist\/lambda\/al2-arm64\/hello-http\/bootstrap\.zip; run `npx ferrule build hello-http`/,
    );
  });

  it('points to `ferrule events` for a fixture that does not exist', () => {
    expectUsageError(
      ferrule('invoke', 'hello-http', '--event', 'apigw-http/does-not-exist'),
      /no fixture or file `apigw-http\/does-not-exist`; fixtures of that source: apigw-http\/get-hello.*npx ferrule events/,
    );
  });

  it('refuses a file that is not JSON, naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferrule-cli-'));
    const file = join(dir, 'event.json');
    writeFileSync(file, '{"Records": [');
    expectUsageError(ferrule('invoke', 'hello-http', '--event', file), /event\.json is not JSON: /);
  });

  it('rejects invalid flag values with the allowed ones', () => {
    expectUsageError(
      ferrule('invoke', 'hello-http', '--arch', 'sparc', '--event', 'x'),
      /--arch must be x86_64 or arm64/,
    );
    expectUsageError(
      ferrule('invoke', 'hello-http', '--timeout', '0', '--event', 'apigw-http/get-hello'),
      /--timeout must be a number from 1 to 900/,
    );
  });

  it('requires --event', () => {
    const result = ferrule('invoke', 'hello-http');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/required option '-e, --event/);
  });
});

describe('ferrule events', () => {
  it('lists every source of the ADR with its fixtures', () => {
    const result = ferrule('events');
    expect(result.code).toBe(0);
    for (const name of [
      'apigw-http/get-hello',
      'apigw-http/get-hello-jwt',
      'cognito/pre-sign-up',
      'cognito/post-confirmation',
      'eventbridge/order-placed',
      'sqs/standard',
      'sqs/fifo',
      'dynamodb-stream/insert',
      'dynamodb-stream/modify',
      'dynamodb-stream/remove',
    ]) {
      expect(result.stdout).toContain(name);
    }
  });

  it('filters by source and rejects an unknown one', () => {
    const sqs = ferrule('events', 'sqs').stdout.trim().split('\n');
    expect(sqs).toContain(`${'sqs/fifo'.padEnd(44)} backend/events/sqs/fifo.json`);
    expect(sqs.every((line) => line.startsWith('sqs/'))).toBe(true);
    expectUsageError(
      ferrule('events', 'kinesis'),
      /no fixtures for source `kinesis`; the sources are: apigw-http/,
    );
  });
});

describe('ferrule doctor', () => {
  it('reports each tool with a version or a fix', () => {
    const result = ferrule('doctor', '--json');
    const checks = JSON.parse(result.stdout) as {
      tool: string;
      status: string;
      version?: string;
      fix?: string;
    }[];
    const node = checks.find((c) => c.tool === 'node');
    expect(node?.status).toBe('ok');
    expect(node?.version).toBe(process.versions.node);
    for (const tool of ['rustc', 'cargo-lambda', 'zig', 'moto', 'cfn-lint', 'actionlint', 'objdump']) {
      expect(checks.some((c) => c.tool === tool)).toBe(true);
    }
    for (const check of checks.filter((c) => c.status !== 'ok')) expect(check.fix).toBeTruthy();
    expect(result.code).toBe(checks.some((c) => c.status === 'missing' || c.status === 'outdated') ? 1 : 0);
  });
});

describe('highestGlibcIn', () => {
  it('compares versions numerically', () => {
    const objdump = [
      '0000000000000000      DF *UND*  0000000000000000 (GLIBC_2.2.5) memcpy',
      '0000000000000000      DF *UND*  0000000000000000 (GLIBC_2.9) pipe2',
      '0000000000000000      DF *UND*  0000000000000000 (GLIBC_2.18) __cxa_thread_atexit_impl',
      '0000000000000000      DF *UND*  0000000000000000 (GLIBC_2.25) getrandom',
    ].join('\n');
    expect(highestGlibcIn(objdump)).toBe('2.25');
    expect(highestGlibcIn('no versioned symbols')).toBeUndefined();
  });
});

describe('Cargo target folders', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('keeps one folder per platform on CI, under the shared base', () => {
    vi.stubEnv('CI', 'true');
    vi.stubEnv('CARGO_TARGET_DIR', '');
    delete process.env.CARGO_TARGET_DIR;
    const al2023 = platformTargetDir({ runtime: 'al2023', architecture: 'x86_64' });
    const al2 = platformTargetDir({ runtime: 'al2', architecture: 'x86_64' });
    expect(al2023).not.toBe(al2);
    // What runCargo passes: the platform's folder must reach cargo, not the CI base.
    expect(toolEnvironment({ CARGO_TARGET_DIR: al2 }).CARGO_TARGET_DIR).toBe(al2);
    expect(toolEnvironment().CARGO_TARGET_DIR).toMatch(/ferrule\/cargo-target$/);
  });
});
