export { AssemblyError, readAssembly, type StackTemplate } from './assembly.ts';
export {
  assertPortFree,
  LocalCloud,
  LocalCloudError,
  type LocalCloudOptions,
  type LocalCloudState,
} from './cloud.ts';
export { DEFAULT_ENVIRONMENTS, FunctionPool, ThrottledError } from './functions.ts';
export { matchRoute } from './http-api.ts';
export { type ResolveContext, type ResolvedResource, ResolveError, resolveValue } from './intrinsics.ts';
export { JwtVerifier } from './jwt.ts';
export { LogSink, type LogSinkOptions } from './log.ts';
export type { CloudModel, FunctionSpec, HttpApiSpec, RouteSpec, RuleSpec } from './model.ts';
export { ProvisionError } from './provision.ts';
export { nextFire, ScheduleError } from './schedule.ts';
export { LOCAL_DELAYS } from './sources.ts';
export { generateSecretString, LocalValues, LocalValuesError } from './values.ts';
