import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { defaultArtifactsDir, type OsRuntime, type Platform, platformName, runtimes } from './platform.ts';

export interface RustFunctionProps {
  /** Name of the function crate in backend/functions/ (also its artifact folder). */
  readonly crate: string;
  /**
   * OS-only runtime.
   * @default 'al2023' — provided.al2 reaches end of support; al2 builds link against glibc 2.26.
   */
  readonly runtime?: OsRuntime;
  /**
   * Instruction set.
   * @default lambda.Architecture.X86_64 — the artifact tested locally is the one deployed (docs/adr/0005).
   */
  readonly architecture?: lambda.Architecture;
  /**
   * Folder with one `<platform>/<crate>/bootstrap.zip` per function, as written by `ferrule build`.
   * @default dist/lambda at the project root
   */
  readonly artifactsDir?: string;
  /**
   * Memory in MB. CPU share grows with memory; Rust needs little of either.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Timeout. Short by default so a hung downstream fails fast and retries.
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /** @default - none */
  readonly description?: string;
  /** Plain configuration values; never secrets (they belong in Secrets Manager). @default - none */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Retention of the function's own log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /** Service name written into logs and metrics. @default the crate name */
  readonly serviceName?: string;
}

/**
 * A Rust function on an OS-only Lambda runtime, deployed from the zip `ferrule build`
 * produced: handler `bootstrap`, its own role with no managed policy, its own log
 * group with retention, JSON logs and active X-Ray tracing.
 */
export class RustFunction extends Construct {
  readonly function: lambda.Function;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: RustFunctionProps) {
    super(scope, id);
    validate(props);
    const platform: Platform = {
      runtime: props.runtime ?? 'al2023',
      architecture: props.architecture ?? lambda.Architecture.X86_64,
    };
    const zip = join(
      props.artifactsDir ?? defaultArtifactsDir(),
      platformName(platform),
      props.crate,
      'bootstrap.zip',
    );
    if (!existsSync(zip)) {
      throw new Error(
        `RustFunction ${id}: no artifact for crate "${props.crate}" at ${zip}; run \`npx ferrule build --runtime ${platform.runtime} --arch ${platformName(platform).split('-')[1]}\` first`,
      );
    }

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.crate} (used by this function only)`,
    });
    // Only what the function's own log group needs: no AWSLambdaBasicExecutionRole.
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.function = new lambda.Function(this, 'Function', {
      code: lambda.Code.fromAsset(zip),
      handler: 'bootstrap',
      runtime: runtimes[platform.runtime],
      architecture: platform.architecture,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      description: props.description,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        FERRULE_SERVICE_NAME: props.serviceName ?? props.crate,
        ...props.environment,
      },
    });
  }
}

function validate(props: RustFunctionProps) {
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(props.crate)) {
    throw new Error(
      `RustFunction: crate "${props.crate}" must be a kebab-case crate name from backend/functions/`,
    );
  }
  if (props.memorySize !== undefined && (props.memorySize < 128 || props.memorySize > 10_240)) {
    throw new Error(`RustFunction ${props.crate}: memorySize must be 128..10240 MB, got ${props.memorySize}`);
  }
  if (props.timeout !== undefined && props.timeout.toSeconds() > 900) {
    throw new Error(`RustFunction ${props.crate}: timeout must be at most 15 minutes`);
  }
}
