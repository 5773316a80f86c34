// Execution environments per function: started on first use, reused warm, capped, queued, then
// throttled; real processes (the emulator's test runtime).
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FunctionPool, ThrottledError } from '../src/functions.ts';
import type { FunctionSpec } from '../src/model.ts';
import { memoryLog, writeAssembly } from './helpers.ts';

const pools: FunctionPool[] = [];

async function pool(maxEnvironments: number, reservedConcurrency?: number): Promise<FunctionPool> {
  const dir = await writeAssembly({});
  const spec: FunctionSpec = {
    stackName: 'Test',
    logicalId: 'Echo',
    name: 'Test-Echo',
    arn: 'arn:aws:lambda:eu-west-1:123456789012:function:Test-Echo',
    label: 'echo',
    artifact: join(dir, 'asset.runtime.zip'),
    runtime: 'provided.al2023',
    architecture: 'x86_64',
    memoryMb: 128,
    timeoutSeconds: 5,
    environment: { TEST_MODE: 'echo' },
    logFormat: 'JSON',
    ...(reservedConcurrency !== undefined ? { reservedConcurrency } : {}),
  };
  const created = new FunctionPool({
    spec,
    region: 'eu-west-1',
    accountId: '123456789012',
    passthroughEnvironment: {},
    log: memoryLog().sink,
    maxEnvironments,
  });
  pools.push(created);
  return created;
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.stop()));
});

describe('function pools', () => {
  it('starts at most the limit of environments and reuses them warm', async () => {
    const echo = await pool(2);
    const reports = await Promise.all(Array.from({ length: 6 }, (_, i) => echo.invoke({ i })));
    expect(reports.every((r) => r.outcome.kind === 'success')).toBe(true);
    expect(echo.environments).toBe(2);
    expect(reports.filter((r) => r.coldStart)).toHaveLength(2);
    const again = await echo.invoke({ i: 7 });
    expect(again.coldStart).toBe(false);
  });

  it('takes reserved concurrency as the cap', async () => {
    const echo = await pool(4, 1);
    expect(echo.limit).toBe(1);
  });

  it('throttles past a full queue instead of waiting without bound', async () => {
    const echo = await pool(1);
    const results = await Promise.allSettled(Array.from({ length: 60 }, () => echo.invoke({})));
    const throttled = results.filter((r) => r.status === 'rejected');
    // One running, 50 waiting: the rest are refused as Lambda refuses with 429.
    expect(throttled).toHaveLength(9);
    expect((throttled[0] as PromiseRejectedResult).reason).toBeInstanceOf(ThrottledError);
  });
});
