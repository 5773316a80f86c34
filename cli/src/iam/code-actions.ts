// What AWS actions a function's code can call, read from its source: the function crate, the
// workspace crates it depends on with the features it turns on, the functions reachable from
// its own code, and the aws-sdk-rust operations those call (docs/architecture.md, "IAM equals
// code"). No build: `cargo metadata --no-deps` for the manifests, then the .rs files.
import { execFileSync } from 'node:child_process';
import { dirname, join, relative } from 'node:path';
import { projectRoot, toolEnvironment } from '@ferrule/toolchain/project';
import { CliError } from '../errors.ts';
import { type ParsedCrate, parseCrate, type RustItem, type Token } from './rust-source.ts';
import { type SdkService, serviceOfRustName } from './sdk-operations.ts';

/** One AWS action the code can call, where, and on which index. */
export interface CodeCall {
  /** IAM action, `dynamodb:GetItem`. */
  readonly action: string;
  /** SDK crate and operation, `aws-sdk-dynamodb` `get_item`. */
  readonly sdk: string;
  readonly operation: string;
  /**
   * The index a Query or Scan names (`.index_name("by-status")`), `*` when the name is not a
   * literal; absent when the call is on the table itself.
   */
  readonly index?: string;
  /** Crate and place of the call, relative to the project root: `backend/crates/x/src/y.rs:12`. */
  readonly crate: string;
  readonly at: string;
  /**
   * Made only for names the deployment's configuration gives (ferrule-parameters resolving
   * `ssm:` values): needed when the environment holds one, or the role reads parameters.
   */
  readonly onConfiguration?: boolean;
}

/** An SDK call the operation table (sdk-operations.ts) has no actions for. */
export interface UnknownCall {
  readonly sdk: string;
  readonly operation: string;
  readonly crate: string;
  readonly at: string;
}

export interface FunctionCode {
  readonly crate: string;
  /** The workspace crates compiled into the function, each with its enabled features. */
  readonly crates: Readonly<Record<string, readonly string[]>>;
  readonly calls: readonly CodeCall[];
  readonly unknown: readonly UnknownCall[];
}

/**
 * SDK calls that happen only when configuration asks for them: ferrule-parameters' SSM store
 * is lazy and reads only the names given to it (`ssm:` values at init).
 */
const ON_CONFIGURATION: readonly { crate: string; action: string }[] = [
  { crate: 'ferrule-parameters', action: 'ssm:GetParameters' },
];

interface CargoDependency {
  name: string;
  kind: string | null;
  optional: boolean;
  uses_default_features: boolean;
  features: string[];
  path?: string;
  rename?: string | null;
}

interface CargoPackage {
  name: string;
  manifest_path: string;
  features: Record<string, string[]>;
  dependencies: CargoDependency[];
  targets: { kind: string[]; src_path: string }[];
}

/** The packages of a Cargo workspace (`cargo metadata --no-deps`: manifests only, offline). */
export class Workspace {
  readonly packages: ReadonlyMap<string, CargoPackage>;
  private readonly parsed = new Map<string, ParsedCrate>();

  /**
   * @param root the project folder call sites are named relative to (the one holding backend/)
   */
  constructor(
    packages: readonly CargoPackage[],
    readonly root: string = projectRoot,
  ) {
    this.packages = new Map(packages.map((pkg) => [pkg.name, pkg]));
  }

