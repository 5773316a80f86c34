export {
  type AppFunction,
  type AppPermission,
  type AppTrigger,
  type ListAppFunctionsOptions,
  listAppFunctions,
} from './app-functions.ts';
export {
  type BenchOptions,
  type BenchResult,
  checkBenchResult,
  runBench,
  SUBJECT_NAMES,
} from './bench/index.ts';
export {
  type BuiltArtifact,
  buildFunctions,
  buildPackages,
  describeArtifact,
  ZIP_BUDGET_BYTES,
  ZIP_LIMIT_BYTES,
} from './build.ts';
export {
  CFN_LINT_OPTIONS,
  type CheckFinding,
  type CheckGroup,
  type CheckOptions,
  type CheckReport,
  cfnLintFoundErrors,
  runCheck,
} from './check.ts';
export { CliError } from './errors.ts';
export { fixturePath, listFixtures, loadEvent } from './events.ts';
export { fixtureNameProblem, type NewFixtureResult, newFixture } from './events-new.ts';
export { formatBytes, formatMs, table } from './format.ts';
export { compareVersions, highestGlibcIn, highestGlibcVersion } from './glibc.ts';
export {
  analyzeFunction,
  type CodeCall,
  type FunctionCode,
  type UnknownCall,
  Workspace,
} from './iam/code-actions.ts';
export {
  compareApp,
  compareTemplates,
  type Grant,
  type IamComparison,
  iamFindings,
  type PlatformGrant,
} from './iam/compare.ts';
export { main, program } from './main.ts';
export { freePort, type MotoServer, resetMoto, startMoto } from './moto.ts';
export { type CommandResult, type RunCommandOptions, runCommand } from './process.ts';
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
export {
  functionNameProblem,
  NAME_RULE,
  type ScaffoldFile,
  type ScaffoldRequest,
  type ScaffoldResult,
  scaffoldFunction,
  TRIGGER_INFO,
  TRIGGERS,
  type Trigger,
} from './scaffold/index.ts';
export { synthesize } from './synth.ts';
