// What the local cloud serves, derived from the templates: functions, HTTP APIs, event source
// mappings, rules and user pool triggers, with every reference resolved to a local name.

export interface FunctionSpec {
  readonly stackName: string;
  readonly logicalId: string;
  /** The function's (local) name and ARN, what other resources refer to. */
  readonly name: string;
  readonly arn: string;
  /** What the logs call it: the crate (`ferrule:crate` metadata), else the construct id. */
  readonly label: string;
  /** The Rust crate it is built from (`ferrule:crate` metadata, written by RustFunction). */
  readonly crate?: string;
  /** The zip the template deploys (`aws:asset:path` in the assembly). */
  readonly artifact: string;
  readonly runtime: string;
  readonly architecture: 'x86_64' | 'arm64';
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly environment: Readonly<Record<string, string>>;
  readonly logFormat: 'JSON' | 'Text';
  readonly logLevel?: string;
  /** `ReservedConcurrentExecutions`, when set: caps the local environments too. */
  readonly reservedConcurrency?: number;
  /**
   * On Lambda Managed Instances (`CapacityProviderConfig`): invocations one environment takes at
   * once, `PerExecutionEnvironmentMaxConcurrency`.
   */
  readonly managedInstancesConcurrency?: number;
  /** `DeadLetterConfig.TargetArn` (asynchronous invocations). */
  readonly deadLetterArn?: string;
}

export interface AsyncInvokeConfig {
  /** @default 2 (Lambda's default) */
  readonly maximumRetryAttempts: number;
  /** @default 21600 */
  readonly maximumEventAgeSeconds: number;
  readonly onFailureArn?: string;
  readonly onSuccessArn?: string;
}

export interface JwtAuthorizerSpec {
  readonly name: string;
  readonly issuer: string;
  readonly audience: readonly string[];
  /** `$request.header.Authorization` → `authorization`. */
  readonly identityHeader: string;
}

export interface RouteSpec {
  /** `GET /orders/{id}`, `ANY /{proxy+}` or `$default`. */
  readonly routeKey: string;
  readonly functionArn: string;
  readonly payloadFormatVersion: '1.0' | '2.0';
  readonly timeoutMs: number;
  readonly authorizer?: JwtAuthorizerSpec;
  /** Set when the route uses an authorizer the local cloud cannot run (Lambda authorizers, IAM). */
  readonly unsupportedAuthorization?: string;
  readonly scopes: readonly string[];
}

export interface CorsSpec {
  readonly allowOrigins: readonly string[];
  readonly allowMethods: readonly string[];
  readonly allowHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly allowCredentials: boolean;
  readonly maxAge?: number;
}

export interface HttpApiSpec {
  readonly stackName: string;
  readonly logicalId: string;
  readonly apiId: string;
  readonly name: string;
  readonly port: number;
  readonly cors?: CorsSpec;
  readonly routes: RouteSpec[];
}

export interface SqsMappingSpec {
  readonly kind: 'sqs';
  readonly logicalId: string;
  readonly functionArn: string;
  readonly queueArn: string;
  readonly queueUrl: string;
  /** The same queue at moto's own endpoint, where the local cloud polls it. */
  readonly motoQueueUrl: string;
  readonly fifo: boolean;
  readonly batchSize: number;
  readonly batchingWindowSeconds: number;
  readonly reportBatchItemFailures: boolean;
  readonly maximumConcurrency?: number;
  readonly enabled: boolean;
}

export interface StreamMappingSpec {
  readonly kind: 'dynamodb';
  readonly logicalId: string;
  readonly functionArn: string;
  readonly streamArn: string;
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
  readonly batchSize: number;
  readonly batchingWindowSeconds: number;
  readonly bisectOnError: boolean;
  /** -1: until the record expires (Lambda's default). */
  readonly maximumRetryAttempts: number;
  /** -1: no limit. */
  readonly maximumRecordAgeSeconds: number;
  readonly reportBatchItemFailures: boolean;
  readonly onFailureArn?: string;
  readonly enabled: boolean;
}

export type MappingSpec = SqsMappingSpec | StreamMappingSpec;

export interface RuleTargetSpec {
  readonly id: string;
  readonly kind: 'lambda' | 'sqs' | 'other';
  readonly arn: string;
  /** For Lambda targets: the queue moto delivers the rule's events to, read by the local cloud. */
  readonly relayQueueUrl?: string;
  readonly input?: string;
  readonly retryAttempts: number;
  readonly maximumEventAgeSeconds: number;
  readonly deadLetterArn?: string;
  readonly messageGroupId?: string;
}

export interface RuleSpec {
  readonly stackName: string;
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly busName: string;
  readonly pattern?: string;
  readonly schedule?: string;
  readonly enabled: boolean;
  readonly targets: readonly RuleTargetSpec[];
}

export type CognitoTrigger =
  | 'PreSignUp'
  | 'PostConfirmation'
  | 'CustomMessage'
  | 'PreAuthentication'
  | 'PostAuthentication';

export interface UserPoolSpec {
  readonly logicalId: string;
  readonly id: string;
  readonly name: string;
  readonly triggers: Partial<Record<CognitoTrigger, string>>;
}

/** One resource the local cloud does not run, reported at start. */
export interface Unemulated {
  readonly stackName: string;
  readonly logicalId: string;
  readonly type: string;
  readonly why: 'not emulated locally' | 'not enforced locally';
}

export interface CloudModel {
  readonly functions: Map<string, FunctionSpec>;
  readonly asyncConfigs: Map<string, AsyncInvokeConfig>;
  readonly apis: HttpApiSpec[];
  readonly mappings: MappingSpec[];
  readonly rules: RuleSpec[];
  readonly userPools: UserPoolSpec[];
  /** Queues by ARN (name and URL): dead-letter targets, destinations. */
  readonly queues: Map<string, { name: string; url: string; motoUrl: string }>;
  /** The user pool of each app client the template creates. */
  readonly clientPools: Map<string, string>;
  readonly tables: { logicalId: string; name: string; streamArn?: string }[];
  readonly unemulated: Unemulated[];
}

export function emptyModel(): CloudModel {
  return {
    functions: new Map(),
    asyncConfigs: new Map(),
    apis: [],
    mappings: [],
    rules: [],
    userPools: [],
    queues: new Map(),
    clientPools: new Map(),
    tables: [],
    unemulated: [],
  };
}

/** `arn:aws:lambda:<region>:<account>:function:<name>[:qualifier]` without the qualifier. */
export function unqualifiedFunctionArn(arn: string): string {
  const parts = arn.split(':');
  return parts.length > 7 ? parts.slice(0, 7).join(':') : arn;
}
