// Asynchronous invocation as EventBridge and Lambda do it, with a scripted function: throttled
// deliveries retried under the target's policy then dead-lettered; function errors retried under
// the function's EventInvokeConfig then sent to its on-failure destination. Queues are moto's.
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { InvokeOutcome, InvokeReport } from '@ferrule/emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ThrottledError } from '../src/functions.ts';
import { emptyModel } from '../src/model.ts';
import { AsyncInvoker, LOCAL_DELAYS, type SourceContext } from '../src/sources.ts';
import { memoryLog, motoEndpoint } from './helpers.ts';

const FN = 'arn:aws:lambda:eu-west-1:123456789012:function:scripted';
let moto: Awaited<ReturnType<typeof motoEndpoint>>;
let sqs: SQSClient;
const model = emptyModel();
const saved = { ...LOCAL_DELAYS };

async function queue(name: string): Promise<string> {
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl ?? '';
  const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] })))
    .Attributes?.QueueArn as string;
  model.queues.set(arn, { name, url, motoUrl: url });
  return arn;
}

async function messages(arn: string) {
  const url = model.queues.get(arn)?.motoUrl;
  return (
    (
      await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      )
    ).Messages ?? []
  );
}

function invoker(script: (InvokeOutcome | Error)[]): { invoker: AsyncInvoker; calls: () => number } {
  let calls = 0;
  const context: SourceContext = {
    model,
    motoEndpoint: moto.endpoint,
    region: 'eu-west-1',
    accountId: '123456789012',
    log: memoryLog().sink,
    invoke: async (): Promise<InvokeReport> => {
      const next = script[Math.min(calls, script.length - 1)] as InvokeOutcome | Error;
      calls += 1;
      if (next instanceof Error) throw next;
      return { requestId: 'r', outcome: next, coldStart: false, durationMs: 1, memorySizeMb: 128, logs: [] };
    },
  };
  return { invoker: new AsyncInvoker(context), calls: () => calls };
}

beforeAll(async () => {
  moto = await motoEndpoint();
  sqs = new SQSClient({
    region: 'eu-west-1',
    endpoint: moto.endpoint,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  Object.assign(LOCAL_DELAYS, { asyncRetryMs: [1, 1], deliveryBackoffMs: 1 });
});

afterAll(async () => {
  Object.assign(LOCAL_DELAYS, saved);
  sqs.destroy();
  await moto.stop();
});

describe('asynchronous invocation', () => {
  it("retries a throttled delivery under the target's policy, then dead-letters the event", async () => {
    const dlq = await queue(`rule-dlq-${Date.now()}`);
    const { invoker: async, calls } = invoker([new ThrottledError('Rate Exceeded')]);
    async.submit(FN, { id: 'e-1' }, { retryAttempts: 2, maximumEventAgeSeconds: 3600, deadLetterArn: dlq });
    await async.idle();
    await async.stop();
    expect(calls()).toBe(3);
    expect((await messages(dlq)).map((m) => JSON.parse(m.Body ?? '{}'))).toEqual([{ id: 'e-1' }]);
  });

  it("retries a function error under the function's EventInvokeConfig, then sends Lambda's failure record", async () => {
    const failures = await queue(`on-failure-${Date.now()}`);
    model.asyncConfigs.set(FN, {
      maximumRetryAttempts: 1,
      maximumEventAgeSeconds: 3600,
      onFailureArn: failures,
    });
    const { invoker: async, calls } = invoker([
      new ThrottledError('Rate Exceeded'),
      { kind: 'error', phase: 'invoke', errorType: 'Boom', errorMessage: 'failed' },
    ]);
    async.submit(FN, { id: 'e-2' }, { retryAttempts: 5, maximumEventAgeSeconds: 3600 });
    await async.idle();
    await async.stop();
    // One throttled delivery, then two attempts (the first and one retry).
    expect(calls()).toBe(3);
    const [record] = (await messages(failures)).map((m) => JSON.parse(m.Body ?? '{}'));
    expect(record).toMatchObject({
      requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 2 },
      requestPayload: { id: 'e-2' },
      responsePayload: { errorType: 'Boom', errorMessage: 'failed' },
    });
    model.asyncConfigs.delete(FN);
  });
});
