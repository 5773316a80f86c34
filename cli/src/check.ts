// `ferrule check`: one synth with every rule pack (ADR-002, cdk-nag AwsSolutions and
// Serverless), cfn-lint with the serverless rules, and each function's role against the
// AWS calls its code can make (iam/), findings grouped by function.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import {
  defaultPlatform,
  type Platform,
  paths,
  projectRoot,
  toolEnvironment,
} from '@ferrule/toolchain/project';
import { runCdkSynth, synthFailure } from '@ferrule/toolchain/synth';
import {
  type AssemblyStack,
  constructPathOf,
  functionsOf,
  readAssembly,
  referencedIds,
} from './app-functions.ts';
import { CliError } from './errors.ts';
import { compareApp, type IamComparison, iamFindings } from './iam/compare.ts';

export type FindingLevel = 'error' | 'warning' | 'info';

/** One finding of a rule pack or of cfn-lint, with what to do about it. */
export interface CheckFinding {
  /** Who reported it: ADR002, AwsSolutions, Serverless, CloudFormation-Validate, cfn-lint or IAM. */
  readonly source: string;
  /** Rule id, e.g. `ADR002-JsonLogs`, `AwsSolutions-IAM5[Resource::*]`, `ES1005`. */
  readonly rule: string;
  readonly level: FindingLevel;
  readonly stack: string;
  /** Construct path of the offending resource. */
  readonly constructPath: string;
  /** What is wrong. */
  readonly message: string;
  /** How to fix it (the rule's own fix or explanation). */
  readonly fix: string;
  /** For rule packs: the id to acknowledge a reviewed exception with. */
  readonly acknowledge?: string;
}

/** The findings of one function (a RustFunction or any Lambda function), or of a stack's other resources. */
export interface CheckGroup {
  /** The crate it runs; null for a function that is not a Ferrule build, or for a stack group. */
  readonly crate: string | null;
  /** Construct path of the function, or the stack name for resources of no function. */
  readonly constructPath: string;
  readonly stack: string;
  readonly kind: 'function' | 'stack';
  readonly findings: readonly CheckFinding[];
}

export interface CheckReport {
  /** No finding fails the check (errors; warnings too with `strict`). */
  readonly ok: boolean;
  readonly errors: number;
  readonly warnings: number;
  readonly strict: boolean;
  /** The rule packs that ran during synth, and cfn-lint. */
  readonly checks: readonly string[];
  readonly templates: readonly string[];
  /** Every function (clean ones with no findings), then the stack groups that have findings. */
  readonly groups: readonly CheckGroup[];
  /**
   * Per Ferrule function: what its code can call, what its role grants for the code, and the
   * grants set apart as Lambda's own (the IAM findings come from these).
   */
  readonly iam: readonly IamComparison[];
}

export interface CheckOptions {
  /** @default al2023, x86_64 */
  readonly platform?: Platform;
  /**
   * The command that runs the CDK app (cdk's `--app`).
   * @default the app of infrastructure/ (its cdk.json)
   */
  readonly app?: string;
  /** Cloud assembly folder. @default cdk.out at the project root */
  readonly outdir?: string;
  /**
   * Warnings fail the check as well.
   * @default false
   */
  readonly strict?: boolean;
  /** Progress lines (synth, lint). @default none */
  readonly progress?: (line: string) => void;
  /** Extra CDK context for the synth, e.g. `{ 'ferrule:stage': 'prod' }` (deploy checks the stage it deploys). */
  readonly context?: Readonly<Record<string, string>>;
}

const VALIDATION_REPORT = 'validation-report.json';
const CHECKS = ['ADR002', 'AwsSolutions', 'Serverless', 'cfn-lint (serverless rules)', 'IAM equals code'];

/** Runs every check on the app and returns the findings grouped by function. */
export async function runCheck(options: CheckOptions = {}): Promise<CheckReport> {
  const outdir = options.outdir ?? paths.cdkOut;
  const progress = options.progress ?? (() => {});
  progress('==> cdk synth with the ADR-002, AwsSolutions and Serverless packs');
  await synthWithPacks(options.platform ?? defaultPlatform, outdir, options.app, options.context);
  const stacks = readAssembly(outdir);
  const findings = packFindings(outdir);
  progress('==> cfn-lint --append-rules cfn_lint_serverless.rules');
  findings.push(...(await lintFindings(stacks)));
  progress('==> IAM equals code: each role against the AWS calls its crate can make');
  const iam = compareApp(stacks, functionsOf(stacks, outdir));
  findings.push(...iam.flatMap(iamFindings));
  return { ...summarise(stacks, findings, outdir, options.strict ?? false), iam };
}

