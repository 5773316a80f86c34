import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { platformTargetDir } from '@ferrule/toolchain/build';
import { highestGlibcIn } from '@ferrule/toolchain/glibc';
import { projectRoot, toolEnvironment } from '@ferrule/toolchain/project';
import { synthFailure } from '@ferrule/toolchain/synth';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runFerrule } from './run-ferrule.ts';

const ferrule = (...args: string[]) => runFerrule(args);

/**
 * A command line the parser refuses: `ferrule: error: ...` and a pointer to the command's help,
 * exit code 2, never the help itself.
 */
function expectParseError(result: ReturnType<typeof ferrule>, pattern: RegExp, helpOf: string) {
  expect(result.code).toBe(2);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(/^ferrule: error: /);
  expect(lines[0]).toMatch(pattern);
  expect(lines[1]).toBe(`run \`${helpOf} --help\` for usage`);
  expect(result.stdout).toBe('');
}

/** Bad input: one line that says what is wrong and what to do, exit code 2, no stack trace. */
function expectUsageError(result: ReturnType<typeof ferrule>, pattern: RegExp) {
  expect(result.code).toBe(2);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe('ferrule invoke: bad input', () => {
  it('names the known functions for an unknown one', () => {
    expectUsageError(
      ferrule('invoke', 'no-such-fn', '--event', 'apigw-http/get-hello'),
      /unknown function `no-such-fn`.*hello-http/,
    );
  });

  it('says which build to run when the artifact is missing', () => {
    expectUsageError(
      ferrule(
        'invoke',
        'hello-http',
        '--runtime',
        'al2',
        '--arch',
        'arm64',
        '--event',
        'apigw-http/get-hello',
      ),
      /no artifact for hello-http at dist\/lambda\/al2-arm64\/hello-http\/bootstrap\.zip; run `npx ferrule build hello-http`/,
    );
  });

  it('points to `ferrule events` for a fixture that does not exist', () => {
    expectUsageError(
      ferrule('invoke', 'hello-http', '--event', 'apigw-http/does-not-exist'),
      /no fixture or file `apigw-http\/does-not-exist`; fixtures of that source: apigw-http\/get-hello.*npx ferrule events/,
    );
  });

  it('refuses a file that is not JSON, naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferrule-cli-'));
    const file = join(dir, 'event.json');
    writeFileSync(file, '{"Records": [');
    expectUsageError(ferrule('invoke', 'hello-http', '--event', file), /event\.json is not JSON: /);
  });

  it('rejects invalid flag values with the allowed ones', () => {
    expectUsageError(
      ferrule('invoke', 'hello-http', '--arch', 'sparc', '--event', 'x'),
      /--arch must be x86_64 or arm64/,
    );
    expectUsageError(
      ferrule('invoke', 'hello-http', '--timeout', '0', '--event', 'apigw-http/get-hello'),
      /--timeout must be a number from 1 to 900/,
    );
  });

  it('requires --event', () => {
    expectParseError(ferrule('invoke', 'hello-http'), /required option '-e, --event/, 'ferrule invoke');
  });
});

describe('ferrule: the command line', () => {
  it('prints the version of cli/package.json', () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-V']) {
      const result = ferrule(flag);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe(`${manifest.version}\n`);
    }
  });

  it('an unknown command: one line with the nearest command, and where the usage is', () => {
    expectParseError(
      ferrule('inv'),
      /^ferrule: error: unknown command 'inv' \(did you mean invoke\?\)$/,
      'ferrule',
    );
  });

  it('an unknown option of a subcommand: the nearest option, and that subcommand’s help', () => {
    expectParseError(
      ferrule('events', 'new', 'sqs', '--dry-rnu'),
      /^ferrule: error: unknown option '--dry-rnu' \(did you mean --dry-run\?\)$/,
      'ferrule events new',
    );
  });

  it('a missing argument and a surplus one are usage errors too', () => {
    expectParseError(ferrule('events', 'new'), /missing required argument 'source'/, 'ferrule events new');
    expectParseError(ferrule('trigger'), /missing required argument 'rule'/, 'ferrule trigger');
    expectParseError(ferrule('events', 'sqs', 'extra'), /too many arguments for 'events'/, 'ferrule events');
  });
});

/** Whether a shell is installed here (zsh and fish are optional: their tests are skipped without them). */
function hasShell(shell: string): boolean {
  return spawnSync(shell, ['-c', 'exit 0']).status === 0;
}

