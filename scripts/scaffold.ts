// The scaffold test: `ferrule new function` for several triggers into ONE temporary copy of
// the repository, then what `npm test` would check there: rustfmt, clippy --locked, the new
// crates' tests, a release build, each artifact invoked with its fixture under the emulator,
// tsc and Biome on the generated TypeScript, cdk synth + cfn-lint, and the rule packs
// (AwsSolutions, Serverless, ADR-002) on the generated stack, and each function served by the
// local cloud through its trigger (scaffold-serve.ts). The copy shares node_modules,
// .venv and the Cargo target folder with this checkout, so nothing is downloaded or rebuilt
// that is already built.
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  CFN_LINT_OPTIONS,
  type CommandResult,
  cfnLintFoundErrors,
  defaultPlatform,
  isolateCopyArtifacts,
  paths,
  platformName,
  projectRoot,
  runCommand,
  toolEnvironment,
} from '@ferrule/cli';
import { LocalFunction } from '@ferrule/emulator';
import { serveEach } from './scaffold-serve.ts';
import { type CheckOutcome, firstMismatch } from './smoke.ts';

export interface ScaffoldCase {
  readonly name: string;
  readonly args: readonly string[];
}

/**
 * Every trigger once, and a function added to the reference service; the first two (http, and
 * the orders-service function, the path the add-function skill describes) also run in `npm test`. The functions, routes,
 * queues, tables, buses and user pool carry names of their own (`scaffold-check-*`): the copy is
 * of the user's tree, which may already hold the README's examples (payments-webhook, a queue
 * `payments` with its consumer), and the scaffolder rightly refuses a taken name or a second
 * consumer of a queue.
 */
export const SCAFFOLD_CASES: readonly ScaffoldCase[] = [
  {
    name: 'scaffold-check-http',
    args: ['--trigger', 'http', '--route', 'POST /scaffold-check/webhook'],
  },
  {
    // A nightly function reading the orders table and publishing to the orders bus, built with
    // the concurrent runtime loop (Lambda Managed Instances).
    name: 'scaffold-check-orders',
    args: [
      '--service',
      'orders',
      '--concurrent',
      '--trigger',
      'schedule',
      '--schedule',
      'cron(0 3 * * ? *)',
      '--table',
      'orders:read',
      '--bus',
      'orders',
    ],
  },
  {
    name: 'scaffold-check-sqs',
    args: ['--trigger', 'sqs', '--queue', 'scaffold-check', '--table', 'scaffold-check'],
  },
  {
    name: 'scaffold-check-dynamodb-stream',
    args: ['--trigger', 'dynamodb-stream', '--table', 'scaffold-check', '--bus', 'scaffold-check'],
  },
  { name: 'scaffold-check-sqs-fifo', args: ['--trigger', 'sqs-fifo', '--queue', 'scaffold-check-ledger'] },
  { name: 'scaffold-check-eventbridge', args: ['--trigger', 'eventbridge', '--bus', 'scaffold-check'] },
  {
    name: 'scaffold-check-schedule',
    args: ['--trigger', 'schedule', '--schedule', 'cron(0 3 * * ? *)'],
  },
  {
    name: 'scaffold-check-pre-sign-up',
    args: ['--trigger', 'cognito-pre-sign-up', '--user-pool', 'scaffold-check'],
  },
  {
    name: 'scaffold-check-post-confirm',
    args: ['--trigger', 'cognito-post-confirmation', '--user-pool', 'scaffold-check'],
  },
];

const run = (cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv) =>
  runCommand(cmd, args, { cwd, env, keepChars: 400_000 });

const SKIPPED = new Set(['node_modules', 'target', 'dist', '.venv', 'cdk.out', '.git', '.tools']);

/** A copy of the repository without build outputs; dependencies are linked, not copied. */
export function copyRepository(): string {
  const copy = mkdtempSync(join(tmpdir(), 'ferrule-scaffold-'));
  cpSync(projectRoot, copy, {
    recursive: true,
    filter: (source) => {
      const rel = relative(projectRoot, source);
      return !rel.split('/').some((part) => SKIPPED.has(part));
    },
  });
  for (const dir of ['.venv', '.tools']) {
    if (existsSync(join(projectRoot, dir))) symlinkSync(join(projectRoot, dir), join(copy, dir));
  }
  // Every package but the workspace's own, which must resolve to the copy's sources.
  const modules = join(copy, 'node_modules');
  mkdirSync(join(modules, '@ferrule'), { recursive: true });
  for (const entry of readdirSync(join(projectRoot, 'node_modules'))) {
    if (entry === '@ferrule') continue;
    symlinkSync(join(projectRoot, 'node_modules', entry), join(modules, entry));
  }
  const workspaces = (
    JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { workspaces: string[] }
  ).workspaces;
  for (const pkg of workspaces) {
    symlinkSync(join('..', '..', pkg), join(modules, '@ferrule', pkg));
  }
  return copy;
}

