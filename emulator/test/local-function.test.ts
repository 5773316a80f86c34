import { readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { useRunTemporaryFolder } from '../../scripts/testbed/temporary-folder.ts';
import { extractArtifact, LocalFunction, type LocalFunctionOptions } from '../src/index.ts';
import { artifactWithoutBootstrap, testArtifact } from './helpers.ts';

const started: LocalFunction[] = [];

async function fn(mode: string, options: Partial<LocalFunctionOptions> = {}) {
  const local = new LocalFunction({
    name: `test-${mode}`,
    artifact: await testArtifact(),
    timeoutSeconds: 2,
    environment: { TEST_MODE: mode },
    ...options,
  });
  started.push(local);
  return local;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((f) => f.stop()));
});

interface Echo {
  event: unknown;
  count: number;
  headers: Record<string, string>;
  env: Record<string, string>;
}

describe('LocalFunction', () => {
  it('hands the event over with every documented header and the reserved environment', async () => {
    const local = await fn('echo', { memoryMb: 256, region: 'eu-central-1' });
    const report = await local.invoke(
      { orderId: 'o-1' },
      {
        requestId: 'req-1',
        traceHeader: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
        clientContext: { client: { app_title: 'shop' } },
        cognitoIdentity: {
          cognitoIdentityId: 'eu-central-1:abc',
          cognitoIdentityPoolId: 'eu-central-1:pool',
        },
      },
    );
    expect(report.outcome.kind).toBe('success');
    const echo = (report.outcome as { json: Echo }).json;
    expect(echo.event).toEqual({ orderId: 'o-1' });
    expect(echo.headers['lambda-runtime-aws-request-id']).toBe('req-1');
    expect(echo.headers['lambda-runtime-invoked-function-arn']).toBe(
      'arn:aws:lambda:eu-central-1:123456789012:function:test-echo',
    );
    expect(echo.headers['lambda-runtime-trace-id']).toContain('Root=1-5759e988-bd862e3fe1be46a994272793');
    expect(JSON.parse(echo.headers['lambda-runtime-client-context'] ?? '')).toEqual({
      client: { app_title: 'shop' },
    });
    expect(JSON.parse(echo.headers['lambda-runtime-cognito-identity'] ?? '')).toMatchObject({
      cognitoIdentityId: 'eu-central-1:abc',
    });
    const deadline = Number(echo.headers['lambda-runtime-deadline-ms']);
    expect(deadline).toBeGreaterThan(Date.now());
    expect(deadline).toBeLessThanOrEqual(Date.now() + 2000);
    expect(echo.env).toMatchObject({
      AWS_LAMBDA_FUNCTION_NAME: 'test-echo',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_REGION: 'eu-central-1',
      AWS_DEFAULT_REGION: 'eu-central-1',
      AWS_LAMBDA_LOG_FORMAT: 'JSON',
      AWS_LAMBDA_LOG_LEVEL: 'INFO',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/test-echo',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      _HANDLER: 'bootstrap',
    });
    expect(echo.env.AWS_LAMBDA_RUNTIME_API).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(echo.env.LAMBDA_TASK_ROOT).toBeTruthy();
    expect(report.coldStart).toBe(true);
    expect(report.initDurationMs).toBeGreaterThan(0);
    expect(report.execToResponseMs).toBeGreaterThanOrEqual(report.initDurationMs ?? 0);
    expect(report.durationMs).toBeGreaterThanOrEqual(0);
    expect(report.maxMemoryUsedMb).toBeGreaterThan(1);
    expect(report.logs.some((line) => line.includes('"requestId":"req-1"'))).toBe(true);
  });

  it('keeps the process warm between invocations', async () => {
    const local = await fn('echo');
    const first = await local.invoke({});
    const second = await local.invoke({});
    expect(first.coldStart).toBe(true);
    expect(second.coldStart).toBe(false);
    expect(second.initDurationMs).toBeUndefined();
    expect((second.outcome as { json: Echo }).json.count).toBe(2);
  });

  it('hands bytes over as they are, invalid UTF-8 included', async () => {
    const local = await fn('bytes');
    // {"a":"<FF><C0 AF>"}: JSON text with bytes no UTF-8 decoder accepts.
    const bytes = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xc0, 0xaf, 0x22, 0x7d]);
    const report = await local.invoke(bytes);
    expect(report.outcome).toMatchObject({ kind: 'success', json: { hex: bytes.toString('hex') } });
    const text = await local.invoke('{"a":1}');
    expect(text.outcome).toMatchObject({ json: { hex: Buffer.from('{"a":1}').toString('hex') } });
  });

  it('gives the pid of the running process, and none once it is gone', async () => {
    const local = await fn('echo');
    expect(local.pid).toBeUndefined();
    await local.invoke({});
    const pid = local.pid;
    expect(pid).toBeGreaterThan(0);
    await local.invoke({});
    expect(local.pid).toBe(pid);
    await local.stop();
    expect(local.pid).toBeUndefined();
    const crashing = await fn('crash');
    await crashing.invoke({});
    expect(crashing.pid).toBeUndefined();
  });

  it('queues concurrent invocations as one environment does', async () => {
    const local = await fn('echo');
    const reports = await Promise.all([
      local.invoke({ n: 1 }),
      local.invoke({ n: 2 }),
      local.invoke({ n: 3 }),
    ]);
    const counts = reports.map((r) => (r.outcome as { json: Echo }).json.count).sort();
    expect(counts).toEqual([1, 2, 3]);
  });

  it('reports a handler error with its type and keeps the process', async () => {
    const local = await fn('handler-error');
    const report = await local.invoke({});
    expect(report.outcome).toMatchObject({
      kind: 'error',
      phase: 'invoke',
      errorType: 'Validation',
      errorMessage: 'orderId is required',
    });
    expect((await local.invoke({})).coldStart).toBe(false);
  });

  it('reports a crash as Runtime.ExitError with stderr, then starts cold', async () => {
    const local = await fn('crash');
    const report = await local.invoke({}, { requestId: 'crash-1' });
    expect(report.outcome).toMatchObject({
      kind: 'error',
      phase: 'invoke',
      errorType: 'Runtime.ExitError',
      errorMessage: 'RequestId: crash-1 Error: Runtime exited with error: exit status 101',
    });
    expect((report.outcome as { stderr: string }).stderr).toContain('panicked');
    expect((await local.invoke({})).coldStart).toBe(true);
  });

  it('kills a hanging invocation at the timeout and says so as Lambda does', async () => {
    const local = await fn('hang', { timeoutSeconds: 1 });
    const report = await local.invoke({}, { requestId: 'slow-1' });
    expect(report.outcome).toMatchObject({
      kind: 'error',
      errorType: 'Sandbox.Timedout',
      errorMessage: 'RequestId: slow-1 Error: Task timed out after 1.00 seconds',
    });
    expect(report.durationMs).toBeGreaterThanOrEqual(990);
    expect((await local.invoke({})).coldStart).toBe(true);
  });

  it('reports an exit during init with the stderr that explains it', async () => {
    const local = await fn('exit-at-init');
    const report = await local.invoke({});
    expect(report.outcome).toMatchObject({ kind: 'error', phase: 'init', errorType: 'Runtime.ExitError' });
    expect((report.outcome as { stderr: string }).stderr).toContain('missing configuration ORDERS_TABLE');
  });

  it('gives up on an init that never reaches /next', async () => {
    const local = await fn('slow-init', { initTimeoutMs: 300 });
    const report = await local.invoke({});
    expect(report.outcome).toMatchObject({
      kind: 'error',
      phase: 'init',
      errorType: 'Sandbox.Timedout',
      errorMessage: 'Init timed out after 0.30 seconds',
    });
  });

  it('reports /init/error with the runtime-provided type and message', async () => {
    const local = await fn('init-error');
    const report = await local.invoke({});
    expect(report.outcome).toMatchObject({
      kind: 'error',
      phase: 'init',
      errorType: 'Config.Missing',
      errorMessage: 'ORDERS_TABLE is not set',
    });
  });

  it('rejects a response that is not JSON', async () => {
    const local = await fn('not-json');
    const report = await local.invoke({});
    expect(report.outcome).toMatchObject({
      kind: 'error',
      errorType: 'Runtime.InvalidResponsePayload',
      payload: 'this is not json',
    });
  });

  it('rejects responses over 6 MB with 413 to the runtime and ResponseSizeTooLarge to the caller', async () => {
    const local = await fn('too-large');
    const report = await local.invoke({});
    expect(report.outcome).toMatchObject({ kind: 'error', errorType: 'Function.ResponseSizeTooLarge' });
  });

  it('answers 400 to a response for a request id that is not in progress', async () => {
    const local = await fn('wrong-id');
    const report = await local.invoke({});
    expect(report.outcome.kind).toBe('success');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(report.logs).toContain('wrong id status 400');
  });

  it('fails like Lambda when bootstrap is not executable', async () => {
    const local = new LocalFunction({ name: 'noexec', artifact: await testArtifact({ executable: false }) });
    started.push(local);
    const report = await local.invoke({});
    expect(report.outcome).toMatchObject({ kind: 'error', phase: 'init', errorType: 'Runtime.ExitError' });
    expect((report.outcome as { errorMessage: string }).errorMessage).toContain('EACCES');
  });
});

