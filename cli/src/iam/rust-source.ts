// Just enough of Rust's syntax to tell which functions a crate defines and what each one
// names: tokens (comments and literals skipped correctly), items (fn, impl, trait, mod,
// const, macro_rules), `#[cfg]` on items and modules, test items left out. Bodies stay token
// lists; nothing here type-checks.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export type TokenKind = 'ident' | 'lifetime' | 'string' | 'literal' | 'punct';

export interface Token {
  readonly kind: TokenKind;
  /** The identifier, the punctuation, or for a string literal its raw source. */
  readonly text: string;
  /** A string literal's value (escapes left as written). */
  readonly value?: string;
  readonly line: number;
}

const MULTI_PUNCT = ['..=', '...', '::', '->', '=>', '..'];

/** Rust source to tokens, without comments (doc comments included) and whitespace. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  const n = source.length;
  const push = (kind: TokenKind, text: string, value?: string) =>
    tokens.push(value === undefined ? { kind, text, line } : { kind, text, value, line });
  const countLines = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (source[k] === '\n') line++;
  };
  const isIdentStart = (c: string) => /[\p{L}_]/u.test(c);
  const isIdent = (c: string) => /[\p{L}\p{N}_]/u.test(c);

  while (i < n) {
    const c = source[i] as string;
    if (c === '\n') {
      line++;
      i++;
      continue;
    }
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '/' && source[i + 1] === '/') {
      while (i < n && source[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && source[i + 1] === '*') {
      // Block comments nest in Rust.
      let depth = 0;
      const start = i;
      do {
        if (source[i] === '/' && source[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (source[i] === '*' && source[i + 1] === '/') {
          depth--;
          i += 2;
        } else i++;
      } while (i < n && depth > 0);
      countLines(start, i);
      continue;
    }
    // Raw strings (r"..", r#".."#, br"..", cr".."), then raw identifiers (r#name).
    const raw = /^(?:b|c)?r(#*)"/.exec(source.slice(i, i + 260));
    if (raw) {
      const hashes = raw[1] as string;
      const bodyStart = i + raw[0].length;
      const close = source.indexOf(`"${hashes}`, bodyStart);
      const end = close < 0 ? n : close + 1 + hashes.length;
      push('string', source.slice(i, end), source.slice(bodyStart, close < 0 ? n : close));
      countLines(i, end);
      i = end;
      continue;
    }
    if (c === 'r' && source[i + 1] === '#' && isIdentStart(source[i + 2] ?? '')) {
      let j = i + 2;
      while (j < n && isIdent(source[j] as string)) j++;
      push('ident', source.slice(i + 2, j));
      i = j;
      continue;
    }
    if (c === '"' || ((c === 'b' || c === 'c') && source[i + 1] === '"')) {
      const bodyStart = c === '"' ? i + 1 : i + 2;
      let j = bodyStart;
      while (j < n && source[j] !== '"') j += source[j] === '\\' ? 2 : 1;
      push('string', source.slice(i, j + 1), source.slice(bodyStart, j));
      countLines(i, j + 1);
      i = j + 1;
      continue;
    }
    if (c === "'" || (c === 'b' && source[i + 1] === "'")) {
      const q = c === "'" ? i : i + 1;
      const next = source.codePointAt(q + 1);
      const width = next !== undefined && next > 0xffff ? 2 : 1;
      if (source[q + 1] === '\\') {
        // A char literal with an escape: '\n', '\'', '\u{1F600}'.
        let j = q + 2;
        while (j < n && source[j] !== "'") j++;
        push('literal', source.slice(i, j + 1));
        i = j + 1;
        continue;
      }
      if (source[q + 1 + width] === "'") {
        push('literal', source.slice(i, q + 2 + width));
        i = q + 2 + width;
        continue;
      }
      // A lifetime or label: 'a, 'static.
      let j = q + 1;
      while (j < n && isIdent(source[j] as string)) j++;
      push('lifetime', source.slice(i, j));
      i = j;
      continue;
    }
    if (/[0-9]/.test(c)) {
      let j = i;
      while (j < n && /[0-9A-Za-z_]/.test(source[j] as string)) j++;
      // A fraction, but not a range (1..2) or a method on an integer (1.max(2)).
      if (source[j] === '.' && /[0-9]/.test(source[j + 1] ?? '')) {
        j++;
        while (j < n && /[0-9A-Za-z_]/.test(source[j] as string)) j++;
      }
      push('literal', source.slice(i, j));
      i = j;
      continue;
    }
    if (isIdentStart(c)) {
      let j = i;
      while (j < n && isIdent(source[j] as string)) j++;
      push('ident', source.slice(i, j));
      i = j;
      continue;
    }
    const multi = MULTI_PUNCT.find((p) => source.startsWith(p, i));
    push('punct', multi ?? c);
    i += multi?.length ?? 1;
  }
  return tokens;
}

const OPEN: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/** Index of the bracket closing the one at `open` (or the end). */
export function closing(tokens: readonly Token[], open: number): number {
  const pairs: string[] = [];
  for (let i = open; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    if (token.kind !== 'punct') continue;
    const close = OPEN[token.text];
    if (close) pairs.push(close);
    else if (token.text === pairs[pairs.length - 1]) {
      pairs.pop();
      if (pairs.length === 0) return i;
    }
  }
  return tokens.length;
}

