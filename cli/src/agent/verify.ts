import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { buildFunctions } from '@ferrule/toolchain/build';
import { type CommandResult, runCommand } from '@ferrule/toolchain/process';
import {
  artifactPath,
  defaultPlatform,
  listFunctions,
  projectRoot,
  toolEnvironment,
} from '@ferrule/toolchain/project';
import { type CheckReport, runCheck } from '../check.ts';
import {
  affectedPackages,
  biomeCheck,
  type CheckCommand,
  cargoTestCheck,
  changedFiles,
  clippyCheck,
  rustfmtCheck,
  tscCheck,
  typescriptChanges,
  vitestRelatedCheck,
  workspacePackages,
} from '../checks.ts';
import { CliError } from '../errors.ts';
import { checkProjections, describeCheck } from './sync.ts';

export type StepStatus = 'pass' | 'fail' | 'skip';

export interface VerifyStep {
  /** Stable id: rustfmt, clippy, cargo-test, tsc, biome, vitest-related, agent-check, build, check. */
  readonly id: string;
  readonly title: string;
  readonly status: StepStatus;
  readonly durationMs: number;
  /** For a failure: the first problem found, one or a few lines. For a skip: why. */
  readonly detail?: string;
  /** For a failure: what to do about it. */
  readonly fix?: string;
  /** For a failure: the end of the tool's output. */
  readonly output?: string;
  /** For a failed check: every finding, per function, with its fix. */
  readonly findings?: readonly VerifyFinding[];
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly quick: boolean;
  readonly steps: readonly VerifyStep[];
  /** The first failed step, which is the first thing to fix. */
  readonly firstFailure?: VerifyStep;
}

export interface VerifyOptions {
  /** Skip the build and the synth (for the stop hook). @default false */
  readonly quick?: boolean;
  /** Called when a step starts and ends (progress on stderr). */
  readonly onStep?: (event: {
    readonly id: string;
    readonly title: string;
    readonly done?: VerifyStep;
  }) => void;
  /** Called with each piece of a step's output: progress while a long step runs. */
  readonly onOutput?: (chunk: string) => void;
}

export interface VerifyFinding {
  readonly function: string;
  readonly rule: string;
  readonly level: string;
  readonly message: string;
  readonly fix: string;
}

interface Outcome {
  readonly ok: boolean;
  readonly detail?: string;
  readonly fix?: string;
  readonly output?: string;
  readonly findings?: readonly VerifyFinding[];
}

interface StepDefinition {
  readonly id: string;
  readonly title: string;
  readonly slow?: boolean;
  readonly run: () => Promise<Outcome>;
}

/** Where the running verify's step output goes (set by runVerify for its duration). */
let outputListener: ((chunk: string) => void) | undefined;

function run(check: CheckCommand): Promise<CommandResult> {
  return runCmd(check.command, check.args);
}

function runCmd(cmd: string, args: readonly string[], cwd = projectRoot): Promise<CommandResult> {
  const env = toolEnvironment({ CARGO_TERM_COLOR: 'never', FORCE_COLOR: '0', NO_COLOR: '1' });
  return runCommand(cmd, args, {
    cwd,
    env,
    keepChars: 2_000_000,
    ...(outputListener ? { onOutput: outputListener } : {}),
  });
}

function tail(text: string, lines = 60): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** The first `error…` diagnostic of rustc/clippy with its location line, or a failed test. */
export function firstRustProblem(output: string): string | undefined {
  const lines = output.split('\n');
  const at = lines.findIndex(
    (line) =>
      /^error(\[E\d+\])?: /.test(line) &&
      !line.startsWith('error: could not') &&
      !line.startsWith('error: test failed'),
  );
  if (at >= 0) {
    const location = lines.slice(at + 1, at + 4).find((line) => line.trim().startsWith('-->'));
    return [lines[at], location?.trim()].filter(Boolean).join(' ');
  }
  const failed = lines.find((line) => /^test .+ \.\.\. FAILED$/.test(line));
  if (failed) {
    const panic = lines.find((line) => line.includes('panicked at'));
    const next = panic ? lines[lines.indexOf(panic) + 1] : undefined;
    return [failed, panic?.trim(), next?.trim()].filter(Boolean).join(' | ');
  }
  return undefined;
}

