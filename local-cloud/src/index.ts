export {
  AssemblyError,
  functionResources,
  readAssembly,
  type StackTemplate,
  type TemplateResource,
} from './assembly.ts';
export {
  assertPortFree,
  LocalCloud,
  LocalCloudError,
  type LocalCloudOptions,
  type LocalCloudState,
  type LocalFunctionState,
  type ProvisionAssemblyOptions,
  provisionAssembly,
} from './cloud.ts';
export { DEFAULT_ENVIRONMENTS, FunctionPool, ThrottledError } from './functions.ts';
export { matchRoute } from './http-api.ts';
export { type ResolveContext, type ResolvedResource, ResolveError, resolveValue } from './intrinsics.ts';
export { JwtVerifier } from './jwt.ts';
export { endLine, isPlatformLine, LogSink, type LogSinkOptions, reportLine, startLine } from './log.ts';
export {
  LOG_FILE_MAX_BYTES,
  LOG_LEVELS,
  LogFiles,
  type LogFilesOptions,
  type LogFilter,
  type LogLevel,
  type LogRecord,
  levelOf,
  logFileOf,
  loggedFunctions,
  matchesFilter,
  parseLogLevel,
  parseLogRecord,
  parseSince,
  readLogRecords,
  requestIdIn,
} from './log-files.ts';
export type { CloudModel, FunctionSpec, HttpApiSpec, RouteSpec, RuleSpec } from './model.ts';
export { ProvisionError } from './provision.ts';
export { nextFire, ScheduleError } from './schedule.ts';
export { LOCAL_DELAYS } from './sources.ts';
export { generateSecretString, LocalValues, LocalValuesError } from './values.ts';
