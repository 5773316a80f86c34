// Execution environments per function: started on first use, reused warm, capped, queued, then
// throttled; real processes (the emulator's test runtime).
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FunctionPool, ThrottledError } from '../src/functions.ts';
import type { FunctionSpec } from '../src/model.ts';
import { DEFAULT_MANAGED_INSTANCES_CONCURRENCY, managedInstances } from '../src/provision.ts';
import { memoryLog, writeAssembly } from './helpers.ts';

const pools: FunctionPool[] = [];
let log = memoryLog();

async function pool(
  maxEnvironments: number,
  reservedConcurrency?: number,
  extra: Partial<FunctionSpec> = {},
): Promise<FunctionPool> {
  const dir = await writeAssembly({});
  log = memoryLog();
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
    ...extra,
  };
  const created = new FunctionPool({
    spec,
    region: 'eu-west-1',
    accountId: '123456789012',
    passthroughEnvironment: {},
    log: log.sink,
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

  it('runs a function on Managed Instances with several invocations in one environment at once', async () => {
    const lmi = await pool(1, undefined, {
      environment: { TEST_MODE: 'concurrent' },
      managedInstancesConcurrency: 4,
      timeoutSeconds: 30,
    });
    expect(lmi.concurrency).toBe(4);
    const reports = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        lmi.invoke({ name: `n${i}`, holdMs: 20 }, { requestId: `r-${i}` }),
      ),
    );
    for (const [i, report] of reports.entries()) {
      expect(report.outcome).toMatchObject({ kind: 'success', json: { name: `n${i}` } });
    }
    expect(lmi.environments).toBe(1);
    // Each line of the stream is prefixed with the invocation that wrote it (its own request id).
    const answered = log.lines.filter((line) => line.includes('"answered"'));
    expect(answered).toHaveLength(12);
    for (const line of answered) {
      const [, prefixId, json] = /^\S+\s+(\S+)\s+(\{.*\})$/.exec(line) ?? [];
      expect(prefixId, line).toBe((JSON.parse(json ?? '{}') as { requestId?: string }).requestId);
    }
  });

  it('meets inside one environment: 4 invocations held until all 4 are in', async () => {
    const lmi = await pool(1, undefined, {
      environment: { TEST_MODE: 'barrier' },
      managedInstancesConcurrency: 4,
      timeoutSeconds: 30,
    });
    const reports = await Promise.all(Array.from({ length: 4 }, () => lmi.invoke({ expect: 4 })));
    for (const report of reports)
      expect(report.outcome).toMatchObject({ kind: 'success', json: { seen: 4 } });
  });
});

describe('a function on a capacity provider in the template', () => {
  it('takes PerExecutionEnvironmentMaxConcurrency, a default when unset, and nothing without a provider', () => {
    const config = (value?: number) => ({
      CapacityProviderConfig: {
        LambdaManagedInstancesCapacityProviderConfig: {
          CapacityProviderArn: 'arn:aws:lambda:eu-west-1:123456789012:capacity-provider:shop',
          ...(value === undefined ? {} : { PerExecutionEnvironmentMaxConcurrency: value }),
        },
      },
    });
    expect(managedInstances(config(64))).toEqual({ managedInstancesConcurrency: 64 });
    expect(managedInstances(config())).toEqual({
      managedInstancesConcurrency: DEFAULT_MANAGED_INSTANCES_CONCURRENCY,
    });
    expect(managedInstances(config(5000))).toEqual({
      managedInstancesConcurrency: DEFAULT_MANAGED_INSTANCES_CONCURRENCY,
    });
    expect(managedInstances({ MemorySize: 256 })).toEqual({});
  });
});
