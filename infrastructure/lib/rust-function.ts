import { exceedsZipLimits } from '@ferrule/toolchain/limits';
import { Annotations, CfnResource, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as cognito from 'aws-cdk-lib/aws-cognito';
import * as ecrAssets from 'aws-cdk-lib/aws-ecr-assets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { archName, type OsRuntime, type Platform, runtimes } from './platform.ts';
import { acknowledge } from './private/acknowledge.ts';
import { deadLetterAlarm, functionAlarms } from './private/alarms.ts';
import { CONSTRUCT_VARIABLES, crateEnvironment, environmentProblems } from './private/crate-environment.ts';
import { ACTIONS, type EnvironmentEntry, resolveUses } from './private/grants.ts';
import { prepareImageContext } from './private/image.ts';
import { failureQueue } from './private/queues.ts';
import { checkPlainEnvironment, checkVariableName } from './private/validate.ts';
import { FerruleService } from './service.ts';
import type { DeclaredGrant, Uses } from './uses.ts';
import { type ArtifactSizes, WorkspaceBuild } from './workspace-build.ts';

/** Cognito waits this long for a trigger, then fails the user's request. */
export const COGNITO_TRIGGER_TIMEOUT = Duration.seconds(5);

/** Where and how a function runs on Lambda Managed Instances. */
export interface ManagedInstancesOptions extends lambda.CapacityProviderFunctionOptions {
  /** The capacity provider (VPC subnets, security groups, instance types, scaling) to run on. */
  readonly capacityProvider: lambda.CapacityProvider;
}

/** `auto`: ZIP unless the artifact exceeds a ZIP limit. `zip`/`image` force one. */
export type Packaging = 'auto' | 'zip' | 'image';

/**
 * Everything `lambda.FunctionOptions` takes (VPC, layers, reserved concurrency, ephemeral storage,
 * dead-letter and async settings, ...), plus the crate to deploy and what it uses. Not accepted, with
 * a synth error saying why: `role` and `initialPolicy` (the function gets its own role granting what
 * `uses` declares), `tracing` other than ACTIVE, `loggingFormat` other than JSON, and the deprecated
 * `logFormat`, `applicationLogLevel`, `systemLogLevel`, `logRetentionRole` and `logRetentionRetryOptions`.
 */
export interface RustFunctionProps extends lambda.FunctionOptions {
  /** Name of the function crate in backend/functions/ (also its artifact folder). */
  readonly crate: string;
  /**
   * The service the function belongs to: its name, stage, metrics namespace, dashboard and alarm topic.
   * @default the stack's service (`FerruleService.of(this)`): the one declared in the stack, else one
   * named from context `ferrule:service` or the stack id
   */
  readonly service?: FerruleService;
  /**
   * OS-only runtime.
   * @default 'al2023' — provided.al2 reaches end of support; every build links against glibc 2.26, so one artifact serves both (docs/adr/0003, 0008).
   */
  readonly runtime?: OsRuntime;
  /**
   * Instruction set.
   * @default lambda.Architecture.X86_64 — the artifact tested locally is the one deployed (docs/adr/0005).
   */
  readonly architecture?: lambda.Architecture;
  /**
   * Folder with one `<platform>/<crate>/bootstrap.zip` per function, as written by `ferrule build`.
   * @default the app's `WorkspaceBuild` folder: context `ferrule:artifacts`, else dist/lambda at the project root
   */
  readonly artifactsDir?: string;
  /**
   * Build the workspace during synth when this function's artifact is missing (once per app and platform).
   * @default context `ferrule:build`, else false (prebuilt artifacts only)
   */
  readonly build?: boolean;
  /**
   * @default 'auto' — a ZIP, or a container image on the OS-only base image when the zip exceeds
   * 50 MB or its content 250 MB (read from the zip's central directory)
   */
  readonly packaging?: Packaging;
  /**
   * Memory in MB (128..10240).
   * @default 256 — Rust needs little memory, but Lambda allots CPU in proportion to it: 256 MB
   * halves cold-start and TLS-handshake time against 128 MB for little cost
   */
  readonly memorySize?: number;
  /**
   * Timeout (at most 15 minutes).
   * @default Duration.seconds(10) — far above a Rust handler's usual latency, short enough that a hung
   * downstream fails fast and retries, that an SQS source needs only a 60 s visibility timeout (6×),
   * and that an HTTP API (30 s limit) gets the function's own error rather than a gateway timeout
   */
  readonly timeout?: Duration;
  /**
   * Plain configuration values. Never secrets: a name matching /secret|password|token|api key/ or a
   * value shaped like an AWS key fails synth; declare those under `uses.secrets`.
   * @default - none (the construct still sets FERRULE_SERVICE_NAME, FERRULE_STAGE, POWERTOOLS_SERVICE_NAME,
   * FERRULE_METRICS_NAMESPACE and POWERTOOLS_METRICS_NAMESPACE, and the variables `uses` names)
   */
  readonly environment?: { [key: string]: string };
  /**
   * What the function reads and writes; grants exactly that (docs/constructs.md).
   * @default - nothing beyond its own log group and X-Ray
   */
  readonly uses?: Uses;
  /**
   * The function's log group.
   * @default - a log group of its own, created beside the function (`<id>LogGroup`), kept for `logRetention`
   */
  readonly logGroup?: logs.ILogGroup;
  /**
   * Retention of the log group the construct creates (not a LogRetention custom resource, as
   * `lambda.Function` would make of it).
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Lowest level of the function's own JSON log lines that reaches CloudWatch (`AWS_LAMBDA_LOG_LEVEL`).
   * @default lambda.ApplicationLogLevel.INFO
   */
  readonly applicationLogLevelV2?: lambda.ApplicationLogLevel;
  /**
   * Lowest level of Lambda's own platform log lines (START/END/REPORT are INFO).
   * @default lambda.SystemLogLevel.WARN — REPORT lines cost money; metrics carry the same numbers
   */
  readonly systemLogLevelV2?: lambda.SystemLogLevel;
  /**
   * Errors, throttles and p99 duration above 80% of the timeout, on the service's dashboard and topic.
   * @default true
   */
  readonly alarms?: boolean;
  /**
   * Run on Lambda Managed Instances: the capacity provider, and how many invocations one execution
   * environment takes at once (`perExecutionEnvironmentMaxConcurrency`, 1..1600) with how much
   * memory per vCPU (`executionEnvironmentMemoryGiBPerVCpu`, 2..8). The crate must declare
   * `concurrent = true` under `[package.metadata.ferrule]`: it runs lambda_runtime's concurrent
   * loop and keeps no per-request state in the process (docs/constructs.md); `memorySize` must be
   * 2048 or more (Managed Instances' smallest function).
   * @default - classic Lambda: one invocation per execution environment
   */
  readonly managedInstances?: ManagedInstancesOptions;
}

/**
 * A Rust function on an OS-only Lambda runtime, the ADR-002 way: a `lambda.Function` (usable
 * wherever CDK takes an `IFunction`) running `bootstrap` from the app's single workspace build
 * (ZIP, or an image when too big), with its own role granting exactly what `uses` declares, its
 * own log group with retention, JSON logs, active X-Ray tracing, the service's environment and alarms.
 *
 * The role and the log group are created beside the function (`<id>ServiceRole`, `<id>LogGroup`):
 * `lambda.Function` needs both when it is constructed, before it can hold children of its own.
 */
export class RustFunction extends lambda.Function {
  /** The function's own role: exactly the grants `declaredGrants()` lists. */
  declare readonly role: iam.Role;
  declare readonly timeout: Duration;
  readonly service: FerruleService;
  readonly crate: string;
  readonly platform: Platform;
  /** The zip the function was deployed from (or its image built from). */
  readonly artifactPath: string;
  /** Sizes read from the zip's directory; undefined when it could not be read. */
  readonly artifactSizes?: ArtifactSizes;
  readonly packaging: 'zip' | 'image';
  /** Docker build context (Dockerfile + bootstrap) when packaged as an image. */
  readonly imageContext?: string;
  /** Errors, throttles and duration alarms (empty with `alarms: false`). */
  readonly alarms: cloudwatch.Alarm[] = [];

  private readonly declared: DeclaredGrant[] = [];
  private readonly claimed = new Map<string, EnvironmentEntry>();
  private usesCount = 0;
  private asyncFailures?: sqs.Queue;

  constructor(scope: Construct, id: string, props: RustFunctionProps) {
    const owner = `RustFunction ${id}`;
    validate(owner, props);
    const service = props.service ?? FerruleService.of(scope);
    const architecture = props.architecture ?? lambda.Architecture.X86_64;
    const platform: Platform = { runtime: props.runtime ?? 'al2023', architecture: archName(architecture) };
    const deployment = resolveDeployment(scope, owner, props, platform);
    const timeout = props.timeout ?? Duration.seconds(10);
    const logGroup =
      props.logGroup ??
      new logs.LogGroup(scope, `${id}LogGroup`, {
        retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      });
    const role = new iam.Role(scope, `${id}ServiceRole`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.crate} (used by this function only)`,
    });
    const environment: Record<string, string> = {
      FERRULE_SERVICE_NAME: service.serviceName,
      FERRULE_STAGE: service.stage,
      POWERTOOLS_SERVICE_NAME: service.serviceName,
      FERRULE_METRICS_NAMESPACE: service.metricsNamespace,
      POWERTOOLS_METRICS_NAMESPACE: service.metricsNamespace,
    };
    // What FunctionOptions passes through as is: everything but what this construct decides.
    const {
      crate: _crate,
      service: _service,
      runtime: _runtime,
      artifactsDir: _artifactsDir,
      build: _build,
      packaging: _packaging,
      uses: _uses,
      alarms: _alarms,
      managedInstances: _managedInstances,
      logRetention: _logRetention,
      environment: _environment,
      ...options
    } = props;
    super(scope, id, {
      ...options,
      code: deployment.code,
      handler: deployment.packaging === 'image' ? lambda.Handler.FROM_IMAGE : 'bootstrap',
      runtime: deployment.packaging === 'image' ? lambda.Runtime.FROM_IMAGE : runtimes[platform.runtime],
      architecture,
      memorySize: props.memorySize ?? 256,
      timeout,
      role,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: props.applicationLogLevelV2 ?? lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: props.systemLogLevelV2 ?? lambda.SystemLogLevel.WARN,
      // Adds xray:PutTraceSegments/PutTelemetryRecords on * (X-Ray has no resource-level permissions).
      tracing: lambda.Tracing.ACTIVE,
      environment,
    });
    this.crate = props.crate;
    this.service = service;
    this.platform = platform;
    this.artifactPath = deployment.zipPath;
    this.artifactSizes = deployment.sizes;
    this.packaging = deployment.packaging;
    this.imageContext = deployment.imageContext;
    for (const warning of deployment.warnings) {
      Annotations.of(this).addWarningV2('@ferrule/infrastructure:unreadable-artifact', warning);
    }

    // Only what the function's own log group needs: no AWSLambdaBasicExecutionRole.
    this.addGrant({
      origin: 'logs',
      reason: 'own log group',
      actions: [...ACTIONS.logs],
      resources: [logGroup.logGroupArn],
    });
    for (const name of CONSTRUCT_VARIABLES) {
      this.claimed.set(name, { value: '', declaredAt: 'the construct (from the service)' });
    }
    for (const [name, value] of Object.entries(props.environment ?? {})) {
      this.claimVariable(name, { value, declaredAt: `environment.${name}` });
      this.addEnvironment(name, value);
    }
    // Names the function after its crate in tools that read the template (the local cloud's logs).
    (this.node.defaultChild as lambda.CfnFunction).addMetadata('ferrule:crate', props.crate);
    this.declared.push({
      origin: 'tracing',
      reason: 'X-Ray (no resource-level permissions)',
      actions: [...ACTIONS.tracing],
      resources: ['*'],
    });
    if (props.vpc) {
      // What AWSLambdaVPCAccessExecutionRole grants, inline: Lambda manages the function's ENIs.
      this.addGrant({
        origin: 'vpc',
        reason: 'network interfaces in the VPC (no resource-level permissions for Describe)',
        actions: [...ACTIONS.vpc],
        resources: ['*'],
      });
    }
    // The `*` resources this construct grants: acknowledged here, once, for every stack.
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: props.vpc
        ? 'Only X-Ray (no resource-level permissions) and the ENI actions Lambda needs in a VPC are on *.'
        : 'Only xray:PutTraceSegments and xray:PutTelemetryRecords are on *: X-Ray has no resource-level permissions.',
    });

    if (props.managedInstances) {
      const { capacityProvider, ...options } = props.managedInstances;
      capacityProvider.addFunction(this, options);
      (this.node.defaultChild as lambda.CfnFunction).addMetadata(
        'ferrule:concurrent',
        this.declaresConcurrency(),
      );
    }
    if (props.uses) this.addUses(props.uses);
    // Checked once the whole app is built: event-source helpers and addEnvironment add variables later.
    this.node.addValidation({ validate: () => this.environmentMismatches() });
    if (props.alarms ?? true) {
      this.alarms.push(
        ...functionAlarms(
          this,
          this.service,
          this,
          `${this.service.serviceName}/${props.crate}`,
          this.timeout,
        ),
      );
    }
  }

  /**
   * Declares more of what the function touches (event-source helpers call this too):
   * grants exactly those actions and sets the named environment variables.
   */
  addUses(uses: Uses): void {
    const at = this.usesCount++ === 0 ? 'uses' : `addUses#${this.usesCount}`;
    const resolved = resolveUses(uses, at);
    for (const [name, entry] of resolved.environment) {
      this.claimVariable(name, entry);
      this.addEnvironment(name, entry.value);
    }
    for (const grant of resolved.grants) this.addGrant(grant);
    for (const use of uses.tables ?? []) {
      // The read shorthand queries every index of the table unless the use names them.
      const table = use.table.node.defaultChild;
      if (
        (use.access === 'read' || use.access === 'read-write') &&
        !use.indexes &&
        table instanceof CfnResource
      ) {
        acknowledge(
          this.role,
          `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(table)}.Arn>/index/*]`,
          `Read access covers the own indexes of the table ${use.table.node.path} only (\`<table ARN>/index/*\`); the pattern cannot reach another table.`,
        );
      }
    }
  }

  /**
   * Every statement this construct put on the function's role: its log group, X-Ray, and
   * each declaration. Resources are tokens; compare with `Stack.of(fn).resolve(...)`.
   */
  declaredGrants(): DeclaredGrant[] {
    return this.declared.map((grant) => ({
      ...grant,
      actions: [...grant.actions],
      resources: [...grant.resources],
    }));
  }

  /**
   * Runs the function as a Cognito user pool trigger. Cognito waits at most 5 s for a
   * trigger, so the function's timeout must be 5 s or less.
   */
  addUserPoolTrigger(userPool: cognito.UserPool, operation: cognito.UserPoolOperation): void {
    if (this.timeout.toMilliseconds() > COGNITO_TRIGGER_TIMEOUT.toMilliseconds()) {
      throw new Error(
        `RustFunction ${this.node.id}: a Cognito ${operation.operationName} trigger gives up after 5 s, but timeout is ${this.timeout.toSeconds()} s; set timeout: Duration.seconds(5) (or less)`,
      );
    }
    userPool.addTrigger(operation, this);
    acknowledge(
      this,
      'Serverless-LambdaDLQ',
      'Invoked synchronously by Cognito: the user sees the failure; a dead-letter queue applies to asynchronous invocations only.',
    );
  }

  /**
   * The queue where asynchronous invocations (EventBridge, S3, SNS) land once Lambda's own
   * retries are spent, created on first call with a dead-letter alarm.
   */
  asyncFailureQueue(): sqs.Queue {
    if (this.asyncFailures) return this.asyncFailures;
    const queue = failureQueue(this, 'AsyncFailures');
    this.asyncFailures = queue;
    this.addUses({ queues: [{ queue, access: 'send' }] });
    this.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      // Lambda sends with the function's role; the grant is the `send` declaration above.
      onFailure: { bind: () => ({ destination: queue.queueArn }) },
    });
    this.alarms.push(
      deadLetterAlarm(this, this.service, queue, `${this.service.serviceName}/${this.crate} async failures`),
    );
    return queue;
  }

  /**
   * The environment against the variables the crate declares in its Cargo.toml (required and
   * optional): a missing required one fails at start in AWS, an unread one is a typo or left over.
   */
  private environmentMismatches(): string[] {
    const declared = crateEnvironment(this.crate);
    if (!declared) return [];
    const cfn = this.node.defaultChild as lambda.CfnFunction;
    const resolved = Stack.of(this).resolve(cfn.environment) as
      | { variables?: Record<string, unknown> }
      | undefined;
    return environmentProblems(declared, resolved?.variables ?? {}, this.crate).map(
      (problem) => `RustFunction ${this.node.id}: ${problem}`,
    );
  }

  /** Whether the crate declares that it runs the concurrent loop (true for a crate outside backend/functions). */
  private declaresConcurrency(): boolean {
    return crateEnvironment(this.crate)?.concurrent ?? true;
  }

  private addGrant(grant: DeclaredGrant): void {
    this.declared.push(grant);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: [...grant.actions], resources: [...grant.resources] }),
    );
  }

  private claimVariable(name: string, entry: EnvironmentEntry): void {
    const owner = `RustFunction ${this.node.id}`;
    checkVariableName(owner, name, entry.declaredAt);
    const existing = this.claimed.get(name);
    if (existing) {
      throw new Error(
        `${owner}: ${entry.declaredAt}: ${name} is already set by ${existing.declaredAt}; choose another name`,
      );
    }
    this.claimed.set(name, entry);
  }
}

