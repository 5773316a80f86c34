// IAM equals code: per function, the actions its role grants in the template against the
// actions its code can call (code-actions.ts). Grants Lambda itself uses on the function's
// behalf (logs, X-Ray, event source mappings, failure destinations, KMS behind a resource)
// are set apart first, each with the reason; what is left must match the code both ways.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '@ferrule/toolchain/project';
import {
  type AppFunction,
  type AssemblyStack,
  constructPathOf,
  functionsOf,
  referencedIds,
  render,
  roleStatements,
  type TemplateResource,
} from '../app-functions.ts';
import type { CheckFinding } from '../check.ts';
import {
  analyzeFunction,
  type CodeCall,
  type FunctionCode,
  type UnknownCall,
  Workspace,
} from './code-actions.ts';

/** One action on one resource of the role (rendered by name), with the index it names. */
export interface Grant {
  readonly action: string;
  readonly resource: string;
  /** `<table ARN>/index/<name>` → the name (`*` for every index); absent otherwise. */
  readonly index?: string;
}

/** A grant the platform uses for the function, not its code. */
export interface PlatformGrant extends Grant {
  readonly reason: string;
}

export interface IamComparison {
  readonly crate: string;
  readonly stack: string;
  /** The function's construct path. */
  readonly constructPath: string;
  /** The construct path of its role (where findings point). */
  readonly rolePath: string;
  /** What the code can call (onConfiguration calls only when the deployment configures them). */
  readonly calls: readonly CodeCall[];
  /** The role's grants for the code. */
  readonly granted: readonly Grant[];
  /** The role's grants for Lambda itself, left out of the comparison. */
  readonly platform: readonly PlatformGrant[];
  readonly grantedNotCalled: readonly Grant[];
  readonly calledNotGranted: readonly CodeCall[];
  readonly unknown: readonly UnknownCall[];
}

const SQS_CONSUME = [
  'sqs:ChangeMessageVisibility',
  'sqs:DeleteMessage',
  'sqs:GetQueueAttributes',
  'sqs:ReceiveMessage',
];
const STREAM_READ = [
  'dynamodb:DescribeStream',
  'dynamodb:GetRecords',
  'dynamodb:GetShardIterator',
  'dynamodb:ListStreams',
];
const KINESIS_READ = [
  'kinesis:DescribeStream',
  'kinesis:DescribeStreamSummary',
  'kinesis:GetRecords',
  'kinesis:GetShardIterator',
  'kinesis:ListShards',
  'kinesis:ListStreams',
  'kinesis:SubscribeToShard',
];
const VPC = [
  'ec2:AssignPrivateIpAddresses',
  'ec2:CreateNetworkInterface',
  'ec2:DeleteNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:UnassignPrivateIpAddresses',
];

/** Actions Lambda (or the service behind a resource) uses whatever the resource. */
const ANY_RESOURCE: readonly { readonly prefix: string; readonly reason: string }[] = [
  { prefix: 'logs:', reason: "Lambda writes the function's log lines" },
  { prefix: 'xray:', reason: 'active tracing: Lambda and the X-Ray daemon send the segments' },
  {
    prefix: 'kms:',
    reason:
      'DynamoDB, SQS, SSM and Secrets Manager call KMS for the key of a resource the function uses; the code never calls KMS',
  },
];

interface PlatformSource {
  readonly resource: unknown;
  readonly actions: readonly string[];
  readonly reason: string;
}