  /** Reads the workspace of `<root>/backend/Cargo.toml`. */
  static load(root: string = projectRoot): Workspace {
    const manifest = join(root, 'backend/Cargo.toml');
    let stdout: string;
    try {
      stdout = execFileSync(
        'cargo',
        ['metadata', '--no-deps', '--format-version', '1', '--offline', '--manifest-path', manifest],
        {
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
          env: toolEnvironment(),
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
    } catch (error) {
      const stderr = String((error as { stderr?: string }).stderr ?? '')
        .trim()
        .split('\n')
        .pop();
      throw new CliError(
        `cannot read the Cargo workspace (cargo metadata): ${stderr || (error as Error).message}`,
        1,
      );
    }
    return new Workspace((JSON.parse(stdout) as { packages: CargoPackage[] }).packages, root);
  }

  /**
   * The workspace crates a build of `crate` compiles, Cargo's way: each with its enabled
   * features and the dependencies (workspace or registry) those turn on.
   */
  resolve(crate: string): { features: Map<string, Set<string>>; dependencies: Map<string, Set<string>> } {
    const enabled = new Map<string, Set<string>>();
    const activeDeps = new Map<string, Set<string>>();
    // `dep?/feature` waits for `dep` to be turned on by something else.
    const pending = new Map<string, string[]>();
    const byPath = new Map([...this.packages.values()].map((pkg) => [dirname(pkg.manifest_path), pkg.name]));

    const activatePackage = (name: string) => {
      if (enabled.has(name)) return false;
      enabled.set(name, new Set());
      activeDeps.set(name, new Set());
      const pkg = this.packages.get(name);
      for (const dep of pkg?.dependencies ?? []) {
        if (dep.kind === null && !dep.optional) activateDep(name, dep.rename ?? dep.name);
      }
      return true;
    };
    const enableFeature = (name: string, feature: string) => {
      activatePackage(name);
      const features = enabled.get(name) as Set<string>;
      if (features.has(feature)) return;
      const pkg = this.packages.get(name);
      const table = pkg?.features ?? {};
      if (!(feature in table)) {
        // An optional dependency's implicit feature (no `dep:` syntax in the manifest).
        if (pkg?.dependencies.some((d) => (d.rename ?? d.name) === feature && d.optional)) {
          features.add(feature);
          activateDep(name, feature);
        }
        return;
      }
      features.add(feature);
      for (const entry of table[feature] ?? []) {
        if (entry.startsWith('dep:')) activateDep(name, entry.slice(4));
        else if (entry.includes('/')) {
          const [depPart = '', depFeature = ''] = entry.split('/');
          const weak = depPart.endsWith('?');
          const dep = weak ? depPart.slice(0, -1) : depPart;
          const key = `${name}\u0000${dep}`;
          pending.set(key, [...(pending.get(key) ?? []), depFeature]);
          if (!weak || activeDeps.get(name)?.has(dep)) activateDep(name, dep, true);
        } else enableFeature(name, entry);
      }
    };
    const activateDep = (name: string, depName: string, again = false) => {
      const active = activeDeps.get(name) as Set<string>;
      if (active.has(depName) && !again) return;
      active.add(depName);
      const pkg = this.packages.get(name);
      for (const dep of pkg?.dependencies ?? []) {
        if (dep.kind !== null || (dep.rename ?? dep.name) !== depName || !dep.path) continue;
        const target = byPath.get(dep.path);
        if (!target) continue;
        activatePackage(target);
        const wanted = [...dep.features, ...(pending.get(`${name}\u0000${depName}`) ?? [])];
        if (dep.uses_default_features) wanted.push('default');
        for (const feature of wanted) enableFeature(target, feature);
      }
    };

    if (!this.packages.has(crate)) throw new CliError(`no crate \`${crate}\` in the Cargo workspace`, 1);
    enableFeature(crate, 'default');
    return { features: enabled, dependencies: activeDeps };
  }

  crate(name: string, features: ReadonlySet<string>): ParsedCrate {
    const key = `${name}\u0000${[...features].sort().join(',')}`;
    let parsed = this.parsed.get(key);
    if (!parsed) {
      const pkg = this.packages.get(name);
      const roots = (pkg?.targets ?? [])
        .filter((t) => t.kind.some((k) => ['lib', 'rlib', 'bin', 'proc-macro'].includes(k)))
        .map((t) => t.src_path);
      parsed = parseCrate(roots, features);
      this.parsed.set(key, parsed);
    }
    return parsed;
  }
}

interface Node {
  readonly crate: string;
  readonly item: RustItem;
  readonly idents: ReadonlySet<string>;
}

/**
 * Every AWS action `crate` can call. "Can call" is reachability by name, from the function
 * crate's own code (every non-test item of it): a free function, const or macro of a
 * dependency is reached when a reached body names it; an inherent method when its name and
 * its type are named; a method of a trait the workspace defines when its name, its trait and
 * its type are named (the trait named in reached code, or imported by the file of a reached
 * body that calls the method). Methods of outside traits (Display, Service) count once their
 * type is named. This can reach more than runs (two methods share a name); it misses a call
 * only if the type is never named on the way, not even in a signature.
 */
export function analyzeFunction(workspace: Workspace, crate: string): FunctionCode {
  const { features, dependencies: active } = workspace.resolve(crate);
  const crates = [...features.keys()].sort();
  const nodes: Node[] = [];
  const workspaceTraits = new Set<string>();
  const aliases = new Map<string, string>();
  const imports = new Map<string, ReadonlySet<string>>();
  const fileIdents = new Map<string, ReadonlySet<string>>();
  for (const name of crates) {
    const parsed = workspace.crate(name, features.get(name) as Set<string>);
    for (const trait of parsed.traits) workspaceTraits.add(trait);
    for (const [alias, original] of parsed.aliases) aliases.set(alias, original);
    for (const [file, names] of parsed.imports) imports.set(file, names);
    for (const [file, idents] of parsed.files) fileIdents.set(file, idents);
    for (const item of parsed.items) {
      nodes.push({
        crate: name,
        item,
        idents: new Set(item.tokens.filter((t) => t.kind === 'ident').map((t) => t.text)),
      });
    }
  }

  const referenced = new Set<string>();
  // Trait → names that reached code calls in a file importing the trait (`use x::Trait;`
  // brings its methods into scope without naming the trait again). A file that implements
  // the trait imports it for that, and its own calls are on other types (`self.client.get()`).
  const implementedIn = new Map<string, Set<string>>();
  for (const { item } of nodes) {
    if (item.owner?.kind !== 'impl' || !item.owner.trait) continue;
    implementedIn.set(item.file, (implementedIn.get(item.file) ?? new Set()).add(item.owner.trait));
  }
  const inScope = new Map<string, Set<string>>();
  const reached = new Set<Node>();
  const reach = (node: Node) => {
    reached.add(node);
    for (const ident of node.idents) {
      referenced.add(ident);
      const original = aliases.get(ident);
      if (original) referenced.add(original);
    }
    const imported = imports.get(node.item.file) ?? new Set<string>();
    const implemented = implementedIn.get(node.item.file);
    const traits = [...(imported.has('*') ? workspaceTraits : imported)].filter(
      (name) => workspaceTraits.has(name) && !implemented?.has(name),
    );
    for (const trait of traits) {
      const names = inScope.get(trait) ?? new Set<string>();
      for (const ident of node.idents) names.add(ident);
      inScope.set(trait, names);
    }
  };
  // The roots: every non-test item of the function crate.
  for (const node of nodes) if (node.crate === crate) reach(node);
  const reachable = (node: Node): boolean => {
    const { name, owner } = node.item;
    if (!owner) return referenced.has(name);
    const viaTrait = (trait: string) =>
      (referenced.has(name) && referenced.has(trait)) || (inScope.get(trait)?.has(name) ?? false);
    if (owner.kind === 'trait') return viaTrait(owner.trait);
    if (!referenced.has(owner.type)) return false;
    // A trait from outside the workspace (Display, Service, Future) is called by code we do
    // not read: its methods count once the type is named.
    if (owner.trait && !workspaceTraits.has(owner.trait)) return true;
    return owner.trait ? viaTrait(owner.trait) : referenced.has(name);
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const node of nodes) {
      if (!reached.has(node) && reachable(node)) {
        reach(node);
        changed = true;
      }
    }
  }

  const calls: CodeCall[] = [];
  const unknown: UnknownCall[] = [];
  for (const node of reached) {
    const { file } = node.item;
    const sdks = [...(fileIdents.get(file) ?? [])]
      .filter((ident) => ident.startsWith('aws_sdk_'))
      .filter((ident) => active.get(node.crate)?.has(ident.replace(/_/g, '-')));
    if (sdks.length === 0) continue;
    const at = (token: Token) => `${relative(workspace.root, file)}:${token.line}`;
    for (const found of sdkCalls(node.item.tokens, sdks)) {
      const where = at(found.token);
      if (!found.service) {
        unknown.push({ sdk: found.sdk, operation: found.operation, crate: node.crate, at: where });
        continue;
      }
      for (const action of found.service.operations[found.operation] ?? []) {
        const onConfiguration = ON_CONFIGURATION.some((c) => c.crate === node.crate && c.action === action);
        for (const index of found.indexes) {
          calls.push({
            action,
            sdk: found.service.crate,
            operation: found.operation,
            ...(index === undefined ? {} : { index }),
            crate: node.crate,
            at: where,
            ...(onConfiguration ? { onConfiguration } : {}),
          });
        }
      }
    }
  }
  const key = (c: CodeCall | UnknownCall) =>
    `${'action' in c ? c.action : c.operation} ${'index' in c ? c.index : ''} ${c.at}`;
  const dedupe = <T extends CodeCall | UnknownCall>(list: T[]) =>
    [...new Map(list.map((c) => [key(c), c])).values()].sort((a, b) => key(a).localeCompare(key(b)));
  return {
    crate,
    crates: Object.fromEntries(crates.map((name) => [name, [...(features.get(name) ?? [])].sort()])),
    calls: dedupe(calls),
    unknown: dedupe(unknown),
  };
}

interface FoundCall {
  readonly token: Token;
  readonly sdk: string;
  readonly operation: string;
  /** The SDK's table entry; undefined when the operation (or the SDK) has none. */
  readonly service?: SdkService;
  /** Index names (or `*`), `undefined` for the table itself. */
  readonly indexes: readonly (string | undefined)[];
}

/** Builder methods that follow the operation (`client.get_item().customize()`), never one. */
const NOT_OPERATIONS = new Set(['send', 'customize', 'into_paginator', 'items', 'build', 'await', 'clone']);

/**
 * The SDK operations a body calls, on the SDKs its file names (`rust names`: aws_sdk_dynamodb).
 * An operation is a method called with no arguments whose name the table lists, or the method
 * a `.send()` chain starts with (`client.put_item().table_name(t).send()`), which reports
 * operations the table lacks.
 */
function sdkCalls(tokens: readonly Token[], rustNames: readonly string[]): FoundCall[] {
  const services = rustNames.map((name) => ({ name, service: serviceOfRustName(name) }));
  const found: FoundCall[] = [];
  const seen = new Set<number>();
  const classify = (operation: string) => services.filter((s) => s.service?.operations[operation]);
  const add = (at: number, operation: string, fromSend: boolean) => {
    if (seen.has(at)) return;
    const known = classify(operation);
    if (known.length === 0) {
      if (!fromSend) return;
      seen.add(at);
      const sdk =
        services.length === 1 ? (services[0]?.name ?? '') : services.map((s) => s.name).join(' or ');
      found.push({
        token: tokens[at] as Token,
        sdk: sdk.replace(/_/g, '-'),
        operation,
        indexes: [undefined],
      });
      return;
    }
    seen.add(at);
    for (const { service } of known) {
      const indexes = service?.indexOperations?.includes(operation) ? indexUses(tokens, at) : [undefined];
      found.push({
        token: tokens[at] as Token,
        sdk: service?.crate ?? '',
        operation,
        service,
        indexes,
      });
    }
  };
  for (let i = 1; i + 2 < tokens.length; i++) {
    const token = tokens[i] as Token;
    if (token.kind !== 'ident' || tokens[i - 1]?.text !== '.' || tokens[i + 1]?.text !== '(') continue;
    if (tokens[i + 2]?.text === ')') add(i, token.text, false);
    if (token.text === 'send' && tokens[i + 2]?.text === ')') {
      const start = chainOperation(tokens, i);
      if (start !== undefined) add(start, (tokens[start] as Token).text, true);
    }
  }
  return found;
}

/** In a `.send()` chain ending at `send`, the operation: the last no-argument call before the first call with arguments. */
function chainOperation(tokens: readonly Token[], send: number): number | undefined {
  const calls: { at: number; empty: boolean }[] = [];
  let i = send - 2; // the token before `.send`
  for (;;) {
    const token = tokens[i];
    if (!token) break;
    if (token.text === '?') {
      i--;
      continue;
    }
    if (token.text === ')') {
      let depth = 0;
      let open = i;
      for (; open >= 0; open--) {
        const text = (tokens[open] as Token).text;
        if (text === ')' || text === ']' || text === '}') depth++;
        else if (text === '(' || text === '[' || text === '{') depth--;
        if (depth === 0) break;
      }
      const name = tokens[open - 1];
      if (name?.kind !== 'ident' || tokens[open - 2]?.text !== '.') break;
      calls.unshift({ at: open - 1, empty: open + 1 === i });
      i = open - 3;
      continue;
    }
    if (token.kind === 'ident' && tokens[i - 1]?.text === '.') {
      i -= 2; // `.await` or a field
      continue;
    }
    break;
  }
  const firstWithArgs = calls.findIndex((c) => !c.empty);
  const before = (firstWithArgs < 0 ? calls : calls.slice(0, firstWithArgs)).filter(
    (c) => !NOT_OPERATIONS.has((tokens[c.at] as Token).text),
  );
  return before[before.length - 1]?.at;
}

/**
 * The indexes a Query or Scan at `at` names in its chain: `.index_name("x")` (or
 * `.set_index_name(Some("x"))`), `*` for a name that is not a literal, the table otherwise.
 */
function indexUses(tokens: readonly Token[], at: number): (string | undefined)[] {
  const names: (string | undefined)[] = [];
  let i = at + 3; // after `op ( )`
  let sent = false;
  while (tokens[i]?.text === '.' || tokens[i]?.text === '?') {
    if (tokens[i]?.text === '?') {
      i++;
      continue;
    }
    const name = tokens[i + 1];
    if (tokens[i + 2]?.text !== '(') {
      i += 2;
      continue;
    }
    let close = i + 2;
    for (let depth = 0; close < tokens.length; close++) {
      const text = (tokens[close] as Token).text;
      if (text === '(' || text === '[' || text === '{') depth++;
      else if (text === ')' || text === ']' || text === '}') depth--;
      if (depth === 0) break;
    }
    if (name?.text === 'index_name' || name?.text === 'set_index_name') {
      const literal = tokens.slice(i + 3, close).filter((t) => t.kind === 'string');
      const value =
        tokens.slice(i + 3, close).length <= 4 && literal.length === 1 ? literal[0]?.value : undefined;
      names.push(value ?? '*');
    }
    if (name?.text === 'send' || name?.text === 'into_paginator') sent = true;
    i = close + 1;
  }
  // A builder kept in a variable may get its index elsewhere: the table and any index.
  if (!sent && names.length === 0) return [undefined, ...otherIndexNames(tokens)];
  return names.length > 0 ? names : [undefined];
}

function otherIndexNames(tokens: readonly Token[]): string[] {
  const names: string[] = [];
  for (let i = 1; i < tokens.length; i++) {
    const text = tokens[i]?.text;
    if ((text === 'index_name' || text === 'set_index_name') && tokens[i - 1]?.text === '.') {
      const next = tokens.slice(i + 2, i + 6).find((t) => t.kind === 'string');
      names.push(next?.value ?? '*');
    }
  }
  return names;
}
