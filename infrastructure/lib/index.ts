export { UNZIPPED_LIMIT_BYTES, ZIP_LIMIT_BYTES } from '@ferrule/toolchain/limits';
export { FerruleRule, type FerruleRuleProps } from './event-rule.ts';
export { HelloStack, type HelloStackProps } from './hello-stack.ts';
export {
  FerruleHttpApi,
  type FerruleHttpApiProps,
  HTTP_INTEGRATION_TIMEOUT,
  type JwtAuthorization,
  type RouteOptions,
} from './http-api.ts';
export { ORDERS_CRATES, ORDERS_EVENT_SOURCE, OrdersStack, type OrdersStackProps } from './orders-stack.ts';
export {
  ORDERS_TABLE_SCHEMA_FILE,
  type OrdersTableIndex,
  type OrdersTableSchema,
  ordersTableSchema,
} from './orders-table.ts';
export { GitHubOidcStack, type GitHubOidcStackProps } from './pipeline/index.ts';
export {
  type Architecture,
  archName,
  defaultArtifactsDir,
  lambdaArchitecture,
  type OsRuntime,
  type Platform,
  parsePlatform,
  platformName,
} from './platform.ts';
export { ACTIONS } from './private/grants.ts';
export {
  FerruleQueue,
  type FerruleQueueProps,
  type QueueConsumerOptions,
  VISIBILITY_TIMEOUT_FACTOR,
} from './queue.ts';
export {
  ADR002_PACK,
  ADR002_RULES,
  Adr002Checks,
  type Adr002Rule,
  MIN_REASON_LENGTH,
} from './rules/index.ts';
export {
  COGNITO_TRIGGER_TIMEOUT,
  type ManagedInstancesOptions,
  type Packaging,
  RustFunction,
  type RustFunctionProps,
} from './rust-function.ts';
export {
  FerruleService,
  type FerruleServiceProps,
  type ParameterOptions,
  resolveStage,
  type SecretOptions,
  STAGES,
  type Stage,
} from './service.ts';
export { type ServiceCatalogEntry, serviceCatalog } from './service-catalog.ts';
export {
  FerruleServiceStack,
  type FerruleServiceStackProps,
  type ServiceFunction,
  type ServiceFunctionProps,
  ServiceResources,
  wireFunctions,
} from './service-stack.ts';
export {
  FerruleTable,
  type FerruleTableProps,
  type StreamConsumerOptions,
  TableStreamConsumer,
  type TableStreamConsumerProps,
} from './table.ts';
export type {
  BusUse,
  DeclaredGrant,
  ParameterAction,
  ParameterUse,
  QueueAccess,
  QueueUse,
  SecretUse,
  TableAccess,
  TableAction,
  TableUse,
  Uses,
} from './uses.ts';
export {
  type ArtifactInspector,
  type ArtifactSizes,
  type BuildRequest,
  type ResolvedArtifact,
  WorkspaceBuild,
  type WorkspaceBuilder,
  type WorkspaceBuildOptions,
} from './workspace-build.ts';