/** What a change reaches, worked out once per verify: which crates and TypeScript files. */
interface ChangeScope {
  /** Crates to lint and test; undefined: the whole workspace. */
  readonly packages?: readonly string[];
  /** Crates whose binaries the change reaches (fixtures left out: no build reads them); undefined: all. */
  readonly built?: readonly string[];
  /** Changed TypeScript files; undefined outside a git checkout. */
  readonly typescript?: readonly string[];
  /** --quick and nothing the type checker reads changed (only Rust, docs, fixtures): tsc is skipped. */
  readonly typesUnchanged?: boolean;
}

async function changeScope(quick: boolean): Promise<ChangeScope> {
  const files = await changedFiles();
  if (!files) return {};
  const typescript = typescriptChanges(files);
  // Both modes lint and test only the crates the change reaches (the changed ones and their
  // dependents): the others cannot behave differently. npm test (CI) runs every crate.
  // --quick also skips tsc when nothing it reads changed; the full verify always runs it.
  const typesUnchanged =
    quick && !files.some((file) => /\.(ts|mts|tsx)$|(^|\/)(tsconfig[^/]*|package(-lock)?)\.json$/.test(file));
  try {
    const packages = await workspacePackages();
    return {
      packages: affectedPackages(files, packages),
      built: affectedPackages(
        files.filter((file) => !file.startsWith('backend/events/')),
        packages,
      ),
      typescript,
      typesUnchanged,
    };
  } catch {
    return { typescript, typesUnchanged };
  }
}

