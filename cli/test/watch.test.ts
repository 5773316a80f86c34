// Watch mode as a user sees it, with the Rust build replaced by a fake one (a real build of the
// workspace takes minutes when its Cargo folder is cold): `start --watch` serves a change through
// the local HTTP API and swaps only the function whose binary changed; `invoke --watch` invokes
// again after a change; a failed build keeps the previous version. The functions run the
// emulator's test runtime, each "binary" a script that names its version in its environment.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalFunction } from '@ferrule/emulator';
import { defaultPlatform } from '@ferrule/toolchain/project';
import { afterAll, describe, expect, it } from 'vitest';
// Through the same path as the helpers' LogSink (a copy of the repository that links node_modules
// back to the original would otherwise see two LogSink declarations).
import { LocalCloud } from '../../local-cloud/src/index.ts';
import {
  eventually,
  memoryLog,
  motoEndpoint,
  testFunction,
  writeAssembly,
} from '../../local-cloud/test/helpers.ts';
import { startInvokeLoop } from '../src/invoke-watch.ts';
import {
  ignoredChange,
  startWatch,
  WATCH_PROFILE,
  type WatchBuild,
  watchBuild,
  watchBuildArgs,
} from '../src/watch.ts';

const runtimeScript = fileURLToPath(new URL('../../emulator/test/fixtures/runtime.mjs', import.meta.url));
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/**
 * A stand-in for cargo: each crate's "source" is `<sources>/<crate>.txt`; a build writes the
 * crate's binary only when its source changed (as cargo relinks only what a change reaches), and
 * fails on a source that reads `broken`.
 */
async function fakeBuild(crates: readonly string[]) {
  const sources = await mkdtemp(join(tmpdir(), 'ferrule-watch-src-'));
  const output = await mkdtemp(join(tmpdir(), 'ferrule-watch-bin-'));
  cleanups.push(async () => {
    await rm(sources, { recursive: true, force: true });
    await rm(output, { recursive: true, force: true });
  });
  for (const crate of crates) writeFileSync(join(sources, `${crate}.txt`), 'v1');
  const built = new Map<string, string>();
  let runs = 0;
  const build: WatchBuild = {
    command: `fake build --profile ${WATCH_PROFILE}`,
    run: async () => {
      runs += 1;
      const binaries = new Map<string, string>();
      const failures: string[] = [];
      for (const crate of crates) {
        const version = readFileSync(join(sources, `${crate}.txt`), 'utf8').trim();
        if (version === 'broken') {
          failures.push(`error[E0308]: mismatched types in ${crate}`);
          continue;
        }
        const binary = join(output, crate);
        if (built.get(crate) !== version) {
          writeFileSync(
            binary,
            `#!/bin/sh\nexport LAMBDA_TEST_VERSION=${version}\nexec "${process.execPath}" "${runtimeScript}"\n`,
          );
          chmodSync(binary, 0o755);
          built.set(crate, version);
        }
        binaries.set(crate, binary);
      }
      return failures.length > 0 ? { binaries, failure: failures.join('\n') } : { binaries };
    },
  };
  return {
    build,
    sources,
    runs: () => runs,
    edit: (crate: string, version: string) => writeFileSync(join(sources, `${crate}.txt`), version),
  };
}

describe('watch builds', () => {
  it('build for this machine with cargo on Linux, through cargo lambda and zig elsewhere, in the local profile', () => {
    const crates = ['hello-http', 'orders-api'];
    const linux = watchBuildArgs(defaultPlatform, crates, { os: 'linux', architecture: 'x86_64' });
    expect(linux.kind).toBe('host');
    expect(linux.args.slice(0, 3)).toEqual(['build', '--profile', 'local']);
    expect(linux.args).not.toContain('--target');
    expect(linux.args.join(' ')).toContain('--package hello-http --package orders-api');

    const mac = watchBuildArgs(defaultPlatform, crates, { os: 'darwin', architecture: 'x86_64' });
    expect(mac.kind).toBe('lambda');
    expect(mac.args.join(' ')).toContain(
      'lambda build --profile local --target x86_64-unknown-linux-gnu.2.26',
    );

    const otherArchitecture = watchBuildArgs(defaultPlatform, crates, { os: 'linux', architecture: 'arm64' });
    expect(otherArchitecture.kind).toBe('lambda');
    // The profile is in the line the output shows.
    expect(watchBuild(defaultPlatform, crates, { os: 'linux', architecture: 'x86_64' }).command).toContain(
      'cargo build --profile local',
    );
  });
});

describe('the files watched', () => {
  it('leave out build output and what editors and tools write beside a saved file', () => {
    for (const kept of [
      'functions/hello-http/src/lib.rs',
      'events/sqs/batch.json',
      'functions/a/src/sedan.rs',
    ]) {
      expect(ignoredChange(kept)).toBe(false);
    }
    for (const left of [
      'target/host/local/hello-http',
      'functions/a/src/lib.rs~',
      'functions/a/src/.lib.rs.swp',
      'functions/a/src/4913',
      'functions/a/src/.#lib.rs',
      'functions/a/src/lib.rs___jb_tmp___',
      'functions/a/src/sedAb12Cd',
    ]) {
      expect(ignoredChange(left)).toBe(true);
    }
  });
});

