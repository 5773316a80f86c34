import { Token } from 'aws-cdk-lib';

/** Variables Lambda sets itself; CloudFormation rejects a function that sets them. */
const RESERVED = new Set([
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
]);

/** ferrule-parameters resolves a value with this prefix from SSM Parameter Store at init. */
const SSM_PREFIX = 'ssm:';

const SECRET_NAME = /secret|password|passwd|token|api[_-]?key|private[_-]?key/i;

/** Shaped like an AWS secret access key: 40 base64 characters mixing cases and digits. */
function looksLikeSecretKey(value: string): boolean {
  return /^[A-Za-z0-9/+]{40}$/.test(value) && /[A-Z]/.test(value) && /[a-z]/.test(value) && /\d/.test(value);
}

/** Throws when a plain environment entry is invalid or looks like it carries a secret. */
export function checkPlainEnvironment(owner: string, environment: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(environment)) {
    checkVariableName(owner, name, `environment.${name}`);
    if (SECRET_NAME.test(name)) {
      throw new Error(
        `${owner}: environment.${name} looks like a secret (its name matches /secret|password|token|api key/); plain environment values are visible to anyone who can read the function's configuration. Create it with service.addSecret (or import it) and declare it under uses.secrets: [{ secret, env: '${name}' }]`,
      );
    }
    // A string with tokens still shows its literal prefix.
    if (typeof value === 'string' && value.startsWith(SSM_PREFIX)) {
      throw new Error(
        `${owner}: environment.${name} is an SSM reference ("${value}"), which ferrule-parameters resolves at init with ssm:GetParameters, but a plain value grants no read and the function would fail to start. Declare the parameter instead: uses.parameters: [{ parameter, env: '${name}' }] (service.addParameter or service.importParameter) sets the same reference and grants the read on that parameter`,
      );
    }
    if (
      !Token.isUnresolved(value) &&
      (looksLikeSecretKey(value) || /^(AKIA|ASIA)[A-Z0-9]{16}$/.test(value))
    ) {
      throw new Error(
        `${owner}: environment.${name} holds what looks like an AWS access key; never pass credentials in the environment. Put the value in Secrets Manager and declare it under uses.secrets (the function's role already gives it credentials for AWS calls)`,
      );
    }
  }
}

export function checkVariableName(owner: string, name: string, declaredAt: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new Error(`${owner}: ${declaredAt}: "${name}" is not a valid environment variable name`);
  }
  if (RESERVED.has(name)) {
    throw new Error(`${owner}: ${declaredAt}: ${name} is reserved by Lambda; choose another name`);
  }
}
