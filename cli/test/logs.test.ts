// `ferrule logs`: the lines the local cloud and `ferrule invoke` keep in .ferrule/logs/ (the
// CloudWatch Logs side, --aws, is in logs-aws.e2e.ts).
import { randomUUID } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { LogFiles, logFileOf } from '@ferrule/local-cloud/log-files';
import { paths } from '@ferrule/toolchain/project';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { follow, json } from './logs-helpers.ts';
import { runFerrule } from './run-ferrule.ts';

describe('ferrule logs: the local files', () => {
  // A function name of its own, so runs of other tests that write logs do not interfere.
  const name = `logs-test-${randomUUID().slice(0, 8)}`;
  const first = '11111111-aaaa-4000-8000-000000000001';
  const second = '22222222-bbbb-4000-8000-000000000002';
  beforeAll(() => {
    const files = new LogFiles(paths.logs);
    const earlier = new Date(Date.now() - 3 * 3_600_000);
    files.append(name, first, `START RequestId: ${first} Version: $LATEST`, earlier);
    files.append(name, first, json('INFO', 'listed', first), earlier);
    files.append(name, first, `END RequestId: ${first}`, earlier);
    files.append(name, second, `START RequestId: ${second} Version: $LATEST`);
    files.append(name, second, json('WARN', 'slow table', second));
    files.append(name, second, json('ERROR', 'table gone', second));
    files.append(
      name,
      second,
      `REPORT RequestId: ${second}\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 256 MB\tMax Memory Used: 9 MB\t(warm)\tStatus: error Boom: table gone`,
    );
  });
  afterAll(() => {
    rmSync(logFileOf(paths.logs, name), { force: true });
    rmSync(`${logFileOf(paths.logs, name)}.1`, { force: true });
  });

  it('pretty-prints every kept line as the local cloud does', () => {
    const result = runFerrule(['logs', name], { env: { NO_COLOR: '1' } });
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[0]).toMatch(new RegExp(`^${name}\\s+11111111 START RequestId: ${first}`));
    expect(lines[1]).toMatch(new RegExp(`^${name}\\s+11111111 10:00:00\\.123 INFO\\s+listed$`));
    expect(lines[4]).toMatch(/22222222 10:00:00\.123 WARN\s+slow table$/);
  });

  it('filters by level, request id and time; --json prints the lines as written', () => {
    const level = runFerrule(['logs', name, '--level', 'warn', '--json']);
    expect(level.stdout.trim().split('\n')).toEqual([
      json('WARN', 'slow table', second),
      json('ERROR', 'table gone', second),
      expect.stringMatching(/^REPORT RequestId: .*Status: error Boom/),
    ]);
    const request = runFerrule(['logs', name, '--request-id', '11111111', '--json']);
    expect(request.stdout.trim().split('\n')).toEqual([
      `START RequestId: ${first} Version: $LATEST`,
      json('INFO', 'listed', first),
      `END RequestId: ${first}`,
    ]);
    const recent = runFerrule(['logs', name, '--since', '1h', '--json']);
    expect(recent.stdout).not.toContain(first);
    expect(recent.stdout.trim().split('\n')).toHaveLength(4);
  });

  it('refuses a bad --since or --level and an unknown function, in one line', () => {
    for (const [args, message] of [
      [['--since', '10'], /--since takes a duration/],
      [['--level', 'loud'], /--level takes one of trace, debug, info, warn, error, fatal/],
    ] as const) {
      const result = runFerrule(['logs', name, ...args]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
    const unknown = runFerrule(['logs', 'no-such-function']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown function `no-such-function`; the functions are: .*orders-api/);
  });

  it('--tail prints new lines as they are written, across a rotation, until Ctrl-C', async () => {
    const run = follow([name, '--since', '1h', '--json']);
    await run.shows(json('ERROR', 'table gone', second));
    const third = '33333333-cccc-4000-8000-000000000003';
    // A cap below the file's size: the next line rotates the file under the reader.
    const files = new LogFiles(paths.logs, { maxBytes: 400 });
    files.append(name, third, json('INFO', 'after the rotation', third));
    files.append(name, third, json('INFO', 'and one more', third));
    await run.shows(json('INFO', 'and one more', third));
    run.child.kill('SIGINT');
    const [code] = await run.exited;
    expect(code).toBe(0);
    expect(existsSync(`${logFileOf(paths.logs, name)}.1`)).toBe(true);
    expect(run.stdout()).toContain(json('INFO', 'after the rotation', third));
    // Every line once.
    expect(run.stdout().split(json('ERROR', 'table gone', second))).toHaveLength(2);
  }, 60_000);
});