/** What Lambda does with the function's role: its event source mappings and failure destinations. */
function platformSources(stack: AssemblyStack, functionId: string): PlatformSource[] {
  const sources: PlatformSource[] = [];
  const targets = (value: unknown) => referencedIds(value).has(functionId);
  const typeOf = (arn: unknown): string => {
    const id = [...referencedIds(arn)][0];
    const type = id ? stack.resources[id]?.Type : undefined;
    if (type) return type;
    const text = typeof arn === 'string' ? arn : render(stack, arn);
    const service = /^arn:[^:]+:([^:]+):/.exec(text)?.[1];
    const byService: Record<string, string> = {
      sqs: 'AWS::SQS::Queue',
      dynamodb: 'AWS::DynamoDB::Table',
      kinesis: 'AWS::Kinesis::Stream',
      sns: 'AWS::SNS::Topic',
      lambda: 'AWS::Lambda::Function',
      events: 'AWS::Events::EventBus',
    };
    return byService[service ?? ''] ?? '';
  };
  const destination = (arn: unknown, what: string) => {
    if (arn === undefined) return;
    const actions: Record<string, string[]> = {
      'AWS::SQS::Queue': ['sqs:SendMessage'],
      'AWS::SNS::Topic': ['sns:Publish'],
      'AWS::Lambda::Function': ['lambda:InvokeFunction'],
      'AWS::Events::EventBus': ['events:PutEvents'],
    };
    const sent = actions[typeOf(arn)];
    if (sent) sources.push({ resource: arn, actions: sent, reason: `Lambda sends ${what} there` });
  };
  const fn = stack.resources[functionId]?.Properties ?? {};
  destination(
    (fn.DeadLetterConfig as { TargetArn?: unknown } | undefined)?.TargetArn,
    'failed asynchronous events (dead-letter queue)',
  );
  if (fn.VpcConfig)
    sources.push({
      resource: '*',
      actions: VPC,
      reason: "Lambda attaches the function's network interfaces",
    });
  for (const resource of Object.values(stack.resources)) {
    const props = resource.Properties ?? {};
    if (!targets(props.FunctionName)) continue;
    const config = props.DestinationConfig as
      | { OnFailure?: { Destination?: unknown }; OnSuccess?: { Destination?: unknown } }
      | undefined;
    if (resource.Type === 'AWS::Lambda::EventSourceMapping') {
      const source = props.EventSourceArn;
      const reads: Record<string, readonly string[]> = {
        'AWS::SQS::Queue': SQS_CONSUME,
        'AWS::DynamoDB::Table': STREAM_READ,
        'AWS::Kinesis::Stream': KINESIS_READ,
      };
      const actions = reads[typeOf(source)];
      if (actions) {
        sources.push({
          resource: source,
          actions,
          reason: 'the event source mapping reads the source for the function',
        });
      }
      destination(config?.OnFailure?.Destination, "the event source mapping's failed batches");
    } else if (resource.Type === 'AWS::Lambda::EventInvokeConfig') {
      destination(config?.OnFailure?.Destination, 'failed asynchronous invocations');
      destination(config?.OnSuccess?.Destination, 'successful asynchronous invocations');
    }
  }
  return sources;
}

/** Whether a granted resource is the platform source (same resource, or its stream ARNs). */
function sameResource(granted: unknown, source: unknown): boolean {
  if (source === '*') return true;
  if (JSON.stringify(granted) === JSON.stringify(source)) return true;
  const a = referencedIds(granted);
  const b = referencedIds(source);
  if (a.size > 0 && a.size === b.size && [...a].every((id) => b.has(id))) return true;
  // An imported stream ARN: `<table ARN>/stream/<label>` and `<table ARN>/stream/*`.
  if (typeof granted === 'string' && typeof source === 'string' && source.includes('/stream/')) {
    return granted.startsWith(`${source.slice(0, source.indexOf('/stream/'))}/stream/`);
  }
  return false;
}

const matches = (pattern: string, action: string) =>
  pattern === action || (pattern.endsWith('*') && action.startsWith(pattern.slice(0, -1)));

const indexOf = (resource: string): string | undefined => /\/index\/([^/]+)$/.exec(resource)?.[1];

/** Compares one function's role in `stack` with what its code can call. */
export function compareFunction(stack: AssemblyStack, fn: AppFunction, code: FunctionCode): IamComparison {
  const sources = platformSources(stack, fn.logicalId);
  const granted: Grant[] = [];
  const platform: PlatformGrant[] = [];
  for (const statement of fn.role ? roleStatements(stack, fn.role) : []) {
    for (const action of statement.actions) {
      for (const raw of statement.resources) {
        const resource = render(stack, raw);
        const index = action.startsWith('dynamodb:') ? indexOf(resource) : undefined;
        const grant: Grant = index === undefined ? { action, resource } : { action, resource, index };
        const anywhere = ANY_RESOURCE.find((p) => action.startsWith(p.prefix));
        const source = sources.find((s) => s.actions.includes(action) && sameResource(raw, s.resource));
        if (anywhere) platform.push({ ...grant, reason: anywhere.reason });
        else if (source) platform.push({ ...grant, reason: source.reason });
        else granted.push(grant);
      }
    }
  }

  // ssm: values in the environment are what ferrule-parameters resolves at init.
  const variables =
    ((stack.resources[fn.logicalId]?.Properties?.Environment as { Variables?: Record<string, unknown> })
      ?.Variables as Record<string, unknown> | undefined) ?? {};
  const configured = Object.values(variables).some((value) => render(stack, value).startsWith('ssm:'));
  const calls = code.calls.filter(
    (call) => !call.onConfiguration || configured || granted.some((g) => matches(g.action, call.action)),
  );

  const covers = (grant: Grant, call: CodeCall) =>
    matches(grant.action, call.action) &&
    (call.index === undefined
      ? grant.index === undefined
      : grant.index !== undefined &&
        (grant.index === '*' || call.index === '*' || grant.index === call.index));
  const calledNotGranted = calls.filter((call) => !granted.some((grant) => covers(grant, call)));
  // A wildcard action is never what code calls: it always grants more.
  const grantedNotCalled = granted.filter(
    (grant) => grant.action.includes('*') || !calls.some((call) => covers(grant, call)),
  );
  const roleId = fn.role;
  return {
    crate: code.crate,
    stack: stack.name,
    constructPath: fn.constructPath,
    rolePath: roleId ? constructPathOf(stack, roleId) : fn.constructPath,
    calls,
    granted,
    platform,
    grantedNotCalled,
    calledNotGranted,
    unknown: code.unknown,
  };
}

