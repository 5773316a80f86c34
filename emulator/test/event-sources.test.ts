// The event source readers against moto: the records they hand out must have the shape
// Lambda gives a function, and SQS batches must settle as Lambda's ReportBatchItemFailures.
import { randomUUID } from 'node:crypto';
import {
  CreateTableCommand,
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MotoServer, startMoto } from '../../scripts/testbed/moto.ts';
import { DynamoDbStreamSource } from '../src/event-sources/dynamodb-streams.ts';
import { SqsQueueSource } from '../src/event-sources/sqs.ts';

const region = 'eu-west-1';
const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
let moto: MotoServer | undefined;
let endpoint = process.env.AWS_ENDPOINT_URL ?? '';

beforeAll(async () => {
  if (!endpoint) {
    moto = await startMoto();
    endpoint = moto.endpoint;
  }
});
afterAll(async () => {
  await moto?.stop();
});

const clients = () => ({
  dynamodb: new DynamoDBClient({ region, endpoint, credentials }),
  streams: new DynamoDBStreamsClient({ region, endpoint, credentials }),
  sqs: new SQSClient({ region, endpoint, credentials }),
});

async function tableWithStream(): Promise<{ name: string; streamArn: string }> {
  const name = `events-${randomUUID().slice(0, 8)}`;
  const created = await clients().dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  const streamArn = created.TableDescription?.LatestStreamArn;
  if (!streamArn) throw new Error('no stream');
  return { name, streamArn };
}

describe('DynamoDbStreamSource', () => {
  it('hands out INSERT, MODIFY and REMOVE records as Lambda does, each once', async () => {
    const { name, streamArn } = await tableWithStream();
    const { dynamodb, streams } = clients();
    await dynamodb.send(
      new PutItemCommand({
        TableName: name,
        Item: { pk: { S: 'a' }, n: { N: '1' }, blob: { B: Buffer.from('hi') } },
      }),
    );
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: name,
        Key: { pk: { S: 'a' } },
        UpdateExpression: 'SET n = :two',
        ExpressionAttributeValues: { ':two': { N: '2' } },
      }),
    );
    await dynamodb.send(new DeleteItemCommand({ TableName: name, Key: { pk: { S: 'a' } } }));

    const source = new DynamoDbStreamSource({ streamArn, client: streams, region: 'us-west-2' });
    const event = await source.poll();
    expect(event?.Records.map((r) => r.eventName)).toEqual(['INSERT', 'MODIFY', 'REMOVE']);
    const [insert, modify] = event?.Records ?? [];
    expect(insert).toMatchObject({
      eventSource: 'aws:dynamodb',
      eventSourceARN: streamArn,
      awsRegion: region, // the table's, from the ARN, not the client's
      dynamodb: {
        Keys: { pk: { S: 'a' } },
        NewImage: { pk: { S: 'a' }, n: { N: '1' }, blob: { B: Buffer.from('hi').toString('base64') } },
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
    expect(typeof insert?.dynamodb.ApproximateCreationDateTime).toBe('number');
    expect(modify?.dynamodb).toMatchObject({ OldImage: { n: { N: '1' } }, NewImage: { n: { N: '2' } } });
    // Serialisable as the function receives it: no Date, no Uint8Array left.
    expect(JSON.parse(JSON.stringify(event))).toEqual(event);

    expect(await source.poll()).toBeUndefined();
    expect(source.replay()).toBe(event);
  });

  it('splits what arrived into batches of batchSize', async () => {
    const { name, streamArn } = await tableWithStream();
    const { dynamodb, streams } = clients();
    for (const pk of ['a', 'b', 'c']) {
      await dynamodb.send(new PutItemCommand({ TableName: name, Item: { pk: { S: pk } } }));
    }
    const source = new DynamoDbStreamSource({ streamArn, client: streams, batchSize: 2 });
    expect((await source.poll())?.Records).toHaveLength(2);
    expect((await source.poll())?.Records).toHaveLength(1);
    expect(await source.poll()).toBeUndefined();
  });

  it('refuses a batch size Lambda would refuse', () => {
    expect(() => new DynamoDbStreamSource({ streamArn: 'arn', batchSize: 0 })).toThrow(/batchSize/);
  });
});

