// What the CLI writes for people: tables that fit the terminal, progress with elapsed time.
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { outputWidth, table } from '../src/format.ts';
import { endSteps, Progress } from '../src/progress.ts';

const headers = ['function', 'stack', 'triggers', 'iam actions'];
const rows = [
  [
    'hello-http',
    'FerruleHello-dev',
    'http GET /hello',
    'logs:{CreateLogStream,PutLogEvents} xray:{PutTelemetryRecords,PutTraceSegments}',
  ],
  ['orders-api', 'FerruleOrders-dev', 'http GET /orders (jwt); http POST /orders (jwt)', 'dynamodb:GetItem'],
];

describe('table', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('without a limit, every cell whole and the columns aligned', () => {
    expect(
      table(
        ['a', 'long header'],
        [
          ['one', 'x'],
          ['three', 'y'],
        ],
        { maxWidth: Infinity },
      ),
    ).toBe(['a      long header', '-----  -----------', 'one    x', 'three  y'].join('\n'));
  });

  it('fits a given width: narrow columns keep their width, wide cells wrap, over-long words end in …', () => {
    const text = table(headers, rows, { maxWidth: 80 });
    const lines = text.split('\n');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    expect(lines[0]).toMatch(/^function {4}stack {14}triggers {17}iam actions$/);
    expect(lines[1]).toMatch(/^-{10} {2}-{17} {2}-{23} {2}-{24}$/);
    // The triggers of orders-api wrap at a space onto a second line, under their column.
    expect(text).toContain('http GET /orders (jwt);');
    expect(lines.some((line) => /^ {31}http POST \/orders \(jwt\)/.test(line))).toBe(true);
    // A group of actions wider than its column is cut with a marker.
    expect(text).toMatch(/logs:\{CreateLogStream,P…/);
    expect(text).toContain('dynamodb:GetItem');
  });

  it('takes COLUMNS as the width, and no limit for a pipe without it', () => {
    const pipe = { isTTY: false, columns: 0 } as unknown as NodeJS.WriteStream;
    vi.stubEnv('COLUMNS', '');
    expect(outputWidth(pipe)).toBe(Number.POSITIVE_INFINITY);
    expect(outputWidth({ isTTY: true, columns: 100 } as unknown as NodeJS.WriteStream)).toBe(100);
    vi.stubEnv('COLUMNS', '60');
    expect(outputWidth(pipe)).toBe(60);
    for (const line of table(headers, rows).split('\n')) expect(line.length).toBeLessThanOrEqual(60);
  });
});

describe('progress, plain (CI, a pipe, a file)', () => {
  /** A stream that keeps what is written, and a clock that moves only when told. */
  function plain() {
    let written = '';
    const stream = new Writable({
      write(chunk, _encoding, done) {
        written += String(chunk);
        done();
      },
    });
    let now = 0;
    const progress = new Progress({ stream, interactive: false, now: () => now });
    return { progress, output: () => written, advance: (ms: number) => (now += ms) };
  }

  it('a line as each step starts, its elapsed time as it ends', async () => {
    const { progress, output, advance } = plain();
    const templates = await progress.run('synthesizing the CDK app', async () => {
      advance(12_345);
      return ['a.template.json'];
    });
    expect(templates).toEqual(['a.template.json']);
    progress.note('cdk.out is newer than every change to the app: no synth');
    const step = progress.start('starting moto');
    advance(75_000);
    step.update('not shown in plain mode');
    step.succeed();
    step.succeed();
    expect(output()).toBe(
      [
        '==> synthesizing the CDK app',
        '    done in 12.3 s',
        '==> cdk.out is newer than every change to the app: no synth',
        '==> starting moto',
        '    done in 1 min 15 s',
        '',
      ].join('\n'),
    );
  });

  it('a failed step says so, and the error goes on to the caller', async () => {
    const { progress, output, advance } = plain();
    await expect(
      progress.run('building every function', async () => {
        advance(2_000);
        throw new Error('cargo lambda build failed');
      }),
    ).rejects.toThrow('cargo lambda build failed');
    expect(output()).toBe('==> building every function\n    failed after 2.0 s\n');
  });

  it('endSteps ends a step a command left running (its error is about to be printed)', () => {
    const { progress, output } = plain();
    progress.start('starting moto and the local cloud');
    endSteps();
    expect(output()).toBe('==> starting moto and the local cloud\n    failed after 0.0 s\n');
  });
});