function steps(quick: boolean, scope: ChangeScope): StepDefinition[] {
  let builtOk = true;
  const noRustChange = scope.packages?.length === 0;
  const rustScope = scope.packages ? { packages: scope.packages } : {};
  return [
    {
      id: 'rustfmt',
      title: rustfmtCheck().title,
      run: async () => {
        const result = await run(rustfmtCheck());
        if (result.code === 0) return { ok: true };
        const file = /^Diff in (.+?) at line/m.exec(result.output)?.[1];
        return {
          ok: false,
          detail: file ? `not formatted: ${file}` : tail(result.output, 5),
          fix: 'run `cargo fmt --all --manifest-path backend/Cargo.toml`',
          output: tail(result.output),
        };
      },
    },
    {
      id: 'clippy',
      title: clippyCheck(rustScope).title,
      run: async () => {
        if (noRustChange)
          return { ok: true, detail: 'skipped: no change under backend/ since the last commit' };
        const result = await run(clippyCheck(rustScope));
        if (result.code === 0) return { ok: true };
        return {
          ok: false,
          detail: firstRustProblem(result.output) ?? tail(result.output, 5),
          fix: 'fix the code at that location (never silence the lint with allow)',
          output: tail(result.output),
        };
      },
    },
    {
      id: 'cargo-test',
      title: cargoTestCheck(rustScope).title,
      run: async () => {
        if (noRustChange)
          return { ok: true, detail: 'skipped: no change under backend/ since the last commit' };
        const result = await run(cargoTestCheck(rustScope));
        if (result.code === 0) return { ok: true };
        return {
          ok: false,
          detail: firstRustProblem(result.output) ?? tail(result.output, 5),
          fix: 'run that test alone with `cargo test --manifest-path backend/Cargo.toml -p <crate> <test name>` and fix the code or the expectation',
          output: tail(result.output),
        };
      },
    },
    {
      id: 'tsc',
      title: tscCheck().title,
      run: async () => {
        if (scope.typesUnchanged) {
          return {
            ok: true,
            detail: 'skipped: no TypeScript, tsconfig or package.json change since the last commit',
          };
        }
        const result = await run(tscCheck());
        if (result.code === 0) return { ok: true };
        const first = result.output.split('\n').find((line) => /error TS\d+/.test(line));
        return {
          ok: false,
          detail: first ?? tail(result.output, 5),
          fix: 'fix the type error at that location',
          output: tail(result.output),
        };
      },
    },
    {
      id: 'biome',
      title: biomeCheck().title,
      run: async () => {
        const check = biomeCheck();
        const result = await runCmd(check.command, [...check.args, '--colors=off']);
        if (result.code === 0) return { ok: true };
        // Each diagnostic starts with `<file>[:line:col] <category> ━━━`.
        const first = result.output
          .split('\n')
          .find((line) => /^\S+ \S+.*━━/.test(line) && !line.startsWith('ci '))
          ?.replace(/\s*━+\s*$/, '');
        const file = first?.split(' ')[0]?.replace(/:\d+:\d+$/, '');
        return {
          ok: false,
          detail: first ?? tail(result.output, 5),
          fix: file
            ? `run \`npx biome check --write ${file}\`, then fix what remains`
            : 'run `npm run format`',
          output: tail(result.output),
        };
      },
    },
    {
      id: 'vitest-related',
      title: 'vitest: the TypeScript tests that cover the change',
      run: async () => {
        if (!scope.typescript)
          return { ok: true, detail: 'skipped: not a git checkout, so no change to follow' };
        if (scope.typescript.length === 0) {
          return { ok: true, detail: 'skipped: no TypeScript change since the last commit' };
        }
        const result = await run(vitestRelatedCheck(scope.typescript));
        if (result.code === 0) return { ok: true };
        const failed = result.output.split('\n').find((line) => /^\s*(FAIL|×|✗)\s/.test(line));
        return {
          ok: false,
          detail: failed?.trim() ?? tail(result.output, 5),
          fix: 'run that test file alone with `npx vitest run <file>` and fix the code or the expectation',
          output: tail(result.output),
        };
      },
    },
    {
      id: 'agent-check',
      title: 'agent check (projections up to date)',
      run: async () => {
        const result = checkProjections();
        if (result.ok) return { ok: true };
        const text = describeCheck(result);
        return {
          ok: false,
          detail: text.split('\n')[0],
          fix: text.split('\n').at(-1),
          output: text,
        };
      },
    },
    {
      id: 'build',
      title: 'build (cargo lambda: the functions the change reaches, and any not built yet)',
      slow: true,
      run: async () => {
        try {
          const functions = await functionsToBuild(scope.built);
          if (functions.length === 0) {
            return { ok: true, detail: 'skipped: no change reaches a function and every function is built' };
          }
          await buildFunctions({ platform: defaultPlatform, functions, progress: 'quiet' });
          return { ok: true, detail: `built ${functions.join(', ')}` };
        } catch (error) {
          builtOk = false;
          const message = (error as Error).message;
          return {
            ok: false,
            detail: firstRustProblem(message) ?? message.split('\n')[0],
            fix: 'run `npx ferrule build` to see the whole error',
            output: tail(message),
          };
        }
      },
    },
    {
      id: 'check',
      title: 'check: cdk synth + ADR-002, AwsSolutions, Serverless packs + cfn-lint + IAM equals code',
      slow: true,
      run: async () => {
        if (!builtOk) return { ok: true, detail: 'skipped: the build failed' };
        let report: CheckReport;
        try {
          // `npx ferrule check`: the findings come back grouped by function, each with its fix.
          report = await runCheck({ platform: defaultPlatform });
        } catch (error) {
          const message = (error as Error).message;
          const finding = message.split('\n').find((line) => line.includes('ADR002-'));
          return {
            ok: false,
            detail: (finding ?? message.split('\n')[0] ?? message).trim(),
            fix: 'run `npx ferrule check` to see the whole error',
            output: tail(message),
          };
        }
        if (report.ok) return { ok: true };
        const findings = report.groups.flatMap((group) =>
          group.findings
            .filter((finding) => finding.level === 'error' || report.strict)
            .map((finding) => ({
              function: group.crate ?? group.constructPath,
              rule: finding.rule,
              level: finding.level,
              message: finding.message,
              fix: finding.fix,
            })),
        );
        const first = findings[0];
        return {
          ok: false,
          detail: first
            ? `${first.function}: ${first.rule} ${first.message}`
            : `${report.errors} error(s) in the check`,
          fix: first?.fix ?? 'run `npx ferrule check`',
          findings,
        };
      },
    },
  ].filter((step) => !(quick && step.slow));
}

