// CloudFormation's intrinsic functions, evaluated against the local names of the resources.
// No library evaluates CloudFormation intrinsics for Node outside CloudFormation itself (cfn-lint
// only checks them), so this is ours: the subset CDK emits (Ref, Fn::GetAtt, Fn::Sub, Fn::Join,
// Fn::Select, Fn::Split, Fn::If, conditions, Fn::ImportValue, Fn::GetAZs, Fn::Base64).

/** What a provisioned (or served) resource answers to `Ref` and `Fn::GetAtt`. */
export interface ResolvedResource {
  readonly ref: string;
  readonly attributes: Readonly<Record<string, string>>;
}

export interface ResolveContext {
  readonly stackName: string;
  readonly region: string;
  readonly accountId: string;
  /** The resources of this stack resolved so far, by logical id. */
  readonly resources: ReadonlyMap<string, ResolvedResource>;
  /** Template parameters (their defaults). */
  readonly parameters: Readonly<Record<string, string>>;
  /** Conditions of the template, evaluated on demand. */
  readonly conditions: Readonly<Record<string, unknown>>;
  /** Exports of the stacks resolved before this one (`Fn::ImportValue`). */
  readonly exports: ReadonlyMap<string, string>;
}

export class ResolveError extends Error {
  override readonly name = 'ResolveError';
}

/** Marks a property `Ref: AWS::NoValue` removes. */
const NO_VALUE = Symbol('AWS::NoValue');

/** Resolves every intrinsic in `value`; properties set to `AWS::NoValue` disappear. */
export function resolveValue(value: unknown, context: ResolveContext): unknown {
  const resolved = resolve(value, context);
  return resolved === NO_VALUE ? undefined : resolved;
}

/** Resolves `value` and requires a string (a name, an ARN, a URL). */
export function resolveString(value: unknown, context: ResolveContext, what: string): string {
  const resolved = resolveValue(value, context);
  if (typeof resolved === 'string') return resolved;
  if (typeof resolved === 'number' || typeof resolved === 'boolean') return String(resolved);
  throw new ResolveError(`${what} is not a string after resolution: ${JSON.stringify(resolved)}`);
}

function resolve(value: unknown, context: ResolveContext): unknown {
  if (Array.isArray(value)) {
    return value.map((item) => resolve(item, context)).filter((item) => item !== NO_VALUE);
  }
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [key, argument] = entries[0] as [string, unknown];
    if (key === 'Ref' || key.startsWith('Fn::') || key === 'Condition') {
      return intrinsic(key, argument, context);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, item] of entries) {
    const resolved = resolve(item, context);
    if (resolved !== NO_VALUE) out[key] = resolved;
  }
  return out;
}

function intrinsic(name: string, argument: unknown, context: ResolveContext): unknown {
  switch (name) {
    case 'Ref':
      return ref(String(argument), context);
    case 'Fn::GetAtt': {
      const [logicalId, attribute] = Array.isArray(argument)
        ? [String(argument[0]), String(resolve(argument[1], context))]
        : splitOnce(String(argument), '.');
      return getAtt(logicalId, attribute, context);
    }
    case 'Fn::Sub':
      return sub(argument, context);
    case 'Fn::Join': {
      const [delimiter, list] = argument as [string, unknown];
      const items = resolve(list, context);
      if (!Array.isArray(items))
        throw new ResolveError(`Fn::Join needs a list, got ${JSON.stringify(items)}`);
      return items.map((item) => scalar(item, 'Fn::Join')).join(delimiter);
    }
    case 'Fn::Select': {
      const [index, list] = argument as [unknown, unknown];
      const items = resolve(list, context);
      const at = Number(resolve(index, context));
      if (!Array.isArray(items) || !(at in items)) {
        throw new ResolveError(`Fn::Select index ${at} is outside ${JSON.stringify(items)}`);
      }
      return items[at];
    }
    case 'Fn::Split': {
      const [delimiter, text] = argument as [string, unknown];
      return scalar(resolve(text, context), 'Fn::Split').split(delimiter);
    }
    case 'Fn::If': {
      const [condition, whenTrue, whenFalse] = argument as [string, unknown, unknown];
      return resolve(evaluateCondition(condition, context) ? whenTrue : whenFalse, context);
    }
    case 'Fn::ImportValue': {
      const exportName = scalar(resolve(argument, context), 'Fn::ImportValue');
      const value = context.exports.get(exportName);
      if (value === undefined) throw new ResolveError(`no stack exports "${exportName}"`);
      return value;
    }
    case 'Fn::GetAZs':
      return ['a', 'b', 'c'].map((zone) => `${context.region}${zone}`);
    case 'Fn::Base64':
      return Buffer.from(scalar(resolve(argument, context), 'Fn::Base64')).toString('base64');
    case 'Fn::Equals':
    case 'Fn::And':
    case 'Fn::Or':
    case 'Fn::Not':
    case 'Condition':
      return conditionValue({ [name]: argument }, context);
    default:
      throw new ResolveError(`${name} is not supported by the local cloud`);
  }
}

