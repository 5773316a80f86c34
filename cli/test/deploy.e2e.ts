// `ferrule deploy` into moto's CloudFormation: bootstrap, then the whole command (STS, one synth
// with every rule pack and the checks, cdk diff, the IAM report, cdk deploy) against a fresh
// moto; then the IAM gate against a narrower deployed stack. What moto's CloudFormation takes
// and what it does not is in docs/deploy.md ("What a deployment into moto proves").
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  CloudFormationClient,
  DeleteStackCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
} from '@aws-sdk/client-cloudformation';
import { type MotoServer, startMoto } from '@ferrule/toolchain/moto';
import { runCommand } from '@ferrule/toolchain/process';
import { artifactPath, paths, projectRoot, toolEnvironment } from '@ferrule/toolchain/project';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFerrule } from './run-ferrule.ts';

const cdk = join(projectRoot, 'node_modules/.bin/cdk');
const missing = [
  existsSync(join(paths.venvBin, 'moto_server')) ? '' : 'moto_server in .venv',
  existsSync(cdk) ? '' : 'the aws-cdk CLI in node_modules',
].filter(Boolean);
const STACK = 'FerruleHello-dev';
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';

describe.skipIf(missing.length > 0)(
  `ferrule deploy into moto's CloudFormation${missing.length > 0 ? ` (skipped: no ${missing.join(', no ')}; run npm run setup)` : ''}`,
  () => {
    let moto: MotoServer;
    let env: Record<string, string>;
    let cloudFormation: CloudFormationClient;
    const outdir = mkdtempSync(join(tmpdir(), 'ferrule-deploy-e2e-'));
    const scratch = mkdtempSync(join(tmpdir(), 'ferrule-deploy-previous-'));

    const ferrule = (...args: string[]) => runFerrule(args, { env, timeoutMs: 450_000 });
    const cdkRun = (...args: string[]) =>
      runCommand(cdk, [...args, '--no-notices'], { cwd: paths.infrastructure, env: toolEnvironment(env) });
    const deployedTemplate = async () =>
      JSON.parse(
        (await cloudFormation.send(new GetTemplateCommand({ StackName: STACK }))).TemplateBody ?? '{}',
      ) as unknown;

    beforeAll(async () => {
      if (!existsSync(artifactPath('hello-http'))) {
        throw new Error('no artifacts in dist/lambda/al2023-x86_64: run `npx ferrule build` first');
      }
      moto = await startMoto();
      // `localhost`, not 127.0.0.1: cdk hands CloudFormation the template as <endpoint>/<bucket>/<key>,
      // and moto reads the bucket from the path only when the host is localhost (else from the host).
      const endpoint = moto.endpoint.replace('127.0.0.1', 'localhost');
      env = { ...moto.environment, AWS_ENDPOINT_URL: endpoint, AWS_PROFILE: '', NO_COLOR: '1' };
      cloudFormation = new CloudFormationClient({
        endpoint,
        region: REGION,
        credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      });
      // Once per account and region, as on AWS: the asset bucket, the roles, the version parameter.
      const bootstrap = await cdkRun('bootstrap', `aws://${ACCOUNT}/${REGION}`);
      expect(bootstrap.code, bootstrap.output).toBe(0);
    }, 240_000);

    afterAll(async () => {
      cloudFormation?.destroy();
      await moto?.stop();
      rmSync(outdir, { recursive: true, force: true });
      rmSync(scratch, { recursive: true, force: true });
    });

    it('deploys FerruleHello: the account, the checks, the diff, every grant new, then the stack in CloudFormation', async () => {
      // --no-build: the e2e group builds the artifacts first; this test never compiles.
      const started = performance.now();
      const run = ferrule('deploy', 'FerruleHello', '--yes', '--no-build', '--output', outdir);
      const seconds = (performance.now() - started) / 1000;
      process.stderr.write(`ferrule deploy FerruleHello into moto: ${seconds.toFixed(1)} s\n`);
      expect(run.code, run.stderr.slice(-4000)).toBe(0);
      expect(run.stderr).toContain(`==> deploying to account ${ACCOUNT}, region ${REGION}`);
      expect(run.stderr).toContain(`==> checks passed: no error in ${STACK}`);
      expect(run.stdout).toContain(`${STACK} (nothing deployed yet: every grant is new)`);
      expect(run.stdout).toContain('+ logs:PutLogEvents on HelloHttpLogGroup');

      const described = await cloudFormation.send(new DescribeStacksCommand({ StackName: STACK }));
      expect(described.Stacks?.[0]?.StackStatus).toBe('CREATE_COMPLETE');
      // CloudFormation holds the checked template, byte for byte as JSON.
      expect(await deployedTemplate()).toEqual(
        JSON.parse(readFileSync(join(outdir, `${STACK}.template.json`), 'utf8')),
      );
      const { StackResources = [] } = await cloudFormation.send(
        new DescribeStackResourcesCommand({ StackName: STACK }),
      );
      const created = (type: string) =>
        StackResources.filter((r) => r.ResourceType === type && r.ResourceStatus === 'CREATE_COMPLETE').map(
          (r) => r.PhysicalResourceId,
        );
      // The function was created from the zip cdk published to the bootstrap bucket.
      expect(created('AWS::Lambda::Function')).toEqual([
        expect.stringMatching(/^FerruleHello-dev-HelloHttp[0-9A-F]{8}-/),
      ]);
      expect(created('AWS::IAM::Role')).toHaveLength(1);
      expect(created('AWS::IAM::Policy')).toHaveLength(1);
    }, 480_000);

    it('refuses without a terminal when IAM widens against the deployed stack, naming exactly the new grant', async () => {
      // The deployed stack of the previous test goes; a narrower one (no logs:PutLogEvents) takes
      // its place, deployed by cdk from a copy of the assembly. moto cannot update a stack through
      // cdk (docs/deploy.md), so "previous" is a fresh stack here.
      await cloudFormation.send(new DeleteStackCommand({ StackName: STACK }));
      const previous = narrowerAssembly(outdir, join(scratch, 'previous'), STACK, 'logs:PutLogEvents');
      const prior = await cdkRun('deploy', '--app', previous, STACK, '--require-approval', 'never');
      expect(prior.code, prior.output).toBe(0);

      const run = ferrule('deploy', 'FerruleHello', '--no-build', '--output', outdir);
      expect(run.code, run.stderr.slice(-4000)).toBe(1);
      expect(run.stderr.trim().split('\n').at(-1)).toBe(
        'ferrule: error: IAM widens (1 new grant, listed above) and there is no terminal to ask on: review them, then pass --yes to deploy',
      );
      expect(run.stdout).toContain(
        `IAM widens: 1 new grant on 1 role\n  ${STACK}\n    HelloHttpServiceRole\n`,
      );
      expect(
        run.stdout
          .split('\n')
          .map((line) => line.trim())
          .filter((line) => line.startsWith('+ ')),
      ).toEqual(['+ logs:PutLogEvents on HelloHttpLogGroup']);
      // Nothing was deployed: CloudFormation still holds the narrower template.
      expect(JSON.stringify(await deployedTemplate())).not.toContain('logs:PutLogEvents');
    }, 480_000);
  },
);

