import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { projectRoot } from '../platform.ts';

/**
 * The variables a function crate reads, as its `Cargo.toml` declares them once:
 * `[package.metadata.ferrule.env]` (required, with local values) and
 * `[package.metadata.ferrule] optional-env` (read when set). The crate's own tests check its
 * configuration type against the same lists (`ferrule_testkit::manifest`).
 */
export interface CrateEnvironment {
  readonly manifest: string;
  readonly required: ReadonlySet<string>;
  readonly optional: ReadonlySet<string>;
  /**
   * `[package.metadata.ferrule] concurrent = true`: the crate runs lambda_runtime's concurrent
   * loop and its handler is safe with many invocations at once (Lambda Managed Instances).
   */
  readonly concurrent: boolean;
}

/** Set by the construct for every function and read by the libraries: never declared per crate. */
export const CONSTRUCT_VARIABLES = [
  'FERRULE_SERVICE_NAME',
  'FERRULE_STAGE',
  'POWERTOOLS_SERVICE_NAME',
  'FERRULE_METRICS_NAMESPACE',
  'POWERTOOLS_METRICS_NAMESPACE',
] as const;

/** Lambda's, the AWS SDK's and the Rust runtime's own settings (`AWS_LAMBDA_EXEC_WRAPPER`, `RUST_LOG`). */
const PLATFORM_PREFIXES = ['AWS_', 'RUST_'];

const cache = new Map<string, CrateEnvironment | undefined>();

/**
 * The declaration of `backend/functions/<crate>/Cargo.toml` (`manifest` relative to the project
 * root), or undefined when the crate is not there (built elsewhere: nothing to compare with).
 */
export function crateEnvironment(crate: string, root = projectRoot): CrateEnvironment | undefined {
  const manifest = join('backend/functions', crate, 'Cargo.toml');
  const key = join(root, manifest);
  if (cache.has(key)) return cache.get(key);
  let found: CrateEnvironment | undefined;
  if (existsSync(join(root, manifest))) {
    let parsed: Record<string, unknown>;
    try {
      parsed = parse(readFileSync(join(root, manifest), 'utf8'));
    } catch (error) {
      throw new Error(`${manifest} is not valid TOML: ${(error as Error).message}`);
    }
    const ferrule = (
      (parsed.package as Record<string, unknown> | undefined)?.metadata as Record<string, unknown>
    )?.ferrule as
      | { env?: Record<string, unknown>; 'optional-env'?: unknown; concurrent?: unknown }
      | undefined;
    if (ferrule?.concurrent !== undefined && typeof ferrule.concurrent !== 'boolean') {
      throw new Error(`${manifest}: [package.metadata.ferrule] concurrent must be true or false`);
    }
    const optional = ferrule?.['optional-env'] ?? [];
    if (!Array.isArray(optional) || !optional.every((name) => typeof name === 'string')) {
      throw new Error(
        `${manifest}: [package.metadata.ferrule] optional-env must be a list of variable names`,
      );
    }
    const construct: readonly string[] = CONSTRUCT_VARIABLES;
    found = {
      manifest,
      required: new Set(Object.keys(ferrule?.env ?? {}).filter((name) => !construct.includes(name))),
      optional: new Set(optional as string[]),
      concurrent: ferrule?.concurrent === true,
    };
  }
  cache.set(key, found);
  return found;
}

/** What is wrong with `environment` for a crate declaring `declared`: one sentence per variable. */
export function environmentProblems(
  declared: CrateEnvironment,
  environment: Readonly<Record<string, unknown>>,
  crate: string,
): string[] {
  const problems: string[] = [];
  const set = new Set(Object.keys(environment));
  const construct: readonly string[] = CONSTRUCT_VARIABLES;
  for (const name of [...declared.required].sort()) {
    if (!set.has(name)) {
      problems.push(
        `${name} is required by crate ${crate} (${declared.manifest}) but not set; set it with a \`uses\` declaration's env or \`environment\``,
      );
    }
  }
  for (const name of [...set].sort()) {
    if (declared.required.has(name) || declared.optional.has(name) || construct.includes(name)) continue;
    if (PLATFORM_PREFIXES.some((prefix) => name.startsWith(prefix))) continue;
    problems.push(
      `${name} is set but crate ${crate} does not read it; remove it, or declare it in ${declared.manifest} ([package.metadata.ferrule.env] if required, optional-env if not)`,
    );
  }
  return problems;
}
