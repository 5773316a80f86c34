import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/** The OS-only runtimes a Rust function can use. */
export type OsRuntime = 'al2023' | 'al2';

export const runtimes: Record<OsRuntime, lambda.Runtime> = {
  al2023: lambda.Runtime.PROVIDED_AL2023,
  al2: lambda.Runtime.PROVIDED_AL2,
};

const architectures: Record<string, lambda.Architecture> = {
  x86_64: lambda.Architecture.X86_64,
  arm64: lambda.Architecture.ARM_64,
};

export interface Platform {
  readonly runtime: OsRuntime;
  readonly architecture: lambda.Architecture;
}

/** Parses `al2023-x86_64`-style names, as used by `ferrule build` for dist/lambda/<platform>/. */
export function parsePlatform(name: string): Platform {
  const match = /^(al2023|al2)-(x86_64|arm64)$/.exec(name);
  const runtime = match?.[1] as OsRuntime | undefined;
  const architecture = match?.[2] ? architectures[match[2]] : undefined;
  if (!runtime || !architecture) {
    throw new Error(
      `ferrule:platform must be <al2023|al2>-<x86_64|arm64> (for example al2023-x86_64), not "${name}"`,
    );
  }
  return { runtime, architecture };
}

/** `x86_64` or `arm64`, the spelling of `ferrule build --arch` and of dist/lambda/<platform>/. */
export function archName(architecture: lambda.Architecture): 'x86_64' | 'arm64' {
  if (architecture.name === lambda.Architecture.ARM_64.name) return 'arm64';
  if (architecture.name === lambda.Architecture.X86_64.name) return 'x86_64';
  throw new Error(
    `architecture must be lambda.Architecture.X86_64 or lambda.Architecture.ARM_64, not "${architecture.name}"`,
  );
}

export function platformName(platform: Platform): string {
  return `${platform.runtime}-${archName(platform.architecture)}`;
}

/** The repository root (the folder holding backend/Cargo.toml). */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'backend/Cargo.toml'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the project root (backend/Cargo.toml)');
    dir = parent;
  }
  return dir;
}

/** dist/lambda at the project root: where `ferrule build` writes the zips. */
export function defaultArtifactsDir(): string {
  return resolve(projectRoot(), 'dist/lambda');
}
