import { randomBytes } from 'node:crypto';

/** Settings of a function as Lambda knows them (the subset an OS-only runtime can observe). */
export interface FunctionSettings {
  /** Function name. */
  readonly name: string;
  /** Memory in MB, as configured. @default 128 */
  readonly memoryMb?: number;
  /** Timeout in seconds. @default 3 (Lambda's default) */
  readonly timeoutSeconds?: number;
  /** @default 'eu-west-1' */
  readonly region?: string;
  /** @default '$LATEST' */
  readonly version?: string;
  /** Account id used in the function ARN. @default '123456789012' */
  readonly accountId?: string;
  /** `JSON` or `Text`, as the function's logging config. @default 'JSON' */
  readonly logFormat?: 'JSON' | 'Text';
  /** Application log level (only set when the log format is JSON, as on Lambda). @default 'INFO' */
  readonly logLevel?: string;
  /** Handler setting; OS-only runtimes ignore it but Lambda still sets it. @default 'bootstrap' */
  readonly handler?: string;
  /** The function's own environment variables (what CDK puts in `Environment.Variables`). */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Invocations one execution environment takes at once, as on Lambda Managed Instances
   * (`PerExecutionEnvironmentMaxConcurrency`): above 1 the runtime gets `AWS_LAMBDA_MAX_CONCURRENCY`.
   * @default 1 (classic Lambda: one at a time)
   */
  readonly maxConcurrency?: number;
}

export const DEFAULT_TIMEOUT_SECONDS = 3;
export const DEFAULT_MEMORY_MB = 128;

export function functionArn(settings: FunctionSettings): string {
  return `arn:aws:lambda:${settings.region ?? 'eu-west-1'}:${settings.accountId ?? '123456789012'}:function:${settings.name}`;
}

/**
 * The environment Lambda gives the `bootstrap` process: the reserved variables of
 * the "Defined runtime environment variables" table, then the function's own.
 * Nothing is inherited from the caller's shell, as on Lambda; credentials and the
 * endpoint come from `passthrough` (for example moto's `AWS_ENDPOINT_URL`).
 */
export function lambdaEnvironment(
  settings: FunctionSettings,
  runtimeApi: string,
  taskRoot: string,
  passthrough: Readonly<Record<string, string | undefined>> = {},
): Record<string, string> {
  const region = settings.region ?? 'eu-west-1';
  const logFormat = settings.logFormat ?? 'JSON';
  const date = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  const version = settings.version ?? '$LATEST';
  const env: Record<string, string> = {
    _HANDLER: settings.handler ?? 'bootstrap',
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_LAMBDA_FUNCTION_NAME: settings.name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(settings.memoryMb ?? DEFAULT_MEMORY_MB),
    AWS_LAMBDA_FUNCTION_VERSION: version,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${settings.name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `${date}/[${version}]${randomBytes(16).toString('hex')}`,
    AWS_LAMBDA_LOG_FORMAT: logFormat,
    AWS_LAMBDA_RUNTIME_API: runtimeApi,
    LAMBDA_TASK_ROOT: taskRoot,
    LAMBDA_RUNTIME_DIR: taskRoot,
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
    AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
    _AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1',
    _AWS_XRAY_DAEMON_PORT: '2000',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    PATH: '/usr/local/bin:/usr/bin/:/bin:/opt/bin',
    LD_LIBRARY_PATH: `/lib64:/usr/lib64:${taskRoot}:${taskRoot}/lib:/opt/lib`,
    // Lambda always provides credentials; these are the moto/test defaults unless passed through.
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_SESSION_TOKEN: 'testing',
  };
  if (logFormat === 'JSON') env.AWS_LAMBDA_LOG_LEVEL = settings.logLevel ?? 'INFO';
  if ((settings.maxConcurrency ?? 1) > 1) env.AWS_LAMBDA_MAX_CONCURRENCY = String(settings.maxConcurrency);
  for (const [key, value] of Object.entries(passthrough)) {
    if (value !== undefined) env[key] = value;
  }
  return { ...env, ...settings.environment };
}

/** A new X-Ray trace header as Lambda passes it in `Lambda-Runtime-Trace-Id`. */
export function newTraceHeader(sampled = false): string {
  const epoch = Math.floor(Date.now() / 1000).toString(16);
  const root = `1-${epoch.padStart(8, '0')}-${randomBytes(12).toString('hex')}`;
  const parent = randomBytes(8).toString('hex');
  return `Root=${root};Parent=${parent};Sampled=${sampled ? 1 : 0}`;
}
