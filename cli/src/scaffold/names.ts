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
