import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InvokeReport } from '@ferrule/emulator';
import { describe, expect, it } from 'vitest';
import { LogSink, reportLine } from '../src/log.ts';
import {
  LogFiles,
  levelOf,
  logFileOf,
  matchesFilter,
  parseLogLevel,
  parseSince,
  readLogRecords,
} from '../src/log-files.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'ferrule-logs-'));
const json = (level: string, message: string, requestId?: string) =>
  JSON.stringify({
    timestamp: '2026-12-06T10:00:00.000Z',
    level,
    message,
    ...(requestId ? { requestId } : {}),
  });

const report = (overrides: Partial<InvokeReport> = {}): InvokeReport => ({
  requestId: 'req-1',
  outcome: { kind: 'success', payload: '{}', json: {} },
  coldStart: false,
  durationMs: 1,
  memorySizeMb: 256,
  logs: [],
  ...overrides,
});

describe('function log files', () => {
  it('keeps every line as written with its time and request id, and reads them back in order', () => {
    const logs = dir();
    const files = new LogFiles(logs);
    files.append('orders-api', 'req-1', json('INFO', 'placed', 'req-1'), new Date('2026-12-06T10:00:00Z'));
    files.append('orders-api', undefined, 'a line\twith a tab', new Date('2026-12-06T10:00:01Z'));
    expect(readFileSync(logFileOf(logs, 'orders-api'), 'utf8').split('\n')[0]).toBe(
      `2026-12-06T10:00:00.000Z\treq-1\t${json('INFO', 'placed', 'req-1')}`,
    );
    expect(readLogRecords(logs, 'orders-api')).toEqual([
      { time: Date.parse('2026-12-06T10:00:00Z'), requestId: 'req-1', line: json('INFO', 'placed', 'req-1') },
      { time: Date.parse('2026-12-06T10:00:01Z'), line: 'a line\twith a tab' },
    ]);
  });

  it('rotates a full file to .log.1, so a function keeps between one and two caps of lines', () => {
    const logs = dir();
    const files = new LogFiles(logs, { maxBytes: 1000 });
    for (let i = 0; i < 100; i += 1) files.append('busy', `req-${i}`, `line ${i} ${'x'.repeat(40)}`);
    const file = logFileOf(logs, 'busy');
    expect(existsSync(`${file}.1`)).toBe(true);
    expect(statSync(file).size).toBeLessThan(1100);
    expect(statSync(`${file}.1`).size).toBeLessThan(1100);
    const kept = readLogRecords(logs, 'busy').map((r) => r.requestId);
    // The newest lines, in order, ending with the last one written.
    expect(kept.at(-1)).toBe('req-99');
    expect(kept).toEqual([...kept].sort((a, b) => Number(a?.slice(4)) - Number(b?.slice(4))));
  });

  it('a second writer (the local cloud and `ferrule invoke`) appends to the same file', () => {
    const logs = dir();
    new LogFiles(logs).append('f', 'a', 'from the local cloud');
    new LogFiles(logs).append('f', 'b', 'from invoke');
    expect(readLogRecords(logs, 'f').map((r) => r.line)).toEqual(['from the local cloud', 'from invoke']);
  });

  it('stops writing after a failure and says so once, without throwing', () => {
    const errors: string[] = [];
    // The folder the files should go to is a file.
    const blocked = join(dir(), 'not-a-folder');
    writeFileSync(blocked, '');
    const files = new LogFiles(blocked, { onError: (e) => errors.push(e.message) });
    files.append('f', undefined, 'one');
    files.append('f', undefined, 'two');
    expect(errors).toHaveLength(1);
  });

  it('the local cloud log stream writes the raw lines and START, END, REPORT to the files', () => {
    const logs = dir();
    const shown: string[] = [];
    const sink = new LogSink({ files: new LogFiles(logs), write: (text) => shown.push(text) });
    sink.start('orders-api', 'req-1');
    sink.line('orders-api', 'req-1', json('WARN', 'slow', 'req-1'));
    sink.report('orders-api', report());
    expect(readLogRecords(logs, 'orders-api').map((r) => r.line)).toEqual([
      'START RequestId: req-1 Version: $LATEST',
      json('WARN', 'slow', 'req-1'),
      'END RequestId: req-1',
      reportLine(report()),
    ]);
    expect(shown.join('')).toContain('10:00:00.000 WARN  slow');
  });
});

describe('log filters', () => {
  const record = (line: string, requestId?: string, time = 0) => ({
    time,
    line,
    ...(requestId ? { requestId } : {}),
  });

  it('levels: JSON lines by their level, a failed REPORT as ERROR, other lines none', () => {
    expect(levelOf(json('warn', 'x'))).toBe('WARN');
    expect(levelOf(json('WARNING', 'x'))).toBe('WARN');
    expect(levelOf('START RequestId: r Version: $LATEST')).toBeUndefined();
    expect(levelOf(reportLine(report()))).toBeUndefined();
    expect(
      levelOf(
        reportLine(
          report({ outcome: { kind: 'error', phase: 'invoke', errorType: 'Boom', errorMessage: 'no' } }),
        ),
      ),
    ).toBe('ERROR');
    expect(levelOf('plain text')).toBeUndefined();
    expect(parseLogLevel('Warn')).toBe('WARN');
    expect(parseLogLevel('loud')).toBeUndefined();
  });

  it('--level keeps that level and above, --request-id a whole id or its start, --since later lines', () => {
    const warn = record(json('WARN', 'slow'), 'abcdef12-3456', 2000);
    const info = record(json('INFO', 'ok'), 'abcdef12-3456', 1000);
    const other = record('START RequestId: 99999999-0000 Version: $LATEST', undefined, 3000);
    expect([warn, info, other].filter((r) => matchesFilter(r, { level: 'WARN' }))).toEqual([warn]);
    expect([warn, info, other].filter((r) => matchesFilter(r, { requestId: 'abcdef12' }))).toEqual([
      warn,
      info,
    ]);
    // A line without a recorded id (CloudWatch) is matched by the id it names.
    expect(matchesFilter(other, { requestId: '99999999' })).toBe(true);
    expect([warn, info, other].filter((r) => matchesFilter(r, { since: 2000 }))).toEqual([warn, other]);
  });

  it('--since: durations back from now, or a date; a bare number is refused', () => {
    const now = Date.parse('2026-12-06T12:00:00Z');
    expect(parseSince('10m', now)).toBe(now - 600_000);
    expect(parseSince('90s', now)).toBe(now - 90_000);
    expect(parseSince('2h', now)).toBe(now - 7_200_000);
    expect(parseSince('1d', now)).toBe(now - 86_400_000);
    expect(parseSince('2026-12-06T10:00:00Z', now)).toBe(Date.parse('2026-12-06T10:00:00Z'));
    expect(parseSince('10', now)).toBeUndefined();
    expect(parseSince('yesterday', now)).toBeUndefined();
  });
});
