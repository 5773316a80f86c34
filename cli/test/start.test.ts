// `ferrule start` as a user runs it: serves an assembly, answers HTTP, and Ctrl-C (SIGINT) or
// SIGTERM stops moto, every function process and every server, leaving no port bound.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../local-cloud/src/cloud.ts';
import { testFunction, writeAssembly } from '../../local-cloud/test/helpers.ts';
import { LOCAL_CLOUD_STATE } from '../src/local-state.ts';
import { ferruleBin, runFerrule } from './run-ferrule.ts';

const fn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const assembly = () =>
  writeAssembly({
    StartTest: {
      Echo: testFunction('echo', 'echo'),
      Api: { Type: 'AWS::ApiGatewayV2::Api', Properties: { Name: 'start-test', ProtocolType: 'HTTP' } },
      Integration: {
        Type: 'AWS::ApiGatewayV2::Integration',
        Properties: {
          ApiId: { Ref: 'Api' },
          IntegrationType: 'AWS_PROXY',
          IntegrationUri: fn('Echo'),
          PayloadFormatVersion: '2.0',
        },
      },
      Route: {
        Type: 'AWS::ApiGatewayV2::Route',
        Properties: {
          ApiId: { Ref: 'Api' },
          RouteKey: 'GET /echo',
          Target: { 'Fn::Join': ['', ['integrations/', { Ref: 'Integration' }]] },
        },
      },
      Queue: { Type: 'AWS::SQS::Queue', Properties: {} },
      Pool: { Type: 'AWS::Cognito::UserPool', Properties: { UsernameAttributes: ['email'] } },
      Client: {
        Type: 'AWS::Cognito::UserPoolClient',
        Properties: {
          UserPoolId: { Ref: 'Pool' },
          ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
        },
      },
      Nightly: {
        Type: 'AWS::Events::Rule',
        Properties: {
          Name: 'start-test-nightly',
          ScheduleExpression: 'rate(1 day)',
          Targets: [{ Id: 'echo', Arn: fn('Echo') }],
        },
      },
      Mapping: {
        Type: 'AWS::Lambda::EventSourceMapping',
        Properties: { EventSourceArn: fn('Queue'), FunctionName: { Ref: 'Echo' } },
      },
    },
  });

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

function start(dir: string, port: number, endpointPort: number) {
  const child = spawn(
    process.execPath,
    [
      ferruleBin,
      'start',
      '--assembly',
      dir,
      '--port',
      String(port),
      '--endpoint-port',
      String(endpointPort),
      '--values',
      `${dir}/values.json`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, AWS_ENDPOINT_URL: '', NO_COLOR: '1' } },
  );
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  /** Resolves when the output shows `text` (progress, not a clock), or rejects when the process ends first. */
  const shows = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (output.includes(text)) resolve();
      };
      child.stdout?.on('data', check);
      child.stderr?.on('data', check);
      void exited.then(() =>
        output.includes(text) ? resolve() : reject(new Error(`exited before "${text}":\n${output}`)),
      );
      check();
    });
  return { child, exited, shows, output: () => output };
}

/** Every process below `pid` (moto, the function environments). */
function descendants(pid: number): number[] {
  let out = '';
  try {
    out = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' });
  } catch {
    return [];
  }
  const direct = out.split('\n').filter(Boolean).map(Number);
  return [...direct, ...direct.flatMap(descendants)];
}

/** A process that still runs; a zombie (exited, waiting to be reaped by init) does not count. */
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

describe('ferrule start', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`serves until ${signal}, then leaves no process and no bound port`, async () => {
      const dir = await assembly();
      const port = await freePort();
      const run = start(dir, port, 0);
      await run.shows('serving');
      const state = JSON.parse(readFileSync(LOCAL_CLOUD_STATE, 'utf8')) as { pid: number; endpoint: string };
      expect(state.pid).toBe(run.child.pid);
      const endpointPort = Number(new URL(state.endpoint).port);
      const response = await fetch(`http://127.0.0.1:${port}/echo`);
      expect(response.status).toBe(200);
      if (signal === 'SIGINT') {
        // The commands that talk to the running local cloud find it through its state file.
        const token = runFerrule(['token', 'ada@example.com']);
        expect(token.code, token.stderr).toBe(0);
        const claims = JSON.parse(
          Buffer.from(token.stdout.trim().split('.')[1] ?? '', 'base64url').toString(),
        );
        expect(claims).toMatchObject({ email: 'ada@example.com', token_use: 'id' });
        const fired = runFerrule(['trigger', 'nightly']);
        expect(fired.stdout, fired.stderr).toContain('fired start-test-nightly (1 target(s))');
        const unknown = runFerrule(['trigger', 'nope']);
        expect(unknown.code).toBe(2);
        expect(unknown.stderr).toContain('no rule named nope; rules: start-test-nightly');
      }
      const processes = descendants(run.child.pid as number);
      // moto, and the echo function's environment (sh → node).
      expect(processes.length).toBeGreaterThanOrEqual(2);

      run.child.kill(signal);
      const [code] = await run.exited;
      expect(code, run.output()).toBe(0);
      const survivors = processes.filter(alive);
      const described =
        survivors.length > 0
          ? execFileSync('ps', ['-o', 'pid,ppid,stat,args', '-p', survivors.join(',')], { encoding: 'utf8' })
          : '';
      expect(survivors, described).toEqual([]);
      expect(await portFree(port)).toBe(true);
      expect(await portFree(endpointPort)).toBe(true);
      // The state file goes with the local cloud.
      expect(existsSync(LOCAL_CLOUD_STATE)).toBe(false);
    }, 120_000);
  }

  it('trigger and token say that no local cloud runs when none does (a missing prerequisite: exit 2)', () => {
    const run = runFerrule(['trigger', 'nightly']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('no local cloud is running here');
  });

  it('refuses a port in use, naming it and --port, and leaves moto stopped', async () => {
    const dir = await assembly();
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as { port: number }).port;
    try {
      const run = start(dir, port, 0);
      const [code] = await run.exited;
      expect(code).toBe(1);
      expect(run.output()).toContain(`port ${port} is in use`);
      expect(run.output()).toContain('--port');
      expect(descendants(run.child.pid as number)).toEqual([]);
    } finally {
      blocker.close();
    }
  }, 120_000);
});
