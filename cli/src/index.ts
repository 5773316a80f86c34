export {
  type BuiltArtifact,
  buildFunctions,
  buildPackages,
  describeArtifact,
  ZIP_BUDGET_BYTES,
  ZIP_LIMIT_BYTES,
} from './build.ts';
export { CliError } from './errors.ts';
export { fixturePath, listFixtures, loadEvent } from './events.ts';
export { formatBytes, formatMs, table } from './format.ts';
export { compareVersions, highestGlibcIn, highestGlibcVersion } from './glibc.ts';
export { main, program } from './main.ts';
export {
  type Architecture,
  artifactPath,
  defaultPlatform,
  type FunctionInfo,
  findFunction,
  glibcOf,
  lambdaRuntimeId,
  listFunctions,
  type OsRuntime,
  type Platform,
  parsePlatform,
  paths,
  platformName,
  projectRoot,
  toolEnvironment,
} from './project.ts';
export { synthesize } from './synth.ts';