/**
 * Compares every function of the app whose crate is in backend/functions/ of `root`; other
 * functions (not Ferrule builds) are left alone.
 */
export function compareApp(
  stacks: readonly AssemblyStack[],
  functions: readonly AppFunction[],
  options: { readonly root?: string; readonly workspace?: Workspace } = {},
): IamComparison[] {
  const root = options.root ?? projectRoot;
  const ferrule = functions.filter(
    (fn) => fn.crate !== null && existsSync(join(root, 'backend/functions', fn.crate, 'Cargo.toml')),
  );
  if (ferrule.length === 0) return [];
  const workspace = options.workspace ?? Workspace.load(root);
  const analyses = new Map<string, FunctionCode>();
  return ferrule.map((fn) => {
    const crate = fn.crate as string;
    let code = analyses.get(crate);
    if (!code) {
      code = analyzeFunction(workspace, crate);
      analyses.set(crate, code);
    }
    const stack = stacks.find((s) => s.name === fn.stack) as AssemblyStack;
    return compareFunction(stack, fn, code);
  });
}

/** {@link compareApp} on templates in memory (`Template.fromStack(stack).toJSON()`), by stack name. */
export function compareTemplates(
  templates: Readonly<Record<string, { readonly Resources?: Readonly<Record<string, TemplateResource>> }>>,
  options: { readonly root?: string; readonly workspace?: Workspace } = {},
): IamComparison[] {
  const stacks: AssemblyStack[] = Object.entries(templates).map(([name, template]) => ({
    name,
    templatePath: `${name}.template.json`,
    resources: template.Resources ?? {},
  }));
  // No cloud assembly folder: RustFunction's `ferrule:crate` metadata names each crate.
  return compareApp(stacks, functionsOf(stacks, join(options.root ?? projectRoot, 'cdk.out')), options);
}

const DOCS = 'docs/constructs.md, "Least privilege from declared use"';

/** The findings of a comparison, for `ferrule check`. */
export function iamFindings(comparison: IamComparison): CheckFinding[] {
  const findings: CheckFinding[] = [];
  const base = {
    source: 'IAM',
    level: 'error' as const,
    stack: comparison.stack,
    constructPath: comparison.rolePath,
  };
  const label = (action: string, index?: string) =>
    index === undefined ? action : `${action} on index ${index === '*' ? '(any)' : index}`;
  const group = <T>(list: readonly T[], key: (item: T) => string) => {
    const groups = new Map<string, T[]>();
    for (const item of list) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
    return groups;
  };
  for (const [what, grants] of group(comparison.grantedNotCalled, (g) => label(g.action, g.index))) {
    findings.push({
      ...base,
      rule: 'IAM-GrantedNotCalled',
      message: `The role grants ${what} (on ${[...new Set(grants.map((g) => g.resource))].join(', ')}), which the code of ${comparison.crate} never calls.`,
      fix: `Declare only what the code calls: drop it from the function's \`uses\` (tables take \`actions\` and \`indexes\`), or call it (${DOCS}).`,
    });
  }
  for (const [what, calls] of group(comparison.calledNotGranted, (c) => label(c.action, c.index))) {
    findings.push({
      ...base,
      rule: 'IAM-CalledNotGranted',
      message: `The code of ${comparison.crate} calls ${what} (${calls.map((c) => `${c.operation} at ${c.at}`).join(', ')}), which its role does not grant.`,
      fix: `Declare it in the function's \`uses\` (a table's \`actions\`/\`indexes\`, a queue, bus, parameter or secret), so the role grants it on that resource (${DOCS}).`,
    });
  }
  for (const call of comparison.unknown) {
    findings.push({
      ...base,
      rule: 'IAM-UnknownSdkOperation',
      message: `The code of ${comparison.crate} calls ${call.sdk} ${call.operation} (at ${call.at}), an operation whose IAM actions Ferrule does not know.`,
      fix: 'Add the operation and the IAM actions it needs to cli/src/iam/sdk-operations.ts (the service authorization reference lists them).',
    });
  }
  return findings;
}