describe('ferrule completion', () => {
  /** Runs bash's completion function for the words typed so far (the last one is being completed). */
  function complete(script: string, ...words: string[]): string[] {
    const dir = mkdtempSync(join(tmpdir(), 'ferrule-completion-'));
    const file = join(dir, 'ferrule.bash');
    writeFileSync(file, script);
    const quoted = ['ferrule', ...words].map((word) => `'${word}'`).join(' ');
    const run = spawnSync(
      'bash',
      [
        '-c',
        `source "$1"; COMP_WORDS=(${quoted}); COMP_CWORD=${words.length}; _ferrule; printf '%s\\n' "\${COMPREPLY[@]}"`,
        'bash',
        file,
      ],
      { encoding: 'utf8' },
    );
    expect(run.stderr).toBe('');
    return run.stdout.split('\n').filter(Boolean);
  }

  const bash = ferrule('completion', 'bash');

  it('bash: completes commands, subcommands and the options of each', () => {
    expect(bash.code).toBe(0);
    expect(complete(bash.stdout, 'inv')).toEqual(['invoke']);
    expect(complete(bash.stdout, 'invoke', '--ev')).toEqual(['--event']);
    expect(complete(bash.stdout, 'invoke', 'hello-http', '-')).toEqual(
      expect.arrayContaining(['-e', '--event', '--arch', '--runtime', '--json', '--help']),
    );
    expect(complete(bash.stdout, 'events', 'n')).toEqual(['new']);
    expect(complete(bash.stdout, 'events', 'new', 'sqs', '--d')).toEqual(['--dry-run']);
    expect(complete(bash.stdout, 'completion', '')).toEqual(['bash', 'zsh', 'fish']);
    expect(complete(bash.stdout, '--v')).toEqual(['--version']);
    // An option's value is left to file completion, not offered commands.
    expect(complete(bash.stdout, 'invoke', 'hello-http', '--event', '')).toEqual([]);
  });

  it('zsh and fish: every command and option is in the script', () => {
    for (const shell of ['zsh', 'fish']) {
      const script = ferrule('completion', shell);
      expect(script.code).toBe(0);
      for (const word of ['invoke', 'events new', 'dry-run', 'no-synth', 'completion']) {
        expect(script.stdout, `${shell}: ${word}`).toContain(word);
      }
    }
  });

  it.skipIf(!hasShell('fish'))('fish: completes through its own `complete -C`', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferrule-completion-'));
    const file = join(dir, 'ferrule.fish');
    writeFileSync(file, ferrule('completion', 'fish').stdout);
    const ask = (line: string) =>
      spawnSync('fish', ['--no-config', '-c', `source ${file}; complete -C '${line}'`], { encoding: 'utf8' })
        .stdout.split('\n')
        .map((candidate) => candidate.split('\t')[0])
        .filter(Boolean);
    expect(ask('ferrule inv')).toEqual(['invoke']);
    expect(ask('ferrule events new sqs --d')).toEqual(['--dry-run']);
  });

  it.skipIf(!hasShell('zsh'))('zsh: the script parses', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferrule-completion-'));
    const file = join(dir, '_ferrule');
    writeFileSync(file, ferrule('completion', 'zsh').stdout);
    const check = spawnSync('zsh', ['-n', file], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('an unknown shell is a usage error', () => {
    expectParseError(
      ferrule('completion', 'tcsh'),
      /'tcsh' is invalid.*bash, zsh, fish/,
      'ferrule completion',
    );
  });
});

describe('ferrule events', () => {
  it('lists every source of the ADR with its fixtures', () => {
    const result = ferrule('events');
    expect(result.code).toBe(0);
    for (const name of [
      'apigw-http/get-hello',
      'apigw-http/get-hello-jwt',
      'cognito/pre-sign-up',
      'cognito/post-confirmation',
      'eventbridge/order-placed',
      'sqs/standard',
      'sqs/fifo',
      'dynamodb-stream/insert',
      'dynamodb-stream/modify',
      'dynamodb-stream/remove',
    ]) {
      expect(result.stdout).toContain(name);
    }
  });

  it('filters by source and rejects an unknown one', () => {
    const sqs = ferrule('events', 'sqs').stdout.trim().split('\n');
    expect(sqs).toContain(`${'sqs/fifo'.padEnd(44)} backend/events/sqs/fifo.json`);
    expect(sqs.every((line) => line.startsWith('sqs/'))).toBe(true);
    expectUsageError(
      ferrule('events', 'kinesis'),
      /no fixtures for source `kinesis`; the sources are: apigw-http/,
    );
  });
});

describe('ferrule doctor', () => {
  it('reports each tool with a version or a fix', () => {
    const result = ferrule('doctor', '--json');
    const checks = JSON.parse(result.stdout) as {
      tool: string;
      status: string;
      version?: string;
      fix?: string;
    }[];
    const node = checks.find((c) => c.tool === 'node');
    expect(node?.status).toBe('ok');
    expect(node?.version).toBe(process.versions.node);
    for (const tool of ['rustc', 'cargo-lambda', 'zig', 'moto', 'cfn-lint', 'actionlint', 'objdump']) {
      expect(checks.some((c) => c.tool === tool)).toBe(true);
    }
    for (const check of checks.filter((c) => c.status !== 'ok')) expect(check.fix).toBeTruthy();
    expect(result.code).toBe(checks.some((c) => c.status === 'missing' || c.status === 'outdated') ? 1 : 0);
  });
});

describe('a failed synth', () => {
  // What cdk prints when the app throws: Node's excerpt of the throwing line, the stack, its version.
  const thrown = (message: string) =>
    [
      `${projectRoot}/infrastructure/lib/rust-function.ts:170`,
      '      throw new Error(message);',
      '            ^',
      '',
      '',
      `Error: ${message}`,
      `    at new RustFunction (${projectRoot}/infrastructure/lib/rust-function.ts:170:13)`,
      `    at new HelloStack (${projectRoot}/infrastructure/lib/hello-stack.ts:23:19)`,
      '    at async asyncRunEntryPointWithESMLoader (node:internal/modules/run_main:117:5)',
      '',
      'Node.js v20.20.2',
      'node --import tsx bin/app.ts: Subprocess exited with error 1',
    ].join('\n');

  it('a missing artifact is one line, paths from the project root, and a prerequisite (exit 2)', () => {
    const error = synthFailure(
      1,
      thrown(
        `RustFunction HelloHttp: no artifact for crate "hello-http" at ${projectRoot}/dist/lambda/al2-arm64/hello-http/bootstrap.zip; run \`npx ferrule build --runtime al2 --arch arm64\` first`,
      ),
    );
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(
      'RustFunction HelloHttp: no artifact for crate "hello-http" at dist/lambda/al2-arm64/hello-http/bootstrap.zip; run `npx ferrule build --runtime al2 --arch arm64` first',
    );
  });

  it('another error the app threw keeps its message, not the stack (exit 1)', () => {
    const error = synthFailure(
      1,
      thrown('RustFunction Api: memorySize must be a whole number of MB'),
      'before the rule packs ran',
    );
    expect(error.exitCode).toBe(1);
    expect(error.message).toBe(
      'cdk synth failed (exit 1) before the rule packs ran: RustFunction Api: memorySize must be a whole number of MB',
    );
  });

  it('findings of a rule pack are kept as cdk printed them', () => {
    const report =
      'bin/app.ts:17:1\nERROR The Lambda function does not log in JSON. (ADR002)\nSynthesis finished with errors';
    const error = synthFailure(1, report);
    expect(error.exitCode).toBe(1);
    expect(error.message).toBe(`cdk synth failed (exit 1):\n${report}`);
  });
});

describe('highestGlibcIn', () => {
  it('compares versions numerically', () => {
    const objdump = [
      '0000000000000000      DF *UND*  0000000000000000 (GLIBC_2.2.5) memcpy',
      '0000000000000000      DF *UND*  0000000000000000 (GLIBC_2.9) pipe2',
      '0000000000000000      DF *UND*  0000000000000000 (GLIBC_2.18) __cxa_thread_atexit_impl',
      '0000000000000000      DF *UND*  0000000000000000 (GLIBC_2.25) getrandom',
    ].join('\n');
    expect(highestGlibcIn(objdump)).toBe('2.25');
    expect(highestGlibcIn('no versioned symbols')).toBeUndefined();
  });
});

describe('Cargo target folders', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('keeps one folder per architecture on CI, under the shared base', () => {
    vi.stubEnv('CI', 'true');
    vi.stubEnv('CARGO_TARGET_DIR', '');
    delete process.env.CARGO_TARGET_DIR;
    const al2023 = platformTargetDir({ runtime: 'al2023', architecture: 'x86_64' });
    const al2 = platformTargetDir({ runtime: 'al2', architecture: 'x86_64' });
    const arm64 = platformTargetDir({ runtime: 'al2023', architecture: 'arm64' });
    // Both runtimes link against one glibc: the al2 build reuses the al2023 one's crates.
    expect(al2).toBe(al2023);
    expect(arm64).not.toBe(al2023);
    expect(dirname(al2023)).toMatch(/ferrule\/cargo-target$/);
    // What runCargo passes: the platform's folder must reach cargo, not the CI base.
    expect(toolEnvironment({ CARGO_TARGET_DIR: al2 }).CARGO_TARGET_DIR).toBe(al2);
    expect(toolEnvironment().CARGO_TARGET_DIR).toMatch(/ferrule\/cargo-target$/);
  });
});
