// Reads the functions of a synthesized CDK app from its cloud assembly (cdk.out/): the
// templates hold everything `ferrule list` shows and `ferrule check` groups findings by.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { defaultPlatform, type Platform, paths } from '@ferrule/toolchain/project';
import { synthesize } from '@ferrule/toolchain/synth';
import { CliError } from './errors.ts';

/** One resource of a template, as CloudFormation has it. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

/** A stack of the cloud assembly and its template. */
export interface AssemblyStack {
  readonly name: string;
  /** Absolute path of the template file. */
  readonly templatePath: string;
  readonly resources: Readonly<Record<string, TemplateResource>>;
}

/** The stacks of the cloud assembly in `outdir`, from its manifest.json. */
export function readAssembly(outdir: string = paths.cdkOut): AssemblyStack[] {
  const manifestPath = join(outdir, 'manifest.json');
  if (!existsSync(manifestPath)) {
    throw new CliError(
      `no synthesized app in ${relative(process.cwd(), outdir) || '.'} (manifest.json is missing); run \`npx ferrule synth\` first, or drop --no-synth`,
    );
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    artifacts?: Record<string, { type: string; properties?: { templateFile?: string } }>;
  };
  const stacks: AssemblyStack[] = [];
  for (const [name, artifact] of Object.entries(manifest.artifacts ?? {})) {
    const file = artifact.properties?.templateFile;
    if (artifact.type !== 'aws:cloudformation:stack' || !file) continue;
    const templatePath = join(outdir, file);
    const template = JSON.parse(readFileSync(templatePath, 'utf8')) as {
      Resources?: Record<string, TemplateResource>;
    };
    stacks.push({ name, templatePath, resources: template.Resources ?? {} });
  }
  return stacks.sort((a, b) => a.name.localeCompare(b.name));
}

/** The construct path CDK recorded for a resource (`aws:cdk:path`), or its logical id. */
export function constructPathOf(stack: AssemblyStack, logicalId: string): string {
  const path = stack.resources[logicalId]?.Metadata?.['aws:cdk:path'];
  return typeof path === 'string' ? path : `${stack.name}/${logicalId}`;
}

/** A readable name for a resource: its construct path inside the stack, without `/Resource`. */
export function shortName(stack: AssemblyStack, logicalId: string): string {
  return constructPathOf(stack, logicalId)
    .replace(new RegExp(`^${escapeRegExp(stack.name)}/`), '')
    .replace(/\/Resource$/, '');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Renders an intrinsic function value with resource names instead of logical ids. */
export function render(stack: AssemblyStack, value: unknown, embedded = false): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map((v) => render(stack, v, embedded)).join(', ');
  if (value && typeof value === 'object') {
    const [key, arg] = Object.entries(value)[0] ?? [];
    // Inside a larger string a reference is marked `${...}`, as in Fn::Sub.
    const mark = (name: string) => (embedded ? `\${${name}}` : name);
    if (key === 'Ref' && typeof arg === 'string') {
      return arg.startsWith('AWS::')
        ? `\${${arg}}`
        : mark(stack.resources[arg] ? shortName(stack, arg) : arg);
    }
    if (key === 'Fn::GetAtt' && Array.isArray(arg)) {
      const [id, attribute] = arg as [string, string];
      const name = stack.resources[id] ? shortName(stack, id) : id;
      return mark(attribute === 'Arn' ? name : `${name}.${attribute}`);
    }
    if (key === 'Fn::Join' && Array.isArray(arg)) {
      const [separator, parts] = arg as [string, unknown[]];
      if (parts.length === 1) return render(stack, parts[0], embedded);
      return parts.map((part) => render(stack, part, true)).join(separator);
    }
    if (key === 'Fn::Sub') return render(stack, Array.isArray(arg) ? arg[0] : arg);
    if (key === 'Fn::ImportValue') return `import:${render(stack, arg)}`;
  }
  return JSON.stringify(value);
}

/** The logical ids a value refers to (Ref, Fn::GetAtt), anywhere inside it. */
export function referencedIds(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencedIds(item, into);
  } else if (value && typeof value === 'object') {
    for (const [key, arg] of Object.entries(value)) {
      if (key === 'Ref' && typeof arg === 'string') into.add(arg);
      else if (key === 'Fn::GetAtt' && Array.isArray(arg) && typeof arg[0] === 'string') into.add(arg[0]);
      else referencedIds(arg, into);
    }
  }
  return into;
}

