import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { projectRoot, toolEnvironment } from '@ferrule/toolchain/project';
import ts from 'typescript';
import { CliError } from '../errors.ts';

export type UseKind = 'table' | 'queue' | 'bus';

/** One resource use to declare on a scaffolded function (infrastructure/functions/<name>.ts). */
export interface UseRequest {
  /** Function (crate) name. */
  readonly function: string;
  readonly kind: UseKind;
  /** Resource name in the function's service (`orders`); the `functions` service creates it on first use. */
  readonly resource: string;
  /** table: read | write | read-write | stream; queue: send | consume; bus: none (publish). */
  readonly access?: string;
  /** Environment variable holding the resource's name or URL. @default derived: ORDERS_TABLE, JOBS_QUEUE_URL, EVENTS_BUS */
  readonly env?: string;
  /** @default the project the CLI runs in */
  readonly root?: string;
}

export interface UseResult {
  readonly path: string;
  /** added: a new entry; updated: the access or env of an existing entry changed; unchanged. */
  readonly change: 'added' | 'updated' | 'unchanged';
  readonly entry: Readonly<Record<string, string>>;
}

const ACCESS: Record<UseKind, readonly string[]> = {
  table: ['read', 'write', 'read-write', 'stream'],
  queue: ['send', 'consume'],
  bus: [],
};

const ARRAY: Record<UseKind, string> = { table: 'tables', queue: 'queues', bus: 'buses' };

function defaultEnv(kind: UseKind, resource: string): string {
  const base = resource.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
  return kind === 'table' ? `${base}_TABLE` : kind === 'queue' ? `${base}_QUEUE_URL` : `${base}_BUS`;
}

function propertyName(property: ts.ObjectLiteralElementLike): string | undefined {
  if (!ts.isPropertyAssignment(property)) return undefined;
  const { name } = property;
  return ts.isIdentifier(name) || ts.isStringLiteral(name) ? name.text : undefined;
}

function findProperty(object: ts.ObjectLiteralExpression, name: string): ts.PropertyAssignment | undefined {
  return object.properties.find(
    (property): property is ts.PropertyAssignment => propertyName(property) === name,
  );
}

function stringValue(object: ts.ObjectLiteralExpression, name: string): string | undefined {
  const initializer = findProperty(object, name)?.initializer;
  return initializer && ts.isStringLiteralLike(initializer) ? initializer.text : undefined;
}

/**
 * The props object of `stack.addFunction('<Id>', { crate: '<name>', ... })` in the wiring file:
 * the object literal with `crate: '<name>'` passed to a call of `addFunction`.
 */
