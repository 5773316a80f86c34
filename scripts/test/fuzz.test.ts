import { readFileSync } from 'node:fs';
import { fixturePath, listFixtures } from '@ferrule/cli';
import type { InvokeOutcome } from '@ferrule/emulator';
import { describe, expect, it } from 'vitest';
import { batchResponseProblem, httpResponseProblem, judge } from '../fuzz/classify.ts';
import {
  type Fixture,
  type FuzzEvent,
  firstRound,
  fuzzEvent,
  HUGE_STRING_BYTES,
  type Json,
  kindsFor,
  LARGE_BATCH_RECORDS,
  LONG_QUERY_CHARS,
  MAX_EVENT_BYTES,
  MUTATION_KINDS,
  type MutationKind,
  mutate,
  Rng,
} from '../fuzz/mutate.ts';

const fixtures: Fixture[] = listFixtures().map((name) => ({
  name,
  json: JSON.parse(readFileSync(fixturePath(name), 'utf8')) as Json,
}));
const fixture = (name: string) => fixtures.find((f) => f.name === name) as Fixture;

function text(event: FuzzEvent): string {
  return typeof event.payload === 'string' ? event.payload : Buffer.from(event.payload).toString('utf8');
}

/** The first event of `kind` for `fixture` over seeds 0, 1, ... that satisfies `accept`. */
function find(
  name: string,
  kind: MutationKind,
  accept: (event: FuzzEvent) => boolean = () => true,
): FuzzEvent {
  for (let seed = 0; seed < 2000; seed += 1) {
    const event = mutate(fixture(name), new Rng(seed), seed, kind);
    if (accept(event)) return event;
  }
  throw new Error(`no ${kind} event of ${name} satisfies the condition`);
}

