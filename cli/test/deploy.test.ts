// `ferrule deploy` without AWS: the cdk command lines, the IAM widening against a previous
// template of the real app (synthesized in memory from infrastructure/), the refusal on check
// errors and the confirmation rules, with the AWS, cdk and terminal steps replaced.
// deploy.e2e.ts deploys into moto's CloudFormation.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { paths, projectRoot } from '@ferrule/toolchain/project';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  HelloStack,
  ORDERS_CRATES,
  OrdersStack,
  parsePlatform,
  WorkspaceBuild,
} from '../../infrastructure/lib/index.ts';
import { fakeArtifacts } from '../../infrastructure/test/helpers.ts';
import type { CheckFinding, CheckOptions, CheckReport } from '../src/check.ts';
import {
  type AwsTarget,
  approval,
  cdkCommandLines,
  type DeployOptions,
  type DeploySteps,
  deployAssemblyDir,
  runDeploy,
  selectStacks,
} from '../src/deploy.ts';
import { CliError } from '../src/errors.ts';
import { type CloudFormationTemplate, iamWidens, stackWidening } from '../src/iam/widening.ts';
import { runFerrule } from './run-ferrule.ts';

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;
interface PolicyStatement {
  Action?: string | string[];
  Resource?: unknown;
  Effect?: string;
}

interface AppTemplates {
  readonly hello: CloudFormationTemplate;
  readonly orders: CloudFormationTemplate;
}
let synthesized: AppTemplates | undefined;

/** The app's stacks as `cdk synth` makes them (cdk.json's feature flags), from placeholder artifacts. */
function appTemplates(): AppTemplates {
  synthesized ??= synthesizeApp();
  return synthesized;
}