interface Deployment {
  readonly code: lambda.Code;
  readonly zipPath: string;
  readonly sizes?: ArtifactSizes;
  readonly packaging: 'zip' | 'image';
  readonly imageContext?: string;
  /** Said on the function once it exists. */
  readonly warnings: readonly string[];
}

/** The artifact of the crate for the platform, and how it is packaged. */
function resolveDeployment(
  scope: Construct,
  owner: string,
  props: RustFunctionProps,
  platform: Platform,
): Deployment {
  const workspace = WorkspaceBuild.of(scope);
  let zipPath: string;
  try {
    zipPath = workspace.artifact(props.crate, platform, {
      artifactsDir: props.artifactsDir,
      build: props.build,
    }).zipPath;
  } catch (error) {
    throw new Error(`${owner}: ${(error as Error).message}`);
  }
  const requested = props.packaging ?? 'auto';
  const warnings: string[] = [];
  let sizes: ArtifactSizes | undefined;
  let packaging: 'zip' | 'image' = requested === 'image' ? 'image' : 'zip';
  if (requested === 'auto') {
    const inspected = workspace.inspect(zipPath);
    sizes = inspected.sizes;
    if (inspected.problem) {
      warnings.push(`cannot read the sizes of ${zipPath} (${inspected.problem}); packaging it as a ZIP`);
    }
    if (sizes && exceedsZipLimits(sizes)) {
      packaging = 'image';
    }
  }
  if (packaging === 'zip')
    return { code: lambda.Code.fromAsset(zipPath), zipPath, sizes, packaging, warnings };
  const imageContext = prepareImageContext(zipPath, platform.runtime);
  const code = lambda.Code.fromAssetImage(imageContext, {
    platform:
      platform.architecture === 'arm64' ? ecrAssets.Platform.LINUX_ARM64 : ecrAssets.Platform.LINUX_AMD64,
  });
  return { code, zipPath, sizes, packaging, imageContext, warnings };
}

