import type { InvokeReport } from '@ferrule/emulator';
import { describe, expect, it } from 'vitest';
import { LogSink } from '../src/log.ts';

const report = (overrides: Partial<InvokeReport> = {}): InvokeReport => ({
  requestId: '0123456789abcdef',
  outcome: { kind: 'success', payload: '{}', json: {} },
  coldStart: true,
  initDurationMs: 12.345,
  durationMs: 3.2,
  maxMemoryUsedMb: 9,
  memorySizeMb: 256,
  logs: [],
  ...overrides,
});

function sink(json = false) {
  const lines: string[] = [];
  return { log: new LogSink({ json, write: (text) => lines.push(...text.trimEnd().split('\n')) }), lines };
}

describe('the local cloud log stream', () => {
  it('prefixes lines with the function and the request id, and pretty-prints Lambda JSON logs', () => {
    const { log, lines } = sink();
    log.line(
      'orders-api',
      '0123456789abcdef',
      JSON.stringify({
        timestamp: '2026-12-06T10:00:00.123Z',
        level: 'WARN',
        message: 'slow',
        table: 'orders',
        requestId: 'x',
      }),
    );
    log.line('orders-api', undefined, 'plain text');
    expect(lines[0]).toMatch(/^orders-api\s+01234567 10:00:00\.123 WARN\s+slow table=orders$/);
    expect(lines[1]).toMatch(/^orders-api\s+-\s+plain text$/);
  });

  it('cuts long function names in the pretty view only', () => {
    const pretty = sink();
    pretty.log.line('scaffold-check-dynamodb-stream-consumer', 'r', 'x');
    expect(pretty.lines[0]).toMatch(/^scaffold-check-dy… r/);
    pretty.log.fitNames(['a-function-of-twenty-six-c']);
    pretty.log.line('a-function-of-twenty-six-c', 'r', 'x');
    expect(pretty.lines[1]).toMatch(/^a-function-of-twenty-six-c r/);
    const json = sink(true);
    json.log.line('scaffold-check-dynamodb-stream-consumer', 'r', 'x');
    expect(json.lines[0]).toMatch(/^scaffold-check-dynamodb-stream-consumer r/);
  });

  it('passes lines as written with --json, and cuts a huge pretty line with a marker', () => {
    const raw = JSON.stringify({ level: 'INFO', message: 'x'.repeat(10_000) });
    const json = sink(true);
    json.log.line('f', 'r', raw);
    expect(json.lines[0]?.endsWith(raw)).toBe(true);
    const pretty = sink();
    pretty.log.line('f', 'r', raw);
    expect(pretty.lines[0]?.length).toBeLessThan(4200);
    expect(pretty.lines[0]).toContain('more characters; --json shows the whole line');
  });

  it('writes START, END and REPORT with duration, memory, cold/warm and the error', () => {
    const { log, lines } = sink();
    log.start('hello-http', '0123456789abcdef');
    log.report('hello-http', report());
    log.report(
      'hello-http',
      report({
        coldStart: false,
        outcome: { kind: 'error', phase: 'invoke', errorType: 'Validation', errorMessage: 'bad id' },
      }),
    );
    expect(lines[0]).toContain('START RequestId: 0123456789abcdef Version: $LATEST');
    expect(lines[1]).toContain('END RequestId: 0123456789abcdef');
    expect(lines[2]).toMatch(
      /REPORT RequestId: 0123456789abcdef\tDuration: 3\.20 ms\tBilled Duration: 4 ms\tMemory Size: 256 MB\tMax Memory Used: 9 MB\tInit Duration: 12\.35 ms\t\(cold\)$/,
    );
    expect(lines[4]).toMatch(/\(warm\)\tStatus: error Validation: bad id$/);
  });
});
