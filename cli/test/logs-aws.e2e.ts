// `ferrule logs --aws`: the deployed function's CloudWatch Logs, with moto standing in for
// CloudFormation and CloudWatch. In the e2e group: it finds the function through the stack in
// cdk.out, which exists once the app is synthesized.
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
import { type MotoServer, startMoto } from '@ferrule/toolchain/moto';
import { paths } from '@ferrule/toolchain/project';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsLogs } from '../src/actions/logs-aws.ts';
import { follow, json } from './logs-helpers.ts';
import { runFerrule } from './run-ferrule.ts';

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