/** What invokes a function, read from the template. */
export interface AppTrigger {
  /** http, sqs, dynamodb-stream, kinesis, eventbridge, schedule, cognito, s3, sns, or the service principal. */
  readonly type: string;
  /** The invoking resource: queue, table, rule, API or user pool (its construct path in the stack). */
  readonly source: string;
  /** Route key, event pattern, schedule expression or Cognito trigger name. */
  readonly detail?: string;
}

/** One statement of the function's role, with resources rendered by name. */
export interface AppPermission {
  readonly actions: readonly string[];
  readonly resources: readonly string[];
}

/** A Lambda function of the synthesized app, as `ferrule list` reports it. */
export interface AppFunction {
  /** The Rust crate it runs (from its artifact), or null when it is not a Ferrule build. */
  readonly crate: string | null;
  readonly stack: string;
  /** Path of the construct that owns the function (a RustFunction, e.g. `FerruleOrders-dev/OrdersApi`). */
  readonly constructPath: string;
  readonly logicalId: string;
  readonly description: string;
  readonly triggers: readonly AppTrigger[];
  readonly runtime: string;
  readonly architecture: string;
  /** @default 128 when the template does not set it (Lambda's default) */
  readonly memoryMb: number;
  /** @default 3 when the template does not set it (Lambda's default) */
  readonly timeoutSeconds: number;
  /** Every IAM action its execution role holds, sorted. */
  readonly iamActions: readonly string[];
  readonly permissions: readonly AppPermission[];
  /** Logical id of its execution role. */
  readonly role: string | null;
}

export interface ListAppFunctionsOptions {
  /**
   * Synthesize the app before reading it.
   * @default true
   */
  readonly synth?: boolean;
  /** @default the default platform (al2023, x86_64) */
  readonly platform?: Platform;
  /** Cloud assembly folder. @default cdk.out at the project root */
  readonly outdir?: string;
}

/** The functions of the synthesized app, sorted by stack then construct path. */
export async function listAppFunctions(options: ListAppFunctionsOptions = {}): Promise<AppFunction[]> {
  const outdir = options.outdir ?? paths.cdkOut;
  if (options.synth ?? true) {
    if (outdir !== paths.cdkOut) {
      throw new CliError(
        '--output reads a cloud assembly that exists: add --no-synth (a synth always writes cdk.out)',
      );
    }
    await synthesize(options.platform ?? defaultPlatform, 'quiet');
  }
  return functionsOf(readAssembly(outdir), outdir);
}

/** The functions of already-read stacks; `outdir` locates their assets (for the crate names). */
export function functionsOf(stacks: readonly AssemblyStack[], outdir: string): AppFunction[] {
  const crates = new CrateResolver(outdir);
  const found: AppFunction[] = [];
  for (const stack of stacks) {
    for (const [logicalId, resource] of Object.entries(stack.resources)) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const props = resource.Properties ?? {};
      const roleId = [...referencedIds(props.Role)][0] ?? null;
      const permissions = roleId ? rolePermissions(stack, roleId) : [];
      const constructPath = functionScope(constructPathOf(stack, logicalId));
      found.push({
        crate: crates.crateOf(resource, constructPath),
        stack: stack.name,
        constructPath,
        logicalId,
        description: typeof props.Description === 'string' ? props.Description : '',
        triggers: triggersOf(stack, logicalId),
        runtime:
          typeof props.Runtime === 'string' ? props.Runtime : props.PackageType === 'Image' ? 'image' : '-',
        architecture: Array.isArray(props.Architectures) ? String(props.Architectures[0]) : 'x86_64',
        memoryMb: typeof props.MemorySize === 'number' ? props.MemorySize : 128,
        timeoutSeconds: typeof props.Timeout === 'number' ? props.Timeout : 3,
        iamActions: [...new Set(permissions.flatMap((p) => p.actions))].sort(),
        permissions,
        role: roleId,
      });
    }
  }
  return found.sort(
    (a, b) => a.stack.localeCompare(b.stack) || a.constructPath.localeCompare(b.constructPath),
  );
}

/**
 * The construct that owns a function resource: `Stack/OrdersApi/Resource` is the function
 * `Stack/OrdersApi` (a RustFunction or any lambda.Function).
 */
export function functionScope(resourcePath: string): string {
  return resourcePath.replace(/\/Resource$/, '');
}

/** One Allow statement of a role, its values as the template has them. */
export interface RoleStatement {
  readonly actions: readonly string[];
  readonly resources: readonly unknown[];
}

