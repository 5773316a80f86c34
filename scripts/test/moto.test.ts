import { createConnection } from 'node:net';
import {
  CreateTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
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

describe('moto as the toolchain starts it', () => {
  const client = (endpoint: string) =>
    new DynamoDBClient({
      region: 'eu-west-1',
      endpoint,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      maxAttempts: 1,
    });

  it('lets one of eight concurrent conditional writes on a key through, as DynamoDB does', async () => {
    // moto_server alone let two through in 11 of 300 such rounds on a loaded machine.
    const moto = await startMoto();
    const dynamodb = client(moto.endpoint);
    try {
      await dynamodb.send(
        new CreateTableCommand({
          TableName: 'claims',
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        }),
      );
      const winners: number[] = [];
      for (let round = 0; round < 100; round += 1) {
        const claims = await Promise.allSettled(
          Array.from({ length: 8 }, (_, claimant) =>
            dynamodb.send(
              new PutItemCommand({
                TableName: 'claims',
                Item: { pk: { S: `key-${round}` }, claimant: { N: String(claimant) } },
                // ferrule-idempotency's claim: a new key, an expired record or an abandoned one.
                ConditionExpression:
                  'attribute_not_exists(#pk) OR #expiry < :now OR (#status = :inprogress AND attribute_exists(#until) AND #until < :now_ms)',
                ExpressionAttributeNames: {
                  '#pk': 'pk',
                  '#expiry': 'expiry',
                  '#status': 'status',
                  '#until': 'until',
                },
                ExpressionAttributeValues: {
                  ':now': { N: '1' },
                  ':now_ms': { N: '1000' },
                  ':inprogress': { S: 'INPROGRESS' },
                },
              }),
            ),
          ),
        );
        winners.push(claims.filter((claim) => claim.status === 'fulfilled').length);
        for (const claim of claims) {
          if (claim.status === 'rejected') {
            expect((claim.reason as Error).name).toBe('ConditionalCheckFailedException');
          }
        }
      }
      expect(winners.filter((count) => count !== 1)).toEqual([]);
    } finally {
      dynamodb.destroy();
      await moto.stop();
    }
  }, 300_000);

  it('answers DynamoDB while an SQS long poll waits', async () => {
    const moto = await startMoto();
    const dynamodb = client(moto.endpoint);
    try {
      const created = await sqs(moto.endpoint, { Action: 'CreateQueue', QueueName: 'idle' });
      const queueUrl = /<QueueUrl>([^<]+)<\/QueueUrl>/.exec(created.text)?.[1];
      expect(queueUrl).toBeDefined();
      let polled = false;
      const poll = sqs(moto.endpoint, {
        Action: 'ReceiveMessage',
        QueueUrl: queueUrl ?? '',
        WaitTimeSeconds: '20',
      }).then(() => {
        polled = true;
      });
      await dynamodb.send(new ListTablesCommand({}));
      expect(polled).toBe(false);
      // A message ends the poll.
      await sqs(moto.endpoint, { Action: 'SendMessage', QueueUrl: queueUrl ?? '', MessageBody: 'done' });
      await poll;
    } finally {
      dynamodb.destroy();
      await moto.stop();
    }
  });
});