/** Index of the first token in [from, to) at bracket depth 0 whose text is one of `texts`. */
function findAtDepth0(tokens: readonly Token[], from: number, to: number, texts: readonly string[]): number {
  for (let i = from; i < to; i++) {
    const token = tokens[i] as Token;
    if (token.kind === 'punct' && texts.includes(token.text)) return i;
    if (token.kind === 'punct' && OPEN[token.text]) i = closing(tokens, i);
  }
  return to;
}

/** Where an item sits: free, in an `impl [Trait for] Type`, or in a `trait`. */
export type ItemOwner =
  | { readonly kind: 'impl'; readonly type: string; readonly trait?: string }
  | { readonly kind: 'trait'; readonly trait: string };

/** A function (or const, static, type alias, macro) with the tokens it names. */
export interface RustItem {
  readonly kind: 'fn' | 'const' | 'type' | 'macro';
  readonly name: string;
  /** Absolute path of its file. */
  readonly file: string;
  readonly line: number;
  readonly owner?: ItemOwner;
  /** Its signature and body, and for a method the header of its impl or trait. */
  readonly tokens: readonly Token[];
}

export interface ParsedCrate {
  readonly items: RustItem[];
  /** Traits the crate defines. */
  readonly traits: Set<string>;
  /** `use a::B as C`: C → B. */
  readonly aliases: Map<string, string>;
  /** Per file, the names its `use` items bring into scope (`*` for a glob import). */
  readonly imports: Map<string, Set<string>>;
  /** Every file read, with the identifiers it mentions (for its `aws_sdk_*` imports). */
  readonly files: Map<string, Set<string>>;
}

/** Evaluates a `cfg(...)` predicate: features from `features`, `test`/`doc` false, other keys true. */
function cfgHolds(
  tokens: readonly Token[],
  from: number,
  to: number,
  features: ReadonlySet<string>,
): boolean {
  const head = tokens[from];
  if (!head) return true;
  if (head.kind === 'ident' && ['all', 'any', 'not'].includes(head.text) && tokens[from + 1]?.text === '(') {
    const end = closing(tokens, from + 1);
    const args: boolean[] = [];
    let start = from + 2;
    while (start < end) {
      const comma = findAtDepth0(tokens, start, end, [',']);
      if (comma > start) args.push(cfgHolds(tokens, start, comma, features));
      start = comma + 1;
    }
    if (head.text === 'all') return args.every(Boolean);
    if (head.text === 'any') return args.some(Boolean);
    return !args[0];
  }
  if (head.kind === 'ident' && tokens[from + 1]?.text === '=' && from + 2 < to) {
    if (head.text === 'feature') return features.has(tokens[from + 2]?.value ?? '');
    return true;
  }
  if (head.kind === 'ident') return !['test', 'doc', 'doctest', 'miri'].includes(head.text);
  return true;
}

interface Attribute {
  readonly tokens: readonly Token[];
}

/** Whether attributes leave the item in a normal (non-test) build with `features`. */
function included(attributes: readonly Attribute[], features: ReadonlySet<string>): boolean {
  for (const { tokens } of attributes) {
    const first = tokens[0]?.text;
    if (first === 'cfg' && tokens[1]?.text === '(') {
      if (!cfgHolds(tokens, 2, closing(tokens, 1), features)) return false;
    }
    // #[test], #[tokio::test], #[bench]: compiled for tests only.
    const path: string[] = [];
    for (const token of tokens) {
      if (token.kind === 'ident') path.push(token.text);
      else if (token.text !== '::') break;
    }
    const last = path[path.length - 1];
    if (last === 'test' || last === 'bench') return false;
  }
  return true;
}

function pathAttribute(attributes: readonly Attribute[]): string | undefined {
  for (const { tokens } of attributes) {
    if (tokens[0]?.text === 'path' && tokens[1]?.text === '=') return tokens[2]?.value;
  }
  return undefined;
}