/**
 * `cdk synth` with context `ferrule:packs=all` (read by infrastructure/bin/app.ts). The
 * packs are validation plugins: a finding makes synth exit 1 after writing the templates
 * and validation-report.json, so only a missing report means synth itself failed.
 */
async function synthWithPacks(
  platform: Platform,
  outdir: string,
  app?: string,
  context: Readonly<Record<string, string>> = {},
): Promise<void> {
  rmSync(join(outdir, VALIDATION_REPORT), { force: true });
  rmSync(join(outdir, 'manifest.json'), { force: true });
  const { code, output } = await runCdkSynth({
    platform,
    outdir,
    app,
    context: { ...context, 'ferrule:packs': 'all' },
  });
  if (
    code !== 0 &&
    !(existsSync(join(outdir, VALIDATION_REPORT)) && existsSync(join(outdir, 'manifest.json')))
  ) {
    throw synthFailure(code, output, 'before the rule packs ran');
  }
}

interface ValidationReport {
  pluginReports?: {
    pluginName: string;
    violations?: {
      ruleName: string;
      description: string;
      severity?: string;
      violatingConstructs?: { constructPath?: string }[];
    }[];
  }[];
}

/** The findings of the validation plugins, from the report CDK writes next to the templates. */
function packFindings(outdir: string): CheckFinding[] {
  const report = JSON.parse(readFileSync(join(outdir, VALIDATION_REPORT), 'utf8')) as ValidationReport;
  const findings: CheckFinding[] = [];
  for (const plugin of report.pluginReports ?? []) {
    for (const violation of plugin.violations ?? []) {
      const { message, fix } = splitFix(plugin.pluginName, violation.description);
      for (const resource of violation.violatingConstructs ?? []) {
        const constructPath = resource.constructPath ?? '';
        findings.push({
          source: plugin.pluginName,
          rule: violation.ruleName,
          level: level(violation.severity),
          stack: constructPath.split('/')[0] ?? '',
          constructPath,
          message,
          fix,
          acknowledge: violation.ruleName,
        });
      }
    }
  }
  return findings;
}

/**
 * ADR-002 findings say "<what is wrong> Fix: <what to do>". cdk-nag's verbose findings are
 * "<info> <explanation>"; the info is its first sentence. Others are one text.
 */
function splitFix(pack: string, description: string): { message: string; fix: string } {
  const at = description.indexOf(' Fix: ');
  if (pack === 'ADR002' && at > 0)
    return { message: description.slice(0, at), fix: description.slice(at + 6) };
  const sentence = /^(.+?\.)\s+(\S.*)$/s.exec(description);
  if ((pack === 'AwsSolutions' || pack === 'Serverless') && sentence?.[1] && sentence[2]) {
    return { message: sentence[1], fix: sentence[2] };
  }
  return { message: description, fix: description };
}

function level(severity: string | undefined): FindingLevel {
  const value = (severity ?? 'error').toLowerCase();
  if (value === 'warning' || value === 'warn') return 'warning';
  if (value === 'info' || value === 'informational') return 'info';
  return 'error';
}

interface LintMatch {
  Filename: string;
  Level: string;
  Location: { Path?: (string | number)[] };
  Message: string;
  Rule: { Id: string; Description: string; Source?: string };
}

/**
 * cfn-lint's options wherever Ferrule lints templates (`check`, `npm test`, the scaffold
 * suite): the serverless rules (ES/WS) on top of cfn-lint's own. WS1004 is skipped: it only
 * recognises log groups named /aws/lambda/<name>, not LoggingConfig.LogGroup, which is how
 * RustFunction gives each function its own log group with retention.
 */
export const CFN_LINT_OPTIONS = [
  '--append-rules',
  'cfn_lint_serverless.rules',
  '--ignore-checks',
  'WS1004',
] as const;

/** cfn-lint exits 0 when clean and 4/8 for warnings or informational findings only; 2 means errors. */
export function cfnLintFoundErrors(exitCode: number): boolean {
  return (exitCode & 2) !== 0 || exitCode === 1;
}

