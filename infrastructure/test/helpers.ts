import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '@ferrule/toolchain/project';
import { App, Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import yazl from 'yazl';
import {
  Adr002Checks,
  FerruleServiceStack,
  OrdersStack,
  parsePlatform,
  type ServiceFunction,
  WorkspaceBuild,
  type WorkspaceBuildOptions,
  wireFunctions,
} from '../lib/index.ts';

/** A zip made by a real zipper (yazl), so the construct's directory reader is exercised for real. */
export function makeZip(
  entries: Record<string, { data: Buffer | string; mode?: number; compress?: boolean }>,
  options: { zip64?: boolean } = {},
) {
  return new Promise<Buffer>((resolve, reject) => {
    const zip = new yazl.ZipFile();
    for (const [name, entry] of Object.entries(entries)) {
      const data = typeof entry.data === 'string' ? Buffer.from(entry.data) : entry.data;
      zip.addBuffer(data, name, {
        mode: entry.mode ?? 0o100755,
        compress: entry.compress ?? true,
        forceZip64Format: options.zip64 ?? false,
      });
    }
    zip.end({ forceZip64Format: options.zip64 ?? false, comment: '' });
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (chunk: Buffer) => chunks.push(chunk));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

/** A small artifact: an executable `bootstrap` script, as cargo-lambda lays it out. */
export const bootstrapZip = await makeZip({
  bootstrap: { data: '#!/bin/sh\necho placeholder\n'.repeat(20) },
});

/** A folder laid out as `ferrule build` writes it (the build is not under test here). */
export function fakeArtifacts(
  platforms: readonly string[] = ['al2023-x86_64'],
  crates: readonly string[] = ['hello-http'],
): string {
  const dir = mkdtempSync(join(tmpdir(), 'ferrule-artifacts-'));
  writeArtifacts(dir, platforms, crates);
  return dir;
}

export function writeArtifacts(dir: string, platforms: readonly string[], crates: readonly string[]): void {
  for (const platform of platforms) {
    for (const crate of crates) {
      mkdirSync(join(dir, platform, crate), { recursive: true });
      writeFileSync(join(dir, platform, crate, 'bootstrap.zip'), bootstrapZip);
    }
  }
}

export interface TestStackOptions extends WorkspaceBuildOptions {
  readonly crates?: readonly string[];
  readonly platforms?: readonly string[];
  readonly context?: Record<string, unknown>;
}

/** An app whose WorkspaceBuild reads placeholder artifacts, and one stack in it. */
export function testStack(options: TestStackOptions = {}) {
  const app = new App({ context: options.context });
  const { crates, platforms, context: _, ...buildOptions } = options;
  const artifactsDir =
    options.artifactsDir ?? fakeArtifacts(platforms, crates ?? ['hello-http', 'worker', 'api']);
  const workspace = WorkspaceBuild.configure(app, { ...buildOptions, artifactsDir });
  const stack = new Stack(app, 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
  return { app, stack, workspace, artifactsDir };
}

type Statement = { Action: string | string[]; Resource: unknown };

/** The (action, resource) pairs of every statement of the role's inline policies, resolved. */
export function policyPairs(template: Record<string, unknown>, roleLogicalId: string): string[] {
  const resources = (
    template as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> }
  ).Resources;
  const pairs = new Set<string>();
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::IAM::Policy') continue;
    const roles = resource.Properties.Roles as { Ref: string }[];
    if (!roles.some((role) => role.Ref === roleLogicalId)) continue;
    const statements = (resource.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    for (const statement of statements) {
      const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
      const targets = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
      for (const action of actions)
        for (const target of targets) pairs.add(`${action} ${JSON.stringify(target)}`);
    }
  }
  return [...pairs].sort();
}

/** The same pairs from a list of grants (resolved with `stack.resolve`). */
export function grantPairs(
  grants: readonly { actions: readonly string[]; resources: readonly unknown[] }[],
): string[] {
  const pairs = new Set<string>();
  for (const grant of grants) {
    for (const action of grant.actions)
      for (const target of grant.resources) pairs.add(`${action} ${JSON.stringify(target)}`);
  }
  return [...pairs].sort();
}

/**
 * The app as bin/app.ts wires it: the reference service (stack `Orders`) and, once a function
 * names it, the `functions` service (stack `Functions`, resources created on first use), with
 * `functions` added to their services. Placeholder artifacts for the workspace's crates and `crates`.
 */
export function wiredApp(functions: readonly ServiceFunction[], crates: readonly string[] = []) {
  const app = new App();
  const platform = parsePlatform('al2023-x86_64');
  const artifactsDir = fakeArtifacts(
    ['al2023-x86_64'],
    [...readdirSync(join(projectRoot, 'backend/functions')), ...crates],
  );
  WorkspaceBuild.configure(app, { artifactsDir });
  const orders = new OrdersStack(app, 'Orders', { platform, stage: 'dev', artifactsDir });
  const stacks = wireFunctions(functions, new Map([['orders', orders]]), (service) =>
    service === 'functions'
      ? new FerruleServiceStack(app, 'Functions', {
          platform,
          stage: 'dev',
          artifactsDir,
          serviceName: 'functions',
          createOnFirstUse: true,
        })
      : undefined,
  );
  return { app, orders, functions: stacks.get('functions') };
}

/** Each rule pack's unacknowledged findings on the app, as `<rule> <construct path>`. */
export function ruleFindings(app: App): string[] {
  return [new AwsSolutionsChecks(), new ServerlessChecks(), new Adr002Checks()].flatMap((pack) =>
    pack
      .validateScope(app)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`)),
  );
}
