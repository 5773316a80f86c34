// `ferrule logs`: the lines the local cloud and `ferrule invoke` keep in .ferrule/logs/, and with
// --aws the deployed function's CloudWatch Logs (moto stands in for CloudFormation and CloudWatch).
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, rmSync } from 'node:fs';
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStackResourceCommand,
} from '@aws-sdk/client-cloudformation';
import {
  CloudWatchLogsClient,
  CreateLogStreamCommand,
  PutLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { functionResources, readAssembly } from '@ferrule/local-cloud/assembly';
import { LogFiles, logFileOf } from '@ferrule/local-cloud/log-files';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsLogs } from '../src/actions/logs-aws.ts';
import { type MotoServer, startMoto } from '../src/moto.ts';
import { paths } from '../src/project.ts';
import { ferruleBin, runFerrule } from './run-ferrule.ts';

const json = (level: string, message: string, requestId: string) =>
  JSON.stringify({ timestamp: '2026-12-06T10:00:00.123Z', level, message, requestId });

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

/** `ferrule logs ... --tail` as a user runs it; `shows` waits for output, not for a clock. */
function follow(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [ferruleBin, 'logs', ...args, '--tail'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const shows = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (stdout.includes(text)) resolve();
      };
      child.stdout?.on('data', check);
      void exited.then(() =>
        stdout.includes(text)
          ? resolve()
          : reject(new Error(`exited before "${text}":\n${stdout}\n${stderr}`)),
      );
      check();
    });
  return { child, exited, shows, stdout: () => stdout };
}

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

describe('ferrule logs --aws: CloudWatch Logs (moto)', () => {
  let moto: MotoServer;
  let logGroup: string;
  const config = () => ({
    endpoint: moto.endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  const env = () => ({ ...moto.environment, NO_COLOR: '1' });
  const requestId = '44444444-dddd-4000-8000-000000000004';
  let put: (messages: string[]) => Promise<void>;

  beforeAll(async () => {
    moto = await startMoto();
    // The stack as cdk.out has it, deployed to moto with just the function's log group: the command
    // finds the group's physical name through CloudFormation, as against a real deployment.
    const [fn] = functionResources(readAssembly(paths.cdkOut), 'orders-api');
    if (!fn) throw new Error('cdk.out has no orders-api function: run npx ferrule synth');
    const groupId = (fn.properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    const cloudFormation = new CloudFormationClient(config());
    await cloudFormation.send(
      new CreateStackCommand({
        StackName: fn.stackName,
        TemplateBody: JSON.stringify({
          Resources: { [groupId]: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } } },
        }),
      }),
    );
    const described = await cloudFormation.send(
      new DescribeStackResourceCommand({ StackName: fn.stackName, LogicalResourceId: groupId }),
    );
    cloudFormation.destroy();
    logGroup = described.StackResourceDetail?.PhysicalResourceId ?? '';
    const logs = new CloudWatchLogsClient(config());
    await logs.send(new CreateLogStreamCommand({ logGroupName: logGroup, logStreamName: 'stream-1' }));
    put = async (messages) => {
      const now = Date.now();
      await logs.send(
        new PutLogEventsCommand({
          logGroupName: logGroup,
          logStreamName: 'stream-1',
          logEvents: messages.map((message, i) => ({ timestamp: now + i, message: `${message}\n` })),
        }),
      );
    };
    await put([
      `START RequestId: ${requestId} Version: $LATEST`,
      json('INFO', 'listed', requestId),
      json('WARN', 'slow table', requestId),
      `END RequestId: ${requestId}`,
      `START RequestId: 55555555-eeee-4000-8000-000000000005 Version: $LATEST`,
    ]);
  }, 60_000);
  afterAll(async () => {
    await moto?.stop();
  });

  it("reads the function's log group, found through the stack in cdk.out", () => {
    const result = runFerrule(['logs', 'orders-api', '--aws', '--json'], { env: env() });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`CloudWatch Logs ${logGroup} (eu-west-1)`);
    expect(result.stdout.trim().split('\n')).toEqual([
      `START RequestId: ${requestId} Version: $LATEST`,
      json('INFO', 'listed', requestId),
      json('WARN', 'slow table', requestId),
      `END RequestId: ${requestId}`,
      'START RequestId: 55555555-eeee-4000-8000-000000000005 Version: $LATEST',
    ]);
  });

  it('filters by request id (a filter pattern) and level; --log-group names the group', () => {
    const request = runFerrule(['logs', 'orders-api', '--aws', '--request-id', requestId, '--json'], {
      env: env(),
    });
    expect(request.stdout.trim().split('\n')).toHaveLength(4);
    expect(request.stdout).not.toContain('55555555');
    const warn = runFerrule(['logs', 'anything', '--aws', '--log-group', logGroup, '--level', 'warn'], {
      env: env(),
    });
    expect(warn.code, warn.stderr).toBe(0);
    expect(warn.stdout.trim()).toMatch(/^anything\s+44444444 10:00:00\.123 WARN\s+slow table$/);
    const missing = runFerrule(['logs', 'orders-api', '--aws', '--log-group', 'no-such-group'], {
      env: env(),
    });
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(2);
    expect(missing.stderr).toMatch(/ferrule: error: .*--log-group/);
  });

  it('follows every page of FilterLogEvents', async () => {
    const printed: string[] = [];
    await awsLogs(
      'orders-api',
      {
        filter: { since: Date.now() - 3_600_000 },
        tail: false,
        logGroup,
        pageSize: 2,
        clientConfig: config(),
        note: () => {},
      },
      (record) => printed.push(record.line),
      new AbortController().signal,
    );
    expect(printed).toHaveLength(5);
    expect(printed[4]).toContain('55555555');
  });

  it('--tail asks again and prints new events once, until Ctrl-C', async () => {
    const run = follow(['orders-api', '--aws', '--json'], env());
    await run.shows('55555555');
    await put([json('ERROR', 'new after the start', requestId)]);
    await run.shows('new after the start');
    run.child.kill('SIGINT');
    const [code] = await run.exited;
    expect(code).toBe(0);
    expect(run.stdout().split('55555555')).toHaveLength(2);
  }, 60_000);
});