/** cfn-lint as `npm test` runs it ({@link CFN_LINT_OPTIONS}), with JSON output. */
async function lintFindings(stacks: readonly AssemblyStack[]): Promise<CheckFinding[]> {
  const cfnLint = join(paths.venvBin, 'cfn-lint');
  if (!existsSync(cfnLint)) throw new CliError('cfn-lint is not installed in .venv; run `npm run setup`');
  if (stacks.length === 0) return [];
  const args = [...CFN_LINT_OPTIONS, '--format', 'json', '--', ...stacks.map((s) => s.templatePath)];
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      let out = '';
      let err = '';
      const child = spawn(cfnLint, args, { env: toolEnvironment(), stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        err = (err + chunk.toString()).slice(-4000);
      });
      child.on('error', (error) => reject(new CliError(`could not run cfn-lint: ${error.message}`, 1)));
      child.on('exit', (exitCode) => resolve({ code: exitCode, stdout: out, stderr: err }));
    },
  );
  // cfn-lint exits with a bit mask: 2 errors, 4 warnings, 8 informational; 1 is its own failure.
  let matches: LintMatch[];
  try {
    matches = JSON.parse(stdout || '[]') as LintMatch[];
  } catch {
    throw new CliError(`cfn-lint failed (exit ${code}): ${stderr.trim() || stdout.trim()}`, 1);
  }
  if (code === 1) throw new CliError(`cfn-lint failed: ${stderr.trim()}`, 1);
  const byFile = new Map(stacks.map((s) => [s.templatePath, s]));
  return matches.map((match) => {
    const stack =
      byFile.get(match.Filename) ?? stacks.find((s) => basename(s.templatePath) === basename(match.Filename));
    const path = match.Location.Path ?? [];
    const logicalId = path[0] === 'Resources' && typeof path[1] === 'string' ? path[1] : undefined;
    const stackName = stack?.name ?? basename(match.Filename).replace(/\.template\.json$/, '');
    return {
      source: 'cfn-lint',
      rule: match.Rule.Id,
      level: level(match.Level),
      stack: stackName,
      constructPath: stack && logicalId ? constructPathOf(stack, logicalId) : stackName,
      message: match.Message,
      fix: `${match.Rule.Description}${match.Rule.Source ? ` (${match.Rule.Source})` : ''}`,
    };
  });
}

/**
 * Groups findings by the function they concern: resources under the function's construct
 * (its role, log group, alarms), then resources that reference exactly one function
 * (event source mappings, permissions, integrations); the rest by stack.
 */
function summarise(
  stacks: readonly AssemblyStack[],
  findings: readonly CheckFinding[],
  outdir: string,
  strict: boolean,
): Omit<CheckReport, 'iam'> {
  const functions = functionsOf(stacks, outdir);
  const groups = new Map<
    string,
    { crate: string | null; stack: string; kind: 'function' | 'stack'; findings: CheckFinding[] }
  >();
  for (const fn of functions)
    groups.set(fn.constructPath, { crate: fn.crate, stack: fn.stack, kind: 'function', findings: [] });
  const logicalToFunction = new Map<string, string>();
  for (const fn of functions) {
    logicalToFunction.set(`${fn.stack}/${fn.logicalId}`, fn.constructPath);
    if (fn.role) logicalToFunction.set(`${fn.stack}/${fn.role}`, fn.constructPath);
  }
  const pathToLogical = new Map<string, [AssemblyStack, string]>();
  for (const stack of stacks) {
    for (const id of Object.keys(stack.resources)) pathToLogical.set(constructPathOf(stack, id), [stack, id]);
  }
  const owner = (finding: CheckFinding): string => {
    const scope = functions
      .filter(
        (fn) =>
          finding.constructPath === fn.constructPath ||
          finding.constructPath.startsWith(`${fn.constructPath}/`),
      )
      .sort((a, b) => b.constructPath.length - a.constructPath.length)[0];
    if (scope) return scope.constructPath;
    const resource = pathToLogical.get(finding.constructPath);
    if (resource) {
      const [stack, id] = resource;
      const owners = new Set(
        [...referencedIds(stack.resources[id]?.Properties)]
          .map((ref) => logicalToFunction.get(`${stack.name}/${ref}`))
          .filter((path): path is string => path !== undefined),
      );
      if (owners.size === 1) return [...owners][0] as string;
    }
    return finding.stack;
  };
  for (const finding of findings) {
    const key = owner(finding);
    const group = groups.get(key) ?? {
      crate: null,
      stack: finding.stack,
      kind: 'stack' as const,
      findings: [],
    };
    group.findings.push(finding);
    groups.set(key, group);
  }
  const fails = (f: CheckFinding) => f.level === 'error' || (strict && f.level === 'warning');
  const ordered = [...groups.entries()]
    .filter(([, group]) => group.kind === 'function' || group.findings.length > 0)
    .sort(([a, ga], [b, gb]) => (ga.kind === gb.kind ? a.localeCompare(b) : ga.kind === 'function' ? -1 : 1))
    .map(([constructPath, group]) => ({ ...group, constructPath }));
  return {
    ok: !findings.some(fails),
    errors: findings.filter((f) => f.level === 'error').length,
    warnings: findings.filter((f) => f.level === 'warning').length,
    strict,
    checks: CHECKS,
    templates: stacks.map((s) => relative(projectRoot, s.templatePath)),
    groups: ordered,
  };
}