interface FerruleMetadata {
  packages: {
    name: string;
    metadata: { ferrule?: { events?: { event: string; expect?: Record<string, unknown> }[] } } | null;
  }[];
}

/**
 * Scaffolds `cases` into one copy of the repository and checks the result as `npm test` would.
 * `env` is the test runner's environment (moto endpoint, CARGO_TARGET_DIR).
 */
export async function runScaffold(
  cases: readonly ScaffoldCase[],
  log: (line: string) => void,
  env: NodeJS.ProcessEnv = toolEnvironment(),
): Promise<CheckOutcome[]> {
  const results: CheckOutcome[] = [];
  const check = (name: string, result: CommandResult): boolean => {
    const ok = result.code === 0;
    results.push({ name, ok, detail: ok ? undefined : result.output.slice(-6000) });
    return ok;
  };
  const copy = copyRepository();
  log(`copied the repository to ${copy}`);
  // Registry crates come from the same target folder as this checkout's builds; the copy's
  // workspace crates get artifacts of their own (isolateCopyArtifacts, below).
  const copyEnv: NodeJS.ProcessEnv = {
    ...env,
    FERRULE_ROOT: copy,
    CARGO_TARGET_DIR: env.CARGO_TARGET_DIR ?? join(paths.backend, 'target'),
  };
  const ferrule = (...args: string[]) =>
    run(process.execPath, ['cli/bin/ferrule.mjs', ...args], copy, copyEnv);
  const manifest = join(copy, 'backend/Cargo.toml');
  const names = cases.map((c) => c.name);
  const packages = names.flatMap((name) => ['-p', name]);
  try {
    for (const scaffold of cases) {
      check(
        `ferrule new function ${scaffold.name} ${scaffold.args.join(' ')}`,
        await ferrule('new', 'function', scaffold.name, ...scaffold.args),
      );
    }
    // After scaffolding, so the new crates are named too.
    await isolateCopyArtifacts(copy);
    log('scaffolded; checking with cargo');
    // Only what the scaffolder wrote: the rest of the tree is checked by npm test's own suites.
    check(
      'cargo fmt --check (new crates)',
      await run('cargo', ['fmt', '--manifest-path', manifest, ...packages, '--check'], copy, copyEnv),
    );
    check(
      'cargo clippy --locked -D warnings (new crates)',
      await run(
        'cargo',
        [
          'clippy',
          '--manifest-path',
          manifest,
          '--locked',
          ...packages,
          '--all-targets',
          '--',
          '-D',
          'warnings',
        ],
        copy,
        copyEnv,
      ),
    );
    check(
      'cargo test --locked (new crates)',
      await run('cargo', ['test', '--manifest-path', manifest, '--locked', ...packages], copy, copyEnv),
    );
    check(
      'tsc -p tsconfig.json',
      await run(join(copy, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], copy, copyEnv),
    );
    const generated = [
      'infrastructure/functions',
      ...names.map((name) => `backend/functions/${name}`),
      ...names
        .map((name) => `backend/events/apigw-http/${name}.json`)
        .filter((file) => existsSync(join(copy, file))),
    ];
    check(
      'biome ci (generated files)',
      await run(join(copy, 'node_modules/.bin/biome'), ['ci', ...generated], copy, copyEnv),
    );

    log('building the new functions (release, cargo lambda)');
    const platform = platformName(defaultPlatform);
    if (check(`ferrule build ${names.join(' ')}`, await ferrule('build', ...names, '--json'))) {
      results.push(...(await invokeEach(copy, copyEnv, names, platform)));
    }

    // The other stacks of the app need their artifacts too: reuse this checkout's, else build them.
    const ownDist = join(paths.dist, platform);
    const copyDist = join(copy, 'dist/lambda', platform);
    const missing = existsSync(ownDist)
      ? readdirSync(join(copy, 'backend/functions')).filter((fn) => !existsSync(join(copyDist, fn)))
      : ['(all)'];
    for (const fn of missing) {
      if (existsSync(join(ownDist, fn))) cpSync(join(ownDist, fn), join(copyDist, fn), { recursive: true });
    }
    if (
      readdirSync(join(copy, 'backend/functions')).some(
        (fn) => !existsSync(join(copyDist, fn, 'bootstrap.zip')),
      )
    ) {
      check('ferrule build (the other functions, for synth)', await ferrule('build'));
    }
    log('synthesizing the app with the new stack');
    if (check('cdk synth (ADR-002 rule pack)', await ferrule('synth'))) {
      const templates = readdirSync(join(copy, 'cdk.out'))
        .filter((file) => file.endsWith('.template.json'))
        .map((file) => join(copy, 'cdk.out', file));
      const functionsTemplate = templates.some((t) => /FerruleFunctions-/.test(t));
      results.push({ name: 'the FerruleFunctions stack is synthesized', ok: functionsTemplate });
      const lint = await run(
        join(paths.venvBin, 'cfn-lint'),
        [...CFN_LINT_OPTIONS, '--', ...templates],
        copy,
        copyEnv,
      );
      check('cfn-lint with serverless rules', { ...lint, code: cfnLintFoundErrors(lint.code) ? 1 : 0 });
      log('serving the app with the local cloud');
      results.push(
        ...(await serveEach(
          copy,
          cases.map((c) => ({
            name: c.name,
            trigger: c.args[c.args.indexOf('--trigger') + 1] ?? '',
            fixture:
              /event = "([^"]+)"/.exec(
                readFileSync(join(copy, 'backend/functions', c.name, 'Cargo.toml'), 'utf8'),
              )?.[1] ?? '',
          })),
        )),
      );
    }
    check(
      'rule packs (AwsSolutions, Serverless, ADR-002) on the wired functions',
      await run(
        join(copy, 'node_modules/.bin/vitest'),
        ['run', 'infrastructure/test/service-stack.test.ts'],
        copy,
        copyEnv,
      ),
    );
  } finally {
    if (process.env.FERRULE_KEEP_SCAFFOLD !== 'true') rmSync(copy, { recursive: true, force: true });
    else log(`kept ${copy} (FERRULE_KEEP_SCAFFOLD=true)`);
  }
  return results;
}