describe('SqsQueueSource', () => {
  async function queueWith(
    bodies: string[],
  ): Promise<{ url: string; source: SqsQueueSource; sqs: SQSClient }> {
    const { sqs } = clients();
    const created = await sqs.send(
      new CreateQueueCommand({
        QueueName: `q-${randomUUID().slice(0, 8)}`,
        Attributes: { VisibilityTimeout: '30' },
      }),
    );
    const url = created.QueueUrl ?? '';
    if (bodies.length > 0) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: bodies.map((body, i) => ({ Id: String(i), MessageBody: body })),
        }),
      );
    }
    return { url, source: new SqsQueueSource({ queueUrl: url, client: sqs, retryDelaySeconds: 0 }), sqs };
  }

  async function visible(sqs: SQSClient, url: string): Promise<number> {
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    return Number(attributes.Attributes?.ApproximateNumberOfMessages);
  }

  it('gives messages in the Lambda SQS event shape', async () => {
    const { sqs } = clients();
    const { url, source } = await queueWith([]);
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: 'hello',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'greeting' } },
      }),
    );
    const event = await source.poll();
    expect(event?.Records).toHaveLength(1);
    expect(event?.Records[0]).toMatchObject({
      body: 'hello',
      eventSource: 'aws:sqs',
      eventSourceARN: expect.stringMatching(/^arn:aws:sqs:/),
      attributes: { ApproximateReceiveCount: '1' },
      messageAttributes: { kind: { dataType: 'String', stringValue: 'greeting', stringListValues: [] } },
    });
  });

  it('deletes what succeeded and gives back only the reported failures', async () => {
    const { url, source, sqs } = await queueWith(['one', 'two', 'three']);
    const event = await source.poll();
    const failed = event?.Records.find((r) => r.body === 'two');
    if (!event || !failed) throw new Error('batch expected');
    const settled = await source.settle(event, {
      kind: 'success',
      payload: '',
      json: { batchItemFailures: [{ itemIdentifier: failed.messageId }] },
    });
    expect(settled.retried).toEqual([failed.messageId]);
    expect(settled.deleted).toHaveLength(2);
    const again = await source.poll();
    expect(again?.Records.map((r) => [r.body, r.attributes.ApproximateReceiveCount])).toEqual([['two', '2']]);
    await source.settle(again ?? { Records: [] }, { kind: 'success', payload: 'null', json: null });
    expect(await visible(sqs, url)).toBe(0);
    expect(await source.poll()).toBeUndefined();
  });

  it('retries the whole batch on an error or a response naming an unknown message', async () => {
    const { source } = await queueWith(['one', 'two']);
    const event = await source.poll();
    if (!event) throw new Error('batch expected');
    const error = await source.settle(event, {
      kind: 'error',
      phase: 'invoke',
      errorType: 'Runtime.ExitError',
      errorMessage: 'exit status 1',
    });
    expect(error.deleted).toEqual([]);
    expect(error.retried).toHaveLength(2);
    expect(error.reason).toContain('Runtime.ExitError');

    const redelivered = await source.poll();
    if (!redelivered) throw new Error('batch expected');
    const unknown = await source.settle(redelivered, {
      kind: 'success',
      payload: '',
      json: { batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] },
    });
    expect(unknown.deleted).toEqual([]);
    expect(unknown.reason).toMatch(/not in the batch/);
  });

  it('refuses a batch size over SQS’s 10', () => {
    expect(() => new SqsQueueSource({ queueUrl: 'http://q', batchSize: 11 })).toThrow(/batchSize/);
  });
});
