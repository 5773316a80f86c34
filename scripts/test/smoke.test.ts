import { describe, expect, it } from 'vitest';
import { firstMismatch } from '../smoke.ts';

describe('firstMismatch (smoke expectations)', () => {
  const response = {
    statusCode: 400,
    headers: { 'Content-Type': 'application/problem+json', allow: 'GET' },
    body: '{"status":400,"detail":"name must not be empty"}',
  };

  it('accepts a response that contains every expected field', () => {
    expect(firstMismatch(response, { statusCode: 400, body: { status: 400 } }, '')).toBeUndefined();
  });

  it('ignores the case of header names only', () => {
    expect(
      firstMismatch(response, { headers: { 'content-type': 'application/problem+json' } }, ''),
    ).toBeUndefined();
    expect(firstMismatch(response, { StatusCode: 400 }, '')).toBe('StatusCode is missing');
  });

  it('names the first field that differs', () => {
    expect(firstMismatch(response, { statusCode: 200 }, '')).toBe('statusCode is 400, expected 200');
    expect(firstMismatch(response, { body: { detail: 'x' } }, '')).toBe(
      'body.detail is "name must not be empty", expected "x"',
    );
  });

  it('reports a body that is not JSON when an object was expected', () => {
    expect(firstMismatch({ body: 'plain' }, { body: { a: 1 } }, '')).toBe(
      'body is not JSON but an object was expected',
    );
  });
});
