// IAM widening: what a deployment would let the stack's roles do that the deployed stack does
// not. Per role (matched by logical id): each Allow statement as one action on one resource
// (with its condition), the managed policies attached, and who may assume the role. A grant is
// new unless a grant of the same role in the deployed template covers it: the same or a wider
// action pattern, the same or a wider resource, and no condition or the same one. cdk diff
// shows statement changes too, but not whether the role as a whole can now do more.
import {
  type AssemblyStack,
  referencedIds,
  render,
  shortName,
  type TemplateResource,
} from '../app-functions.ts';

/** The part of a CloudFormation template the comparison reads. */
export interface CloudFormationTemplate {
  readonly Resources?: Readonly<Record<string, TemplateResource>>;
}

/** One action on one resource, resources named by construct path (`HelloHttp/Logs`). */
export interface IamGrant {
  /** `dynamodb:PutItem`; `NOT s3:*` for a NotAction statement. */
  readonly action: string;
  /** `*`, a rendered ARN, or `NOT ...` for a NotResource statement. */
  readonly resource: string;
  /** The statement's condition as JSON, when it has one. */
  readonly condition?: string;
}

export interface RoleWidening {
  /** The role's construct path inside the stack, e.g. `HelloHttp/Role`. */
  readonly role: string;
  readonly logicalId: string;
  /** The deployed stack has no role with this logical id: everything it holds is new. */
  readonly newRole: boolean;
  readonly grants: readonly IamGrant[];
  readonly managedPolicies: readonly string[];
  /** New entries of the trust policy: `sts:AssumeRole by Service:lambda.amazonaws.com`. */
  readonly trust: readonly string[];
}

export interface StackWidening {
  readonly stack: string;
  /** False when nothing is deployed yet (or the deployed template is unreadable): every grant is new. */
  readonly deployed: boolean;
  /** Only the roles that widen, by construct path. */
  readonly roles: readonly RoleWidening[];
}

interface RolePermissions {
  readonly grants: readonly IamGrant[];
  readonly managedPolicies: readonly string[];
  readonly trust: readonly string[];
}

/**
 * What the roles of `next` may do that the same roles of `previous` (the deployed template)
 * may not; `previous` undefined means nothing is deployed.
 */
export function stackWidening(
  stack: string,
  next: CloudFormationTemplate,
  previous: CloudFormationTemplate | undefined,
): StackWidening {
  const nextStack = asStack(stack, next);
  const previousStack = previous ? asStack(stack, previous) : undefined;
  const roles: RoleWidening[] = [];
  for (const [logicalId, resource] of Object.entries(nextStack.resources)) {
    if (resource.Type !== 'AWS::IAM::Role') continue;
    const now = permissionsOf(nextStack, logicalId);
    const before =
      previousStack?.resources[logicalId]?.Type === 'AWS::IAM::Role'
        ? permissionsOf(previousStack, logicalId)
        : undefined;
    const grants = now.grants.filter((grant) => !before?.grants.some((held) => covers(held, grant)));
    const managedPolicies = now.managedPolicies.filter((arn) => !before?.managedPolicies.includes(arn));
    const trust = now.trust.filter((entry) => !before?.trust.includes(entry));
    if (grants.length + managedPolicies.length + trust.length === 0) continue;
    roles.push({
      role: shortName(nextStack, logicalId),
      logicalId,
      newRole: before === undefined,
      grants,
      managedPolicies,
      trust,
    });
  }
  roles.sort((a, b) => a.role.localeCompare(b.role));
  return { stack, deployed: previous !== undefined, roles };
}

/** Whether any role of any stack widens. */
export function iamWidens(stacks: readonly StackWidening[]): boolean {
  return stacks.some((stack) => stack.roles.length > 0);
}

/** The number of new grants, managed policies and trust entries. */
export function wideningCount(stacks: readonly StackWidening[]): number {
  return stacks
    .flatMap((stack) => stack.roles)
    .reduce((sum, role) => sum + role.grants.length + role.managedPolicies.length + role.trust.length, 0);
}

function asStack(name: string, template: CloudFormationTemplate): AssemblyStack {
  return { name, templatePath: `${name}.template.json`, resources: template.Resources ?? {} };
}