function synthesizeApp(): AppTemplates {
  const cdkJson = JSON.parse(readFileSync(join(projectRoot, 'infrastructure/cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  // Construct paths in the metadata, as the CDK CLI asks for: roles and resources are named by them.
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:enable-path-metadata': true } });
  const artifactsDir = fakeArtifacts(['al2023-x86_64'], ['hello-http', ...ORDERS_CRATES]);
  WorkspaceBuild.configure(app, { artifactsDir });
  const platform = parsePlatform('al2023-x86_64');
  const hello = new HelloStack(app, 'FerruleHello-dev', { platform, artifactsDir });
  const orders = new OrdersStack(app, 'FerruleOrders-dev', { platform, artifactsDir });
  return {
    hello: Template.fromStack(hello).toJSON() as CloudFormationTemplate,
    orders: Template.fromStack(orders).toJSON() as CloudFormationTemplate,
  };
}

/** The policy statements attached to the role whose construct path starts with `rolePath`. */
function roleStatements(template: CloudFormationTemplate, rolePath: string): PolicyStatement[] {
  const resources = template.Resources as Resources;
  const roleId = Object.keys(resources).find(
    (id) => resources[id]?.Type === 'AWS::IAM::Role' && id.startsWith(rolePath.replace(/\//g, '')),
  );
  if (!roleId) throw new Error(`no role ${rolePath}`);
  return Object.values(resources)
    .filter(
      (r) =>
        r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties?.Roles ?? []).includes(`"${roleId}"`),
    )
    .flatMap(
      (r) => (r.Properties?.PolicyDocument as { Statement: PolicyStatement[] } | undefined)?.Statement ?? [],
    );
}

function withoutAction(
  template: CloudFormationTemplate,
  rolePath: string,
  action: string,
): CloudFormationTemplate {
  const previous = structuredClone(template);
  let removed = 0;
  for (const statement of roleStatements(previous, rolePath)) {
    const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
    if (!actions.includes(action)) continue;
    statement.Action = actions.filter((a): a is string => a !== undefined && a !== action);
    removed++;
  }
  if (removed === 0) throw new Error(`${rolePath} does not grant ${action}`);
  return previous;
}

describe('the cdk command lines', () => {
  it('diffs and deploys exactly the selected stacks of the checked assembly, never asking cdk to approve', () => {
    const outdir = '/repo/cdk.out/deploy-dev';
    expect(cdkCommandLines({ outdir, stacks: ['FerruleHello-dev', 'FerruleOrders-dev'] })).toEqual({
      diff: ['diff', '--app', outdir, '--no-notices', 'FerruleHello-dev', 'FerruleOrders-dev'],
      deploy: [
        'deploy',
        '--app',
        outdir,
        '--no-notices',
        '--require-approval',
        'never',
        'FerruleHello-dev',
        'FerruleOrders-dev',
      ],
    });
  });

  it('passes --profile to both', () => {
    const lines = cdkCommandLines({ outdir: '/a', stacks: ['S-prod'], profile: 'prod-admin' });
    expect(lines.diff).toEqual(['diff', '--app', '/a', '--no-notices', '--profile', 'prod-admin', 'S-prod']);
    expect(lines.deploy.slice(0, 6)).toEqual([
      'deploy',
      '--app',
      '/a',
      '--no-notices',
      '--profile',
      'prod-admin',
    ]);
  });

  it('synthesizes each stage into its own folder beside cdk.out', () => {
    expect(deployAssemblyDir('prod')).toBe(join(paths.cdkOut, 'deploy-prod'));
  });
});

describe('stack selection', () => {
  const all = ['FerruleHello-dev', 'FerruleOrders-dev'].map((id) => ({
    id,
    stackName: id,
    templatePath: `${id}.template.json`,
  }));

  it('takes every stack by default, a name with or without the stage otherwise', () => {
    expect(selectStacks(all, [], 'dev').map((s) => s.id)).toEqual(['FerruleHello-dev', 'FerruleOrders-dev']);
    expect(selectStacks(all, ['FerruleOrders'], 'dev').map((s) => s.id)).toEqual(['FerruleOrders-dev']);
    expect(selectStacks(all, ['FerruleHello-dev'], 'dev').map((s) => s.id)).toEqual(['FerruleHello-dev']);
  });

  it('refuses an unknown stack with the list of stacks (a usage error)', () => {
    let error: unknown;
    try {
      selectStacks(all, ['Nope'], 'dev');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    expect((error as CliError).message).toBe(
      'no stack `Nope` in the dev stage; its stacks are: FerruleHello-dev, FerruleOrders-dev',
    );
  });
});

describe('IAM widening against a previous template of the app', () => {
  let app: AppTemplates;
  beforeAll(() => {
    app = appTemplates();
  });

  it('lists exactly the action a role gains: OrdersApi gets dynamodb:PutItem back', () => {
    const previous = withoutAction(app.orders, 'OrdersApiServiceRole', 'dynamodb:PutItem');
    const widening = stackWidening('FerruleOrders-dev', app.orders, previous);
    expect(widening).toEqual({
      stack: 'FerruleOrders-dev',
      deployed: true,
      roles: [
        {
          role: 'OrdersApiServiceRole',
          logicalId: expect.stringMatching(/^OrdersApiServiceRole/),
          newRole: false,
          grants: [{ action: 'dynamodb:PutItem', resource: 'OrdersTable/Table' }],
          managedPolicies: [],
          trust: [],
        },
      ],
    });
    expect(iamWidens([widening])).toBe(true);
  });

  it('finds no widening when the template is the deployed one, or when a role loses a grant', () => {
    expect(stackWidening('FerruleOrders-dev', app.orders, app.orders).roles).toEqual([]);
    const narrower = withoutAction(app.orders, 'OrdersApiServiceRole', 'dynamodb:PutItem');
    expect(stackWidening('FerruleOrders-dev', narrower, app.orders).roles).toEqual([]);
  });

  it('counts every grant and trust as new when nothing is deployed', () => {
    const widening = stackWidening('FerruleHello-dev', app.hello, undefined);
    expect(widening.deployed).toBe(false);
    expect(widening.roles).toEqual([
      {
        role: 'HelloHttpServiceRole',
        logicalId: expect.stringMatching(/^HelloHttpServiceRole/),
        newRole: true,
        grants: [
          { action: 'xray:PutTelemetryRecords', resource: '*' },
          { action: 'xray:PutTraceSegments', resource: '*' },
          { action: 'logs:CreateLogStream', resource: 'HelloHttpLogGroup' },
          { action: 'logs:PutLogEvents', resource: 'HelloHttpLogGroup' },
        ],
        managedPolicies: [],
        trust: ['sts:AssumeRole by Service:lambda.amazonaws.com'],
      },
    ]);
  });

  it('does not count a grant that a wildcard of the deployed role already covers', () => {
    const previous = structuredClone(app.orders);
    for (const statement of roleStatements(previous, 'OrdersApiServiceRole')) {
      const actions = [statement.Action].flat();
      if (actions.some((a) => a?.startsWith('dynamodb:'))) statement.Action = 'dynamodb:*';
    }
    expect(stackWidening('FerruleOrders-dev', app.orders, previous).roles).toEqual([]);
    // ...and the other way round, the wildcard is new.
    const [role] = stackWidening('FerruleOrders-dev', previous, app.orders).roles;
    expect(role?.grants.map((g) => g.action)).toEqual(['dynamodb:*']);
  });

  it('reports a new managed policy, a new principal in the trust policy and a dropped condition', () => {
    const role = (extra: Record<string, unknown>, condition?: unknown): CloudFormationTemplate => ({
      Resources: {
        Role: {
          Type: 'AWS::IAM::Role',
          Properties: {
            AssumeRolePolicyDocument: {
              Statement: [
                { Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: 'lambda.amazonaws.com' } },
              ],
            },
            Policies: [
              {
                PolicyName: 'p',
                PolicyDocument: {
                  Statement: [
                    {
                      Effect: 'Allow',
                      Action: 's3:GetObject',
                      Resource: 'arn:aws:s3:::bucket/*',
                      ...(condition ? { Condition: condition } : {}),
                    },
                  ],
                },
              },
            ],
            ...extra,
          },
        },
      },
    });
    const condition = { StringEquals: { 'aws:PrincipalAccount': '123456789012' } };
    const previous = role({}, condition);
    const next = role(
      {
        ManagedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'],
        AssumeRolePolicyDocument: {
          Statement: [
            {
              Effect: 'Allow',
              Action: 'sts:AssumeRole',
              Principal: { Service: ['lambda.amazonaws.com', 'ec2.amazonaws.com'] },
            },
          ],
        },
      },
      undefined,
    );
    expect(stackWidening('S', next, previous).roles).toEqual([
      {
        role: 'Role',
        logicalId: 'Role',
        newRole: false,
        grants: [{ action: 's3:GetObject', resource: 'arn:aws:s3:::bucket/*' }],
        managedPolicies: ['arn:aws:iam::aws:policy/AdministratorAccess'],
        trust: ['sts:AssumeRole by Service:ec2.amazonaws.com'],
      },
    ]);
    // The same condition, in another key order, is the same grant.
    const reordered = role({}, { StringEquals: { 'aws:PrincipalAccount': '123456789012' } });
    expect(stackWidening('S', reordered, previous).roles).toEqual([]);
  });
});

describe('confirmation', () => {
  it('proceeds when IAM does not widen or with --yes, asks on a terminal, refuses without one', () => {
    expect(approval({ widens: false, yes: false, interactive: false })).toBe('proceed');
    expect(approval({ widens: true, yes: true, interactive: false })).toBe('proceed');
    expect(approval({ widens: true, yes: false, interactive: true })).toBe('ask');
    expect(approval({ widens: true, yes: false, interactive: false })).toBe('refuse');
  });
});

describe('runDeploy with its steps replaced', () => {
  const target: AwsTarget = {
    account: '123456789012',
    region: 'eu-west-1',
    arn: 'arn:aws:iam::123456789012:user/dev',
  };
  let outdir: string;
  let template: CloudFormationTemplate;

  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'ferrule-deploy-'));
    template = appTemplates().hello;
    mkdirSync(outdir, { recursive: true });
    writeFileSync(join(outdir, 'FerruleHello-dev.template.json'), JSON.stringify(template));
    writeFileSync(
      join(outdir, 'manifest.json'),
      JSON.stringify({
        version: '55.0.0',
        artifacts: {
          'FerruleHello-dev': {
            type: 'aws:cloudformation:stack',
            properties: { templateFile: 'FerruleHello-dev.template.json' },
          },
          'FerruleHello-dev.assets': { type: 'cdk:asset-manifest', properties: { file: 'x.assets.json' } },
        },
      }),
    );
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  const report = (findings: CheckFinding[] = []): CheckReport => ({
    ok: !findings.some((f) => f.level === 'error'),
    errors: findings.filter((f) => f.level === 'error').length,
    warnings: findings.filter((f) => f.level === 'warning').length,
    strict: false,
    checks: [],
    templates: [],
    groups: [
      {
        crate: 'hello-http',
        constructPath: 'FerruleHello-dev/HelloHttp',
        stack: 'FerruleHello-dev',
        kind: 'function',
        findings,
      },
    ],
    iam: [],
  });

  interface Recorded {
    steps: DeploySteps;
    cdk: string[][];
    questions: string[];
    built: number;
    checked: CheckOptions[];
    stderr: string[];
    stdout: string[];
  }

  function fakeSteps(options: {
    findings?: CheckFinding[];
    deployed?: CloudFormationTemplate;
    interactive?: boolean;
    answer?: boolean;
    cdkExit?: (args: readonly string[]) => number;
  }): Recorded {
    const recorded: Recorded = {
      cdk: [],
      questions: [],
      built: 0,
      checked: [],
      stderr: [],
      stdout: [],
      steps: undefined as unknown as DeploySteps,
    };
    recorded.steps = {
      build: async () => {
        recorded.built++;
      },
      check: async (checkOptions) => {
        recorded.checked.push(checkOptions);
        return report(options.findings);
      },
      target: async () => target,
      deployedTemplate: async () => options.deployed,
      cdk: async (args) => {
        recorded.cdk.push([...args]);
        return options.cdkExit?.(args) ?? 0;
      },
      confirm: async (question) => {
        recorded.questions.push(question);
        return options.answer ?? false;
      },
      interactive: options.interactive ?? false,
      progress: (line) => recorded.stderr.push(line),
      print: (text) => recorded.stdout.push(text),
    };
    return recorded;
  }

  const deploy = (recorded: Recorded, options: Partial<DeployOptions> = {}) =>
    runDeploy({ stage: 'dev', stacks: ['FerruleHello'], outdir, ...options }, recorded.steps);

  const error: CheckFinding = {
    source: 'ADR002',
    rule: 'ADR002-JsonLogs',
    level: 'error',
    stack: 'FerruleHello-dev',
    constructPath: 'FerruleHello-dev/HelloHttp/Resource',
    message: 'The function does not log JSON.',
    fix: 'Use RustFunction.',
  };

  it('refuses to deploy on a check error in a stack it deploys: one line, the findings, no cdk at all', async () => {
    const recorded = fakeSteps({ findings: [error] });
    await expect(deploy(recorded, { yes: true })).rejects.toThrow(
      new CliError(
        'refusing to deploy: the checks found 1 error in FerruleHello-dev (listed above; `npx ferrule check` shows each with its fix)',
        1,
      ),
    );
    expect(recorded.cdk).toEqual([]);
    expect(recorded.stderr.join('\n')).toContain(
      'error ADR002-JsonLogs (ADR002) on FerruleHello-dev/HelloHttp/Resource',
    );
  });

  it('is not held back by warnings or by errors in a stack it does not deploy', async () => {
    const recorded = fakeSteps({
      findings: [
        { ...error, level: 'warning', rule: 'W3005', source: 'cfn-lint' },
        { ...error, stack: 'FerruleOrders-dev', constructPath: 'FerruleOrders-dev/OrdersApi' },
      ],
    });
    const result = await deploy(recorded, { yes: true });
    expect(result.deployed).toBe(true);
    expect(recorded.stderr).toContain(
      '==> checks passed: no error in FerruleHello-dev, 1 error in stacks not deployed, 1 warning (npx ferrule check lists them)',
    );
  });

  it('checks the stage it deploys, into the assembly it then hands to cdk', async () => {
    const recorded = fakeSteps({ deployed: template });
    await deploy(recorded, { context: { 'ferrule:shippingBaseUrl': 'https://carrier.example.net' } });
    expect(recorded.built).toBe(1);
    expect(recorded.checked[0]).toMatchObject({
      outdir,
      context: { 'ferrule:shippingBaseUrl': 'https://carrier.example.net', 'ferrule:stage': 'dev' },
    });
    expect(recorded.cdk.map((args) => args.slice(0, 3))).toEqual([
      ['diff', '--app', outdir],
      ['deploy', '--app', outdir],
    ]);
  });

  it('deploys without asking when IAM does not widen, even without a terminal', async () => {
    const recorded = fakeSteps({ deployed: template, interactive: false });
    const result = await deploy(recorded);
    expect(result.deployed).toBe(true);
    expect(recorded.questions).toEqual([]);
    expect(recorded.stdout.join('')).toContain('IAM does not widen');
  });

  it('refuses without a terminal when IAM widens, naming --yes; diffs but never deploys', async () => {
    const previous = withoutAction(template, 'HelloHttpServiceRole', 'logs:PutLogEvents');
    const recorded = fakeSteps({ deployed: previous, interactive: false });
    await expect(deploy(recorded)).rejects.toThrow(
      'IAM widens (1 new grant, listed above) and there is no terminal to ask on: review them, then pass --yes to deploy',
    );
    expect(recorded.cdk.map((args) => args[0])).toEqual(['diff']);
    expect(recorded.stdout.join('')).toBe(
      'IAM widens: 1 new grant on 1 role\n  FerruleHello-dev\n    HelloHttpServiceRole\n      + logs:PutLogEvents on HelloHttpLogGroup\n',
    );
  });

  it('deploys with --yes when IAM widens, without asking', async () => {
    const recorded = fakeSteps({ deployed: undefined, interactive: true });
    const result = await deploy(recorded, { yes: true });
    expect(result.deployed).toBe(true);
    expect(recorded.questions).toEqual([]);
    expect(recorded.cdk.map((args) => args[0])).toEqual(['diff', 'deploy']);
  });

  it('asks on a terminal when IAM widens, and deploys only on yes', async () => {
    const declined = fakeSteps({ deployed: undefined, interactive: true, answer: false });
    await expect(deploy(declined)).rejects.toThrow('not deployed: the deployment was declined');
    expect(declined.questions).toEqual([
      'IAM widens. Deploy FerruleHello-dev to account 123456789012 (eu-west-1)?',
    ]);
    expect(declined.cdk.map((args) => args[0])).toEqual(['diff']);

    const accepted = fakeSteps({ deployed: undefined, interactive: true, answer: true });
    expect((await deploy(accepted)).deployed).toBe(true);
    expect(accepted.cdk.map((args) => args[0])).toEqual(['diff', 'deploy']);
  });

  it('stops after the diff and the IAM report with --dry-run', async () => {
    const recorded = fakeSteps({ deployed: undefined, interactive: false });
    const result = await deploy(recorded, { dryRun: true });
    expect(result).toMatchObject({ deployed: false, stacks: ['FerruleHello-dev'] });
    expect(recorded.cdk.map((args) => args[0])).toEqual(['diff']);
    expect(recorded.stdout.join('')).toContain('(nothing deployed yet: every grant is new)');
  });

  it('skips the build with build: false, and turns a failed cdk into one line', async () => {
    const recorded = fakeSteps({ deployed: template, cdkExit: (args) => (args[0] === 'deploy' ? 1 : 0) });
    await expect(deploy(recorded, { build: false })).rejects.toThrow(
      'cdk deploy failed (exit 1); its output is above (docs/deploy.md, "When it fails")',
    );
    expect(recorded.built).toBe(0);
  });
});

describe('ferrule deploy on the command line', () => {
  it('refuses a bad stage or context before it talks to AWS (usage, exit 2, one line)', () => {
    const env = { NO_COLOR: '1', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' };
    const stage = runFerrule(['deploy', '--stage', 'Prod!'], { env });
    expect(stage.code).toBe(2);
    expect(stage.stderr).toBe(
      'ferrule: error: --stage must be a lowercase name such as dev or prod, not `Prod!`\n',
    );
    const context = runFerrule(['deploy', '--context', 'no-value'], { env });
    expect(context.code).toBe(2);
    expect(context.stderr).toBe('ferrule: error: --context takes key=value, not `no-value`\n');
  });

  it('is listed in the help of ferrule', () => {
    const help = runFerrule(['--help']);
    expect(help.stdout).toMatch(/^ {2}deploy \[options\] \[stacks\.\.\.\]/m);
  });
});
