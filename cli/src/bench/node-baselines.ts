// The Node.js 20 baselines, packaged the way CDK's NodejsFunction packages a handler: one
// esbuild bundle (CommonJS, node20 target, dependencies inlined) as index.js, zipped. The
// AWS SDK is bundled too: NodejsFunction leaves `@aws-sdk/*` out for Node.js 18+ runtimes
// because the managed runtime ships a copy, but our `bootstrap` has no managed runtime
// around it, and bundling is what AWS recommends for cold starts anyway.
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '@ferrule/toolchain/project';
import yazl from 'yazl';
import { CliError } from '../errors.ts';

/** Handlers in bench/node/, by the subject name they are measured as. */
export const NODE_HANDLERS: Readonly<Record<string, string>> = {
  'node-hello': 'hello.ts',
  'node-orders-get': 'orders-get.ts',
};

type Esbuild = typeof import('esbuild');

async function loadEsbuild(): Promise<Esbuild> {
  try {
    // esbuild comes with tsx, which the CLI already depends on.
    return await import('esbuild');
  } catch {
    throw new CliError('esbuild is not installed (it comes with tsx); run `npm install`');
  }
}

/**
 * Bundles each Node.js handler and the runtime loop, and writes one zip per handler:
 * `bootstrap` (a shell script that starts this Node.js on the loop, as the managed
 * runtime's bootstrap starts its own), `runtime.mjs`, `index.js`. Returns name → zip path, and
 * the temporary folder holding them, which the caller removes when done.
 */
export async function packageNodeBaselines(): Promise<{ folder: string; zips: Map<string, string> }> {
  const esbuild = await loadEsbuild();
  const out = await mkdtemp(join(tmpdir(), 'ferrule-bench-node-'));
  const source = join(projectRoot, 'bench/node');
  const runtime = await esbuild.build({
    entryPoints: [join(source, 'runtime.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    write: false,
    logLevel: 'silent',
  });
  const runtimeCode = runtime.outputFiles[0]?.contents;
  if (!runtimeCode) throw new CliError('esbuild produced no output for bench/node/runtime.ts', 1);
  const zips = new Map<string, string>();
  for (const [name, file] of Object.entries(NODE_HANDLERS)) {
    const bundle = await esbuild.build({
      entryPoints: [join(source, file)],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      write: false,
      logLevel: 'silent',
    });
    const code = bundle.outputFiles[0]?.contents;
    if (!code) throw new CliError(`esbuild produced no output for bench/node/${file}`, 1);
    const dir = join(out, name);
    await mkdir(dir, { recursive: true });
    const zipPath = join(dir, 'bootstrap.zip');
    const bootstrap = `#!/bin/sh\nexec "${process.execPath}" "$LAMBDA_TASK_ROOT/runtime.mjs"\n`;
    await writeZip(zipPath, [
      { name: 'bootstrap', data: Buffer.from(bootstrap), mode: 0o100755 },
      { name: 'runtime.mjs', data: Buffer.from(runtimeCode), mode: 0o100644 },
      { name: 'index.js', data: Buffer.from(code), mode: 0o100644 },
    ]);
    zips.set(name, zipPath);
  }
  return { folder: out, zips };
}

async function writeZip(
  path: string,
  entries: readonly { name: string; data: Buffer; mode: number }[],
): Promise<void> {
  const zip = new yazl.ZipFile();
  for (const entry of entries) zip.addBuffer(entry.data, entry.name, { mode: entry.mode });
  await new Promise<void>((resolve, reject) => {
    zip.outputStream.pipe(createWriteStream(path)).on('close', resolve).on('error', reject);
    zip.end();
  });
}
