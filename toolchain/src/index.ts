// @ferrule/toolchain: what the CLI, the CDK constructs, the emulator and the scripts share.
// It depends on none of them (docs/architecture.md has the package graph).
export { type ExtractedArtifact, extractArtifact, inspectArtifact, MAX_UNZIPPED_BYTES } from './artifact.ts';
export {
  type BuildOptions,
  type BuiltArtifact,
  buildFunctions,
  buildPackages,
  type CargoProgress,
  describeArtifact,
  lambdaBuildArgs,
  platformTargetDir,
  runCargo,
} from './build.ts';
export { ArtifactError, ToolError } from './errors.ts';
export { artifactsFresh, forgetSynth, newestChange, recordSynth, synthFresh } from './freshness.ts';
export { compareVersions, highestGlibcIn, highestGlibcVersion } from './glibc.ts';
export { exceedsZipLimits, UNZIPPED_LIMIT_BYTES, ZIP_BUDGET_BYTES, ZIP_LIMIT_BYTES } from './limits.ts';
export { freePort, type MotoServer, resetMoto, startMoto } from './moto.ts';
export { type CommandResult, type RunCommandOptions, runCommand } from './process.ts';
export {
  type Architecture,
  artifactPath,
  defaultPlatform,
  type EventExpectation,
  type FunctionInfo,
  findFunction,
  glibcOf,
  invokePassthrough,
  lambdaRuntimeId,
  linkGlibc,
  listFunctions,
  type OsRuntime,
  type Platform,
  parsePlatform,
  paths,
  platformName,
  projectRoot,
  rustTarget,
  toolEnvironment,
} from './project.ts';
export { type CdkSynthOptions, runCdkSynth, synthesize, synthFailure } from './synth.ts';
export { type ArtifactSizes, readZipEntries, readZipEntry, readZipSizes, type ZipEntry } from './zip.ts';
