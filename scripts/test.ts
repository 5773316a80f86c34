// `npm test`: every check of the project, in lanes that run side by side: Rust (CPU bound),
// TypeScript, and, once the smoke suites are done, the skill evals (a copy of the repository
// verified as an agent's change is) beside the scaffold and end-to-end suites of the Rust lane,
// which mostly wait on processes and moto. Each lane has its own moto server. The last line is
// always `N passed, N failed`.
//
// Usage: tsx scripts/test.ts [rust|ts|smoke|scaffold|e2e|workflows|skills|agent ...]
// (no argument: everything but `agent`, the scripted run of every skill: npm run test:agent)
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  buildFunctions,
  CFN_LINT_OPTIONS,
  cfnLintFoundErrors,
  checkBenchResult,
  defaultPlatform,
  paths,
  program,
  projectRoot,
  runCommand,
  SUBJECT_NAMES,
  synthesize,
  toolEnvironment,
} from '@ferrule/cli';
import { synthFresh } from '@ferrule/toolchain/freshness';
import { loadEvals, runSkillEvals } from '../cli/src/agent/evals.ts';
import {
  biomeCheck,
  type CheckCommand,
  cargoTestCheck,
  clippyCheck,
  rustfmtCheck,
  tscCheck,
} from '../cli/src/checks.ts';
import { describeProblems, runDocsChecks } from './docs/check.ts';
import { failureCount, formatReport, runFuzz } from './fuzz/run.ts';
import { runScaffold, SCAFFOLD_CASES } from './scaffold.ts';
import { runSmoke } from './smoke.ts';
import { type MotoServer, startMoto } from './testbed/moto.ts';
import { useRunTemporaryFolder } from './testbed/temporary-folder.ts';

interface SuiteResult {
  readonly passed: number;
  readonly failed: number;
  /** Shown only when the suite failed. */
  readonly output?: string;
}

interface Suite {
  readonly name: string;
  readonly group: 'rust' | 'ts' | 'smoke' | 'scaffold' | 'e2e' | 'workflows' | 'skills' | 'agent';
  /**
   * `skills` starts when every selected suite of the `smoke` group has finished: its Cargo builds
   * would share two cores with the release build for nothing, it starts from the artifacts that
   * build made, and the quick benchmark measures without company. From a fresh clone it takes about
   * as long as the scaffold and end-to-end suites of the Rust lane together.
   */
  readonly lane: 'rust' | 'ts' | 'skills';
  readonly run: (env: NodeJS.ProcessEnv) => Promise<SuiteResult>;
}

/** Suites read counts and failures from the output's end; a long log keeps its last 2 MB. */
const command = (cmd: string, args: readonly string[], env: NodeJS.ProcessEnv, cwd = projectRoot) =>
  runCommand(cmd, args, { cwd, env, keepChars: 2_000_000 });

/** A check that is one pass or one fail (formatters, linters, type checkers). */
async function single(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd?: string,
): Promise<SuiteResult> {
  const result = await command(cmd, args, env, cwd);
  return result.code === 0 ? { passed: 1, failed: 0 } : { passed: 0, failed: 1, output: result.output };
}

/** One of the checks `ferrule verify` runs too (cli/src/checks.ts), in CI mode. */
const singleCheck = (check: CheckCommand, env: NodeJS.ProcessEnv) =>
  single(check.command, [...check.args], env);

/** A suite made of named checks (smoke, scaffold): one pass or fail per check, failures listed. */
async function checksSuite(
  run: (log: (line: string) => void) => Promise<readonly { name: string; ok: boolean; detail?: string }[]>,
): Promise<SuiteResult> {
  const lines: string[] = [];
  try {
    const checks = await run((line) => lines.push(line));
    const failed = checks.filter((c) => !c.ok);
    for (const check of failed) lines.push(`FAIL ${check.name}\n  ${check.detail ?? ''}`);
    return { passed: checks.length - failed.length, failed: failed.length, output: lines.join('\n') };
  } catch (error) {
    lines.push((error as Error).message);
    return { passed: 0, failed: 1, output: lines.join('\n') };
  }
}

/** Runs vitest with its JSON reporter and counts the tests it ran. */
async function vitest(args: string[], env: NodeJS.ProcessEnv): Promise<SuiteResult> {
  const dir = mkdtempSync(join(tmpdir(), 'ferrule-vitest-'));
  const report = join(dir, 'report.json');
  try {
    const result = await command(
      join(projectRoot, 'node_modules/.bin/vitest'),
      ['run', ...args, '--reporter=default', '--reporter=json', `--outputFile.json=${report}`],
      env,
    );
    try {
      const json = JSON.parse(readFileSync(report, 'utf8')) as {
        numPassedTests: number;
        numFailedTests: number;
      };
      const failed = json.numFailedTests + (result.code !== 0 && json.numFailedTests === 0 ? 1 : 0);
      return { passed: json.numPassedTests, failed, output: result.output };
    } catch {
      return { passed: 0, failed: 1, output: result.output };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The `AWS_*` variables of the test environment (moto's endpoint and credentials), for the functions. */
function awsEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] => entry[0].startsWith('AWS_') && typeof entry[1] === 'string',
    ),
  );
}

