import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Rust keywords (strict and reserved, 2021 edition): a crate's library name cannot be one. */
const RUST_KEYWORDS = new Set(
  (
    'as async await break const continue crate dyn else enum extern false fn for if impl in let loop match ' +
    'mod move mut pub ref return self Self static struct super trait true type unsafe use where while ' +
    'abstract become box do final macro override priv try typeof unsized virtual yield gen'
  ).split(' '),
);

/** Names that shadow the standard crates or Cargo's own folders (`cargo new` refuses them too). */
const RESERVED_NAMES = new Set([
  'std',
  'core',
  'alloc',
  'test',
  'proc-macro',
  'build',
  'deps',
  'examples',
  'incremental',
  'index',
]);

export const NAME_RULE =
  'kebab-case: lowercase letters and digits in words joined by single hyphens, starting with a letter, at most 40 characters (for example payments-webhook)';

/**
 * Why `name` cannot be a new function's name, or undefined when it can. Checks the form
 * (kebab-case, so it is a crate name, a folder name, and a readable CDK id), Rust keywords
 * and reserved names, and that no crate of the workspace already has it.
 */
export function functionNameProblem(name: string, root: string): string | undefined {
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name) || name.length > 40) {
    return `\`${name}\` is not a valid function name; use ${NAME_RULE}`;
  }
  if (RUST_KEYWORDS.has(name) || RESERVED_NAMES.has(name)) {
    return `\`${name}\` is a Rust keyword or a reserved crate name; choose another name (${NAME_RULE})`;
  }
  const dependency = dependencyNamed(name, root);
  if (dependency) {
    return `\`${name}\` is the name of ${dependency}; a crate of that name would clash with it (\`cargo -p ${name}\` becomes ambiguous, its library shadows the dependency); choose another name`;
  }
  const taken = workspaceCrateNames(root);
  if (taken.has(name) || existsSync(join(root, 'backend/functions', name))) {
    return `\`${name}\` already exists in the Cargo workspace (backend/); choose another name`;
  }
  const ident = camelCase(name);
  for (const other of taken) {
    if (other !== name && camelCase(other) === ident && existsSync(join(root, 'backend/functions', other))) {
      return `\`${name}\` reads the same as the function \`${other}\` in TypeScript (${ident}); choose another name`;
    }
  }
  return undefined;
}

/** Cargo treats `-` and `_` alike in library names: `lambda-runtime` would be `lambda_runtime`. */
const libraryName = (name: string) => name.replace(/-/g, '_');

/**
 * Which dependency of the workspace is called like `name` (a direct one in
 * backend/Cargo.toml's `[workspace.dependencies]`, or any package in backend/Cargo.lock),
 * or undefined. Both file formats are read with line patterns: a TOML parser for two key
 * lists is not worth its load time in the CLI.
 */
export function dependencyNamed(name: string, root: string): string | undefined {
  const wanted = libraryName(name);
  // The workspace's own crates are refused as taken names, with their own message.
  const local = workspaceCrateNames(root);
  const manifest = join(root, 'backend/Cargo.toml');
  if (existsSync(manifest)) {
    const text = readFileSync(manifest, 'utf8');
    const section = /^\[workspace\.dependencies\]\s*$([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(text)?.[1] ?? '';
    for (const match of section.matchAll(/^([A-Za-z0-9_-]+)\s*=/gm)) {
      const dependency = match[1] ?? '';
      if (libraryName(dependency) === wanted && !local.has(dependency)) {
        return `the workspace dependency \`${dependency}\` (backend/Cargo.toml)`;
      }
    }
  }
  const lock = join(root, 'backend/Cargo.lock');
  if (existsSync(lock)) {
    for (const match of readFileSync(lock, 'utf8').matchAll(/^name = "([^"]+)"$/gm)) {
      const dependency = match[1] ?? '';
      if (libraryName(dependency) === wanted && !local.has(dependency)) {
        return `the package \`${dependency}\` the workspace depends on (backend/Cargo.lock)`;
      }
    }
  }
  return undefined;
}

/** `[package] name` of every crate under backend/{functions,crates,services/*,benchmarks}, read from disk. */
export function workspaceCrateNames(root: string): Set<string> {
  const names = new Set<string>();
  const backend = join(root, 'backend');
  const folders = ['functions', 'crates', 'benchmarks'].map((dir) => join(backend, dir));
  const services = join(backend, 'services');
  if (existsSync(services)) {
    for (const service of readdirSync(services)) folders.push(join(services, service));
  }
  for (const folder of folders) {
    if (!existsSync(folder)) continue;
    for (const entry of readdirSync(folder)) {
      const manifest = join(folder, entry, 'Cargo.toml');
      if (!existsSync(manifest)) continue;
      const match = /^\[package\][^[]*?^name\s*=\s*"([^"]+)"/m.exec(readFileSync(manifest, 'utf8'));
      names.add(match?.[1] ?? entry);
    }
  }
  return names;
}

/** Names of the resources a function uses (`--table orders`): the CDK id and env variable derive from them. */
export function resourceNameProblem(kind: string, name: string): string | undefined {
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name) || name.length > 40) {
    return `--${kind} \`${name}\` is not a valid resource name; use ${NAME_RULE.replace('payments-webhook', 'orders')}`;
  }
  return undefined;
}

/** payments-webhook → paymentsWebhook */
export function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** payments-webhook → PaymentsWebhook */
export function pascalCase(name: string): string {
  const camel = camelCase(name);
  return camel.charAt(0).toUpperCase() + camel.slice(1);
}

/** payments-webhook → PAYMENTS_WEBHOOK */
export function constantCase(name: string): string {
  return name.replace(/-/g, '_').toUpperCase();
}
