import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { inspectArtifact } from './artifact.ts';
import { ToolError } from './errors.ts';
import { exceedsZipLimits } from './limits.ts';
import {
  artifactPath,
  type FunctionInfo,
  listFunctions,
  type Platform,
  paths,
  platformName,
  projectRoot,
  rustTarget,
  toolEnvironment,
} from './project.ts';

export interface BuiltArtifact {
  readonly function: FunctionInfo;
  readonly platform: Platform;
  readonly path: string;
  readonly zippedBytes: number;
  readonly unzippedBytes: number;
  /** True when the artifact exceeds a ZIP limit and would deploy as a container image. */
  readonly needsImage: boolean;
}

/** Cargo's output: passed through (`inherit`), kept for the error only (`quiet`), or each line to a callback. */
export type CargoProgress = 'inherit' | 'quiet' | ((line: string) => void);

export interface BuildOptions {
  readonly platform: Platform;
  /** Crate names; all functions when empty. */
  readonly functions?: readonly string[];
  /** Where cargo's progress goes: the terminal, nowhere, or line by line to a callback. @default 'inherit' */
  readonly progress?: CargoProgress;
}

/**
 * One `cargo lambda build --release` for the requested functions (every function by
 * default), cross-linked with zig against the runtime's glibc, each packaged as
 * dist/lambda/<runtime>-<arch>/<function>/bootstrap.zip.
 */
export async function buildFunctions(options: BuildOptions): Promise<BuiltArtifact[]> {
  const all = await listFunctions();
  const selected = options.functions?.length
    ? options.functions.map((name) => {
        const found = all.find((fn) => fn.name === name);
        if (!found) {
          throw new ToolError(
            `unknown function \`${name}\`; the functions are: ${all.map((f) => f.name).join(', ')}`,
          );
        }
        return found;
      })
    : all;
  if (selected.length === 0) throw new ToolError('there are no functions in backend/functions/ to build');

  const args = [...lambdaBuildArgs(options.platform), ...binSelection(selected.map((fn) => fn.name))];

  await runCargo(args, options.progress ?? 'inherit', platformTargetDir(options.platform));

  const built: BuiltArtifact[] = [];
  for (const fn of selected) {
    built.push(await describeArtifact(fn, options.platform));
  }
  return built;
}

/**
 * Builds workspace packages that are not functions (benchmark crates) the same way, and
 * returns their zips. Used by the benchmarks and the smoke suite's fault probe.
 */
export async function buildPackages(
  platform: Platform,
  packages: readonly string[],
  progress: 'inherit' | 'quiet' = 'quiet',
): Promise<Map<string, string>> {
  await runCargo(
    [...lambdaBuildArgs(platform), ...binSelection(packages)],
    progress,
    platformTargetDir(platform),
  );
  return new Map(packages.map((name) => [name, artifactPath(name, platform)]));
}

/** Sizes of an already-built artifact; a clear error when it has not been built. */
export async function describeArtifact(fn: FunctionInfo, platform: Platform): Promise<BuiltArtifact> {
  const path = artifactPath(fn.name, platform);
  if (!existsSync(path)) {
    throw new ToolError(
      `no artifact for ${fn.name} at ${relative(projectRoot, path)}; run \`npx ferrule build ${fn.name}\``,
    );
  }
  const { zippedBytes, unzippedBytes } = await inspectArtifact(path);
  return {
    function: fn,
    platform,
    path,
    zippedBytes,
    unzippedBytes,
    needsImage: exceedsZipLimits({ zippedBytes, unzippedBytes }),
  };
}

/**
 * Selects binaries with `--bin` (each package's binary has the package's name), never with
 * `--package`, which resolves dependency features for the named packages alone and so rebuilds
 * dependencies and relinks (fat LTO, a minute or two each). Measured: after a build of every
 * function, a `--bin` build of one of them compiles and links only that one. A set of binaries
 * that Cargo resolves differently (the benchmark crates with the functions) still compiles its
 * dependencies once the first time.
 */
export function binSelection(binaries: readonly string[]): string[] {
  return binaries.flatMap((name) => ['--bin', name]);
}

/** `cargo lambda build` for release zips linked against the platform's glibc, into dist/lambda/<platform>. */
export function lambdaBuildArgs(platform: Platform): string[] {
  return [
    'lambda',
    'build',
    '--release',
    '--output-format',
    'zip',
    '--target',
    rustTarget(platform),
    '--lambda-dir',
    join(paths.dist, platformName(platform)),
  ];
}

/**
 * The Cargo target folder of the platform's release builds: one per architecture. Both runtimes
 * link against the same glibc (`linkGlibc`, project.ts), so an al2 build after an al2023 one compiles
 * nothing and only zips into its own dist folder. Kept apart from the dev and check builds of the
 * base folder, whose crates a zig-linked build would otherwise rebuild.
 */
export function platformTargetDir(platform: Platform): string {
  const base = toolEnvironment().CARGO_TARGET_DIR ?? join(paths.backend, 'target');
  return join(base, `lambda-${platform.architecture}`);
}

/** Runs `cargo <args>` in backend/ with the tool environment and `targetDir` as the Cargo target folder. */
export function runCargo(args: string[], progress: CargoProgress, targetDir: string): Promise<void> {
  if (!existsSync(`${paths.venvBin}/cargo-lambda`)) {
    throw new ToolError(
      'cargo-lambda is not installed in .venv; run `npm run setup` (or `npx ferrule doctor`)',
    );
  }
  return new Promise((resolve, reject) => {
    let tail = '';
    const child = spawn('cargo', args, {
      cwd: paths.backend,
      env: toolEnvironment({ CARGO_TARGET_DIR: targetDir }),
      stdio: [
        'ignore',
        progress === 'inherit' ? 'inherit' : 'pipe',
        progress === 'inherit' ? 'inherit' : 'pipe',
      ],
    });
    let partial = '';
    const keep = (chunk: Buffer) => {
      const text = chunk.toString();
      tail = (tail + text).slice(-8000);
      if (typeof progress !== 'function') return;
      const lines = (partial + text).split(/\r?\n|\r/);
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) progress(line);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('error', (error) => reject(new ToolError(`could not run cargo: ${error.message}`, 1)));
    child.on('exit', (code) => {
      if (code === 0) return resolve();
      reject(new ToolError(`cargo lambda build failed (exit ${code})${tail ? `:\n${tail.trim()}` : ''}`, 1));
    });
  });
}
