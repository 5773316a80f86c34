import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ToolError } from './errors.ts';

const execFileAsync = promisify(execFile);

/** The repository root: the folder holding `backend/Cargo.toml`. */
export const projectRoot: string = findRoot();

function findRoot(): string {
  const starts = [process.env.FERRULE_ROOT, process.cwd(), dirname(fileURLToPath(import.meta.url))];
  for (const start of starts) {
    if (!start) continue;
    let dir = resolve(start);
    for (;;) {
      if (existsSync(join(dir, 'backend/Cargo.toml')) && existsSync(join(dir, 'package.json'))) return dir;
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  throw new ToolError('not inside a Ferrule project: no backend/Cargo.toml above this folder');
}

export const paths = {
  backend: join(projectRoot, 'backend'),
  manifest: join(projectRoot, 'backend/Cargo.toml'),
  events: join(projectRoot, 'backend/events'),
  infrastructure: join(projectRoot, 'infrastructure'),
  cdkOut: join(projectRoot, 'cdk.out'),
  dist: join(projectRoot, 'dist/lambda'),
  venvBin: join(projectRoot, '.venv/bin'),
  toolsBin: join(projectRoot, '.tools/bin'),
  /** The functions' log lines, one file each (git-ignored): the local cloud and `invoke` write, `logs` reads. */
  logs: join(projectRoot, '.ferrule/logs'),
} as const;

export type Architecture = 'x86_64' | 'arm64';
export type OsRuntime = 'al2023' | 'al2';

export interface Platform {
  readonly runtime: OsRuntime;
  readonly architecture: Architecture;
}

/** Ferrule's defaults, recorded in docs/adr/0003 and docs/adr/0005. */
export const defaultPlatform: Platform = { runtime: 'al2023', architecture: 'x86_64' };

/** Highest glibc each OS-only runtime provides: a bootstrap needing a newer symbol does not start there. */
export const glibcOf: Record<OsRuntime, string> = { al2023: '2.34', al2: '2.26' };

/**
 * The glibc every bootstrap is linked against with zig: the oldest the supported runtimes provide
 * (provided.al2's). glibc keeps old symbol versions, so one binary starts on both runtimes, and the
 * runtimes of one architecture share one build: Cargo fingerprints every crate with the linker,
 * and cargo-lambda's zig linker differs per glibc, so a second glibc meant a second full build of
 * every dependency (docs/adr/0008).
 */
export const linkGlibc: string = glibcOf.al2;

export const lambdaRuntimeId: Record<OsRuntime, string> = { al2023: 'provided.al2023', al2: 'provided.al2' };

export function platformName(platform: Platform): string {
  return `${platform.runtime}-${platform.architecture}`;
}

/** cargo-lambda's target for the platform's architecture, linked against {@link linkGlibc} whatever the runtime. */
export function rustTarget(platform: Platform): string {
  const arch = platform.architecture === 'arm64' ? 'aarch64' : 'x86_64';
  return `${arch}-unknown-linux-gnu.${linkGlibc}`;
}

/** Where `ferrule build` puts a function's zip: dist/lambda/<runtime>-<arch>/<function>/bootstrap.zip. */
export function artifactPath(functionName: string, platform: Platform = defaultPlatform): string {
  return join(paths.dist, platformName(platform), functionName, 'bootstrap.zip');
}

/**
 * The one platform parser: the `--arch`/`--runtime` flags (either may be left out for the
 * default), or a folder name of dist/lambda such as `al2023-arm64` (context `ferrule:platform`).
 */
export function parsePlatform(input: string | { arch?: string; runtime?: string }): Platform {
  if (typeof input === 'string') {
    const match = /^(al2023|al2)-(x86_64|arm64)$/.exec(input);
    if (!match) {
      throw new ToolError(
        `a platform is <al2023|al2>-<x86_64|arm64> (for example al2023-x86_64), not "${input}"`,
      );
    }
    return { runtime: match[1] as OsRuntime, architecture: match[2] as Architecture };
  }
  const architecture = input.arch ?? defaultPlatform.architecture;
  const runtime = input.runtime ?? defaultPlatform.runtime;
  if (architecture !== 'x86_64' && architecture !== 'arm64') {
    throw new ToolError(`--arch must be x86_64 or arm64, not \`${architecture}\``);
  }
  if (runtime !== 'al2023' && runtime !== 'al2') {
    throw new ToolError(`--runtime must be al2023 or al2, not \`${runtime}\``);
  }
  return { architecture, runtime };
}

/**
 * The variables of the shell that reach a function run with `ferrule invoke --aws`: the AWS
 * endpoint and credentials, log and backtrace levels. A local run gets none of the shell's AWS
 * settings (cli/src/actions/invoke.ts); everything else a function sees is Lambda's own environment.
 */
export function invokePassthrough(
  shell: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, string | undefined> {
  const names = [
    'AWS_ENDPOINT_URL',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'RUST_LOG',
    'RUST_BACKTRACE',
  ];
  return Object.fromEntries(names.map((name) => [name, shell[name] || undefined]));
}

/**
 * The environment for the tools Ferrule drives: the project-local virtualenv and
 * tools first on PATH, and, on CI, a Cargo target folder outside the clone so it
 * survives between runs.
 */
export function toolEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: [paths.venvBin, paths.toolsBin, process.env.PATH ?? ''].join(delimiter),
    VIRTUAL_ENV: join(projectRoot, '.venv'),
    CDK_DISABLE_CLI_TELEMETRY: 'true',
    ...extra,
  };
  // The CI default is the base folder; a caller's own folder (one per architecture for release
  // builds, see platformTargetDir) wins.
  if (process.env.CI === 'true' && !process.env.CARGO_TARGET_DIR && !extra.CARGO_TARGET_DIR) {
    env.CARGO_TARGET_DIR = join(
      process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'),
      'ferrule/cargo-target',
    );
  }
  return env;
}

export interface EventExpectation {
  readonly event: string;
  readonly expect?: Record<string, unknown>;
}

export interface FunctionInfo {
  /** Crate name, also the Lambda function's logical name and the artifact folder. */
  readonly name: string;
  readonly description: string;
  /** Invocation source, from `[package.metadata.ferrule] trigger`. */
  readonly trigger: string;
  /** Fixtures this function accepts, with the response each one should produce. */
  readonly events: readonly EventExpectation[];
  /**
   * Environment for local runs (`ferrule invoke`, the smoke test), from
   * `[package.metadata.ferrule.env]`: what CDK would set, with local values.
   */
  readonly environment: Readonly<Record<string, string>>;
  readonly manifestPath: string;
  /** Folder of the crate, relative to the project root. */
  readonly dir: string;
}

interface CargoMetadata {
  packages: {
    name: string;
    description: string | null;
    manifest_path: string;
    metadata: {
      ferrule?: { trigger?: string; events?: EventExpectation[]; env?: Record<string, unknown> };
    } | null;
  }[];
}

let functionsCache: Promise<FunctionInfo[]> | undefined;

/** The function crates of the workspace (members under backend/functions/), read with `cargo metadata`. */
export function listFunctions(): Promise<FunctionInfo[]> {
  functionsCache ??= readFunctions();
  return functionsCache;
}

async function readFunctions(): Promise<FunctionInfo[]> {
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync(
      'cargo',
      ['metadata', '--no-deps', '--format-version', '1', '--offline', '--manifest-path', paths.manifest],
      { maxBuffer: 64 * 1024 * 1024, env: toolEnvironment() },
    ));
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim().split('\n').pop();
    throw new ToolError(
      `cannot read the Cargo workspace (cargo metadata): ${stderr ?? (error as Error).message}`,
      1,
    );
  }
  const metadata = JSON.parse(stdout) as CargoMetadata;
  const functionsDir = join(paths.backend, 'functions');
  return metadata.packages
    .filter((pkg) => pkg.manifest_path.startsWith(functionsDir))
    .map((pkg) => ({
      name: pkg.name,
      description: pkg.description ?? '',
      trigger: pkg.metadata?.ferrule?.trigger ?? 'unknown',
      events: pkg.metadata?.ferrule?.events ?? [],
      environment: Object.fromEntries(
        Object.entries(pkg.metadata?.ferrule?.env ?? {}).map(([key, value]) => [key, String(value)]),
      ),
      manifestPath: pkg.manifest_path,
      dir: relative(projectRoot, dirname(pkg.manifest_path)),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export async function findFunction(name: string): Promise<FunctionInfo> {
  const functions = await listFunctions();
  const found = functions.find((fn) => fn.name === name);
  if (!found) {
    const known = functions.map((fn) => fn.name).join(', ') || 'none yet';
    throw new ToolError(`unknown function \`${name}\`; the functions in backend/functions/ are: ${known}`);
  }
  return found;
}
