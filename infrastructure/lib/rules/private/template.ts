import { CfnResource, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** A resource as CloudFormation will receive it. */
export interface Rendered {
  readonly node: CfnResource;
  readonly stack: Stack;
  readonly logicalId: string;
  readonly type: string;
  readonly props: Record<string, unknown>;
}

interface Renderable {
  _toCloudFormation(): unknown;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Renders one resource with CDK's own renderer, so escape hatches (`addPropertyOverride`) are seen too. */
export function render(node: CfnResource): Rendered {
  const stack = Stack.of(node);
  const logicalId = String(stack.resolve(node.logicalId));
  // `_toCloudFormation` is CDK's internal per-resource renderer; the typed L1 properties
  // would miss raw overrides, which is exactly where a compliance gap hides.
  const fragment = stack.resolve((node as unknown as Renderable)._toCloudFormation());
  const resources = isRecord(fragment) && isRecord(fragment.Resources) ? fragment.Resources : {};
  const resource = resources[logicalId];
  const props = isRecord(resource) && isRecord(resource.Properties) ? resource.Properties : {};
  return { node, stack, logicalId, type: node.cfnResourceType, props };
}

/** The logical id a `Ref` or `Fn::GetAtt` points at, with the attribute for GetAtt. */
export function reference(value: unknown): { readonly id: string; readonly attribute?: string } | undefined {
  if (!isRecord(value)) return undefined;
  if (typeof value.Ref === 'string') return { id: value.Ref };
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') {
    return { id: getAtt[0], attribute: typeof getAtt[1] === 'string' ? getAtt[1] : undefined };
  }
  if (typeof getAtt === 'string') {
    const [id, attribute] = getAtt.split('.');
    return id ? { id, attribute } : undefined;
  }
  return undefined;
}

export function asArray(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * Every resource of one validation run, rendered once and looked up by logical id.
 * Built lazily per app root; a new index is made for each run.
 */
export class TemplateIndex {
  private readonly rendered = new Map<CfnResource, Rendered>();
  private readonly byStack = new Map<Stack, Map<string, Rendered>>();
  private readonly byRoot = new Map<IConstruct, Rendered[]>();

  get(node: CfnResource): Rendered {
    let r = this.rendered.get(node);
    if (!r) {
      r = render(node);
      this.rendered.set(node, r);
    }
    return r;
  }

  /** A resource of the same stack, by logical id. */
  resource(stack: Stack, logicalId: string): Rendered | undefined {
    let resources = this.byStack.get(stack);
    if (!resources) {
      resources = new Map();
      for (const c of stack.node.findAll()) {
        if (CfnResource.isCfnResource(c) && Stack.of(c) === stack) {
          const r = this.get(c);
          resources.set(r.logicalId, r);
        }
      }
      this.byStack.set(stack, resources);
    }
    return resources.get(logicalId);
  }

  /** The resource a `Ref`/`Fn::GetAtt` points at, in the stack of `from`. */
  referenced(from: Rendered, value: unknown): Rendered | undefined {
    const ref = reference(value);
    return ref ? this.resource(from.stack, ref.id) : undefined;
  }

  /** Every resource of a type in the whole app (the tree under `node`'s root). */
  allOfType(node: IConstruct, type: string): Rendered[] {
    const root = node.node.root;
    let all = this.byRoot.get(root);
    if (!all) {
      all = root.node
        .findAll()
        .filter(CfnResource.isCfnResource)
        .map((c) => this.get(c));
      this.byRoot.set(root, all);
    }
    return all.filter((r) => r.type === type);
  }
}
