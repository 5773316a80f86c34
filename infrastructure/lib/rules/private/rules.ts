import { NagRuleCompliance, type NagRuleResult } from 'cdk-nag';
import { asArray, isRecord, type Rendered, reference, type TemplateIndex } from './template.ts';

const FUNCTION = 'AWS::Lambda::Function';
const MAPPING = 'AWS::Lambda::EventSourceMapping';
const EVENT_RULE = 'AWS::Events::Rule';
const POLICY_TYPES = [
  'AWS::IAM::Policy',
  'AWS::IAM::ManagedPolicy',
  'AWS::IAM::RolePolicy',
  'AWS::IAM::Role',
];

const { COMPLIANT, NON_COMPLIANT, NOT_APPLICABLE } = NagRuleCompliance;

/** One ADR-002 check: `info` says what is wrong and how to fix it, `explanation` why it matters. */
export interface RuleDefinition {
  /** Suffix of the rule id: the finding is reported as `ADR002-<id>`. */
  readonly id: string;
  /** CloudFormation types the rule looks at. */
  readonly types: readonly string[];
  readonly info: string;
  readonly explanation: string;
  readonly check: (resource: Rendered, index: TemplateIndex) => NagRuleResult;
}

/** Lambda's hard limit; ADR-002 sends workloads that need it to containers. */
export const MAX_TIMEOUT_SECONDS = 900;
/** AWS's guidance for SQS sources: visibility timeout of at least six function timeouts. */
export const VISIBILITY_FACTOR = 6;
const DEFAULT_FUNCTION_TIMEOUT = 3;
const DEFAULT_VISIBILITY_TIMEOUT = 30;
const OS_RUNTIMES = new Set(['provided.al2023', 'provided.al2']);

/**
 * Actions that IAM only authorizes on `Resource: "*"` and that Ferrule's own
 * constructs need: X-Ray's segment upload (active tracing) and the stream listing
 * that CDK's DynamoDB event source grants.
 */
export const RESOURCE_LESS_ACTIONS: readonly string[] = [
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'dynamodb:ListStreams',
];

function functionsOnly(r: Rendered, check: (props: Record<string, unknown>) => boolean): NagRuleResult {
  if (r.type !== FUNCTION) return NOT_APPLICABLE;
  return check(r.props) ? COMPLIANT : NON_COMPLIANT;
}

/** What identifies a function's role across the app: the role resource, or the literal ARN. */
function roleKey(fn: Rendered): string {
  const role = fn.props.Role;
  const ref = reference(role);
  if (ref) return `${fn.stack.node.path}#${ref.id}`;
  return typeof role === 'string' ? role : `${fn.stack.node.path}#${JSON.stringify(role)}`;
}

/** Roles (logical ids in `stack`, and names from literal ARNs) that some function runs as. */
function functionRoles(index: TemplateIndex, from: Rendered): { ids: Set<string>; names: Set<string> } {
  const ids = new Set<string>();
  const names = new Set<string>();
  for (const fn of index.allOfType(from.node, FUNCTION)) {
    const role = fn.props.Role;
    const ref = reference(role);
    if (ref && fn.stack === from.stack) ids.add(ref.id);
    if (typeof role === 'string') names.add(role.slice(role.lastIndexOf('/') + 1));
  }
  return { ids, names };
}

function attachedToFunctionRole(r: Rendered, index: TemplateIndex): boolean {
  const roles = functionRoles(index, r);
  if (r.type === 'AWS::IAM::Role') return roles.ids.has(r.logicalId);
  const attached = r.type === 'AWS::IAM::RolePolicy' ? [r.props.RoleName] : asArray(r.props.Roles);
  return attached.some((role) => {
    const ref = reference(role);
    return ref ? roles.ids.has(ref.id) : typeof role === 'string' && roles.names.has(role);
  });
}

function policyDocuments(r: Rendered): unknown[] {
  if (r.type === 'AWS::IAM::Role') {
    return asArray(r.props.Policies).map((p) => (isRecord(p) ? p.PolicyDocument : undefined));
  }
  return [r.props.PolicyDocument];
}

const isWildcardAction = (action: string) => action === '*' || /^[^:]+:\*$/.test(action);

