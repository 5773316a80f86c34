// `ferrule deploy`: build (unless the artifacts are fresh), synthesize the stage with every rule
// pack and check it, refusing on errors; show cdk's diff against the deployed stacks and what
// IAM would newly allow; ask when IAM widens; then `cdk deploy` the very assembly that was
// checked. The one command that talks to AWS by default, with the shell's credentials.
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildFunctions } from '@ferrule/toolchain/build';
import { artifactsFresh } from '@ferrule/toolchain/freshness';
import { runCommand } from '@ferrule/toolchain/process';
import {
  defaultPlatform,
  listFunctions,
  type Platform,
  paths,
  projectRoot,
  toolEnvironment,
} from '@ferrule/toolchain/project';
import { type CheckFinding, type CheckOptions, type CheckReport, runCheck } from './check.ts';
import { CliError } from './errors.ts';
import {
  type CloudFormationTemplate,
  iamWidens,
  type StackWidening,
  stackWidening,
  wideningCount,
} from './iam/widening.ts';
import { painter } from './style.ts';

export interface DeployOptions {
  /** The stage to synthesize and deploy (context `ferrule:stage`). */
  readonly stage: string;
  /** Stack names as the assembly has them (`FerruleHello-dev`) or without the stage (`FerruleHello`); every stack when empty. */
  readonly stacks?: readonly string[];
  /** Deploy without asking, even when IAM widens. @default false */
  readonly yes?: boolean;
  /** Stop after the diff. @default false */
  readonly dryRun?: boolean;
  /** Build the functions whose artifacts are older than backend/; false deploys dist/ as it is. @default true */
  readonly build?: boolean;
  /** AWS profile for cdk and the AWS calls. @default the shell's (AWS_PROFILE, else the default chain) */
  readonly profile?: string;
  /** @default al2023, x86_64 */
  readonly platform?: Platform;
  /** Extra CDK context for the synth (the prod stage needs some, docs/deploy.md). */
  readonly context?: Readonly<Record<string, string>>;
  /** Cloud assembly folder. @default cdk.out/deploy-<stage> */
  readonly outdir?: string;
}

/** The AWS account and region the shell's credentials reach. */
export interface AwsTarget {
  readonly account: string;
  readonly region: string;
  /** Who calls: the user or assumed role. */
  readonly arn: string;
}

/** What deploy delegates: the real ones by default ({@link defaultDeploySteps}), others in unit tests. */
export interface DeploySteps {
  build(platform: Platform): Promise<void>;
  check(options: CheckOptions): Promise<CheckReport>;
  target(profile: string | undefined): Promise<AwsTarget>;
  /** The template CloudFormation holds for the stack; undefined when nothing is deployed. */
  deployedTemplate(
    stackName: string,
    profile: string | undefined,
  ): Promise<CloudFormationTemplate | undefined>;
  /** Runs the aws-cdk CLI with its output passed through; resolves with its exit code. */
  cdk(args: readonly string[]): Promise<number>;
  confirm(question: string): Promise<boolean>;
  /** Whether a question can be asked (stdin and stderr are terminals). */
  readonly interactive: boolean;
  /** Progress, on stderr. */
  progress(line: string): void;
  /** The result (the IAM report), on stdout. */
  print(text: string): void;
}

export interface DeployResult {
  readonly target: AwsTarget;
  readonly stacks: readonly string[];
  readonly widening: readonly StackWidening[];
  /** False for a dry run. */
  readonly deployed: boolean;
}

/** A stack of the synthesized assembly. */
export interface DeployStack {
  /** The artifact id, which cdk's stack selection takes. */
  readonly id: string;
  /** The CloudFormation stack name. */
  readonly stackName: string;
  readonly templatePath: string;
}

/** What happens when IAM widens: go on, ask, or refuse because nobody can be asked. */
export type Approval = 'proceed' | 'ask' | 'refuse';

export function approval(options: { widens: boolean; yes: boolean; interactive: boolean }): Approval {
  if (!options.widens || options.yes) return 'proceed';
  return options.interactive ? 'ask' : 'refuse';
}

