// Test helpers: a moto server (the test bed's, or one of our own when run alone), and a cloud
// assembly written by hand whose functions are the emulator's test runtime (Node.js), so the
// local cloud is tested on real parts without building Rust.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yazl from 'yazl';
import { freePort } from '../src/cloud.ts';
import { LogSink } from '../src/log.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const runtimeScript = join(root, 'emulator/test/fixtures/runtime.mjs');

/** moto from the test bed (`npm test` sets AWS_ENDPOINT_URL), else a server started here. */
export async function motoEndpoint(): Promise<{ endpoint: string; stop: () => Promise<void> }> {
  if (process.env.AWS_ENDPOINT_URL) return { endpoint: process.env.AWS_ENDPOINT_URL, stop: async () => {} };
  if (!existsSync(join(root, '.venv/bin/moto_server'))) {
    throw new Error('moto is not installed in .venv: run `npm run setup`');
  }
  const port = await freePort();
  // As the toolchain starts it (toolchain/src/moto.ts): DynamoDB requests atomic.
  const child: ChildProcess = spawn(
    join(root, '.venv/bin/python'),
    [join(root, 'toolchain/moto/serve.py'), '-H', '127.0.0.1', '-p', String(port)],
    { stdio: 'ignore' },
  );
  const endpoint = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt += 1) {
    try {
      if ((await fetch(`${endpoint}/moto-api/`)).ok) break;
    } catch {
      if (attempt > 300) throw new Error('moto did not start');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    endpoint,
    stop: async () => {
      child.kill('SIGTERM');
    },
  };
}

/** A log sink that keeps every line, for assertions. */
export function memoryLog(): { sink: LogSink; lines: string[] } {
  const lines: string[] = [];
  return {
    sink: new LogSink({ json: true, write: (text) => lines.push(...text.trimEnd().split('\n')) }),
    lines,
  };
}

/** A zip whose `bootstrap` runs the emulator's test runtime (behaviour from TEST_MODE). */
async function writeArtifact(path: string): Promise<void> {
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from(`#!/bin/sh\nexec "${process.execPath}" "${runtimeScript}"\n`), 'bootstrap', {
    mode: 0o100755,
  });
  await new Promise<void>((resolve, reject) => {
    zip.outputStream.pipe(createWriteStream(path)).on('close', resolve).on('error', reject);
    zip.end();
  });
}

type Resources = Record<
  string,
  { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }
>;

/** A function resource running the test runtime in `mode`, as CDK writes one. */
export function testFunction(crate: string, mode: string, extra: Record<string, unknown> = {}) {
  return {
    Type: 'AWS::Lambda::Function',
    Properties: {
      Runtime: 'provided.al2023',
      Handler: 'bootstrap',
      MemorySize: 256,
      Timeout: 5,
      Architectures: ['x86_64'],
      LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'INFO' },
      Code: { S3Bucket: 'assets', S3Key: 'runtime.zip' },
      ...extra,
      Environment: {
        Variables: {
          TEST_MODE: mode,
          ...((extra.Environment as { Variables?: object } | undefined)?.Variables ?? {}),
        },
      },
    },
    Metadata: { 'aws:asset:path': 'asset.runtime.zip', 'ferrule:crate': crate },
  };
}

/** Writes a cloud assembly (manifest, templates, the runtime asset) and returns its folder. */
export async function writeAssembly(stacks: Record<string, Resources>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ferrule-local-cloud-'));
  mkdirSync(dir, { recursive: true });
  await writeArtifact(join(dir, 'asset.runtime.zip'));
  const artifacts: Record<string, unknown> = {};
  for (const [name, resources] of Object.entries(stacks)) {
    writeFileSync(join(dir, `${name}.template.json`), JSON.stringify({ Resources: resources }, null, 2));
    artifacts[name] = {
      type: 'aws:cloudformation:stack',
      properties: { templateFile: `${name}.template.json` },
    };
  }
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ version: '48.0.0', artifacts }, null, 2));
  return dir;
}

/** Polls `check` until it returns a value (what a test waits for happens asynchronously). */
export async function eventually<T>(
  check: () => Promise<T | undefined> | T | undefined,
  what: string,
  tries = 200,
): Promise<T> {
  for (let attempt = 0; attempt < tries; attempt += 1) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not happen`);
}