describe('ferrule start --watch', () => {
  it('serves a changed function from the next request, swaps only it, and keeps it through a failed build', async () => {
    const moto = await motoEndpoint();
    cleanups.push(moto.stop);
    const dir = await writeAssembly({
      WatchTest: {
        Echo: testFunction('echo', 'echo'),
        Other: testFunction('other', 'echo'),
        Api: { Type: 'AWS::ApiGatewayV2::Api', Properties: { Name: 'watch-test', ProtocolType: 'HTTP' } },
        Integration: {
          Type: 'AWS::ApiGatewayV2::Integration',
          Properties: {
            ApiId: { Ref: 'Api' },
            IntegrationType: 'AWS_PROXY',
            IntegrationUri: { 'Fn::GetAtt': ['Echo', 'Arn'] },
            PayloadFormatVersion: '2.0',
          },
        },
        Route: {
          Type: 'AWS::ApiGatewayV2::Route',
          Properties: {
            ApiId: { Ref: 'Api' },
            RouteKey: 'GET /echo',
            Target: { 'Fn::Join': ['', ['integrations/', { Ref: 'Integration' }]] },
          },
        },
      },
    });
    const { sink, lines } = memoryLog();
    const cloud = await LocalCloud.start({
      assemblyDir: dir,
      motoEndpoint: moto.endpoint,
      port: 0,
      endpointPort: 0,
      valuesFile: join(dir, 'values.json'),
      maxEnvironments: 1,
      log: sink,
    });
    cleanups.push(() => cloud.stop());
    const swapped: string[] = [];
    const recordingCloud = {
      useArtifact: (crate: string, artifact: string) => {
        swapped.push(crate);
        return cloud.useArtifact(crate, artifact);
      },
      reload: () => cloud.reload(),
    };
    const fake = await fakeBuild(['echo', 'other']);
    const infrastructure = await mkdtemp(join(tmpdir(), 'ferrule-watch-infra-'));
    cleanups.push(() => rm(infrastructure, { recursive: true, force: true }));
    const stop = startWatch({
      cloud: recordingCloud,
      platform: defaultPlatform,
      log: sink,
      build: fake.build,
      sources: { backend: fake.sources, infrastructure },
      debounceMs: 20,
    });
    cleanups.push(stop);
    await stop.watching;
    await eventually(
      () => lines.find((line) => line.includes('watch builds ready')),
      'the first watch build',
    );
    expect(lines.join('\n')).toContain('fake build --profile local');

    const api = cloud.current.apis[0];
    const version = async () => {
      const response = await fetch(`http://127.0.0.1:${api?.port}/echo`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { env: Record<string, string | undefined> };
      return body.env.LAMBDA_TEST_VERSION;
    };
    // The artifacts it started with serve until something changes.
    expect(await version()).toBeUndefined();
    expect(swapped).toEqual([]);

    fake.edit('echo', 'v2');
    await eventually(async () => ((await version()) === 'v2' ? true : undefined), 'the change serving');
    expect(swapped).toEqual(['echo']);
    expect(lines.join('\n')).toMatch(/echo\.txt changed: fake build --profile local/);

    const buildsBefore = fake.runs();
    fake.edit('echo', 'broken');
    await eventually(
      () => lines.find((line) => line.includes('did not build keep their previous version')),
      'the failed build reported',
    );
    expect(fake.runs()).toBeGreaterThan(buildsBefore);
    expect(lines.join('\n')).toContain('mismatched types in echo');
    expect(await version()).toBe('v2');
    expect(swapped).toEqual(['echo']);

    // A function that does not compile does not hold the others back.
    fake.edit('other', 'v2');
    await eventually(() => (swapped.includes('other') ? true : undefined), 'the other function swapped');
    expect(swapped).toEqual(['echo', 'other']);
    expect(await version()).toBe('v2');
  });
});

describe('ferrule invoke --watch', () => {
  it('invokes the fresh build, then again after each change; a failed build waits for the next change', async () => {
    const fake = await fakeBuild(['hello']);
    const zipDir = await mkdtemp(join(tmpdir(), 'ferrule-watch-zip-'));
    cleanups.push(() => rm(zipDir, { recursive: true, force: true }));
    const log: string[] = [];
    const versions: (string | undefined)[] = [];
    const loop = startInvokeLoop({
      crate: 'hello',
      build: fake.build,
      zipDir,
      folders: [fake.sources],
      debounceMs: 20,
      log: (line) => log.push(line),
      invoke: async (artifact) => {
        const fn = new LocalFunction({ name: 'hello', artifact, environment: { TEST_MODE: 'echo' } });
        try {
          const report = await fn.invoke('{"name":"Ada"}');
          const outcome = report.outcome;
          versions.push(
            outcome.kind === 'success'
              ? (outcome.json as { env: Record<string, string> }).env.LAMBDA_TEST_VERSION
              : 'error',
          );
        } finally {
          await fn.stop();
        }
      },
    });
    cleanups.push(() => loop.stop());
    await loop.watching;
    await eventually(() => (versions.length === 1 ? true : undefined), 'the first invocation');
    expect(versions).toEqual(['v1']);
    expect(log[0]).toContain('first build: fake build --profile local');

    fake.edit('hello', 'v2');
    await eventually(() => (versions.length === 2 ? true : undefined), 'the invocation after the change');
    expect(versions).toEqual(['v1', 'v2']);
    expect(log.join('\n')).toMatch(/hello\.txt changed: fake build/);

    fake.edit('hello', 'broken');
    await eventually(
      () => log.find((line) => line.includes('waiting for the next change')),
      'the failed build',
    );
    expect(versions).toEqual(['v1', 'v2']);

    fake.edit('hello', 'v3');
    await eventually(() => (versions.length === 3 ? true : undefined), 'the invocation after the fix');
    expect(versions).toEqual(['v1', 'v2', 'v3']);
    await loop.stop();
  });
});