/**
 * A copy of the assembly in `source` whose `stack` template lacks `action` in every role policy.
 * Its template is published under a new key (the hash of the new text), as a synth would name it.
 */
function narrowerAssembly(source: string, target: string, stack: string, action: string): string {
  cpSync(source, target, { recursive: true });
  const templateFile = join(target, `${stack}.template.json`);
  const template = JSON.parse(readFileSync(templateFile, 'utf8')) as {
    Resources: Record<
      string,
      { Type: string; Properties?: { PolicyDocument?: { Statement: { Action: unknown }[] } } }
    >;
  };
  for (const resource of Object.values(template.Resources)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    for (const statement of resource.Properties?.PolicyDocument?.Statement ?? []) {
      if (Array.isArray(statement.Action)) statement.Action = statement.Action.filter((a) => a !== action);
    }
  }
  const text = JSON.stringify(template, null, 1);
  if (text.includes(`"${action}"`)) throw new Error(`${action} is left in ${stack}`);
  writeFileSync(templateFile, text);
  const assetsFile = join(target, `${stack}.assets.json`);
  const assets = JSON.parse(readFileSync(assetsFile, 'utf8')) as {
    files: Record<string, { source: { path: string } }>;
  };
  const [oldKey] =
    Object.entries(assets.files).find(([, file]) => file.source.path === `${stack}.template.json`) ?? [];
  if (!oldKey) throw new Error(`no template asset in ${assetsFile}`);
  const newKey = createHash('sha256').update(text).digest('hex');
  for (const file of [assetsFile, join(target, 'manifest.json')]) {
    writeFileSync(file, readFileSync(file, 'utf8').replaceAll(oldKey, newKey));
  }
  return target;
}