function ref(target: string, context: ResolveContext): unknown {
  switch (target) {
    case 'AWS::Region':
      return context.region;
    case 'AWS::AccountId':
      return context.accountId;
    case 'AWS::Partition':
      return 'aws';
    case 'AWS::URLSuffix':
      return 'amazonaws.com';
    case 'AWS::StackName':
      return context.stackName;
    case 'AWS::StackId':
      return `arn:aws:cloudformation:${context.region}:${context.accountId}:stack/${context.stackName}/local`;
    case 'AWS::NoValue':
      return NO_VALUE;
    case 'AWS::NotificationARNs':
      return [];
  }
  if (target in context.parameters) return context.parameters[target];
  const resource = context.resources.get(target);
  if (!resource) throw new ResolveError(`Ref to ${target}, which is not resolved (yet)`);
  return resource.ref;
}

function getAtt(logicalId: string, attribute: string, context: ResolveContext): string {
  const resource = context.resources.get(logicalId);
  if (!resource)
    throw new ResolveError(`Fn::GetAtt ${logicalId}.${attribute}: ${logicalId} is not resolved (yet)`);
  const value = resource.attributes[attribute];
  if (value === undefined) {
    throw new ResolveError(`Fn::GetAtt ${logicalId}.${attribute}: the local cloud has no such attribute`);
  }
  return value;
}

function sub(argument: unknown, context: ResolveContext): string {
  const [template, variables] = Array.isArray(argument)
    ? [String(argument[0]), (resolve(argument[1], context) ?? {}) as Record<string, unknown>]
    : [String(argument), {} as Record<string, unknown>];
  return template.replace(/\$\{([^}]+)\}/g, (_match, expression: string) => {
    if (expression.startsWith('!')) return `\${${expression.slice(1)}}`;
    if (expression in variables) return scalar(variables[expression], 'Fn::Sub');
    if (expression.includes('.') && !expression.startsWith('AWS::')) {
      const [logicalId, attribute] = splitOnce(expression, '.');
      return getAtt(logicalId, attribute, context);
    }
    return scalar(ref(expression, context), 'Fn::Sub');
  });
}

/** True when a template condition (by name) holds. */
export function evaluateCondition(name: string, context: ResolveContext): boolean {
  if (!(name in context.conditions)) throw new ResolveError(`condition ${name} is not in the template`);
  return conditionValue(context.conditions[name], context);
}

function conditionValue(expression: unknown, context: ResolveContext): boolean {
  if (typeof expression === 'boolean') return expression;
  const [[name, argument] = ['', undefined]] = Object.entries((expression ?? {}) as Record<string, unknown>);
  const list = Array.isArray(argument) ? argument : [argument];
  switch (name) {
    case 'Fn::Equals': {
      const [a, b] = list.map((item) => JSON.stringify(resolveValue(item, context)));
      return a === b;
    }
    case 'Fn::Not':
      return !conditionValue(list[0], context);
    case 'Fn::And':
      return list.every((item) => conditionValue(item, context));
    case 'Fn::Or':
      return list.some((item) => conditionValue(item, context));
    case 'Condition':
      return evaluateCondition(String(argument), context);
    default:
      throw new ResolveError(`unsupported condition ${JSON.stringify(expression)}`);
  }
}

function scalar(value: unknown, where: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new ResolveError(`${where} needs a string, got ${JSON.stringify(value)}`);
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + 1)];
}

/**
 * Logical ids a value refers to (Ref, Fn::GetAtt, Fn::Sub variables): the edges of the
 * order in which resources are provisioned.
 */
export function referencedIds(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencedIds(item, into);
    return into;
  }
  if (value === null || typeof value !== 'object') return into;
  for (const [key, argument] of Object.entries(value as Record<string, unknown>)) {
    if (key === 'Ref' && typeof argument === 'string') {
      if (!argument.startsWith('AWS::')) into.add(argument);
    } else if (key === 'Fn::GetAtt') {
      into.add(Array.isArray(argument) ? String(argument[0]) : splitOnce(String(argument), '.')[0]);
    } else if (key === 'Fn::Sub') {
      const template = Array.isArray(argument) ? String(argument[0]) : String(argument);
      const variables = Array.isArray(argument) ? Object.keys((argument[1] ?? {}) as object) : [];
      for (const match of template.matchAll(/\$\{([^}!][^}]*)\}/g)) {
        const name = splitOnce(String(match[1]), '.')[0];
        if (!name.startsWith('AWS::') && !variables.includes(name)) into.add(name);
      }
      if (Array.isArray(argument)) referencedIds(argument[1], into);
    } else {
      referencedIds(argument, into);
    }
  }
  return into;
}
