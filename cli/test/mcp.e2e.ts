// The MCP server's invoke tool on a built artifact. In the e2e group: it needs the release
// artifact of hello-http, which the smoke suite builds before the e2e suites run.
import { projectRoot } from '@ferrule/toolchain/project';
import { describe, expect, it } from 'vitest';
import { call, serverOn, text } from './mcp-client.ts';

describe('ferrule MCP server (stdio): invoke', () => {
  const client = serverOn(projectRoot);

  it('runs hello-http with a fixture and returns the response, logs and report', async () => {
    const result = await call(client(), 'invoke', { function: 'hello-http', event: 'apigw-http/get-hello' });
    expect(result.isError, text(result)).toBeFalsy();
    const body = JSON.parse(text(result)) as {
      outcome: string;
      response: { statusCode: number; body: string };
      logs: string[];
      report: { durationMs: number; coldStart: boolean };
    };
    expect(body.outcome).toBe('success');
    expect(body.response.statusCode).toBe(200);
    expect(JSON.parse(body.response.body)).toEqual({ message: 'Hello, Ada!' });
    expect(body.report.coldStart).toBe(true);
    expect(Array.isArray(body.logs)).toBe(true);
  });
});
