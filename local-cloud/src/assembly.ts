// The cloud assembly (`cdk.out`) as the local cloud reads it: every stack's template, in
// dependency order, with each resource and its metadata. Nothing here knows the app.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TemplateResource {
  readonly stackName: string;
  readonly logicalId: string;
  readonly type: string;
  readonly properties: Readonly<Record<string, unknown>>;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly dependsOn: readonly string[];
  readonly condition?: string;
}

export interface StackTemplate {
  readonly stackName: string;
  readonly templateFile: string;
  readonly resources: readonly TemplateResource[];
  readonly parameters: Readonly<Record<string, string>>;
  readonly conditions: Readonly<Record<string, unknown>>;
  readonly outputs: Readonly<Record<string, { Value: unknown; Export?: { Name: unknown } }>>;
}

export class AssemblyError extends Error {
  override readonly name = 'AssemblyError';
}

interface Manifest {
  readonly artifacts?: Record<
    string,
    {
      readonly type: string;
      readonly properties?: { readonly templateFile?: string; readonly stackName?: string };
      readonly dependencies?: readonly string[];
    }
  >;
}

interface Template {
  readonly Resources?: Record<
    string,
    {
      Type: string;
      Properties?: Record<string, unknown>;
      Metadata?: Record<string, unknown>;
      DependsOn?: string | string[];
      Condition?: string;
    }
  >;
  readonly Parameters?: Record<string, { Default?: unknown }>;
  readonly Conditions?: Record<string, unknown>;
  readonly Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
}

/** Every stack of the assembly in `dir`, dependencies first. */
export function readAssembly(dir: string): StackTemplate[] {
  const manifestPath = join(dir, 'manifest.json');
  if (!existsSync(manifestPath)) {
    throw new AssemblyError(`${manifestPath} does not exist: synthesize the app first (npx ferrule synth)`);
  }
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
  const artifacts = manifest.artifacts ?? {};
  const stackIds = Object.keys(artifacts).filter((id) => artifacts[id]?.type === 'aws:cloudformation:stack');
  const ordered: string[] = [];
  const visit = (id: string, path: string[]) => {
    if (ordered.includes(id)) return;
    if (path.includes(id))
      throw new AssemblyError(`stacks depend on each other in a cycle: ${path.join(' → ')}`);
    for (const dependency of artifacts[id]?.dependencies ?? []) {
      if (stackIds.includes(dependency)) visit(dependency, [...path, id]);
    }
    ordered.push(id);
  };
  for (const id of stackIds) visit(id, []);
  return ordered.map((id) => {
    const artifact = artifacts[id];
    const templateFile = join(dir, artifact?.properties?.templateFile ?? `${id}.template.json`);
    return parseTemplate(artifact?.properties?.stackName ?? id, templateFile);
  });
}

export function parseTemplate(stackName: string, templateFile: string): StackTemplate {
  const template = JSON.parse(readFileSync(templateFile, 'utf8')) as Template;
  const resources = Object.entries(template.Resources ?? {}).map(
    ([logicalId, resource]): TemplateResource => ({
      stackName,
      logicalId,
      type: resource.Type,
      properties: resource.Properties ?? {},
      metadata: resource.Metadata ?? {},
      dependsOn:
        resource.DependsOn === undefined
          ? []
          : Array.isArray(resource.DependsOn)
            ? resource.DependsOn
            : [resource.DependsOn],
      ...(resource.Condition ? { condition: resource.Condition } : {}),
    }),
  );
  const parameters: Record<string, string> = {};
  for (const [name, parameter] of Object.entries(template.Parameters ?? {})) {
    if (parameter.Default !== undefined) parameters[name] = String(parameter.Default);
  }
  return {
    stackName,
    templateFile,
    resources,
    parameters,
    conditions: template.Conditions ?? {},
    outputs: template.Outputs ?? {},
  };
}

/**
 * The Lambda functions built from crate `name` (the `ferrule:crate` metadata RustFunction writes),
 * or with that logical id, in every stack.
 */
export function functionResources(stacks: readonly StackTemplate[], name: string): TemplateResource[] {
  return stacks.flatMap((stack) =>
    stack.resources.filter(
      (resource) =>
        resource.type === 'AWS::Lambda::Function' &&
        (resource.metadata['ferrule:crate'] === name || resource.logicalId === name),
    ),
  );
}
