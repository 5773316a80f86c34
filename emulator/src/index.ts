export {
  type ExtractedArtifact,
  extractArtifact,
  inspectArtifact,
  MAX_UNZIPPED_BYTES,
} from '@ferrule/toolchain/artifact';
export {
  DEFAULT_MEMORY_MB,
  DEFAULT_TIMEOUT_SECONDS,
  type FunctionSettings,
  functionArn,
  lambdaEnvironment,
  newTraceHeader,
} from './environment.ts';
export { EmulatorError, type EmulatorErrorCode } from './errors.ts';
export {
  type DynamoDbStreamEvent,
  type DynamoDbStreamRecord,
  DynamoDbStreamSource,
  type DynamoDbStreamSourceOptions,
} from './event-sources/dynamodb-streams.ts';
export {
  type Settlement,
  type SqsEvent,
  SqsQueueSource,
  type SqsQueueSourceOptions,
  type SqsRecord,
} from './event-sources/sqs.ts';
export {
  INIT_TIMEOUT_MS,
  type InvokeOptions,
  type InvokeOutcome,
  type InvokeReport,
  LocalFunction,
  type LocalFunctionOptions,
  MAX_RESPONSE_BYTES,
} from './local-function.ts';