/** The fuzz suite's slice in `npm test`: fixed, so a failure here is reproduced by `npm run fuzz -- --seed`. */
const FUZZ_SLICE = { seed: 20_261_126, events: 1_000 } as const;

const suites: Suite[] = [
  {
    name: 'rust: cargo fmt --check',
    group: 'rust',
    lane: 'rust',
    run: (env) => singleCheck(rustfmtCheck(), env),
  },
  {
    name: 'rust: cargo clippy -D warnings',
    group: 'rust',
    lane: 'rust',
    run: (env) => singleCheck(clippyCheck({ ci: true }), env),
  },
  {
    name: 'rust: cargo test',
    group: 'rust',
    lane: 'rust',
    run: async (env) => {
      const check = cargoTestCheck({ ci: true });
      const result = await command(check.command, check.args, env);
      let passed = 0;
      let failed = 0;
      for (const match of result.output.matchAll(/test result: \w+\. (\d+) passed; (\d+) failed/g)) {
        passed += Number(match[1]);
        failed += Number(match[2]);
      }
      // A compile error produces no result line: count it as a failure.
      if (result.code !== 0 && failed === 0) failed = 1;
      return { passed, failed, output: result.code === 0 ? undefined : result.output };
    },
  },
  {
    // CI shares one Cargo target folder between clones. A path baked in at compile time would
    // make this copy's tests read the first checkout's fixtures (and pass on them); the copy
    // holds one fixture that is not JSON, so its fixture test must fail, naming that file.
    name: 'rust: a second checkout sharing the Cargo target folder reads its own fixtures',
    group: 'rust',
    lane: 'rust',
    run: async (env) => {
      const copy = mkdtempSync(join(tmpdir(), 'ferrule-second-checkout-'));
      try {
        // Timestamps kept, as a clone's are older than the shared artifacts: Cargo reuses them.
        cpSync(paths.backend, join(copy, 'backend'), {
          recursive: true,
          preserveTimestamps: true,
          filter: (source) => !/[\\/]target$/.test(source),
        });
        const probe = 'sqs/zz-only-in-the-second-checkout';
        writeFileSync(join(copy, 'backend/events', `${probe}.json`), 'not json\n');
        const result = await command(
          'cargo',
          [
            'test',
            '--manifest-path',
            join(copy, 'backend/Cargo.toml'),
            '--locked',
            '-p',
            'ferrule-testkit',
            '--lib',
            'every_fixture_is_valid_json',
          ],
          { ...env, CARGO_TARGET_DIR: env.CARGO_TARGET_DIR ?? join(paths.backend, 'target') },
        );
        return result.code !== 0 && result.output.includes(probe)
          ? { passed: 1, failed: 0 }
          : {
              passed: 0,
              failed: 1,
              output: `expected the copy's fixture test to fail on ${probe}; it read other fixtures:\n${result.output}`,
            };
      } finally {
        rmSync(copy, { recursive: true, force: true });
      }
    },
  },
  {
    name: 'smoke: build, glibc check, invoke every artifact with its fixtures',
    group: 'smoke',
    lane: 'rust',
    run: async (env) => checksSuite((log) => runSmoke(log, awsEnvironment(env))),
  },
  {
    // After the smoke build (a no-op here). Hangs only: Lambda's 15-minute limit, so a
    // loaded machine never turns a slow answer into a failure; `npm run fuzz` uses each
    // function's own timeout.
    name: `smoke: fuzz, ${FUZZ_SLICE.events} seeded mutations of the fixtures per function (seed ${FUZZ_SLICE.seed}): no crash, hang, 5xx for client input, malformed response or whole-batch error`,
    group: 'smoke',
    lane: 'rust',
    run: async (env) => {
      try {
        const report = await runFuzz({ ...FUZZ_SLICE, timeouts: 'hang', environment: awsEnvironment(env) });
        const failed = report.functions.filter((f) => failureCount(f) > 0).length;
        return { passed: report.functions.length - failed, failed, output: formatReport(report) };
      } catch (error) {
        return { passed: 0, failed: 1, output: (error as Error).message };
      }
    },
  },
  {
    name: 'smoke: cdk synth (offline, ADR-002 rule pack) + cfn-lint with serverless rules',
    group: 'smoke',
    lane: 'rust',
    run: async (env) => {
      try {
        const templates = await synthesize(defaultPlatform, 'quiet');
        const lint = await command(
          join(paths.venvBin, 'cfn-lint'),
          [...CFN_LINT_OPTIONS, '--', ...templates],
          env,
        );
        const errors = cfnLintFoundErrors(lint.code);
        return { passed: 1 + (errors ? 0 : 1), failed: errors ? 1 : 0, output: lint.output };
      } catch (error) {
        return { passed: 0, failed: 1, output: (error as Error).message };
      }
    },
  },
  {
    // After the smoke suites: the artifacts exist then. Figures must be produced, whatever they are.
    name: 'smoke: ferrule bench --quick (every figure produced; values not asserted)',
    group: 'smoke',
    lane: 'rust',
    run: async (env) => {
      const dir = mkdtempSync(join(tmpdir(), 'ferrule-bench-quick-'));
      try {
        const run = await command(
          process.execPath,
          [join(projectRoot, 'cli/bin/ferrule.mjs'), 'bench', '--quick', '--out', dir],
          env,
        );
        if (run.code !== 0) return { passed: 0, failed: 1, output: run.output };
        const files = readdirSync(dir);
        const json = files.find((f) => f.endsWith('.json'));
        const problems = json
          ? checkBenchResult(JSON.parse(readFileSync(join(dir, json), 'utf8')), SUBJECT_NAMES)
          : [];
        for (const ext of ['.json', '.md', '.svg']) {
          if (!files.some((f) => f.endsWith(ext))) problems.push(`no ${ext} file was written`);
        }
        return problems.length === 0
          ? { passed: 1, failed: 0 }
          : { passed: 0, failed: 1, output: `${problems.join('\n')}\n${run.output}` };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  },
  {
    // `ferrule new function` into a copy of the repository, checked as npm test checks a function.
    // http and a function added to the orders service here; every trigger with FERRULE_SCAFFOLD=all (npm run test:scaffold).
    name: `scaffold: ${process.env.FERRULE_SCAFFOLD === 'all' ? 'every trigger' : 'http and an orders-service function'} scaffolded into a copy, then fmt, clippy, tests, build, invoke, tsc, biome, synth + cfn-lint, rule packs`,
    group: 'scaffold',
    lane: 'rust',
    run: async (env) => {
      const cases = process.env.FERRULE_SCAFFOLD === 'all' ? SCAFFOLD_CASES : SCAFFOLD_CASES.slice(0, 2);
      return checksSuite((log) => runScaffold(cases, log, env));
    },
  },
  {
    name: 'e2e: one order through the reference service served by the local cloud; ferrule check and list on the built app; invoke against a local moto; MCP invoke; logs --aws; ferrule deploy into moto',
    group: 'e2e',
    lane: 'rust',
    run: async (env) => {
      try {
        // No-ops after the smoke suites; build and synthesize when the group runs alone
        // (invoke, logs --aws and deploy read cdk.out).
        await buildFunctions({ platform: defaultPlatform, progress: 'quiet' });
        if (!synthFresh(defaultPlatform)) await synthesize(defaultPlatform, 'quiet');
      } catch (error) {
        return { passed: 0, failed: 1, output: (error as Error).message };
      }
      return vitest(['--config', 'vitest.e2e.config.ts'], env);
    },
  },
  {
    name: 'ts: tsc (strict) type check',
    group: 'ts',
    lane: 'ts',
    run: (env) => singleCheck(tscCheck(), env),
  },
  {
    name: 'ts: biome lint and format check',
    group: 'ts',
    lane: 'ts',
    run: (env) => singleCheck(biomeCheck(), env),
  },
  {
    name: 'ts: vitest (emulator, cli, infrastructure, test bed)',
    group: 'ts',
    lane: 'ts',
    run: (env) => vitest([], env),
  },
  {
    name: 'ts: agent check (projections of agent/ up to date)',
    group: 'ts',
    lane: 'ts',
    run: (env) => single(process.execPath, [join(projectRoot, 'cli/bin/ferrule.mjs'), 'agent', 'check'], env),
  },
  {
    // What the markdown says that the code can confirm (scripts/docs/check.ts; npm run docs:check).
    name: 'ts: docs check (commands and flags exist, docs/ pages listed, README bench figures from the latest results, relative links)',
    group: 'ts',
    lane: 'ts',
    run: async () =>
      checksSuite(async () =>
        runDocsChecks(projectRoot, program()).map(({ name, problems }) => ({
          name,
          ok: problems.length === 0,
          detail: describeProblems(problems).replace(/\n/g, '\n  '),
        })),
      ),
  },
  {
    // Two skills share one copy of the repository and one final verify; all of them run
    // in `npm run test:agent` (group agent), each in its own copy.
    name: 'skills: scripted run of fix-bug-with-fixture + declare-resource-use, then verify',
    group: 'skills',
    lane: 'skills',
    run: async (env) => {
      const result = await runSkillEvals(['fix-bug-with-fixture', 'declare-resource-use'], { env });
      return result.ok
        ? { passed: 1, failed: 0 }
        : { passed: 0, failed: 1, output: [...result.log, result.error ?? ''].join('\n') };
    },
  },
  {
    name: 'agent: scripted run of every skill (one copy each), then verify',
    group: 'agent',
    lane: 'rust',
    run: async (env) => {
      let passed = 0;
      const failures: string[] = [];
      for (const evaluation of loadEvals()) {
        const result = await runSkillEvals([evaluation.skill], { env });
        if (result.ok) passed += 1;
        else failures.push(`${evaluation.skill}: ${result.error ?? ''}`);
      }
      return { passed, failed: failures.length, output: failures.join('\n\n') || undefined };
    },
  },
  {
    name: 'workflows: actionlint',
    group: 'workflows',
    lane: 'ts',
    run: (env) => single(join(paths.toolsBin, 'actionlint'), [], env),
  },
];

async function main(): Promise<number> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((w) => !suites.some((s) => s.group === w));
  if (unknown.length > 0) {
    process.stderr.write(
      `unknown suite group: ${unknown.join(', ')} (use rust, ts, smoke, scaffold, e2e, workflows, skills, agent)\n`,
    );
    return 2;
  }
  const selected = suites.filter((s) =>
    wanted.length === 0 ? s.group !== 'agent' : wanted.includes(s.group),
  );

  // Every suite, and every process it starts, writes its temporary files under one folder
  // removed when the run ends.
  const removeTemporaryFolder = useRunTemporaryFolder('ferrule-test-run-');
  // The AWS SDK's notice that its 2027 releases need Node.js 22, as the ferrule command turns it
  // off (docs/local-cloud.md): the suites that load the SDK in a plain Node.js process inherit it.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const motos: MotoServer[] = [];
  const stopMoto = async () => {
    await Promise.all(motos.map((server) => server.stop()));
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void stopMoto().finally(() => {
        removeTemporaryFolder();
        process.exit(130);
      });
    });
  }

  let passed = 0;
  let failed = 0;
  const started = performance.now();
  try {
    const lanes = [...new Set(selected.map((s) => s.lane))];
    // One moto per lane: suites of different lanes run at once and must not see each other's
    // tables, queues or stacks.
    const envOf = new Map<Suite['lane'], NodeJS.ProcessEnv>();
    await Promise.all(
      lanes.map(async (lane) => {
        const moto = await startMoto();
        motos.push(moto);
        process.stdout.write(`moto server on ${moto.endpoint} (${lane} lane)\n`);
        envOf.set(
          lane,
          toolEnvironment({ ...moto.environment, FORCE_COLOR: '0', CARGO_TERM_COLOR: 'never' }),
        );
      }),
    );

    // The skills lane's start: every selected smoke suite finished (at once when none is selected).
    let smokeLeft = selected.filter((s) => s.group === 'smoke').length;
    let smokeFinished = () => {};
    const smokeDone = new Promise<void>((resolve) => {
      smokeFinished = resolve;
    });
    if (smokeLeft === 0) smokeFinished();

    const runLane = async (lane: Suite['lane']) => {
      if (lane === 'skills') await smokeDone;
      const env = envOf.get(lane) as NodeJS.ProcessEnv;
      for (const suite of selected.filter((s) => s.lane === lane)) {
        const t0 = performance.now();
        let result: SuiteResult;
        try {
          result = await suite.run(env);
        } catch (error) {
          result = { passed: 0, failed: 1, output: (error as Error).stack ?? String(error) };
        } finally {
          if (suite.group === 'smoke' && --smokeLeft === 0) smokeFinished();
        }
        passed += result.passed;
        failed += result.failed;
        const seconds = ((performance.now() - t0) / 1000).toFixed(1);
        const mark = result.failed === 0 ? 'PASS' : 'FAIL';
        let report = `${mark} ${suite.name}: ${result.passed} passed, ${result.failed} failed (${seconds} s)\n`;
        if (result.failed > 0 && result.output) report += indent(tail(result.output, 150));
        process.stdout.write(report);
      }
    };
    await Promise.all(lanes.map(runLane));
  } catch (error) {
    failed += 1;
    process.stdout.write(`FAIL test bed: ${(error as Error).message}\n`);
  } finally {
    await stopMoto();
    removeTemporaryFolder();
  }
  const total = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(
    `\n(${total} s, platform ${defaultPlatform.runtime}-${defaultPlatform.architecture})\n`,
  );
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed === 0 && passed > 0 ? 0 : 1;
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function indent(text: string): string {
  return `${text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n')}\n`;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stdout.write(`${error.stack}\n0 passed, 1 failed\n`);
    process.exitCode = 1;
  },
);