/** Each new artifact under the emulator with the fixtures its Cargo.toml declares. */
async function invokeEach(
  copy: string,
  env: NodeJS.ProcessEnv,
  names: readonly string[],
  platform: string,
): Promise<CheckOutcome[]> {
  const metadata = await run(
    'cargo',
    [
      'metadata',
      '--no-deps',
      '--offline',
      '--format-version',
      '1',
      '--manifest-path',
      join(copy, 'backend/Cargo.toml'),
    ],
    copy,
    env,
  );
  if (metadata.code !== 0) return [{ name: 'cargo metadata', ok: false, detail: metadata.output }];
  const packages = (JSON.parse(metadata.output) as FerruleMetadata).packages;
  const passthrough = Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] => entry[0].startsWith('AWS_') && typeof entry[1] === 'string',
    ),
  );
  const results: CheckOutcome[] = [];
  for (const name of names) {
    const events = packages.find((pkg) => pkg.name === name)?.metadata?.ferrule?.events ?? [];
    if (events.length === 0) results.push({ name: `${name}: declares fixtures`, ok: false });
    const local = new LocalFunction({
      name,
      artifact: join(copy, 'dist/lambda', platform, name, 'bootstrap.zip'),
      timeoutSeconds: 10,
      passthroughEnvironment: passthrough,
    });
    try {
      for (const { event, expect } of events) {
        const label = `${name} (${platform}) with ${event}`;
        const report = await local.invoke(
          readFileSync(join(copy, 'backend/events', `${event}.json`), 'utf8'),
        );
        if (report.outcome.kind === 'error') {
          results.push({
            name: label,
            ok: false,
            detail: `${report.outcome.errorType}: ${report.outcome.errorMessage}`,
          });
          continue;
        }
        const mismatch = expect ? firstMismatch(report.outcome.json, expect, '') : undefined;
        results.push({ name: label, ok: mismatch === undefined, detail: mismatch });
      }
    } finally {
      await local.stop();
    }
  }
  return results;
}
