// hello-http (ferrule_http::run_concurrent) as Lambda Managed Instances run it: one environment
// taking 8 invocations at once. In the e2e group: it needs the release artifact.
import { readFileSync } from 'node:fs';
import { LocalFunction } from '@ferrule/emulator';
import { artifactPath } from '@ferrule/toolchain/project';
import { afterAll, describe, expect, it } from 'vitest';

const event = JSON.parse(
  readFileSync(new URL('../../backend/events/apigw-http/get-hello.json', import.meta.url), 'utf8'),
) as { rawQueryString: string; queryStringParameters?: Record<string, string> };

describe('a concurrent Rust function on Lambda Managed Instances', () => {
  const local = new LocalFunction({
    name: 'hello-http',
    artifact: artifactPath('hello-http'),
    memoryMb: 2048,
    timeoutSeconds: 30,
    maxConcurrency: 8,
  });
  afterAll(() => local.stop());

  it('answers 200 overlapping invocations each with its own name, logged under its own request id', async () => {
    const names = Array.from({ length: 200 }, (_, i) => `caller${i}`);
    const reports = await Promise.all(
      names.map((name, i) =>
        local.invoke(
          { ...event, rawQueryString: `name=${name}`, queryStringParameters: { name } },
          { requestId: `lmi-request-${i}` },
        ),
      ),
    );
    for (const [i, report] of reports.entries()) {
      expect(report.outcome.kind, JSON.stringify(report.outcome)).toBe('success');
      const body = JSON.parse((report.outcome as { json: { body: string } }).json.body) as {
        message: string;
      };
      expect(body.message).toBe(`Hello, caller${i}!`);
      // No JSON line reported with this invocation names another request.
      for (const line of report.logs.filter((text) => text.startsWith('{'))) {
        const requestId = (JSON.parse(line) as { requestId?: string }).requestId;
        if (requestId !== undefined) expect(requestId).toBe(`lmi-request-${i}`);
      }
    }
    // One environment served them all, and nothing set _X_AMZN_TRACE_ID: the runtime ran the
    // concurrent loop (the sequential one warns that AWS_LAMBDA_MAX_CONCURRENCY is ignored).
    expect(reports.filter((report) => report.coldStart)).toHaveLength(1);
    const warned = reports
      .flatMap((report) => report.logs)
      .some((line) => line.includes('running sequentially'));
    expect(warned).toBe(false);
  }, 120_000);
});