/** The cloud assembly folder deploy synthesizes into: one per stage, beside `ferrule synth`'s. */
export function deployAssemblyDir(stage: string): string {
  return join(paths.cdkOut, `deploy-${stage}`);
}

/** The aws-cdk CLI arguments for the diff and the deployment of `stacks` from the assembly in `outdir`. */
export function cdkCommandLines(options: {
  readonly outdir: string;
  readonly stacks: readonly string[];
  readonly profile?: string;
}): { readonly diff: string[]; readonly deploy: string[] } {
  const common = [
    '--app',
    options.outdir,
    '--no-notices',
    ...(options.profile ? ['--profile', options.profile] : []),
  ];
  return {
    diff: ['diff', ...common, ...options.stacks],
    deploy: ['deploy', ...common, '--require-approval', 'never', ...options.stacks],
  };
}

/** The stacks of the assembly in `outdir`, from its manifest. */
export function assemblyStacks(outdir: string): DeployStack[] {
  const manifestPath = join(outdir, 'manifest.json');
  if (!existsSync(manifestPath)) throw new CliError(`no cloud assembly in ${shown(outdir)}`, 1);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    artifacts?: Record<string, { type: string; properties?: { templateFile?: string; stackName?: string } }>;
  };
  return Object.entries(manifest.artifacts ?? {})
    .filter(
      ([, artifact]) => artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile,
    )
    .map(([id, artifact]) => ({
      id,
      stackName: artifact.properties?.stackName ?? id,
      templatePath: join(outdir, artifact.properties?.templateFile as string),
    }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** The requested stacks, by exact id or by id without `-<stage>`; all of them when none is requested. */
export function selectStacks(
  all: readonly DeployStack[],
  requested: readonly string[],
  stage: string,
): DeployStack[] {
  if (requested.length === 0) return [...all];
  return requested.map((name) => {
    const found = all.find((stack) => stack.id === name || stack.id === `${name}-${stage}`);
    if (!found) {
      throw new CliError(
        `no stack \`${name}\` in the ${stage} stage; its stacks are: ${all.map((s) => s.id).join(', ')}`,
      );
    }
    return found;
  });
}

/** The error findings of the stacks to deploy: any one of them stops the deployment. */
export function blockingFindings(report: CheckReport, stacks: readonly string[]): CheckFinding[] {
  return report.groups
    .flatMap((group) => group.findings)
    .filter((finding) => finding.level === 'error' && stacks.includes(finding.stack));
}

export async function runDeploy(
  options: DeployOptions,
  steps: DeploySteps = defaultDeploySteps(),
): Promise<DeployResult> {
  if (!/^[a-z][a-z0-9-]*$/.test(options.stage)) {
    throw new CliError(`--stage must be a lowercase name such as dev or prod, not \`${options.stage}\``);
  }
  const platform = options.platform ?? defaultPlatform;
  const outdir = options.outdir ?? deployAssemblyDir(options.stage);

  // First the cheap question, so missing credentials fail before a minute of synth.
  steps.progress('==> AWS: whose credentials (sts get-caller-identity)');
  const target = await steps.target(options.profile);
  steps.progress(`==> deploying to account ${target.account}, region ${target.region} as ${target.arn}`);

  if (options.build ?? true) await steps.build(platform);
  else steps.progress('==> --no-build: the artifacts in dist/ as they are');

  steps.progress(`==> synthesizing the ${options.stage} stage into ${shown(outdir)} and checking it`);
  const report = await steps.check({
    platform,
    outdir,
    context: { ...options.context, 'ferrule:stage': options.stage },
    progress: steps.progress,
  });
  const stacks = selectStacks(assemblyStacks(outdir), options.stacks ?? [], options.stage);
  const ids = stacks.map((stack) => stack.id);
  const blocking = blockingFindings(report, ids);
  if (blocking.length > 0) {
    steps.progress(describeFindings(blocking));
    throw new CliError(
      `refusing to deploy: the checks found ${plural(blocking.length, 'error')} in ${ids.join(', ')} (listed above; \`npx ferrule check\` shows each with its fix)`,
      1,
    );
  }
  const elsewhere = report.errors > 0 ? `, ${plural(report.errors, 'error')} in stacks not deployed` : '';
  const warnings = report.warnings > 0 ? ` (npx ferrule check lists them)` : '';
  steps.progress(
    `==> checks passed: no error in ${ids.join(', ')}${elsewhere}, ${plural(report.warnings, 'warning')}${warnings}`,
  );

  const commands = cdkCommandLines({ outdir, stacks: ids, profile: options.profile });
  steps.progress(`==> cdk diff against what is deployed: ${ids.join(', ')}`);
  const diffCode = await steps.cdk(commands.diff);
  if (diffCode !== 0) throw new CliError(`cdk diff failed (exit ${diffCode}); its output is above`, 1);

  const widening: StackWidening[] = [];
  for (const stack of stacks) {
    const next = JSON.parse(readFileSync(stack.templatePath, 'utf8')) as CloudFormationTemplate;
    const previous = await steps.deployedTemplate(stack.stackName, options.profile);
    widening.push(stackWidening(stack.id, next, previous));
  }
  steps.print(describeWidening(widening));
  const widens = iamWidens(widening);

  if (options.dryRun) {
    steps.progress('==> dry run: nothing deployed');
    return { target, stacks: ids, widening, deployed: false };
  }
  const where = `account ${target.account} (${target.region})`;
  switch (approval({ widens, yes: options.yes ?? false, interactive: steps.interactive })) {
    case 'refuse':
      throw new CliError(
        `IAM widens (${plural(wideningCount(widening), 'new grant')}, listed above) and there is no terminal to ask on: review them, then pass --yes to deploy`,
        1,
      );
    case 'ask':
      if (!(await steps.confirm(`IAM widens. Deploy ${ids.join(', ')} to ${where}?`))) {
        throw new CliError('not deployed: the deployment was declined', 1);
      }
      break;
    case 'proceed':
      break;
  }
  steps.progress(`==> cdk deploy ${ids.join(' ')} to ${where}`);
  const deployCode = await steps.cdk(commands.deploy);
  if (deployCode !== 0) {
    throw new CliError(
      `cdk deploy failed (exit ${deployCode}); its output is above (docs/deploy.md, "When it fails")`,
      1,
    );
  }
  return { target, stacks: ids, widening, deployed: true };
}

/** The IAM report: per stack and role, what it may newly do. */
export function describeWidening(stacks: readonly StackWidening[], paint = painter(process.stdout)): string {
  const lines: string[] = [];
  if (!iamWidens(stacks)) {
    lines.push(
      paint('green', 'IAM does not widen:') +
        ' no role gets an action, resource, managed policy or trust that it does not have now',
    );
    return `${lines.join('\n')}\n`;
  }
  const roles = stacks.reduce((sum, stack) => sum + stack.roles.length, 0);
  lines.push(
    `${paint('bold', paint('yellow', 'IAM widens:'))} ${plural(wideningCount(stacks), 'new grant')} on ${plural(roles, 'role')}`,
  );
  for (const stack of stacks) {
    if (stack.roles.length === 0) continue;
    lines.push(
      `  ${paint('bold', stack.stack)}${stack.deployed ? '' : paint('dim', ' (nothing deployed yet: every grant is new)')}`,
    );
    for (const role of stack.roles) {
      lines.push(`    ${role.role}${role.newRole && stack.deployed ? paint('dim', ' (a new role)') : ''}`);
      for (const grant of role.grants) {
        const when = grant.condition === undefined ? '' : paint('dim', ` when ${grant.condition}`);
        lines.push(`      + ${grant.action} on ${grant.resource}${when}`);
      }
      for (const arn of role.managedPolicies) lines.push(`      + managed policy ${arn}`);
      for (const entry of role.trust) lines.push(`      + trusts ${entry}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function describeFindings(findings: readonly CheckFinding[]): string {
  return findings
    .map(
      (f) =>
        `  error ${f.rule} (${f.source}) on ${f.constructPath}\n        ${f.message}\n        fix: ${f.fix}`,
    )
    .join('\n');
}

/** A path as the user finds it: from the project root when inside it. */
function shown(path: string): string {
  const inside = relative(projectRoot, path);
  return inside.startsWith('..') ? path : inside;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** The aws-cdk CLI of the repository (root or infrastructure/ node_modules). */
function cdkBinary(): string {
  for (const candidate of [
    join(projectRoot, 'node_modules/.bin/cdk'),
    join(paths.infrastructure, 'node_modules/.bin/cdk'),
  ]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new CliError('the CDK CLI is not installed; run `npm run setup`');
}

/** Stack statuses whose template is not what runs: nothing (or nothing any more) is deployed. */
const NOTHING_DEPLOYED = new Set(['REVIEW_IN_PROGRESS', 'ROLLBACK_COMPLETE', 'DELETE_COMPLETE']);

/** An AWS SDK error as one line; missing credentials or region are a prerequisite (exit 2). */
function awsError(error: unknown, doing: string): CliError {
  const { name, message } = error as { name?: string; message?: string };
  const text = (message ?? String(error)).split('\n')[0] ?? '';
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(text)) {
    return new CliError(
      `no AWS credentials in this shell (${text}); sign in (aws sso login, aws configure) or pass --profile`,
    );
  }
  if (/region is missing|region not accepted/i.test(text)) {
    return new CliError('no AWS region: set AWS_REGION, or pass --profile with a profile that has one');
  }
  return new CliError(`${doing} failed: ${name ? `${name}: ` : ''}${text}`, 1);
}

/** The real steps: cargo, cdk, the AWS SDK (loaded only when deploy runs), the terminal. */
export function defaultDeploySteps(): DeploySteps {
  return {
    async build(platform) {
      if (artifactsFresh(await listFunctions(), platform)) {
        process.stderr.write('==> artifacts are newer than every change under backend/: no build\n');
        return;
      }
      process.stderr.write('==> building every function (cargo lambda build --release)\n');
      await buildFunctions({ platform, progress: 'inherit' });
    },
    check: runCheck,
    async target(profile) {
      const { GetCallerIdentityCommand, STSClient } = await import('@aws-sdk/client-sts');
      const client = new STSClient(profile ? { profile } : {});
      try {
        const region = await client.config.region();
        const identity = await client.send(new GetCallerIdentityCommand({}));
        return { account: identity.Account ?? '?', region, arn: identity.Arn ?? '?' };
      } catch (error) {
        throw awsError(error, 'sts get-caller-identity');
      } finally {
        client.destroy();
      }
    },
    async deployedTemplate(stackName, profile) {
      const { CloudFormationClient, DescribeStacksCommand, GetTemplateCommand } = await import(
        '@aws-sdk/client-cloudformation'
      );
      const client = new CloudFormationClient(profile ? { profile } : {});
      try {
        let status: string | undefined;
        try {
          const described = await client.send(new DescribeStacksCommand({ StackName: stackName }));
          status = described.Stacks?.[0]?.StackStatus;
        } catch (error) {
          if (/does not exist/.test((error as Error).message)) return undefined;
          throw error;
        }
        if (status === undefined || NOTHING_DEPLOYED.has(status)) return undefined;
        const { TemplateBody } = await client.send(
          new GetTemplateCommand({ StackName: stackName, TemplateStage: 'Original' }),
        );
        try {
          return JSON.parse(TemplateBody ?? '{}') as CloudFormationTemplate;
        } catch {
          // CDK deploys JSON; a stack written in YAML by hand is compared as if nothing were deployed.
          process.stderr.write(
            `==> the deployed template of ${stackName} is not JSON: every grant counts as new\n`,
          );
          return undefined;
        }
      } catch (error) {
        throw awsError(error, `reading the deployed template of ${stackName}`);
      } finally {
        client.destroy();
      }
    },
    async cdk(args) {
      const { code } = await runCommand(cdkBinary(), args, {
        cwd: paths.infrastructure,
        env: toolEnvironment(),
        echo: true,
        keepChars: 4000,
      });
      return code;
    },
    async confirm(question) {
      const { default: confirm } = await import('@inquirer/confirm');
      try {
        return await confirm({ message: question, default: false }, { output: process.stderr });
      } catch {
        // Ctrl-C at the prompt: a no.
        return false;
      }
    },
    interactive: process.stdin.isTTY === true && process.stderr.isTTY === true,
    progress: (line) => process.stderr.write(`${line}\n`),
    print: (text) => process.stdout.write(text),
  };
}
