import {
  type Architecture,
  type OsRuntime,
  type Platform,
  parsePlatform,
  paths,
  platformName,
  projectRoot,
} from '@ferrule/toolchain/project';
import * as lambda from 'aws-cdk-lib/aws-lambda';

// The platform model is the toolchain's (one type, one parser); this module is its CDK edge.
export { type Architecture, type OsRuntime, type Platform, parsePlatform, platformName, projectRoot };

/** The OS-only runtimes a Rust function can use, as CDK names them. */
export const runtimes: Record<OsRuntime, lambda.Runtime> = {
  al2023: lambda.Runtime.PROVIDED_AL2023,
  al2: lambda.Runtime.PROVIDED_AL2,
};

/** The CDK architecture of a platform's `x86_64` or `arm64`. */
export function lambdaArchitecture(architecture: Architecture): lambda.Architecture {
  return architecture === 'arm64' ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64;
}

/** `x86_64` or `arm64` for a CDK architecture (construct props take `lambda.Architecture`). */
export function archName(architecture: lambda.Architecture): Architecture {
  if (architecture.name === lambda.Architecture.ARM_64.name) return 'arm64';
  if (architecture.name === lambda.Architecture.X86_64.name) return 'x86_64';
  throw new Error(
    `architecture must be lambda.Architecture.X86_64 or lambda.Architecture.ARM_64, not "${architecture.name}"`,
  );
}

/** dist/lambda at the project root: where `ferrule build` writes the zips. */
export function defaultArtifactsDir(): string {
  return paths.dist;
}