describe('extractArtifact', () => {
  it('keeps the permission bits and reports the sizes', async () => {
    const extracted = await extractArtifact(await testArtifact());
    expect(extracted.unzippedBytes).toBeGreaterThan(0);
    expect(extracted.zippedBytes).toBeGreaterThan(0);
    const { statSync } = await import('node:fs');
    expect(statSync(extracted.bootstrap).mode & 0o111).not.toBe(0);
  });

  it('refuses a zip without bootstrap, a missing file and a file that is not a zip', async () => {
    await expect(extractArtifact(await artifactWithoutBootstrap())).rejects.toThrow(/no `bootstrap`/);
    await expect(extractArtifact('/nonexistent/bootstrap.zip')).rejects.toMatchObject({
      name: 'ArtifactError',
      code: 'ArtifactNotFound',
    });
    const notZip = `${await testArtifact()}.txt`;
    await writeFile(notZip, 'plain text');
    await expect(extractArtifact(notZip)).rejects.toThrow(/not a readable zip/);
  });
});

describe('LocalFunction with maxConcurrency (Lambda Managed Instances)', () => {
  it('hands many invocations to one environment at once, each answered and logged as its own', async () => {
    const local = await fn('concurrent', { maxConcurrency: 8, timeoutSeconds: 30 });
    const names = Array.from({ length: 100 }, (_, i) => `caller-${i}`);
    const reports = await Promise.all(
      names.map((name, i) => local.invoke({ name, holdMs: 20 }, { requestId: `req-${i}` })),
    );
    for (const [i, report] of reports.entries()) {
      expect(report.outcome, report.requestId).toMatchObject({
        kind: 'success',
        json: { name: `caller-${i}`, requestId: `req-${i}` },
      });
      // Every line reported with an invocation carries its own request id, never another's.
      const lines = report.logs.filter((line) => line.includes('"answered"'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`"requestId":"req-${i}"`);
    }
    // One environment served them all: a single cold start.
    expect(reports.filter((report) => report.coldStart)).toHaveLength(1);
  });

  it('prepares a fresh function once when its first invocations arrive together: one task root, removed by stop', async () => {
    // The artifact is unzipped under the temporary folder: give this test its own to count in.
    const removeTemporaryFolder = useRunTemporaryFolder('ferrule-prepare-');
    const tmp = tmpdir();
    try {
      const local = await fn('concurrent', { maxConcurrency: 8, timeoutSeconds: 30 });
      const reports = await Promise.all(
        Array.from({ length: 8 }, (_, i) => local.invoke({ name: `caller-${i}`, holdMs: 5 })),
      );
      expect(reports.every((report) => report.outcome.kind === 'success')).toBe(true);
      expect((await readdir(tmp)).filter((entry) => entry.startsWith('ferrule-task-'))).toHaveLength(1);
      await local.stop();
      expect((await readdir(tmp)).filter((entry) => entry.startsWith('ferrule-task-'))).toEqual([]);
    } finally {
      removeTemporaryFolder();
    }
  });

  it('runs the invocations at the same time: 8 meet inside the runtime at once', async () => {
    const local = await fn('barrier', { maxConcurrency: 8, timeoutSeconds: 30 });
    const reports = await Promise.all(Array.from({ length: 8 }, () => local.invoke({ expect: 8 })));
    for (const report of reports)
      expect(report.outcome).toMatchObject({ kind: 'success', json: { seen: 8 } });
  });

  it('keeps classic mode one at a time: two never meet', async () => {
    const local = await fn('barrier', { timeoutSeconds: 30 });
    const reports = await Promise.all(
      Array.from({ length: 2 }, () => local.invoke({ expect: 2, maxWaitMs: 1500 })),
    );
    for (const report of reports)
      expect(report.outcome).toMatchObject({ kind: 'success', json: { seen: 1 } });
  }, 60_000);

  it('sets AWS_LAMBDA_MAX_CONCURRENCY above 1, and never in classic mode', async () => {
    const classic = await fn('echo');
    const echo = (await classic.invoke({})).outcome as { json: Echo };
    expect(echo.json.env.AWS_LAMBDA_MAX_CONCURRENCY).toBeUndefined();
    const managed = await fn('echo', { maxConcurrency: 4 });
    const managedEcho = (await managed.invoke({})).outcome as { json: Echo };
    expect(managedEcho.json.env.AWS_LAMBDA_MAX_CONCURRENCY).toBe('4');
  });

  it('times out one invocation alone: the others and the environment go on', async () => {
    const local = await fn('concurrent-hang', { maxConcurrency: 4, timeoutSeconds: 1 });
    const [hung, ok] = await Promise.all([
      local.invoke({ name: 'stuck', hang: true }),
      local.invoke({ name: 'fine' }),
    ]);
    expect(hung.outcome).toMatchObject({ kind: 'error', errorType: 'Sandbox.Timedout' });
    expect(ok.outcome).toMatchObject({ kind: 'success', json: { name: 'fine' } });
    const after = await local.invoke({ name: 'after' });
    expect(after.coldStart).toBe(false);
    expect(after.outcome).toMatchObject({ kind: 'success', json: { name: 'after' } });
  });

  it('fails every running invocation when the environment crashes', async () => {
    const local = await fn('crash', { maxConcurrency: 4 });
    const reports = await Promise.all([local.invoke({}), local.invoke({}), local.invoke({})]);
    for (const report of reports) {
      expect(report.outcome).toMatchObject({ kind: 'error', errorType: 'Runtime.ExitError' });
    }
  });

  it('refuses a concurrency Lambda would refuse', () => {
    expect(() => new LocalFunction({ name: 'x', artifact: 'x.zip', maxConcurrency: 0 })).toThrow(
      /maxConcurrency must be a whole number in 1..1600/,
    );
    expect(() => new LocalFunction({ name: 'x', artifact: 'x.zip', maxConcurrency: 1601 })).toThrow(
      /got 1601/,
    );
  });
});
