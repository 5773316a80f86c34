// The toolchain, for the scripts and tests that use the CLI as a library.
export * from '@ferrule/toolchain';
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
  CFN_LINT_OPTIONS,
  type CheckFinding,
  type CheckGroup,
  type CheckOptions,
  type CheckReport,
  cfnLintFoundErrors,
  runCheck,
} from './check.ts';
export { isolateCopyArtifacts } from './checks.ts';
export { CliError } from './errors.ts';
export { fixturePath, listFixtures, loadEvent } from './events.ts';
export { fixtureNameProblem, type NewFixtureResult, newFixture } from './events-new.ts';
export { formatBytes, formatMs, table } from './format.ts';
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