describe('fuzz mutations', () => {
  it('are the same for the same seed and index, and differ from one seed to another', () => {
    for (let index = 0; index < 400; index += 7) {
      const a = fuzzEvent(fixtures, 42, index);
      const b = fuzzEvent(fixtures, 42, index);
      expect(b.payload).toEqual(a.payload);
      expect([b.fixture, b.kind, b.path, b.detail]).toEqual([a.fixture, a.kind, a.path, a.detail]);
    }
    const past = firstRound(fixtures).length;
    const differing = Array.from({ length: 50 }, (_, i) => past + i).filter(
      (index) => text(fuzzEvent(fixtures, 1, index)) !== text(fuzzEvent(fixtures, 2, index)),
    );
    expect(differing.length).toBeGreaterThan(40);
  });

  it('start with every fixture under every kind that applies, and every kind applies somewhere', () => {
    const round = firstRound(fixtures);
    const produced = new Set(round.map((_, index) => fuzzEvent(fixtures, 7, index).kind));
    expect([...produced].sort()).toEqual([...MUTATION_KINDS].sort());
    for (const f of fixtures) {
      const kinds = round.filter((r) => r.fixture === f).map((r) => r.kind);
      expect(kinds).toEqual(kindsFor(f));
    }
    expect(kindsFor(fixture('sqs/standard'))).toContain('large-batch');
    expect(kindsFor(fixture('apigw-http/get-hello'))).toContain('host-header');
    expect(kindsFor(fixture('eventbridge/order-placed'))).not.toContain('empty-batch');
  });

  it('keep every event under the 6 MB invoke limit and report its size', () => {
    for (let index = 0; index < 1500; index += 1) {
      const event = fuzzEvent(fixtures, 2026, index);
      const size =
        typeof event.payload === 'string' ? Buffer.byteLength(event.payload) : event.payload.length;
      expect(event.bytes).toBe(size);
      expect(event.bytes).toBeLessThan(MAX_EVENT_BYTES);
    }
  });

  it('make huge strings of at least 300 KB, and numbers JSON cannot hold in 64 bits', () => {
    const string = find('sqs/standard', 'huge', (e) => e.detail.startsWith('string'));
    expect(string.bytes).toBeGreaterThan(HUGE_STRING_BYTES);
    const number = find('dynamodb-stream/insert', 'huge', (e) => e.detail.startsWith('number'));
    expect(text(number)).toMatch(/:(-?\d{20,}|-?1e-?999|0\.1{100,})[,}\]]/);
  });

  it('build an empty batch and a batch of 10,000 records with distinct ids, as many as fit in 6 MB', () => {
    const empty = find('sqs/standard', 'empty-batch');
    expect(JSON.parse(text(empty))).toEqual({ Records: [] });
    expect(empty.recordIds).toEqual([]);

    const sqs = find('sqs/fulfillment-unparseable', 'large-batch');
    const records = (JSON.parse(text(sqs)) as { Records: { messageId: string }[] }).Records;
    expect(records).toHaveLength(LARGE_BATCH_RECORDS);
    expect(new Set(records.map((r) => r.messageId)).size).toBe(LARGE_BATCH_RECORDS);
    expect(sqs.recordIds).toHaveLength(LARGE_BATCH_RECORDS);
    expect(sqs.bytes).toBeLessThan(MAX_EVENT_BYTES);

    // DynamoDB Streams records of this table are larger: the batch stops where 6 MB would be crossed.
    const stream = find('dynamodb-stream/modify', 'large-batch');
    const ids = new Set(stream.recordIds);
    expect(ids.size).toBe(stream.recordIds.length);
    expect(ids.size).toBeLessThan(LARGE_BATCH_RECORDS);
    expect(stream.bytes).toBeGreaterThan(MAX_EVENT_BYTES * 0.99);
    expect(stream.bytes).toBeLessThan(MAX_EVENT_BYTES);
  });

  it('write invalid UTF-8 as raw bytes', () => {
    const fatal = new TextDecoder('utf-8', { fatal: true });
    const bytes = find('apigw-http/orders-post', 'invalid-utf8', (e) => e.detail.startsWith('byte 0xFF'));
    expect(bytes.payload).toBeInstanceOf(Uint8Array);
    expect(() => fatal.decode(bytes.payload as Uint8Array)).toThrow();
    const surrogate = find('apigw-http/orders-post', 'invalid-utf8', (e) => e.detail.includes('\\ud800'));
    expect(text(surrogate)).toContain('\\ud800');
    expect(bytes.deliverable).toBe(false);
  });

  it('write a key twice in the object it picked', () => {
    const event = mutate(
      { name: 'test/small', json: { only: { key: 'value' } } },
      new Rng(3),
      0,
      'duplicate-key',
    );
    const key = event.detail.match(/^"([^"]+)" twice/)?.[1] as string;
    expect(text(event).split(`"${key}":`)).toHaveLength(3);
  });

  it('mutate the JSON inside a string and keep it a string', () => {
    const event = find('apigw-http/orders-post', 'null', (e) => e.path.startsWith('body<json>.'));
    const outer = JSON.parse(text(event)) as { body: string };
    expect(typeof outer.body).toBe('string');
    expect(Object.values(JSON.parse(outer.body) as object)).toContain(null);
    expect(event.deliverable).toBe(true);
  });

  it('send bad base64 in an HTTP body marked isBase64Encoded', () => {
    const event = find('apigw-http/post-hello', 'bad-base64');
    const parsed = JSON.parse(text(event)) as { body: string; isBase64Encoded: boolean };
    expect(parsed.isBase64Encoded).toBe(true);
    expect(Buffer.from(Buffer.from(parsed.body, 'base64').toString('base64'), 'base64')).not.toEqual(
      Buffer.from(parsed.body),
    );
    expect(parsed.body).not.toMatch(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
    // The HTTP entry answers 400 to it; SQS and DynamoDB encode binary values themselves.
    expect(event.deliverable).toBe(true);
    expect(find('sqs/standard', 'bad-base64').deliverable).toBe(false);
  });

  it('send the request lines and headers that once broke request parsing, as client input', () => {
    const long = find('apigw-http/get-hello', 'query-string', (e) => e.detail.endsWith('characters'));
    const event = JSON.parse(text(long)) as { rawQueryString: string };
    expect(event.rawQueryString.length).toBeGreaterThan(LONG_QUERY_CHARS);
    expect(long.deliverable).toBe(true);
    const tab = find('apigw-http/get-hello', 'query-string', (e) => e.detail === JSON.stringify('q=a\tb'));
    expect(tab.deliverable).toBe(true);
    const host = find('apigw-http/get-hello', 'host-header', (e) => e.detail === '"a`b.example.com"');
    expect((JSON.parse(text(host)) as { headers: { host: string } }).headers.host).toBe('a`b.example.com');
    const proto = find('apigw-http/get-hello', 'forwarded-proto', (e) => e.detail === '""');
    expect(
      (JSON.parse(text(proto)) as { headers: Record<string, string> }).headers['x-forwarded-proto'],
    ).toBe('');
  });

  it('tell what a source can deliver from what it never sends', () => {
    const http = 'apigw-http/get-hello';
    expect(find(http, 'drop', (e) => e.path === 'requestContext').deliverable).toBe(false);
    expect(find(http, 'drop', (e) => e.path === 'headers.accept').deliverable).toBe(true);
    expect(find(http, 'wrong-type', (e) => e.path === 'headers.accept').deliverable).toBe(false);
    expect(find(http, 'huge', (e) => e.path === 'rawQueryString').deliverable).toBe(true);
    // A header value with a control character is no HTTP request.
    expect(
      find(http, 'huge', (e) => e.path === 'headers.accept' && e.detail.includes('\\u0001')).deliverable,
    ).toBe(false);

    const sqs = 'sqs/standard';
    expect(find(sqs, 'huge', (e) => e.path === 'Records[0].body').deliverable).toBe(true);
    expect(find(sqs, 'null', (e) => e.path.startsWith('Records[1].body<json>')).deliverable).toBe(true);
    expect(find(sqs, 'wrong-type', (e) => e.path === 'Records[0].messageId').deliverable).toBe(false);
    expect(find(sqs, 'drop', (e) => e.path === 'Records[1]').deliverable).toBe(true);

    const stream = 'dynamodb-stream/insert';
    const swap = find(stream, 'wrong-type', (e) => e.path === 'Records[0].dynamodb.NewImage.totalCents');
    expect(swap.detail).toMatch(/^attribute N → /);
    expect(swap.deliverable).toBe(true);
    expect(find(stream, 'wrong-type', (e) => e.path === 'Records[0].dynamodb.NewImage.pk').deliverable).toBe(
      false,
    );
    expect(find(stream, 'drop', (e) => e.path === 'Records[0].dynamodb.NewImage.currency').deliverable).toBe(
      true,
    );
  });

  it('count the records a mutation left alone and those without an id', () => {
    const one = find('sqs/standard', 'null', (e) => e.path === 'Records[0].messageId');
    expect(one.intactRecords).toBe(1);
    expect(one.idlessRecords).toBe(1);
    expect(one.recordIds).toEqual(['2e1424d4-f796-459a-8184-9c92662be6da']);
    expect(find('sqs/standard', 'drop', (e) => e.path === 'Records[0]').intactRecords).toBe(1);
    expect(find('sqs/standard', 'null', (e) => e.path === 'Records').intactRecords).toBe(0);
  });
});