/** The Allow statements of a role: inline policies on it and AWS::IAM::Policy resources attached to it. */
export function roleStatements(stack: AssemblyStack, roleId: string): RoleStatement[] {
  const documents: unknown[] = [];
  const role = stack.resources[roleId];
  for (const policy of (role?.Properties?.Policies as { PolicyDocument?: unknown }[] | undefined) ?? []) {
    documents.push(policy.PolicyDocument);
  }
  for (const resource of Object.values(stack.resources)) {
    if (resource.Type !== 'AWS::IAM::Policy' && resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
    const roles = (resource.Properties?.Roles as unknown[] | undefined) ?? [];
    if (referencedIds(roles).has(roleId)) documents.push(resource.Properties?.PolicyDocument);
  }
  const statements: RoleStatement[] = [];
  for (const document of documents) {
    const list = (document as { Statement?: unknown } | undefined)?.Statement;
    for (const statement of Array.isArray(list) ? list : list ? [list] : []) {
      const { Effect, Action, Resource } = statement as {
        Effect?: string;
        Action?: unknown;
        Resource?: unknown;
      };
      if (Effect !== 'Allow' || Action === undefined) continue;
      statements.push({
        actions: (Array.isArray(Action) ? Action : [Action]).map(String),
        resources: Array.isArray(Resource) ? Resource : [Resource ?? '*'],
      });
    }
  }
  return statements;
}

/** The statements of a role with resources rendered by name, and its managed policies. */
function rolePermissions(stack: AssemblyStack, roleId: string): AppPermission[] {
  const permissions: AppPermission[] = roleStatements(stack, roleId).map((statement) => ({
    actions: statement.actions,
    resources: statement.resources.map((r) => render(stack, r)),
  }));
  for (const managed of (stack.resources[roleId]?.Properties?.ManagedPolicyArns as unknown[] | undefined) ??
    []) {
    permissions.push({
      actions: [`managed-policy:${render(stack, managed).replace(/^.*:policy\//, '')}`],
      resources: [],
    });
  }
  return permissions;
}

/** What invokes the function: event source mappings, permissions, API routes, rules, user pools. */
function triggersOf(stack: AssemblyStack, functionId: string): AppTrigger[] {
  const triggers: AppTrigger[] = [];
  const add = (trigger: AppTrigger) => {
    const key = JSON.stringify(trigger);
    if (!triggers.some((t) => JSON.stringify(t) === key)) triggers.push(trigger);
  };
  const targetsFunction = (value: unknown) => referencedIds(value).has(functionId);
  const resources = Object.entries(stack.resources);
  for (const [id, resource] of resources) {
    const props = resource.Properties ?? {};
    switch (resource.Type) {
      case 'AWS::Lambda::EventSourceMapping': {
        if (!targetsFunction(props.FunctionName)) break;
        const sourceId = [...referencedIds(props.EventSourceArn)][0];
        const sourceType = sourceId ? stack.resources[sourceId]?.Type : undefined;
        const type =
          sourceType === 'AWS::SQS::Queue'
            ? stack.resources[sourceId as string]?.Properties?.FifoQueue === true
              ? 'sqs-fifo'
              : 'sqs'
            : sourceType === 'AWS::DynamoDB::Table' || sourceType === 'AWS::DynamoDB::GlobalTable'
              ? 'dynamodb-stream'
              : sourceType === 'AWS::Kinesis::Stream'
                ? 'kinesis'
                : 'event-source-mapping';
        add({
          type,
          source: sourceId ? shortName(stack, sourceId) : render(stack, props.EventSourceArn),
          detail: typeof props.BatchSize === 'number' ? `batch ${props.BatchSize}` : undefined,
        });
        break;
      }
      case 'AWS::ApiGatewayV2::Integration': {
        if (!targetsFunction(props.IntegrationUri)) break;
        for (const [, route] of resources) {
          if (route.Type !== 'AWS::ApiGatewayV2::Route' || !referencedIds(route.Properties?.Target).has(id))
            continue;
          const api = [...referencedIds(route.Properties?.ApiId)][0];
          add({
            type: 'http',
            source: api ? shortName(stack, api) : 'api',
            detail: `${String(route.Properties?.RouteKey)}${route.Properties?.AuthorizationType && route.Properties.AuthorizationType !== 'NONE' ? ` (${String(route.Properties.AuthorizationType).toLowerCase()})` : ''}`,
          });
        }
        break;
      }
      case 'AWS::Events::Rule': {
        const targets = (props.Targets as { Arn?: unknown }[] | undefined) ?? [];
        if (!targets.some((target) => targetsFunction(target.Arn))) break;
        if (props.ScheduleExpression) {
          add({ type: 'schedule', source: shortName(stack, id), detail: String(props.ScheduleExpression) });
        } else {
          add({
            type: 'eventbridge',
            source: shortName(stack, id),
            detail: eventPatternSummary(props.EventPattern),
          });
        }
        break;
      }
      case 'AWS::Scheduler::Schedule': {
        const target = props.Target as { Arn?: unknown } | undefined;
        if (!targetsFunction(target?.Arn)) break;
        add({ type: 'schedule', source: shortName(stack, id), detail: String(props.ScheduleExpression) });
        break;
      }
      case 'AWS::Cognito::UserPool': {
        const config = (props.LambdaConfig as Record<string, unknown> | undefined) ?? {};
        for (const [name, value] of Object.entries(config)) {
          const arn = (value as { LambdaArn?: unknown })?.LambdaArn ?? value;
          if (targetsFunction(arn)) add({ type: 'cognito', source: shortName(stack, id), detail: name });
        }
        break;
      }
      case 'AWS::SNS::Subscription': {
        if (props.Protocol === 'lambda' && targetsFunction(props.Endpoint)) {
          add({ type: 'sns', source: render(stack, props.TopicArn) });
        }
        break;
      }
      case 'AWS::Lambda::Url': {
        if (targetsFunction(props.TargetFunctionArn))
          add({ type: 'function-url', source: shortName(stack, id) });
        break;
      }
    }
  }
  // Permissions whose source was not recognised above still say who may invoke it.
  for (const [, resource] of resources) {
    const props = resource.Properties ?? {};
    if (resource.Type !== 'AWS::Lambda::Permission' || !targetsFunction(props.FunctionName)) continue;
    const principal = String(props.Principal ?? '');
    const known: Record<string, string> = {
      'apigateway.amazonaws.com': 'http',
      'events.amazonaws.com': 'eventbridge',
      'cognito-idp.amazonaws.com': 'cognito',
      's3.amazonaws.com': 's3',
      'sns.amazonaws.com': 'sns',
      'scheduler.amazonaws.com': 'schedule',
    };
    const type = known[principal] ?? principal;
    if (type === 'eventbridge' && triggers.some((t) => t.type === 'eventbridge' || t.type === 'schedule'))
      continue;
    if (triggers.some((t) => t.type === type)) continue;
    const sourceId = [...referencedIds(props.SourceArn)][0];
    add({
      type,
      source:
        sourceId && stack.resources[sourceId]
          ? shortName(stack, sourceId)
          : render(stack, props.SourceArn ?? principal),
    });
  }
  return triggers;
}

function eventPatternSummary(pattern: unknown): string | undefined {
  if (!pattern || typeof pattern !== 'object') return undefined;
  const { source, 'detail-type': detailType } = pattern as { source?: unknown; 'detail-type'?: unknown };
  const list = (value: unknown) => (Array.isArray(value) ? value.map(String).join('|') : undefined);
  const parts = [
    list(source) && `source ${list(source)}`,
    list(detailType) && `detail-type ${list(detailType)}`,
  ];
  return parts.filter(Boolean).join(', ') || JSON.stringify(pattern);
}

/**
 * Names the crate of a function: the `ferrule:crate` metadata RustFunction writes, else its
 * code asset (the zip in the cloud assembly is a copy of
 * `dist/lambda/<platform>/<crate>/bootstrap.zip`, so equal bytes name the crate), else its
 * construct id.
 */
class CrateResolver {
  private built?: Map<string, string>;

  constructor(private readonly outdir: string) {}

  crateOf(resource: TemplateResource, constructPath: string): string | null {
    // RustFunction records its crate on the function resource.
    const recorded = resource.Metadata?.['ferrule:crate'];
    if (typeof recorded === 'string') return recorded;
    const asset = resource.Metadata?.['aws:asset:path'];
    if (typeof asset === 'string' && existsSync(join(this.outdir, asset))) {
      const file = join(this.outdir, asset);
      const crate = statSync(file).isFile() ? this.builtZips().get(sha256(file)) : undefined;
      if (crate) return crate;
    }
    // An image or a test artifact: the construct id is the PascalCase crate name.
    const id = constructPath.split('/').pop() ?? '';
    const kebab = id.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
    return existsSync(join(paths.backend, 'functions', kebab)) ? kebab : null;
  }

  private builtZips(): Map<string, string> {
    if (this.built) return this.built;
    this.built = new Map();
    if (!existsSync(paths.dist)) return this.built;
    for (const platform of readdirSync(paths.dist)) {
      const dir = join(paths.dist, platform);
      if (!statSync(dir).isDirectory()) continue;
      for (const crate of readdirSync(dir)) {
        const zip = join(dir, crate, 'bootstrap.zip');
        if (existsSync(zip)) this.built.set(sha256(zip), crate);
      }
    }
    return this.built;
  }
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}
