import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { inspectArtifact } from '@ferrule/toolchain/artifact';
import { readZipEntries, readZipEntry, readZipSizes, type ZipEntry } from '@ferrule/toolchain/zip';
import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { type BuildRequest, RustFunction, WorkspaceBuild } from '../lib/index.ts';
import { prepareImageContext } from '../lib/private/image.ts';
import { bootstrapZip, fakeArtifacts, makeZip, testStack, writeArtifacts } from './helpers.ts';

// Crates that are not in backend/functions: their environment is not compared with a manifest.
const CRATES = ['shop-api', 'shop-worker', 'shop-stream'];

/** A builder that writes every crate's zip where the real one would, and records each call. */
function fakeBuilder(crates: readonly string[] = CRATES) {
  const calls: BuildRequest[] = [];
  const builder = (request: BuildRequest) => {
    calls.push(request);
    for (const crate of crates) {
      mkdirSync(join(request.lambdaDir, crate), { recursive: true });
      writeFileSync(join(request.lambdaDir, crate, 'bootstrap.zip'), bootstrapZip);
    }
  };
  return { calls, builder };
}

function emptyDir(): string {
  return mkdtempSync(join(tmpdir(), 'ferrule-empty-'));
}

describe('WorkspaceBuild: one build per synth', () => {
  it('builds the workspace exactly once for an app with 3 functions', () => {
    const { calls, builder } = fakeBuilder();
    const artifactsDir = emptyDir();
    const app = new App();
    const workspace = WorkspaceBuild.configure(app, { artifactsDir, build: true, builder });
    const stack = new Stack(app, 'Orders');
    for (const crate of CRATES) new RustFunction(stack, crate, { crate });
    expect(workspace.buildCount).toBe(1);
    expect(calls).toEqual([
      {
        platform: { runtime: 'al2023', architecture: 'x86_64' },
        platformName: 'al2023-x86_64',
        lambdaDir: join(artifactsDir, 'al2023-x86_64'),
      },
    ]);
    Template.fromStack(stack).resourceCountIs('AWS::Lambda::Function', 3);
  });

  it('builds 0 times when the artifacts are prebuilt, even with building allowed', () => {
    const { calls, builder } = fakeBuilder();
    const app = new App();
    const workspace = WorkspaceBuild.configure(app, {
      artifactsDir: fakeArtifacts(['al2023-x86_64'], CRATES),
      build: true,
      builder,
    });
    const stack = new Stack(app, 'Orders');
    for (const crate of CRATES) new RustFunction(stack, crate, { crate });
    expect(workspace.buildCount).toBe(0);
    expect(calls).toHaveLength(0);
  });

  it('shares the build across stacks of the same app, and builds once per platform', () => {
    const { builder } = fakeBuilder();
    const app = new App();
    const workspace = WorkspaceBuild.configure(app, { artifactsDir: emptyDir(), build: true, builder });
    const one = new Stack(app, 'One');
    const two = new Stack(app, 'Two');
    new RustFunction(one, 'Api', { crate: 'shop-api' });
    new RustFunction(two, 'Worker', { crate: 'shop-worker' });
    new RustFunction(two, 'Arm', { crate: 'shop-stream', architecture: lambda.Architecture.ARM_64 });
    new RustFunction(one, 'Arm2', { crate: 'shop-api', architecture: lambda.Architecture.ARM_64 });
    expect(workspace.requests.map((r) => r.platformName)).toEqual(['al2023-x86_64', 'al2023-arm64']);
  });

  it('turns building on from context ferrule:build=true (string or boolean)', () => {
    for (const value of ['true', true]) {
      const { builder } = fakeBuilder();
      const app = new App({ context: { 'ferrule:build': value, 'ferrule:artifacts': emptyDir() } });
      const workspace = WorkspaceBuild.configure(app, { builder });
      expect(workspace.buildAllowed).toBe(true);
      new RustFunction(new Stack(app, 'S'), 'Api', { crate: 'shop-api' });
      expect(workspace.buildCount).toBe(1);
    }
  });

  it('reads prebuilt artifacts from context ferrule:artifacts', () => {
    const dir = fakeArtifacts(['al2023-x86_64'], ['shop-api']);
    const app = new App({ context: { 'ferrule:artifacts': dir } });
    const fn = new RustFunction(new Stack(app, 'S'), 'Api', { crate: 'shop-api' });
    expect(fn.artifactPath).toBe(join(dir, 'al2023-x86_64/shop-api/bootstrap.zip'));
    expect(WorkspaceBuild.of(app).buildCount).toBe(0);
  });

  it('lets one function ask for the build with the build prop', () => {
    const { builder } = fakeBuilder();
    const app = new App();
    const workspace = WorkspaceBuild.configure(app, { artifactsDir: emptyDir(), builder });
    expect(workspace.buildAllowed).toBe(false);
    new RustFunction(new Stack(app, 'S'), 'Api', { crate: 'shop-api', build: true });
    expect(workspace.buildCount).toBe(1);
  });

  it('names the build to run when the artifact is missing and building is off', () => {
    const { stack } = testStack({ artifactsDir: emptyDir() });
    expect(() => new RustFunction(stack, 'Fn', { crate: 'hello-http', runtime: 'al2' })).toThrow(
      /RustFunction Fn: no artifact for crate "hello-http" at .*al2-x86_64\/hello-http\/bootstrap\.zip; run `npx ferrule build --runtime al2 --arch x86_64` first, or synthesize with --context ferrule:build=true/,
    );
  });

  it('fails clearly when the build did not produce the crate (not a function crate)', () => {
    const { builder } = fakeBuilder(['shop-api']);
    const app = new App();
    WorkspaceBuild.configure(app, { artifactsDir: emptyDir(), build: true, builder });
    const stack = new Stack(app, 'S');
    expect(() => new RustFunction(stack, 'Typo', { crate: 'orders-apx' })).toThrow(
      /produced no artifact for crate "orders-apx".*backend\/functions/,
    );
    // The build is not repeated for the next missing crate either.
    expect(() => new RustFunction(stack, 'Typo2', { crate: 'orders-apy' })).toThrow(
      /even after this synth's workspace build/,
    );
    expect(WorkspaceBuild.of(app).buildCount).toBe(1);
  });

  it('rejects an invalid ferrule:build context value', () => {
    const app = new App({ context: { 'ferrule:build': 'yes' } });
    expect(() => WorkspaceBuild.of(app)).toThrow(/context ferrule:build must be true or false, not "yes"/);
  });

  it('refuses to be configured after a function resolved its artifact', () => {
    const { app, stack } = testStack();
    new RustFunction(stack, 'Fn', { crate: 'hello-http' });
    expect(() => WorkspaceBuild.configure(app, {})).toThrow(/configure the build before creating functions/);
  });

  it('the default builder refuses a custom artifacts folder rather than building elsewhere', () => {
    const app = new App();
    WorkspaceBuild.configure(app, { artifactsDir: emptyDir(), build: true });
    expect(() => new RustFunction(new Stack(app, 'S'), 'Fn', { crate: 'hello-http' })).toThrow(
      /the workspace build writes to .*dist\/lambda\/al2023-x86_64, but the artifacts are read from/,
    );
  });
});

