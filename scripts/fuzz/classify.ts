// How the fuzz suite judges one invocation: what a caller (API Gateway, an event source
// mapping) would make of the function's answer to a mutated event.
import type { InvokeOutcome } from '@ferrule/emulator';
import type { FuzzEvent } from './mutate.ts';

/**
 * - `crash`: the process died (Lambda reports `Runtime.ExitError`) or never started.
 * - `timeout`: the invocation ran past the function's timeout and was killed.
 * - `client-5xx`: an HTTP event a client request can produce got a 5xx status, or a
 *   function error (API Gateway answers it with 502).
 * - `malformed`: an answer its caller cannot use: not a payload 2.0 response for HTTP,
 *   not `{batchItemFailures: [{itemIdentifier}]}` naming records of the batch for SQS
 *   and DynamoDB Streams, not JSON, or over 6 MB.
 * - `whole-batch-error`: a function error for a batch that still decodes and holds
 *   records the mutation did not touch: Lambda retries all of them.
 * - `rejected`: a function error for an event no source sends (a wrong type, invalid
 *   UTF-8), or for one whose fixture fails unmutated too in the test bed. Expected.
 */
export type Verdict =
  | 'ok'
  | 'crash'
  | 'timeout'
  | 'client-5xx'
  | 'malformed'
  | 'whole-batch-error'
  | 'rejected';

export const VERDICTS: readonly Verdict[] = [
  'ok',
  'crash',
  'timeout',
  'client-5xx',
  'malformed',
  'whole-batch-error',
  'rejected',
];

/** The verdicts that fail a run. */
export const FAILURES: readonly Verdict[] = [
  'crash',
  'timeout',
  'client-5xx',
  'malformed',
  'whole-batch-error',
];

export interface Judgement {
  readonly verdict: Verdict;
  /** Why, for the report: the error, the status or what is wrong with the answer. */
  readonly reason?: string;
}

/**
 * Judges `outcome`, the answer to `event`. `seedFails` says the unmutated fixture already
 * answers with a 5xx or an error here (it needs a table or a bus the test bed does not
 * have), so those answers to its mutations say nothing about the input.
 */
export function judge(event: FuzzEvent, outcome: InvokeOutcome, seedFails = false): Judgement {
  if (outcome.kind === 'error') {
    const reason = `${outcome.errorType}: ${firstLine(outcome.errorMessage)}`;
    if (outcome.errorType === 'Runtime.ExitError' || outcome.phase === 'init') {
      return { verdict: 'crash', reason: withPanic(reason, outcome.stderr) };
    }
    if (outcome.errorType === 'Sandbox.Timedout') return { verdict: 'timeout', reason };
    if (
      outcome.errorType === 'Runtime.InvalidResponsePayload' ||
      outcome.errorType === 'Function.ResponseSizeTooLarge'
    ) {
      return { verdict: 'malformed', reason };
    }
    if (seedFails) return { verdict: 'rejected', reason };
    if (event.shape === 'http' && event.deliverable)
      return { verdict: 'client-5xx', reason: `502 (${reason})` };
    if (isBatch(event) && event.deliverable && event.intactRecords > 0) {
      return { verdict: 'whole-batch-error', reason: `${event.intactRecords} intact records (${reason})` };
    }
    return { verdict: 'rejected', reason };
  }
  if (event.shape === 'http') {
    const problem = httpResponseProblem(outcome.json);
    if (problem) return { verdict: 'malformed', reason: problem };
    const status = (outcome.json as { statusCode: number }).statusCode;
    if (status >= 500 && event.deliverable && !seedFails) {
      return { verdict: 'client-5xx', reason: `${status}: ${outcome.payload.slice(0, 200)}` };
    }
    return { verdict: 'ok' };
  }
  if (isBatch(event)) {
    const problem = batchResponseProblem(outcome.json, event.recordIds, event.idlessRecords > 0);
    return problem ? { verdict: 'malformed', reason: problem } : { verdict: 'ok' };
  }
  return { verdict: 'ok' };
}

function isBatch(event: FuzzEvent): boolean {
  return event.shape === 'sqs' || event.shape === 'dynamodb-stream';
}

/** What makes `json` something other than an HTTP API payload 2.0 response, if anything. */
export function httpResponseProblem(json: unknown): string | undefined {
  if (!isRecord(json)) return 'the response is not an object';
  const { statusCode, headers, body, cookies, isBase64Encoded } = json;
  if (
    typeof statusCode !== 'number' ||
    !Number.isInteger(statusCode) ||
    statusCode < 100 ||
    statusCode > 599
  ) {
    return `statusCode is ${JSON.stringify(statusCode)}, not an integer from 100 to 599`;
  }
  if (headers !== undefined && headers !== null) {
    if (!isRecord(headers)) return 'headers is not an object';
    for (const [name, value] of Object.entries(headers)) {
      if (typeof value !== 'string') return `header ${name} is ${JSON.stringify(value)}, not a string`;
    }
  }
  if (body !== undefined && body !== null && typeof body !== 'string') return 'body is not a string';
  if (cookies !== undefined && cookies !== null) {
    if (!Array.isArray(cookies) || !cookies.every((c) => typeof c === 'string')) {
      return 'cookies is not a list of strings';
    }
  }
  if (isBase64Encoded !== undefined && isBase64Encoded !== null && typeof isBase64Encoded !== 'boolean') {
    return 'isBase64Encoded is not a boolean';
  }
  if (isBase64Encoded === true && typeof body === 'string' && !/^[A-Za-z0-9+/]*={0,2}$/.test(body)) {
    return 'isBase64Encoded but the body is not base64';
  }
  return undefined;
}

/**
 * What makes `json` something other than a partial batch response naming records of the
 * batch (`ids`); Lambda fails the whole batch on an identifier it does not know. When a
 * record has no identifier to read (`idless`: a mutation removed it or made the record
 * something else), the function may name it as it read it, empty or null included, and
 * only the shape is checked: Lambda then retries the batch, as after an error.
 */
export function batchResponseProblem(
  json: unknown,
  ids: readonly string[],
  idless = false,
): string | undefined {
  if (!isRecord(json)) return 'the response is not an object';
  const failures = json.batchItemFailures;
  if (!Array.isArray(failures)) return 'batchItemFailures is not a list';
  const known = new Set(ids);
  for (const failure of failures) {
    if (!isRecord(failure)) return `${JSON.stringify(failure).slice(0, 80)} is not an object`;
    const id = failure.itemIdentifier;
    if (idless && (id === null || typeof id === 'string')) continue;
    if (typeof id !== 'string') return `${JSON.stringify(failure).slice(0, 80)} has no itemIdentifier string`;
    if (!known.has(id))
      return `itemIdentifier ${JSON.stringify(id.slice(0, 80))} is not a record of the batch`;
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function firstLine(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/** The panic message from stderr, when the process died of one. */
function withPanic(reason: string, stderr: string | undefined): string {
  const lines = (stderr ?? '').split('\n');
  const at = lines.findIndex((line) => line.includes('panicked at'));
  if (at < 0) return reason;
  const message = [lines[at], lines[at + 1]].filter(Boolean).join(' ').trim();
  return `${reason}; ${message.length > 300 ? `${message.slice(0, 300)}…` : message}`;
}