describe('fuzz verdicts', () => {
  const event = (over: Partial<FuzzEvent>): FuzzEvent => ({
    index: 0,
    fixture: 'test/event',
    shape: 'http',
    kind: 'huge',
    path: 'body',
    detail: '',
    payload: '{}',
    bytes: 2,
    deliverable: true,
    recordIds: [],
    intactRecords: 0,
    idlessRecords: 0,
    ...over,
  });
  const success = (json: unknown): InvokeOutcome => ({
    kind: 'success',
    payload: JSON.stringify(json),
    json,
  });
  const error = (errorType: string, phase: 'init' | 'invoke' = 'invoke'): InvokeOutcome => ({
    kind: 'error',
    phase,
    errorType,
    errorMessage: 'message',
    stderr: "thread 'main' panicked at src/lib.rs:1:1:\nboom",
  });

  it('tells crashes, timeouts and answers that are too large or not JSON', () => {
    expect(judge(event({}), error('Runtime.ExitError'))).toMatchObject({ verdict: 'crash' });
    expect(judge(event({}), error('Runtime.ExitError')).reason).toContain('panicked at src/lib.rs:1:1: boom');
    expect(judge(event({}), error('Config.Missing', 'init')).verdict).toBe('crash');
    expect(judge(event({}), error('Sandbox.Timedout')).verdict).toBe('timeout');
    expect(judge(event({}), error('Function.ResponseSizeTooLarge')).verdict).toBe('malformed');
    expect(judge(event({}), error('Runtime.InvalidResponsePayload')).verdict).toBe('malformed');
  });

  it('counts a 5xx or a function error as the function’s fault only for client input', () => {
    const ok = { statusCode: 200, headers: { 'content-type': 'text/plain' }, body: 'hi' };
    expect(judge(event({}), success(ok)).verdict).toBe('ok');
    expect(judge(event({}), success({ ...ok, statusCode: 503 })).verdict).toBe('client-5xx');
    expect(judge(event({}), error('Handler.Failed')).verdict).toBe('client-5xx');
    expect(judge(event({ deliverable: false }), success({ ...ok, statusCode: 500 })).verdict).toBe('ok');
    expect(judge(event({ deliverable: false }), error('Handler.Failed')).verdict).toBe('rejected');
    // The fixture fails unmutated too: the test bed lacks what it needs.
    expect(judge(event({}), success({ ...ok, statusCode: 500 }), true).verdict).toBe('ok');
  });

  it('checks the payload 2.0 response shape', () => {
    expect(httpResponseProblem({ statusCode: 204 })).toBeUndefined();
    expect(httpResponseProblem({ statusCode: '200' })).toMatch(/statusCode/);
    expect(httpResponseProblem({ statusCode: 200, headers: { 'x-n': 1 } })).toMatch(/header x-n/);
    expect(httpResponseProblem({ statusCode: 200, body: {} })).toMatch(/body/);
    expect(httpResponseProblem({ statusCode: 200, cookies: [1] })).toMatch(/cookies/);
    expect(httpResponseProblem({ statusCode: 200, isBase64Encoded: true, body: '%%' })).toMatch(/base64/);
    expect(judge(event({}), success([])).verdict).toBe('malformed');
  });

  it('checks that a batch response names records of the batch', () => {
    const batch = event({ shape: 'sqs', recordIds: ['a', 'b'], intactRecords: 1 });
    expect(judge(batch, success({ batchItemFailures: [{ itemIdentifier: 'b' }] })).verdict).toBe('ok');
    expect(judge(batch, success({ batchItemFailures: [{ itemIdentifier: 'c' }] })).verdict).toBe('malformed');
    expect(judge(batch, success({ failures: [] })).verdict).toBe('malformed');
    expect(batchResponseProblem({ batchItemFailures: [{ itemIdentifier: '' }] }, ['a'])).toMatch(
      /not a record/,
    );
    // A record without a readable id: the function names it as it read it.
    const failing = (itemIdentifier: unknown) => ({ batchItemFailures: [{ itemIdentifier }] });
    expect(batchResponseProblem(failing(''), ['a'], true)).toBeUndefined();
    expect(batchResponseProblem(failing('x'), ['a'], true)).toBeUndefined();
    expect(batchResponseProblem(failing(1), ['a'], true)).toMatch(/string/);
  });

  it('counts an error for a whole batch with intact records, unless no source sends that batch', () => {
    const batch = event({ shape: 'dynamodb-stream', recordIds: ['1', '2'], intactRecords: 1 });
    expect(judge(batch, error('Handler.Failed')).verdict).toBe('whole-batch-error');
    expect(judge({ ...batch, deliverable: false }, error('Handler.Failed')).verdict).toBe('rejected');
    expect(judge({ ...batch, intactRecords: 0 }, error('Handler.Failed')).verdict).toBe('rejected');
    expect(judge(event({ shape: 'other' }), error('Handler.Failed')).verdict).toBe('rejected');
  });
});