describe('zip directory reader', () => {
  it.each([false, true])(
    'agrees with the emulator’s inspectArtifact on stored and deflated entries (zip64: %s)',
    async (zip64) => {
      const dir = emptyDir();
      const path = join(dir, 'bootstrap.zip');
      const entries = {
        bootstrap: { data: Buffer.alloc(300_000, 7) },
        'assets/config.json': { data: '{"a":1}', compress: false },
      };
      writeFileSync(path, await makeZip(entries, { zip64 }));
      const ours = readZipSizes(path);
      expect(ours).toEqual(await inspectArtifact(path));
      expect(ours.unzippedBytes).toBe(300_000 + 7);
      const { entries: read } = readZipEntries(path);
      expect(read.map((e) => [e.name, e.method, e.mode])).toEqual([
        ['bootstrap', 8, 0o755],
        ['assets/config.json', 0, 0o755],
      ]);
      expect(readZipEntry(path, read[0] as ZipEntry).equals(entries.bootstrap.data)).toBe(true);
    },
  );

  it('puts the other files of an oversized zip under the task root of the image', async () => {
    const path = join(emptyDir(), 'bootstrap.zip');
    writeFileSync(path, await makeZip({ bootstrap: { data: 'bin' }, 'templates/a.html': { data: '<p>' } }));
    const context = prepareImageContext(path, 'al2023', emptyDir());
    expect(readFileSync(join(context, 'Dockerfile'), 'utf8')).toMatch(
      /^COPY task\/ \$\{LAMBDA_TASK_ROOT\}\/$/m,
    );
    expect(readFileSync(join(context, 'task/templates/a.html'), 'utf8')).toBe('<p>');
    // Same zip, same folder: a second synth reuses it and the asset hash is stable.
    expect(prepareImageContext(path, 'al2023', dirname(dirname(context)))).toBe(context);
  });

  it('refuses an oversized zip without a bootstrap', async () => {
    const path = join(emptyDir(), 'bootstrap.zip');
    writeFileSync(path, await makeZip({ main: { data: 'bin' } }));
    expect(() => prepareImageContext(path, 'al2023', emptyDir())).toThrow(/has no `bootstrap` at its root/);
  });

  it('packages an unreadable artifact as a ZIP, with a warning', () => {
    const dir = emptyDir();
    mkdirSync(join(dir, 'al2023-x86_64/hello-http'), { recursive: true });
    writeFileSync(join(dir, 'al2023-x86_64/hello-http/bootstrap.zip'), 'not a zip');
    const { stack } = testStack({ artifactsDir: dir });
    const fn = new RustFunction(stack, 'Fn', { crate: 'hello-http' });
    expect(fn.packaging).toBe('zip');
    Annotations.fromStack(stack).hasWarning('/Test/Fn', Match.stringLikeRegexp('cannot read the sizes of'));
  });

  it('writes artifacts for several platforms with the helper', () => {
    const dir = emptyDir();
    writeArtifacts(dir, ['al2-x86_64'], ['a']);
    expect(readZipSizes(join(dir, 'al2-x86_64/a/bootstrap.zip')).zippedBytes).toBe(bootstrapZip.length);
  });
});