/** The last path segment before generics: `orders_domain::OrderReader<T>` → `OrderReader`. */
function lastSegment(tokens: readonly Token[], from: number, to: number): string | undefined {
  let name: string | undefined;
  for (let i = from; i < to; i++) {
    const token = tokens[i] as Token;
    if (token.text === '<') break;
    if (token.kind === 'ident' && !['dyn', 'mut', 'const', 'unsafe'].includes(token.text)) name = token.text;
    else if (token.text !== '::' && token.text !== '&' && token.kind !== 'lifetime') break;
  }
  return name;
}

/** Skips a `<...>` group starting at `from` (tokens are single `<` and `>`; `->` is one token). */
function skipAngles(tokens: readonly Token[], from: number): number {
  if (tokens[from]?.text !== '<') return from;
  let depth = 0;
  for (let i = from; i < tokens.length; i++) {
    const text = (tokens[i] as Token).text;
    if (text === '<') depth++;
    else if (text === '>') {
      depth--;
      if (depth === 0) return i + 1;
    } else if (OPEN[text]) i = closing(tokens, i);
  }
  return tokens.length;
}

function parseImplHeader(
  tokens: readonly Token[],
  from: number,
  to: number,
): { type: string; trait?: string } {
  const start = skipAngles(tokens, from);
  let forAt = -1;
  let depth = 0;
  for (let i = start; i < to; i++) {
    const text = (tokens[i] as Token).text;
    if (text === '<') depth++;
    else if (text === '>') depth--;
    else if (text === 'where' && depth === 0) break;
    else if (text === 'for' && depth === 0 && tokens[i + 1]?.text !== '<') {
      forAt = i;
      break;
    }
  }
  if (forAt < 0) return { type: lastSegment(tokens, start, to) ?? '?' };
  const trait = lastSegment(tokens, tokens[start]?.text === '!' ? start + 1 : start, forAt);
  return { type: lastSegment(tokens, forAt + 1, to) ?? '?', trait };
}

interface Context {
  readonly file: string;
  /** Folder where `mod x;` in this scope finds x.rs or x/mod.rs. */
  readonly moduleDir: string;
  readonly owner?: ItemOwner;
  readonly header: readonly Token[];
}

/**
 * Reads a crate from its root files (lib.rs, main.rs), following `mod` declarations that the
 * enabled `features` keep, and returns its non-test items.
 */
export function parseCrate(roots: readonly string[], features: ReadonlySet<string>): ParsedCrate {
  const parsed: ParsedCrate = {
    items: [],
    traits: new Set(),
    aliases: new Map(),
    imports: new Map(),
    files: new Map(),
  };
  const visit = (file: string, moduleDir: string) => {
    if (parsed.files.has(file) || !existsSync(file)) return;
    const tokens = tokenize(readFileSync(file, 'utf8'));
    parsed.files.set(file, new Set(tokens.filter((t) => t.kind === 'ident').map((t) => t.text)));
    // Inner attributes at the top (`#![cfg(...)]`) apply to the whole file.
    const inner: Attribute[] = [];
    let start = 0;
    while (
      tokens[start]?.text === '#' &&
      tokens[start + 1]?.text === '!' &&
      tokens[start + 2]?.text === '['
    ) {
      const end = closing(tokens, start + 2);
      inner.push({ tokens: tokens.slice(start + 3, end) });
      start = end + 1;
    }
    if (!included(inner, features)) return;
    parseItems(tokens, start, tokens.length, { file, moduleDir, header: [] }, features, parsed, visit);
  };
  for (const root of roots) visit(root, dirname(root));
  return parsed;
}