/** FunctionOptions that would undo what the construct guarantees, and what to do instead. */
const REFUSED_OPTIONS: readonly (readonly [keyof lambda.FunctionOptions, string])[] = [
  ['role', 'the function gets a role of its own granting exactly what `uses` declares; declare access there'],
  [
    'initialPolicy',
    'declare access under `uses` (it grants exactly that and sets the variables the code reads)',
  ],
  ['logFormat', 'logs are JSON (ADR-002); set applicationLogLevelV2/systemLogLevelV2 for levels'],
  ['applicationLogLevel', 'use applicationLogLevelV2'],
  ['systemLogLevel', 'use systemLogLevelV2'],
  ['logRetentionRole', 'the construct creates the log group itself (no LogRetention custom resource)'],
  [
    'logRetentionRetryOptions',
    'the construct creates the log group itself (no LogRetention custom resource)',
  ],
];

function validate(owner: string, props: RustFunctionProps): void {
  for (const [name, instead] of REFUSED_OPTIONS) {
    if (props[name] !== undefined) throw new Error(`${owner}: \`${name}\` is not accepted: ${instead}`);
  }
  if (props.tracing !== undefined && props.tracing !== lambda.Tracing.ACTIVE) {
    throw new Error(
      `${owner}: tracing must stay lambda.Tracing.ACTIVE (ADR-002: X-Ray traces), got ${props.tracing}`,
    );
  }
  if (props.loggingFormat !== undefined && props.loggingFormat !== lambda.LoggingFormat.JSON) {
    throw new Error(
      `${owner}: loggingFormat must stay lambda.LoggingFormat.JSON (ADR-002: JSON logs), got ${props.loggingFormat}`,
    );
  }
  const managed = props.managedInstances;
  if (managed) {
    const concurrency = managed.perExecutionEnvironmentMaxConcurrency;
    if (
      concurrency !== undefined &&
      !Token.isUnresolved(concurrency) &&
      (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 1600)
    ) {
      throw new Error(
        `${owner}: managedInstances.perExecutionEnvironmentMaxConcurrency must be a whole number in 1..1600, got ${concurrency}`,
      );
    }
    const memory = managed.executionEnvironmentMemoryGiBPerVCpu;
    if (memory !== undefined && !Token.isUnresolved(memory) && (memory < 2 || memory > 8)) {
      throw new Error(
        `${owner}: managedInstances.executionEnvironmentMemoryGiBPerVCpu must be in 2..8 GiB per vCPU, got ${memory}`,
      );
    }
    const memorySize = props.memorySize ?? 256;
    if (!Token.isUnresolved(memorySize) && memorySize < 2048) {
      throw new Error(
        `${owner}: Lambda Managed Instances run functions of at least 2 GB and 1 vCPU; set memorySize to 2048 or more (got ${memorySize} MB)`,
      );
    }
    if (props.reservedConcurrentExecutions !== undefined) {
      throw new Error(
        `${owner}: reservedConcurrentExecutions does not apply on Lambda Managed Instances; the capacity provider's scaling and perExecutionEnvironmentMaxConcurrency bound the concurrency`,
      );
    }
    const declared = crateEnvironment(props.crate);
    if (declared && !declared.concurrent) {
      throw new Error(
        `${owner}: crate ${props.crate} runs one invocation at a time; on Lambda Managed Instances it must run the concurrent loop: set concurrent = true under [package.metadata.ferrule] in ${declared.manifest} once its handler keeps no per-request state in the process`,
      );
    }
  }
  if (props.logGroup !== undefined && props.logRetention !== undefined) {
    throw new Error(
      `${owner}: logRetention applies to the log group the construct creates; set the retention on the logGroup you pass instead`,
    );
  }
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(props.crate)) {
    throw new Error(
      `${owner}: crate "${props.crate}" must be a kebab-case crate name from backend/functions/`,
    );
  }
  if (props.runtime !== undefined && !Object.hasOwn(runtimes, props.runtime)) {
    throw new Error(
      `${owner}: runtime must be 'al2023' (provided.al2023, the default) or 'al2' (provided.al2), not "${String(props.runtime)}"`,
    );
  }
  if (props.architecture !== undefined) {
    try {
      archName(props.architecture);
    } catch (error) {
      throw new Error(`${owner}: ${(error as Error).message}`);
    }
  }
  if (props.packaging !== undefined && !['auto', 'zip', 'image'].includes(props.packaging)) {
    throw new Error(`${owner}: packaging must be 'auto', 'zip' or 'image', not "${String(props.packaging)}"`);
  }
  const memory = props.memorySize;
  if (
    memory !== undefined &&
    !Token.isUnresolved(memory) &&
    (memory < 128 || memory > 10_240 || !Number.isInteger(memory))
  ) {
    throw new Error(`${owner}: memorySize must be a whole number of MB in 128..10240, got ${memory}`);
  }
  if (props.timeout !== undefined && props.timeout.toMilliseconds() > Duration.minutes(15).toMilliseconds()) {
    throw new Error(
      `${owner}: timeout must be at most 15 minutes (Lambda's limit), got ${props.timeout.toHumanString()}; longer work belongs in a Step Functions workflow or a container service`,
    );
  }
  if (props.timeout !== undefined && props.timeout.toMilliseconds() < 1000) {
    throw new Error(`${owner}: timeout must be at least 1 second, got ${props.timeout.toHumanString()}`);
  }
  checkPlainEnvironment(owner, props.environment ?? {});
}