/**
 * The functions verify builds: those whose crate the change reaches, and those with no artifact
 * yet (synth needs one per function). The others' artifacts cannot differ because of the change,
 * so relinking them (fat LTO, a minute or two each) would only repeat the build they came from.
 * Every function when the change is not known (`reached` undefined).
 */
export async function functionsToBuild(
  reached: readonly string[] | undefined,
  exists: (path: string) => boolean = existsSync,
): Promise<string[]> {
  const functions = (await listFunctions()).map((fn) => fn.name);
  if (reached === undefined) return functions;
  return functions.filter((name) => reached.includes(name) || !exists(artifactPath(name, defaultPlatform)));
}

/**
 * The definition of done: every check in order, one report. Never throws for a failing
 * check; the report says which step failed first and what to do.
 */
export async function runVerify(options: VerifyOptions = {}): Promise<VerifyReport> {
  const quick = options.quick ?? false;
  const results: VerifyStep[] = [];
  outputListener = options.onOutput;
  try {
    return await runSteps(quick, results, options);
  } finally {
    outputListener = undefined;
  }
}

async function runSteps(
  quick: boolean,
  results: VerifyStep[],
  options: VerifyOptions,
): Promise<VerifyReport> {
  for (const step of steps(quick, await changeScope(quick))) {
    options.onStep?.({ id: step.id, title: step.title });
    const started = performance.now();
    let outcome: Outcome;
    try {
      outcome = await step.run();
    } catch (error) {
      outcome = {
        ok: false,
        detail: error instanceof CliError ? error.message : String(error),
        fix: 'see the message',
      };
    }
    const status: StepStatus = outcome.ok
      ? outcome.detail?.startsWith('skipped')
        ? 'skip'
        : 'pass'
      : 'fail';
    const done: VerifyStep = {
      id: step.id,
      title: step.title,
      status,
      durationMs: Math.round(performance.now() - started),
      ...(outcome.detail ? { detail: outcome.detail } : {}),
      ...(outcome.fix ? { fix: outcome.fix } : {}),
      ...(outcome.output && !outcome.ok ? { output: outcome.output } : {}),
      ...(outcome.findings && outcome.findings.length > 0 ? { findings: outcome.findings } : {}),
    };
    results.push(done);
    options.onStep?.({ id: step.id, title: step.title, done });
  }
  const firstFailure = results.find((step) => step.status === 'fail');
  return { ok: !firstFailure, quick, steps: results, ...(firstFailure ? { firstFailure } : {}) };
}

/** A step's line of the summary: its status, title and time. */
export function stepLine(step: VerifyStep): string {
  const mark = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' }[step.status];
  const seconds = (step.durationMs / 1000).toFixed(1);
  // A skip says why; a pass may say what it covered (the build names the functions it built).
  const why = step.status !== 'fail' && step.detail ? `: ${step.detail.replace(/^skipped: /, '')}` : '';
  return `${mark} ${step.title} (${seconds} s)${why}`;
}

/** One line per step, then the first thing to fix. */
export function summarize(report: VerifyReport): string {
  const lines = report.steps.map(stepLine);
  if (report.quick)
    lines.push('(--quick: build and synth not run; run `npx ferrule verify` before you finish)');
  if (report.firstFailure) {
    const failed = report.steps.filter((step) => step.status === 'fail').length;
    lines.push('');
    lines.push(`verify failed: ${failed} of ${report.steps.length} steps.`);
    lines.push(`First thing to fix (${report.firstFailure.title}): ${report.firstFailure.detail ?? ''}`);
    if (report.firstFailure.fix) lines.push(`Fix: ${report.firstFailure.fix}`);
  } else {
    lines.push('', `verify passed: ${report.steps.length} steps.`);
  }
  return lines.join('\n');
}