function parseItems(
  tokens: readonly Token[],
  from: number,
  to: number,
  context: Context,
  features: ReadonlySet<string>,
  parsed: ParsedCrate,
  visit: (file: string, moduleDir: string) => void,
): void {
  let i = from;
  while (i < to) {
    const attributes: Attribute[] = [];
    while (tokens[i]?.text === '#') {
      const bracket = tokens[i + 1]?.text === '!' ? i + 2 : i + 1;
      if (tokens[bracket]?.text !== '[') break;
      const end = closing(tokens, bracket);
      attributes.push({ tokens: tokens.slice(bracket + 1, end) });
      i = end + 1;
    }
    if (tokens[i]?.text === 'pub') {
      i++;
      if (tokens[i]?.text === '(') i = closing(tokens, i) + 1;
    }
    while (
      ['default', 'async', 'unsafe', 'safe'].includes(tokens[i]?.text ?? '') ||
      (tokens[i]?.text === 'const' &&
        ['fn', 'unsafe', 'async', 'extern'].includes(tokens[i + 1]?.text ?? '')) ||
      (tokens[i]?.text === 'extern' && tokens[i + 1]?.text !== 'crate' && tokens[i + 1]?.text !== '{')
    ) {
      if (tokens[i]?.text === 'extern' && tokens[i + 1]?.kind === 'string') i++;
      i++;
    }
    const keyword = tokens[i];
    if (!keyword) return;
    const keep = included(attributes, features);
    const item = (kind: RustItem['kind'], name: string, start: number, end: number) => {
      if (!keep || name === '_') return;
      parsed.items.push({
        kind,
        name,
        file: context.file,
        line: tokens[start]?.line ?? 0,
        owner: context.owner,
        tokens: [...context.header, ...tokens.slice(start, end)],
      });
    };
    switch (keyword.text) {
      case 'fn': {
        const name = tokens[i + 1]?.text ?? '?';
        const end = findAtDepth0(tokens, i + 2, to, ['{', ';']);
        const last = tokens[end]?.text === '{' ? closing(tokens, end) : end;
        item('fn', name, i, last + 1);
        i = last + 1;
        break;
      }
      case 'impl':
      case 'trait': {
        const open = findAtDepth0(tokens, i + 1, to, ['{', ';']);
        if (tokens[open]?.text !== '{') {
          i = open + 1;
          break;
        }
        const close = closing(tokens, open);
        if (keep) {
          const owner: ItemOwner =
            keyword.text === 'impl'
              ? { kind: 'impl', ...parseImplHeader(tokens, i + 1, open) }
              : { kind: 'trait', trait: tokens[i + 1]?.text ?? '?' };
          if (owner.kind === 'trait') parsed.traits.add(owner.trait);
          const header = tokens.slice(i, open);
          parseItems(tokens, open + 1, close, { ...context, owner, header }, features, parsed, visit);
        }
        i = close + 1;
        break;
      }
      case 'mod': {
        const name = tokens[i + 1]?.text ?? '?';
        const next = tokens[i + 2];
        if (next?.text === ';') {
          if (keep) {
            const path = pathAttribute(attributes);
            if (path) visit(join(dirname(context.file), path), dirname(join(dirname(context.file), path)));
            else {
              const flat = join(context.moduleDir, `${name}.rs`);
              const nested = join(context.moduleDir, name, 'mod.rs');
              const file = existsSync(flat) ? flat : nested;
              // Children of x.rs live in x/; those of x/mod.rs beside it.
              visit(file, join(context.moduleDir, name));
            }
          }
          i += 3;
        } else if (next?.text === '{') {
          const close = closing(tokens, i + 2);
          if (keep) {
            const inline = { ...context, moduleDir: join(context.moduleDir, name) };
            parseItems(tokens, i + 3, close, inline, features, parsed, visit);
          }
          i = close + 1;
        } else i += 2;
        break;
      }
      case 'macro_rules': {
        const name = tokens[i + 2]?.text ?? '?';
        const open = i + 3;
        const close = closing(tokens, open);
        item('macro', name, i, close + 1);
        i = close + 1;
        if (tokens[i]?.text === ';') i++;
        break;
      }
      case 'const':
      case 'static':
      case 'type': {
        const nameAt = tokens[i + 1]?.text === 'mut' ? i + 2 : i + 1;
        const end = findAtDepth0(tokens, nameAt + 1, to, [';']);
        item(keyword.text === 'type' ? 'type' : 'const', tokens[nameAt]?.text ?? '?', i, end + 1);
        i = end + 1;
        break;
      }
      case 'use': {
        const end = findAtDepth0(tokens, i + 1, to, [';']);
        const imports = parsed.imports.get(context.file) ?? new Set<string>();
        parsed.imports.set(context.file, imports);
        for (let k = i + 1; k < end; k++) {
          const token = tokens[k] as Token;
          if (token.kind === 'ident' || token.text === '*') imports.add(token.text);
          const original = tokens[k - 1];
          const alias = tokens[k + 1];
          if (tokens[k]?.text === 'as' && original?.kind === 'ident' && alias?.kind === 'ident') {
            parsed.aliases.set(alias.text, original.text);
          }
        }
        i = end + 1;
        break;
      }
      case 'struct':
      case 'enum':
      case 'union': {
        const end = findAtDepth0(tokens, i + 1, to, ['{', ';']);
        i = (tokens[end]?.text === '{' ? closing(tokens, end) : end) + 1;
        break;
      }
      default: {
        // `extern crate x;`, an `extern { }` block, an item macro (`thread_local! { }`), or
        // something this reader does not know: skip to the end of it.
        const end = findAtDepth0(tokens, i, to, ['{', ';']);
        i = (tokens[end]?.text === '{' ? closing(tokens, end) : end) + 1;
        if (tokens[i]?.text === ';') i++;
      }
    }
  }
}
