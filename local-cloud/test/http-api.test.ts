// The HTTP API's answers to what a function returns (or fails to return), with the function
// replaced by a scripted outcome: the mapping rules of payload 2.0 responses.
import type { InvokeOutcome, InvokeReport } from '@ferrule/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/cloud.ts';
import { ThrottledError } from '../src/functions.ts';
import { HttpApiServer } from '../src/http-api.ts';
import { JwtVerifier } from '../src/jwt.ts';
import { memoryLog } from './helpers.ts';

let next: () => InvokeOutcome | Error;
let server: HttpApiServer;

beforeAll(async () => {
  server = new HttpApiServer({
    api: {
      stackName: 'Test',
      logicalId: 'Api',
      apiId: 'api',
      name: 'Api',
      port: await freePort(),
      routes: [
        {
          routeKey: 'ANY /{proxy+}',
          functionArn: 'fn',
          payloadFormatVersion: '2.0',
          timeoutMs: 5000,
          scopes: [],
        },
      ],
    },
    accountId: '123456789012',
    jwt: new JwtVerifier('http://127.0.0.1:9'),
    log: memoryLog().sink,
    invoke: async (): Promise<InvokeReport> => {
      const outcome = next();
      if (outcome instanceof Error) throw outcome;
      return { requestId: 'r', outcome, coldStart: false, durationMs: 1, memorySizeMb: 128, logs: [] };
    },
  });
  await server.listen();
});

afterAll(() => server.close());

const ok = (json: unknown): InvokeOutcome => ({ kind: 'success', payload: JSON.stringify(json), json });

describe('payload 2.0 responses mapped back to HTTP', () => {
  it('uses statusCode, headers, every cookie and a base64 body', async () => {
    next = () =>
      ok({
        statusCode: 201,
        headers: { 'content-type': 'image/png', location: '/x/1' },
        cookies: ['a=1; Path=/', 'b=2; HttpOnly'],
        body: Buffer.from([1, 2, 3]).toString('base64'),
        isBase64Encoded: true,
      });
    const response = await fetch(`${server.url}/x`);
    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toBe('/x/1');
    expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; HttpOnly']);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(Buffer.from([1, 2, 3]));
  });

  it('answers 200 with the whole response as JSON when there is no statusCode', async () => {
    next = () => ok({ hello: 'world' });
    const response = await fetch(`${server.url}/x`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ hello: 'world' });
  });

  it('answers 500 for an invalid statusCode or a function error, 502 when the function never answered', async () => {
    next = () => ok({ statusCode: 'nope' });
    expect((await fetch(`${server.url}/x`)).status).toBe(500);
    next = () => ({ kind: 'error', phase: 'invoke', errorType: 'Validation', errorMessage: 'bad' });
    const handled = await fetch(`${server.url}/x`);
    expect(handled.status).toBe(500);
    expect(await handled.json()).toEqual({ message: 'Internal Server Error' });
    next = () => ({
      kind: 'error',
      phase: 'invoke',
      errorType: 'Runtime.ExitError',
      errorMessage: 'signal: SIGABRT',
    });
    expect((await fetch(`${server.url}/x`)).status).toBe(502);
    next = () => ({ kind: 'error', phase: 'init', errorType: 'Config.Missing', errorMessage: 'x' });
    expect((await fetch(`${server.url}/x`)).status).toBe(502);
  });

  it('answers 429 when every environment is busy and the queue is full', async () => {
    next = () => new ThrottledError('Rate Exceeded');
    const response = await fetch(`${server.url}/x`);
    expect(response.status).toBe(429);
    expect(await response.json()).toEqual({ message: 'Too Many Requests' });
  });

  it('answers 413 for a body over 10 MB without calling the function', async () => {
    let called = false;
    next = () => {
      called = true;
      return ok({ statusCode: 200 });
    };
    const response = await fetch(`${server.url}/x`, {
      method: 'POST',
      body: Buffer.alloc(10 * 1024 * 1024 + 1),
    });
    expect(response.status).toBe(413);
    expect(called).toBe(false);
  });
});