function wildcardFindings(r: Rendered, index: TemplateIndex): NagRuleResult {
  if (!attachedToFunctionRole(r, index)) return NOT_APPLICABLE;
  const findings = new Set<string>();
  for (const document of policyDocuments(r)) {
    if (!isRecord(document)) continue;
    for (const statement of asArray(document.Statement)) {
      if (!isRecord(statement) || statement.Effect === 'Deny') continue;
      if (statement.NotAction !== undefined) findings.add('NotAction');
      const actions = asArray(statement.Action).filter((a): a is string => typeof a === 'string');
      for (const action of actions.filter(isWildcardAction)) findings.add(`Action::${action}`);
      const anyResource = asArray(statement.Resource).includes('*') || statement.NotResource !== undefined;
      if (!anyResource) continue;
      for (const action of actions) {
        if (!isWildcardAction(action) && !RESOURCE_LESS_ACTIONS.includes(action)) {
          findings.add(`Resource::*::${action}`);
        }
      }
    }
  }
  return [...findings];
}

const SECRET_NAME = /secret|passw(or)?d|pwd|token|api[_-]?key|private[_-]?key|credential/i;
/** Names that hold where a secret lives, not the secret: DB_SECRET_ARN, API_KEY_PARAMETER. */
const REFERENCE_NAME = /[_-](arn|name|id|param|parameter|path)$/i;
const DYNAMIC_SECRET = /\{\{resolve:(secretsmanager|ssm-secure):/;
const ACCESS_KEY_ID = /\b(AKIA|ASIA)[A-Z0-9]{16}\b/;
const PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
const SECRET_ACCESS_KEY = /(?:^|[^A-Za-z0-9/+])([A-Za-z0-9/+]{40})(?=[^A-Za-z0-9/+=]|$)/g;

function looksLikeSecretValue(value: string): boolean {
  if (ACCESS_KEY_ID.test(value) || PRIVATE_KEY.test(value)) return true;
  // 40 base64 characters with both cases: a secret access key, not a lowercase hex digest.
  for (const match of value.matchAll(SECRET_ACCESS_KEY)) {
    const candidate = match[1] ?? '';
    if (/[A-Z]/.test(candidate) && /[a-z]/.test(candidate) && /[0-9/+]/.test(candidate)) return true;
  }
  return false;
}

const isReferenceValue = (value: string) => value === '' || value.startsWith('arn:') || value.startsWith('/');

function secretFindings(r: Rendered): NagRuleResult {
  if (r.type !== FUNCTION) return NOT_APPLICABLE;
  const environment = r.props.Environment;
  const variables = isRecord(environment) && isRecord(environment.Variables) ? environment.Variables : {};
  const findings: string[] = [];
  for (const [name, value] of Object.entries(variables)) {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    const literal = typeof value === 'string';
    const secretName = SECRET_NAME.test(name) && !REFERENCE_NAME.test(name);
    if (
      DYNAMIC_SECRET.test(text) ||
      (literal && looksLikeSecretValue(value)) ||
      (literal && secretName && !isReferenceValue(value))
    ) {
      findings.push(`Variable::${name}`);
    }
  }
  return findings;
}

type SourceKind = 'sqs' | 'stream';

function eventSource(r: Rendered, index: TemplateIndex): { kind: SourceKind; queue?: Rendered } | undefined {
  const arn = r.props.EventSourceArn;
  const target = index.referenced(r, arn);
  if (target) {
    if (target.type === 'AWS::SQS::Queue') return { kind: 'sqs', queue: target };
    if (/^AWS::(DynamoDB::(Global)?Table|Kinesis::Stream(Consumer)?)$/.test(target.type))
      return { kind: 'stream' };
    return undefined;
  }
  // A literal or joined ARN of a resource outside the stack: its service is all we can know.
  const text = JSON.stringify(arn ?? '');
  if (text.includes(':sqs:')) return { kind: 'sqs' };
  if (text.includes(':dynamodb:') || text.includes(':kinesis:')) return { kind: 'stream' };
  return undefined;
}

const reportsItemFailures = (r: Rendered) =>
  asArray(r.props.FunctionResponseTypes).includes('ReportBatchItemFailures');

/** A redrive policy naming a dead-letter queue; an intrinsic (Fn::If, Ref) is taken as one. */
function hasDeadLetterQueue(redrive: unknown): boolean {
  if (typeof redrive === 'string') return redrive.includes('deadLetterTargetArn');
  if (!isRecord(redrive)) return false;
  return (
    redrive.deadLetterTargetArn !== undefined ||
    Object.keys(redrive).some((k) => k === 'Ref' || k.startsWith('Fn::'))
  );
}

function sqsFindings(r: Rendered, index: TemplateIndex): NagRuleResult {
  if (r.type !== MAPPING) return NOT_APPLICABLE;
  const source = eventSource(r, index);
  if (source?.kind !== 'sqs') return NOT_APPLICABLE;
  const findings: string[] = [];
  if (!reportsItemFailures(r)) findings.push('ReportBatchItemFailures');
  const queue = source.queue;
  if (queue) {
    if (!hasDeadLetterQueue(queue.props.RedrivePolicy)) findings.push('RedrivePolicy');
    const fn = index.referenced(r, r.props.FunctionName);
    const visibility = queue.props.VisibilityTimeout ?? DEFAULT_VISIBILITY_TIMEOUT;
    const timeout = fn?.type === FUNCTION ? (fn.props.Timeout ?? DEFAULT_FUNCTION_TIMEOUT) : undefined;
    if (
      typeof visibility === 'number' &&
      typeof timeout === 'number' &&
      visibility < VISIBILITY_FACTOR * timeout
    ) {
      findings.push('VisibilityTimeout');
    }
  }
  return findings;
}

function streamFindings(r: Rendered, index: TemplateIndex): NagRuleResult {
  if (r.type !== MAPPING || eventSource(r, index)?.kind !== 'stream') return NOT_APPLICABLE;
  const findings: string[] = [];
  if (r.props.BisectBatchOnFunctionError !== true) findings.push('BisectBatchOnFunctionError');
  if (!reportsItemFailures(r)) findings.push('ReportBatchItemFailures');
  const retries = r.props.MaximumRetryAttempts;
  if (typeof retries !== 'number' || retries < 0) findings.push('MaximumRetryAttempts');
  const destination = r.props.DestinationConfig;
  const onFailure = isRecord(destination) ? destination.OnFailure : undefined;
  if (!isRecord(onFailure) || onFailure.Destination === undefined) findings.push('OnFailureDestination');
  return findings;
}

function isFunctionArn(r: Rendered, index: TemplateIndex, arn: unknown): boolean {
  const target = index.referenced(r, arn);
  if (target) return /^AWS::Lambda::(Function|Alias|Version)$/.test(target.type);
  const text = JSON.stringify(arn ?? '');
  return text.includes(':lambda:') && text.includes(':function:');
}

function eventBridgeFindings(r: Rendered, index: TemplateIndex): NagRuleResult {
  if (r.type !== EVENT_RULE) return NOT_APPLICABLE;
  const findings: string[] = [];
  for (const target of asArray(r.props.Targets)) {
    if (!isRecord(target) || !isFunctionArn(r, index, target.Arn)) continue;
    const id = String(target.Id);
    const dlq = target.DeadLetterConfig;
    if (!isRecord(dlq) || dlq.Arn === undefined) findings.push(`Target::${id}::DeadLetterConfig`);
    const retry = target.RetryPolicy;
    if (
      !isRecord(retry) ||
      (retry.MaximumRetryAttempts === undefined && retry.MaximumEventAgeInSeconds === undefined)
    ) {
      findings.push(`Target::${id}::RetryPolicy`);
    }
  }
  return findings;
}

/** The ADR-002 checks, in the order of docs/rules.md. */
export const RULES: readonly RuleDefinition[] = [
  {
    id: 'OsOnlyRuntime',
    types: [FUNCTION],
    info:
      'The Lambda function does not run a `bootstrap` binary on an OS-only runtime. ' +
      'Fix: use RustFunction, or set Runtime provided.al2023 (or provided.al2) with Handler "bootstrap"; ' +
      'container images (PackageType Image) are accepted.',
    explanation:
      'ADR-002 makes Rust built by cargo-lambda the only compute: a Rust binary needs no managed language runtime, ' +
      'and a managed runtime (nodejs, python, java) means code outside the platform decision.',
    check: (r) =>
      functionsOnly(
        r,
        (p) => p.PackageType === 'Image' || (OS_RUNTIMES.has(String(p.Runtime)) && p.Handler === 'bootstrap'),
      ),
  },
  {
    id: 'OneRolePerFunction',
    types: [FUNCTION],
    info:
      'The Lambda function shares its execution role with another function. ' +
      'Fix: give each function its own role (RustFunction creates one) and grant it only what that function uses.',
    explanation:
      'ADR-002: one least-privilege role per function. A shared role carries the union of every sharer’s ' +
      'permissions, so a flaw in one function reaches the data of all of them.',
    check: (r, index) => {
      if (r.type !== FUNCTION) return NOT_APPLICABLE;
      const key = roleKey(r);
      const shared = index.allOfType(r.node, FUNCTION).some((other) => other !== r && roleKey(other) === key);
      return shared ? NON_COMPLIANT : COMPLIANT;
    },
  },
  {
    id: 'ActiveTracing',
    types: [FUNCTION],
    info:
      'The Lambda function does not have X-Ray tracing set to Active. ' +
      'Fix: tracing: lambda.Tracing.ACTIVE (TracingConfig.Mode "Active").',
    explanation:
      'ADR-002 observability: traces from aws_lambda_powertools join the invocation’s X-Ray trace only when ' +
      'Lambda samples and propagates it, which PassThrough or no tracing does not.',
    check: (r) => functionsOnly(r, (p) => isRecord(p.TracingConfig) && p.TracingConfig.Mode === 'Active'),
  },
  {
    id: 'JsonLogs',
    types: [FUNCTION],
    info:
      'The Lambda function does not log in JSON. ' +
      'Fix: loggingFormat: lambda.LoggingFormat.JSON (LoggingConfig.LogFormat "JSON").',
    explanation:
      'ADR-002 observability: `tracing` JSON logs go to CloudWatch; with the Text format Lambda’s own platform ' +
      'lines are plain text and the application log level filter is unavailable, so logs cannot be queried as fields.',
    check: (r) => functionsOnly(r, (p) => isRecord(p.LoggingConfig) && p.LoggingConfig.LogFormat === 'JSON'),
  },
  {
    id: 'ArtifactPackaging',
    types: [FUNCTION],
    info:
      'The Lambda function code is neither a zip in S3 (a CDK asset) nor a container image. ' +
      'Fix: deploy the bootstrap.zip that `ferrule build` writes (lambda.Code.fromAsset), or an image ' +
      '(PackageType Image with Code.ImageUri) when the artifact exceeds the zip limits.',
    explanation:
      'ADR-002 ships a ZIP uploaded by CDK and switches to an image only above 50 MB. Inline code (ZipFile) cannot ' +
      'hold a compiled binary. The template cannot show sizes: `ferrule build` checks the 50 MB zipped and 250 MB ' +
      'unzipped limits and reports when an artifact needs an image.',
    check: (r) =>
      functionsOnly(r, (p) => {
        const code = p.Code;
        if (!isRecord(code)) return false;
        if (p.PackageType === 'Image') return code.ImageUri !== undefined;
        return code.S3Bucket !== undefined && code.S3Key !== undefined && code.ZipFile === undefined;
      }),
  },
  {
    id: 'NoWildcardPermissions',
    types: POLICY_TYPES,
    info:
      'A policy of a function role allows a wildcard: every action (`*`), every action of a service ' +
      '(`service:*`), NotAction, or an action on every resource (`*`). ' +
      'Fix: name the actions and scope them to the function’s own resources (use the CDK grant methods). ' +
      `Allowed on "*": ${RESOURCE_LESS_ACTIONS.join(', ')}, which IAM authorizes on no narrower resource.`,
    explanation:
      'ADR-002: one least-privilege role per function, scoped to its data and AWS services. A wildcard grants ' +
      'actions and resources nobody reviewed, including those AWS adds later.',
    check: wildcardFindings,
  },
  {
    id: 'NoSecretsInEnvironment',
    types: [FUNCTION],
    info:
      'An environment variable of the Lambda function looks like a secret: its name says secret, password, ' +
      'token, API key, private key or credential and it holds a literal value, or its value looks like an AWS ' +
      'access key, a private key or a Secrets Manager dynamic reference. ' +
      'Fix: store the value in Secrets Manager, pass the secret ARN or name (e.g. DB_SECRET_ARN) and grantRead it.',
    explanation:
      'ADR-002 configuration: secrets are pulled from Secrets Manager. Environment variables are readable by ' +
      'anyone with lambda:GetFunctionConfiguration, appear in the template and in deployment history.',
    check: secretFindings,
  },
  {
    id: 'TimeoutBelowMax',
    types: [FUNCTION],
    info:
      `The Lambda function timeout is ${MAX_TIMEOUT_SECONDS} seconds (Lambda’s maximum) or cannot be read. ` +
      `Fix: set a literal timeout below ${MAX_TIMEOUT_SECONDS} s sized to the work.`,
    explanation:
      'ADR-002 moves workloads that need the 15-minute limit to containers; a function at the maximum has no ' +
      'headroom and is usually one that should be split or moved. Long timeouts also stretch SQS visibility.',
    check: (r) =>
      functionsOnly(r, (p) => {
        const timeout = p.Timeout ?? DEFAULT_FUNCTION_TIMEOUT;
        return typeof timeout === 'number' && timeout < MAX_TIMEOUT_SECONDS;
      }),
  },
  {
    id: 'SqsEventSource',
    types: [MAPPING],
    info:
      'An SQS event source is unsafe: it lacks FunctionResponseTypes ReportBatchItemFailures, or its queue has ' +
      `no redrive policy (dead-letter queue), or the queue visibility timeout is below ${VISIBILITY_FACTOR} × the ` +
      'function timeout. Fix: reportBatchItemFailures: true, deadLetterQueue on the queue, visibilityTimeout ≥ ' +
      `${VISIBILITY_FACTOR} × timeout.`,
    explanation:
      'Without partial batch responses one bad message returns the whole batch; without a DLQ a poison message ' +
      'loops until retention expires; a short visibility timeout redelivers messages still being processed ' +
      `(AWS recommends ${VISIBILITY_FACTOR} × the function timeout).`,
    check: sqsFindings,
  },
  {
    id: 'StreamEventSource',
    types: [MAPPING],
    info:
      'A DynamoDB or Kinesis event source lacks failure handling: BisectBatchOnFunctionError, ' +
      'FunctionResponseTypes ReportBatchItemFailures, a MaximumRetryAttempts (not -1) and a ' +
      'DestinationConfig.OnFailure. Fix: bisectBatchOnError: true, reportBatchItemFailures: true, retryAttempts, ' +
      'onFailure: new SqsDlq(...) (or SnsDlq/S3OnFailureDestination).',
    explanation:
      'A stream shard is processed in order: a record that always fails blocks the shard until it expires ' +
      '(infinite retries by default), and is then lost unless an on-failure destination keeps it.',
    check: streamFindings,
  },
  {
    id: 'EventBridgeTarget',
    types: [EVENT_RULE],
    info:
      'An EventBridge rule target that invokes a Lambda function has no DeadLetterConfig or no RetryPolicy. ' +
      'Fix: new targets.LambdaFunction(fn, { deadLetterQueue, retryAttempts, maxEventAge }).',
    explanation:
      'EventBridge invokes Lambda asynchronously; without a dead-letter queue events that exhaust retries are ' +
      'dropped silently, and without an explicit retry policy they are retried for up to 24 hours.',
    check: eventBridgeFindings,
  },
  {
    id: 'ManagedInstancesConcurrentRuntime',
    types: [FUNCTION],
    info:
      'The Lambda function runs on a capacity provider (Lambda Managed Instances) but is not known to run the ' +
      'concurrent runtime loop. Fix: use RustFunction with managedInstances, on a crate that declares ' +
      '`concurrent = true` under [package.metadata.ferrule] and calls lambda_runtime::run_concurrent.',
    explanation:
      'On Lambda Managed Instances one execution environment takes many invocations at once; a handler written ' +
      'for one at a time (state in statics or in the process environment, such as _X_AMZN_TRACE_ID) mixes requests, ' +
      'and the sequential loop takes only one invocation at a time, wasting the instance.',
    check: (r) => {
      if (r.type !== FUNCTION || r.props.CapacityProviderConfig === undefined) return NOT_APPLICABLE;
      return r.node.getMetadata('ferrule:concurrent') === true ? COMPLIANT : NON_COMPLIANT;
    },
  },
];