function functionProps(source: ts.SourceFile, crate: string): ts.ObjectLiteralExpression | undefined {
  let found: ts.ObjectLiteralExpression | undefined;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === 'addFunction'
    ) {
      const props = node.arguments[1];
      if (props && ts.isObjectLiteralExpression(props) && stringValue(props, 'crate') === crate) {
        found = props;
        return;
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The resource name of `stack.resources.<kind>('<name>')` inside a use entry, if it is one. */
function resourceName(entry: ts.ObjectLiteralExpression, kind: UseKind): string | undefined {
  const initializer = findProperty(entry, kind)?.initializer;
  let name: string | undefined;
  const visit = (node: ts.Node): void => {
    if (name !== undefined) return;
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      node.expression.name.text === kind
    ) {
      const arg = node.arguments[0];
      if (arg && ts.isStringLiteralLike(arg)) name = arg.text;
      return;
    }
    ts.forEachChild(node, visit);
  };
  if (initializer) visit(initializer);
  return name;
}

function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** `.table` of a FerruleTable, `.queue` of a FerruleQueue; a bus is the bus itself. */
const MEMBER: Record<UseKind, string> = { table: '.table', queue: '.queue', bus: '' };

function entryText(kind: UseKind, entry: Readonly<Record<string, string>>): string {
  return `{ ${Object.entries(entry)
    .map(([key, value]) =>
      key === kind
        ? `${key}: stack.resources.${kind}(${quote(value)})${MEMBER[kind]}`
        : `${key}: ${quote(value)}`,
    )
    .join(', ')} }`;
}

interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

function apply(text: string, edits: readonly Edit[]): string {
  let result = text;
  for (const edit of [...edits].sort((a, b) => b.start - a.start)) {
    result = result.slice(0, edit.start) + edit.text + result.slice(edit.end);
  }
  return result;
}

/** Text to add one property at the end of an object literal, keeping a trailing comma style. */
function appendProperty(object: ts.ObjectLiteralExpression, text: string, source: ts.SourceFile): Edit {
  const last = object.properties.at(-1);
  if (!last) return { start: object.getStart(source) + 1, end: object.getEnd() - 1, text: ` ${text} ` };
  return { start: last.getEnd(), end: last.getEnd(), text: `, ${text}` };
}

function appendElement(array: ts.ArrayLiteralExpression, text: string, source: ts.SourceFile): Edit {
  const last = array.elements.at(-1);
  if (!last) return { start: array.getStart(source) + 1, end: array.getEnd() - 1, text };
  return { start: last.getEnd(), end: last.getEnd(), text: `, ${text}` };
}

/** The local value `ferrule invoke` and the smoke test give a variable (as the scaffolder writes them). */
function localValue(kind: UseKind, resource: string): string {
  return kind === 'queue' ? `http://localhost/000000000000/${resource}` : `${resource}-local`;
}

/**
 * Declares `env` in the crate's `[package.metadata.ferrule.env]` (the variables it reads, which
 * RustFunction holds the role's environment to), replacing `replaces` when the use's variable
 * was renamed. A line-level edit, so the rest of the user's manifest stays as written.
 */
function declareVariable(manifest: string, env: string, value: string, replaces?: string): boolean {
  if (!existsSync(manifest)) return false;
  const lines = readFileSync(manifest, 'utf8').split('\n');
  const header = lines.findIndex((line) => line.trim() === '[package.metadata.ferrule.env]');
  const keyLine = (name: string) =>
    header < 0
      ? -1
      : lines.findIndex(
          (line, i) =>
            i > header &&
            !lines.slice(header + 1, i).some((l) => l.trim().startsWith('[')) &&
            new RegExp(`^\\s*${name}\\s*=`).test(line),
        );
  if (replaces && replaces !== env) {
    const old = keyLine(replaces);
    if (old >= 0) lines.splice(old, 1);
  }
  if (keyLine(env) >= 0) {
    writeFileSync(manifest, lines.join('\n'));
    return false;
  }
  const line = `${env} = ${JSON.stringify(value)}`;
  if (header >= 0) lines.splice(header + 1, 0, line);
  else {
    while (lines.length > 0 && lines.at(-1) === '') lines.pop();
    lines.push(
      '',
      '# Local values of what CDK sets (`npx ferrule invoke`, the smoke test).',
      '[package.metadata.ferrule.env]',
      line,
      '',
    );
  }
  writeFileSync(manifest, lines.join('\n'));
  return true;
}

/**
 * Declares that a scaffolded function uses a table, queue or bus by editing the `uses` of its
 * `stack.addFunction(...)` call in infrastructure/functions/<name>.ts through the TypeScript
 * AST: the edit is placed from the parsed tree (never a text pattern), everything else in the
 * user-owned file (comments, other properties, layout) stays as written, and Biome lays out the
 * result. The resource comes from the service's `stack.resources` by name; the variable is also
 * declared in the crate's `[package.metadata.ferrule.env]`, so synth finds the two in step.
 */
export function declareUse(request: UseRequest): UseResult {
  const root = request.root ?? projectRoot;
  const path = join(root, 'infrastructure/functions', `${request.function}.ts`);
  const rel = relative(root, path);
  if (!/^[a-z0-9][a-z0-9-]*$/.test(request.function) || !existsSync(path)) {
    throw new CliError(
      `no declaration ${rel}: declare_use edits functions made with \`npx ferrule new function\`; for the functions of infrastructure/lib/*-stack.ts add the use to their RustFunction \`uses\` (skill declare-resource-use)`,
    );
  }
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(request.resource)) {
    throw new CliError(`resource name \`${request.resource}\` must be kebab-case (letters, digits, hyphens)`);
  }
  const allowed = ACCESS[request.kind];
  if (allowed.length > 0 && (!request.access || !allowed.includes(request.access))) {
    throw new CliError(
      `a ${request.kind} use needs access ${allowed.join(' | ')}, not \`${request.access ?? ''}\``,
    );
  }
  if (allowed.length === 0 && request.access !== undefined) {
    throw new CliError('a bus use has no access: it always means events:PutEvents on that bus');
  }
  const env = request.env ?? defaultEnv(request.kind, request.resource);
  if (!/^[A-Z_][A-Z0-9_]*$/.test(env)) throw new CliError(`env \`${env}\` must be an UPPER_SNAKE_CASE name`);

  const text = readFileSync(path, 'utf8');
  const source = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const declaration = functionProps(source, request.function);
  if (!declaration) {
    throw new CliError(
      `${rel} has no \`stack.addFunction('<Id>', { crate: '${request.function}', ... })\` call to edit; restore that shape`,
    );
  }
  const key = request.kind;
  const entry: Record<string, string> = { [key]: request.resource };
  if (request.access) entry.access = request.access;
  entry.env = env;

  const edits: Edit[] = [];
  let change: UseResult['change'] = 'added';
  let previousEnv: string | undefined;
  const uses = findProperty(declaration, 'uses');
  if (!uses) {
    edits.push(appendProperty(declaration, `uses: { ${ARRAY[key]}: [${entryText(key, entry)}] }`, source));
  } else if (!ts.isObjectLiteralExpression(uses.initializer)) {
    throw new CliError(`${rel}: \`uses\` is not an object literal; write it as { tables: [...], ... }`);
  } else {
    const list = findProperty(uses.initializer, ARRAY[key]);
    if (!list) {
      edits.push(appendProperty(uses.initializer, `${ARRAY[key]}: [${entryText(key, entry)}]`, source));
    } else if (!ts.isArrayLiteralExpression(list.initializer)) {
      throw new CliError(`${rel}: \`uses.${ARRAY[key]}\` is not an array literal`);
    } else {
      const existing = list.initializer.elements.find(
        (element): element is ts.ObjectLiteralExpression =>
          ts.isObjectLiteralExpression(element) && resourceName(element, key) === request.resource,
      );
      if (!existing) {
        edits.push(appendElement(list.initializer, entryText(key, entry), source));
      } else {
        const same =
          existing.properties.some((p) => propertyName(p) === key) &&
          stringValue(existing, 'access') === entry.access &&
          (stringValue(existing, 'env') ?? env) === env &&
          existing.properties.length === Object.keys(entry).length;
        change = same ? 'unchanged' : 'updated';
        previousEnv = stringValue(existing, 'env');
        if (!same)
          edits.push({
            start: existing.getStart(source),
            end: existing.getEnd(),
            text: entryText(key, entry),
          });
      }
    }
  }
  if (edits.length > 0) {
    const updated = apply(text, edits);
    // The edit must leave a file that still parses to a declaration object.
    const check = ts.createSourceFile(path, updated, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const syntax = ts.transpileModule(updated, { reportDiagnostics: true }).diagnostics ?? [];
    if (!functionProps(check, request.function) || syntax.length > 0) {
      throw new CliError(`could not edit ${rel} safely; add the entry to \`uses.${ARRAY[key]}\` by hand`, 1);
    }
    writeFileSync(path, updated);
    spawnSync(join(root, 'node_modules/.bin/biome'), ['format', '--write', path], {
      cwd: root,
      env: toolEnvironment(),
      stdio: 'ignore',
    });
  }
  declareVariable(
    join(root, 'backend/functions', request.function, 'Cargo.toml'),
    env,
    localValue(request.kind, request.resource),
    previousEnv,
  );
  return { path: rel, change, entry };
}
