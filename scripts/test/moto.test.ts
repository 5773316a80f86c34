import { createConnection } from 'node:net';
import { describe, expect, it } from 'vitest';
import { resetMoto, startMoto } from '../testbed/moto.ts';

function portIsOpen(endpoint: string): Promise<boolean> {
  const { hostname, port } = new URL(endpoint);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port) });
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** One AWS query-protocol call, signed loosely: moto accepts any credentials. */
async function sqs(endpoint: string, params: Record<string, string>) {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization:
        'AWS4-HMAC-SHA256 Credential=testing/20261126/eu-west-1/sqs/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: new URLSearchParams({ Version: '2012-11-05', ...params }).toString(),
  });
  return { status: response.status, text: await response.text() };
}

describe('moto test bed', () => {
  it('serves AWS APIs on a free loopback port, resets, and stops cleanly', async () => {
    const moto = await startMoto();
    try {
      expect(moto.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(moto.environment.AWS_ENDPOINT_URL).toBe(moto.endpoint);

      const created = await sqs(moto.endpoint, { Action: 'CreateQueue', QueueName: 'testbed-queue' });
      expect(created.status).toBe(200);
      expect((await sqs(moto.endpoint, { Action: 'ListQueues' })).text).toContain('testbed-queue');

      await resetMoto(moto.endpoint);
      expect((await sqs(moto.endpoint, { Action: 'ListQueues' })).text).not.toContain('testbed-queue');
    } finally {
      await moto.stop();
    }
    expect(await portIsOpen(moto.endpoint)).toBe(false);
    await moto.stop();
  });
});
