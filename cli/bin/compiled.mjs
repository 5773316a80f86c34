// The compiled CLI: set-up (scripts/bootstrap.mjs) bundles src/main.ts into cli/dist/ (git-ignored)
// with esbuild, so a command starts without compiling TypeScript first. The launcher runs that
// bundle only while it is at least as new as every file it was built from; otherwise it runs the
// sources through tsx, so a checkout edited after set-up always runs what it holds.
//
// Plain JavaScript: the launcher imports it before any TypeScript loader is registered.
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const cliDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MANIFEST = 'build.json';
/** Files of earlier builds stay this long, for a command still running from them (`ferrule start`). */
const KEEP_OLD_FILES_MS = 24 * 60 * 60 * 1000;

/**
 * The file URL of the compiled entry when it is current, else undefined. Current: built from
 * this folder, and no input changed since the build started (the build records its inputs).
 */
export function compiledEntry(dir = cliDir, outDir = join(dir, 'dist')) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(outDir, MANIFEST), 'utf8'));
  } catch {
    return undefined;
  }
  if (manifest.cliDir !== dir || !Array.isArray(manifest.inputs)) return undefined;
  // Whole seconds: on a file system with coarse timestamps an edit in the second the build
  // started could otherwise look older than the build.
  const builtAt = Math.floor(manifest.startedAt / 1000) * 1000;
  for (const input of manifest.inputs) {
    try {
      if (statSync(input).mtimeMs >= builtAt) return undefined;
    } catch {
      return undefined;
    }
  }
  return pathToFileURL(join(outDir, manifest.entry)).href;
}

/**
 * Bundles `dir`/src/main.ts into `outDir`: ES modules split at every `await import()`, so a
 * command loads only its own code. Packages from node_modules stay imports; the workspace packages
 * (@ferrule/*) are TypeScript sources and are bundled. Returns the entry file and the time taken.
 */
export async function compileCli(dir = cliDir, outDir = join(dir, 'dist')) {
  const { build } = await import('esbuild');
  const started = Date.now();
  const result = await build({
    absWorkingDir: dir,
    entryPoints: { main: join(dir, 'src/main.ts') },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outdir: outDir,
    // Content-addressed names: a new build never overwrites a file a running command may still load.
    entryNames: '[name]-[hash]',
    chunkNames: 'chunks/[name]-[hash]',
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [dependenciesStayImports, sourceLocations],
  });
  mkdirSync(join(outDir, 'chunks'), { recursive: true });
  const written = new Set();
  for (const file of result.outputFiles) {
    written.add(file.path);
    if (existsSync(file.path)) continue;
    const temporary = `${file.path}.${process.pid}.tmp`;
    writeFileSync(temporary, file.contents);
    renameSync(temporary, file.path);
  }
  // Every `await import()` target is an entry point of the metafile too: pick main.ts's output.
  const entry = Object.entries(result.metafile.outputs).find(
    ([, output]) => output.entryPoint && resolve(dir, output.entryPoint) === join(dir, 'src/main.ts'),
  )?.[0];
  if (!entry) throw new Error('esbuild wrote no entry for src/main.ts');
  const manifest = {
    cliDir: dir,
    startedAt: started,
    entry: relative(outDir, resolve(dir, entry)),
    // This file too: a change to how the CLI is bundled makes the bundle out of date.
    inputs: [
      ...new Set([
        ...Object.keys(result.metafile.inputs).map((input) => resolve(dir, input)),
        fileURLToPath(import.meta.url),
      ]),
    ],
  };
  const temporary = join(outDir, `${MANIFEST}.${process.pid}.tmp`);
  writeFileSync(temporary, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(temporary, join(outDir, MANIFEST));
  pruneOldFiles(outDir, written);
  return { entry: join(outDir, manifest.entry), inputs: manifest.inputs.length, ms: Date.now() - started };
}

function pruneOldFiles(outDir, keep) {
  for (const folder of [outDir, join(outDir, 'chunks')]) {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (keep.has(path) || name === MANIFEST || name === 'chunks') continue;
      if (Date.now() - statSync(path).mtimeMs > KEEP_OLD_FILES_MS) rmSync(path, { force: true });
    }
  }
}

/** Bare imports (node:*, npm packages) are loaded at run time, except the workspace's own packages. */
const dependenciesStayImports = {
  name: 'dependencies-stay-imports',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@ferrule/') ? undefined : { path: args.path, external: true },
    );
  },
};

/**
 * `import.meta.url` keeps meaning the source file (templates, package.json and the project root
 * are found from it), not the bundle chunk it ends up in.
 */
const sourceLocations = {
  name: 'source-locations',
  setup(build) {
    // Spelled in parts so that this file, bundled too (the bench reads compiledEntry), is left as it is.
    const metaUrl = ['import', 'meta', 'url'].join('.');
    build.onLoad({ filter: /\.(ts|mjs)$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes(metaUrl)) return undefined;
      const url = JSON.stringify(pathToFileURL(args.path).href);
      return { contents: source.replaceAll(metaUrl, url), loader: args.path.endsWith('.ts') ? 'ts' : 'js' };
    });
  },
};