/** The role's inline policies, the policies that name it, and its managed policies. */
function permissionsOf(stack: AssemblyStack, roleId: string): RolePermissions {
  const props = stack.resources[roleId]?.Properties ?? {};
  const documents: unknown[] = [];
  for (const policy of (props.Policies as { PolicyDocument?: unknown }[] | undefined) ?? []) {
    documents.push(policy.PolicyDocument);
  }
  const attached = new Set<string>();
  for (const [id, resource] of Object.entries(stack.resources)) {
    if (resource.Type !== 'AWS::IAM::Policy' && resource.Type !== 'AWS::IAM::ManagedPolicy') continue;
    if (!referencedIds(resource.Properties?.Roles ?? []).has(roleId)) continue;
    documents.push(resource.Properties?.PolicyDocument);
    attached.add(id);
  }
  const managedPolicies: string[] = [];
  for (const arn of (props.ManagedPolicyArns as unknown[] | undefined) ?? []) {
    // A managed policy of the same stack counts by its statements, others by their ARN.
    const local = [...referencedIds(arn)].find(
      (id) => stack.resources[id]?.Type === 'AWS::IAM::ManagedPolicy',
    );
    if (local === undefined) managedPolicies.push(render(stack, arn));
    else if (!attached.has(local)) {
      documents.push(stack.resources[local]?.Properties?.PolicyDocument);
      attached.add(local);
    }
  }
  const grants = new Map<string, IamGrant>();
  for (const statement of allowStatements(documents)) {
    const actions =
      statement.Action !== undefined
        ? list(statement.Action).map(String)
        : [`NOT ${list(statement.NotAction).map(String).join(', ')}`];
    const resources =
      statement.Resource !== undefined
        ? list(statement.Resource).map((r) => render(stack, r))
        : statement.NotResource !== undefined
          ? [
              `NOT ${list(statement.NotResource)
                .map((r) => render(stack, r))
                .join(', ')}`,
            ]
          : ['*'];
    const condition = statement.Condition === undefined ? undefined : stableJson(statement.Condition);
    for (const action of actions) {
      for (const resource of resources) {
        const grant: IamGrant =
          condition === undefined ? { action, resource } : { action, resource, condition };
        grants.set(JSON.stringify(grant), grant);
      }
    }
  }
  const trust = new Set<string>();
  for (const statement of allowStatements([props.AssumeRolePolicyDocument])) {
    const when = statement.Condition === undefined ? '' : ` when ${stableJson(statement.Condition)}`;
    for (const principal of principals(stack, statement.Principal)) {
      for (const action of list(statement.Action ?? 'sts:AssumeRole').map(String))
        trust.add(`${action} by ${principal}${when}`);
    }
  }
  return { grants: [...grants.values()], managedPolicies, trust: [...trust] };
}

interface Statement {
  readonly Effect?: string;
  readonly Action?: unknown;
  readonly NotAction?: unknown;
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
  readonly Condition?: unknown;
  readonly Principal?: unknown;
}

function allowStatements(documents: readonly unknown[]): Statement[] {
  return documents
    .flatMap((document) => list((document as { Statement?: unknown } | undefined)?.Statement))
    .filter(
      (statement): statement is Statement =>
        typeof statement === 'object' &&
        statement !== null &&
        (statement as Statement).Effect === 'Allow' &&
        ((statement as Statement).Action !== undefined || (statement as Statement).NotAction !== undefined),
    );
}

function principals(stack: AssemblyStack, principal: unknown): string[] {
  if (principal === undefined) return [];
  if (typeof principal === 'string') return [principal];
  return Object.entries(principal as Record<string, unknown>).flatMap(([type, values]) =>
    list(values).map((value) => `${type}:${render(stack, value)}`),
  );
}

function list(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** JSON with keys sorted, so equal conditions compare equal whatever their key order. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => a.localeCompare(b)))
      : inner,
  );
}

/** Whether `held` already allows what `grant` allows. */
function covers(held: IamGrant, grant: IamGrant): boolean {
  return (
    matches(held.action, grant.action, true) &&
    matches(held.resource, grant.resource, false) &&
    (held.condition === undefined || held.condition === grant.condition)
  );
}

/** IAM's wildcards: `*` any run of characters, `?` one; actions ignore case. A NOT entry matches only itself. */
function matches(pattern: string, value: string, ignoreCase: boolean): boolean {
  if (pattern === value) return true;
  if (pattern.startsWith('NOT ') || value.startsWith('NOT ')) return false;
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'i' : '').test(value);
}
