// The docs check: what the project's markdown says that a machine can hold against the code.
// Each function takes markdown text and returns problems (file, line, what is wrong), so a
// test can feed it a bad page; runDocsChecks applies them to the repository.
import { existsSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { Command } from 'commander';
import type { InlineCode, Nodes, Table } from 'mdast';
import { toString as textOf } from 'mdast-util-to-string';
import { checkBenchSection, latestBenchResult, renderBenchSection } from './bench-section.ts';
import {
  documentedFiles,
  formatProblem,
  lineOf,
  type MarkdownFile,
  markdownUnder,
  type Problem,
  parseMarkdown,
  walk,
} from './markdown.ts';

/** npm scripts that run the CLI: `npm start` → `ferrule start`; script name → the words after `ferrule`. */
export type FerruleScripts = Readonly<Record<string, readonly string[]>>;

/** Reads package.json's scripts that end in `node cli/bin/ferrule.mjs <words>`. */
export function ferruleScripts(scripts: Readonly<Record<string, string>>): FerruleScripts {
  const found: Record<string, readonly string[]> = {};
  for (const [name, script] of Object.entries(scripts)) {
    const match = /(?:^|&&)\s*node cli\/bin\/ferrule\.mjs((?:\s+[\w-]+)*)\s*$/.exec(script);
    if (match) found[name] = (match[1] ?? '').trim().split(/\s+/).filter(Boolean);
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Commands and flags

/** A word of a command line as written in the docs; `<name>` and `[name...]` are one word. */
interface Word {
  readonly text: string;
  readonly quoted: boolean;
}

/**
 * Splits the rest of a documented command line into words, up to where the command ends
 * (a pipe, `;`, `&&`, `)`, a redirect, a `#` comment or `, `). Unlike a shell, `<placeholder>` and
 * `[optional]` are words: that is how the docs write arguments.
 */
export function shellWords(text: string): Word[] {
  const words: Word[] = [];
  let word = '';
  let quoted = false;
  let quote: string | undefined;
  let depth = 0;
  const end = () => {
    if (word !== '' || quoted) words.push({ text: word, quoted });
    word = '';
    quoted = false;
  };
  for (let i = 0; i < text.length; i += 1) {
    const char = text.charAt(i);
    if (quote) {
      if (char === quote) quote = undefined;
      else word += char;
    } else if (depth > 0) {
      word += char;
      if (char === '>' || char === ']') depth -= 1;
      else if (char === '<' || char === '[') depth += 1;
    } else if (char === '"' || char === "'") {
      quote = char;
      quoted = true;
    } else if (/\s/.test(char)) {
      end();
    } else if (
      '|;&)>`'.includes(char) ||
      (char === '#' && word === '') ||
      (char === ',' && /^\s|^$/.test(text.charAt(i + 1)))
    ) {
      // A comma and a space end the command too: `npx ferrule build, npx ferrule synth` in a diagram.
      break;
    } else {
      if (char === '<' || char === '[') depth += 1;
      word += char;
    }
  }
  end();
  return words;
}

const FLAG = /(?<![\w-])--?[A-Za-z][\w-]*/g;
const HELP_FLAGS = new Set(['-h', '--help']);

/** `-e/--event`, `--out=dir` → `-e`, `--event`; `--out`. */
function flagNames(word: Word): string[] {
  if (word.quoted || !/^--?[A-Za-z]/.test(word.text)) return [];
  return (word.text.split('=')[0] ?? '').split('/').filter((part) => /^--?[A-Za-z][\w-]*$/.test(part));
}

function isPlaceholder(text: string): boolean {
  return /^[<[]/.test(text) || text.includes('...') || text.includes('…');
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function hasOption(command: Command, flag: string): boolean {
  if (HELP_FLAGS.has(flag)) return true;
  for (let c: Command | null = command; c; c = c.parent) {
    if (c.options.some((option) => option.long === flag || option.short === flag)) return true;
  }
  return false;
}

/** Commands with nothing below them: what a user finally runs. */
export function leafCommands(command: Command): Command[] {
  return command.commands.length === 0 ? [command] : command.commands.flatMap(leafCommands);
}

/** One mention of the CLI in the docs: the words after `ferrule`, plus flags from an options column. */
interface CommandReference {
  readonly line: number;
  readonly shown: string;
  readonly words: readonly Word[];
  readonly optionFlags: readonly string[];
  /** A row of a table whose first column is `command`. */
  readonly inCommandTable: boolean;
}

/** Follows the words of a reference down the command tree and reports what does not exist. */
function resolveReference(
  reference: CommandReference,
  cli: Command,
): { command: Command; found: boolean; problems: string[] } {
  let command = cli;
  let anyBelow = false;
  let argumentsStarted = false;
  const problems: string[] = [];
  const checkFlag = (flag: string) => {
    if (anyBelow) {
      const without = leafCommands(command).filter((leaf) => !hasOption(leaf, flag));
      if (without.length > 0) {
        problems.push(
          `${flag} is not an option of every command (${describe(without)} ${have(without)} none)`,
        );
      }
    } else if (!hasOption(command, flag)) {
      problems.push(`\`${commandPath(command) || 'ferrule'}\` has no option ${flag}`);
    }
  };
  for (const word of reference.words) {
    if (word.text === '--' && !word.quoted) break;
    const flags = flagNames(word);
    if (flags.length > 0) {
      flags.forEach(checkFlag);
      continue;
    }
    if (argumentsStarted || anyBelow || command.commands.length === 0) continue;
    const sub = command.commands.find((c) => c.name() === word.text || c.aliases().includes(word.text));
    if (sub) {
      command = sub;
    } else if (command !== cli && command.registeredArguments.length > 0) {
      // `events apigw-http`, `events [source]`: an argument of the command, not a subcommand.
      argumentsStarted = true;
    } else if (isPlaceholder(word.text)) {
      // `ferrule <command> --help`: what follows must hold for every command below.
      anyBelow = true;
    } else if (word.text === 'help') {
      argumentsStarted = true;
    } else {
      const where = command === cli ? 'the commands' : `\`${commandPath(command)}\` has`;
      problems.push(
        `\`${[commandPath(command), word.text].filter(Boolean).join(' ')}\` is not a command (${where}: ${command.commands.map((c) => c.name()).join(', ')})`,
      );
      return { command, found: false, problems };
    }
  }
  reference.optionFlags.forEach(checkFlag);
  return { command, found: !anyBelow, problems };
}

function have(commands: readonly Command[]): string {
  return commands.length === 1 ? 'has' : 'have';
}

function describe(commands: readonly Command[]): string {
  const names = commands.map(commandPath);
  return names.length > 6 ? `${names.slice(0, 6).join(', ')} and ${names.length - 6} more` : names.join(', ');
}

const COMMAND_PREFIX = /(?:\bnpx\s+ferrule|\bcli\/bin\/ferrule\.mjs)(?=\s|$)/g;
const NPM_SCRIPT = /\bnpm\s+(?:start|run\s+([\w:-]+))(?=\s|$)/g;

/** The tables whose first column is `command`: each row's first cell names a command. */
function isCommandTable(table: Table): boolean {
  const header = table.children[0];
  return header !== undefined && textOf(header.children[0]).trim().toLowerCase() === 'command';
}

/** Every place a file names the CLI: code blocks, inline code, and rows of command tables. */
function commandReferences(file: MarkdownFile, scripts: FerruleScripts): CommandReference[] {
  const tree = parseMarkdown(file.text);
  const sourceLines = file.text.split('\n');
  const references: CommandReference[] = [];
  const inTableHeads = new Set<Nodes>();

  const fromSnippet = (snippet: string, line: number, bare: boolean) => {
    for (const match of snippet.matchAll(COMMAND_PREFIX)) {
      const rest = snippet.slice((match.index ?? 0) + match[0].length);
      references.push({
        line,
        shown: snippet.trim(),
        words: shellWords(rest),
        optionFlags: [],
        inCommandTable: false,
      });
    }
    // `ferrule check` in inline code (a heading, a sentence) names the command without npx.
    if (bare && /^ferrule\s/.test(snippet)) {
      references.push({
        line,
        shown: snippet,
        words: shellWords(snippet.slice(8)),
        optionFlags: [],
        inCommandTable: false,
      });
    }
    for (const match of snippet.matchAll(NPM_SCRIPT)) {
      const script = scripts[match[1] ?? 'start'];
      if (!script) continue;
      const words = shellWords(snippet.slice((match.index ?? 0) + match[0].length));
      const separator = words.findIndex((w) => w.text === '--' && !w.quoted);
      const passed = separator === -1 ? [] : words.slice(separator + 1);
      references.push({
        line,
        shown: snippet.trim(),
        words: [...script.map((text) => ({ text, quoted: false })), ...passed],
        optionFlags: [],
        inCommandTable: false,
      });
    }
  };

  for (const [node] of walk(tree)) {
    if (node.type === 'table' && isCommandTable(node)) {
      const headers = (node.children[0]?.children ?? []).map((cell) => textOf(cell).trim().toLowerCase());
      for (const row of node.children.slice(1)) {
        const [first, ...rest] = row.children;
        const code = first?.children.find((child): child is InlineCode => child.type === 'inlineCode');
        if (!code) continue;
        inTableHeads.add(code);
        const optionFlags = rest
          .filter((_, i) => headers[i + 1] === 'options')
          .flatMap((cell) => [...walk(cell)].map(([n]) => n).filter((n) => n.type === 'inlineCode'))
          .flatMap((n) => [...(n as InlineCode).value.matchAll(FLAG)].map((m) => m[0]));
        const words = shellWords(code.value.replace(/^(?:npx\s+)?ferrule\s+/, ''));
        references.push({ line: lineOf(row), shown: code.value, words, optionFlags, inCommandTable: true });
      }
    } else if (node.type === 'inlineCode' && !inTableHeads.has(node)) {
      fromSnippet(node.value, lineOf(node), true);
    } else if (node.type === 'code') {
      const start = lineOf(node);
      const fenced = /^\s*(```|~~~)/.test(sourceLines[start - 1] ?? '');
      node.value.split('\n').forEach((snippet, i) => {
        fromSnippet(snippet, start + i + (fenced ? 1 : 0), false);
      });
    }
  }
  return references;
}

/** Every `npx ferrule <verb> [sub] --flag` in a file names a command and options that exist. */
export function checkCommandReferences(
  file: MarkdownFile,
  cli: Command,
  scripts: FerruleScripts = {},
): Problem[] {
  return commandReferences(file, scripts).flatMap((reference) =>
    resolveReference(reference, cli).problems.map((problem) => ({
      file: file.path,
      line: reference.line,
      message: `\`${reference.shown}\`: ${problem}`,
    })),
  );
}

const EVERY_COMMAND = /\b(every command|all commands|each command|any command|every verb|wherever)\b/i;

/**
 * A sentence that gives a flag to every command ("`--json` wherever …", "every command takes
 * `--quiet`") must hold for each command; otherwise it has to name the commands.
 */
export function checkEveryCommandClaims(file: MarkdownFile, cli: Command): Problem[] {
  const problems: Problem[] = [];
  const leaves = leafCommands(cli);
  for (const [node] of walk(parseMarkdown(file.text))) {
    if (node.type !== 'paragraph') continue;
    const claim = EVERY_COMMAND.exec(textOf(node));
    if (!claim) continue;
    for (const [child] of walk(node)) {
      if (child.type !== 'inlineCode' || /^(?:npx\s+)?ferrule\s/.test(child.value)) continue;
      for (const [flag] of child.value.matchAll(FLAG)) {
        const without = leaves.filter((leaf) => !hasOption(leaf, flag));
        if (without.length === 0) continue;
        problems.push({
          file: file.path,
          line: lineOf(child),
          message: `${flag} is said to apply "${claim[1]}", but ${describe(without)} ${have(without)} no ${flag}; name the commands that have it`,
        });
      }
    }
  }
  return problems;
}

/**
 * docs/cli.md is the complete reference: every command has a row in a command table, and
 * each row lists every option of its command.
 */
export function checkCliReference(file: MarkdownFile, cli: Command): Problem[] {
  const tree = parseMarkdown(file.text);
  const rows = commandReferences(file, {}).filter((reference) => reference.inCommandTable);
  const tables = [...walk(tree)]
    .map(([node]) => node)
    .filter((n): n is Table => n.type === 'table' && isCommandTable(n));
  const tableLine = tables[0] ? lineOf(tables[0]) : 1;
  const problems: Problem[] = [];
  const covered = new Map<Command, CommandReference>();
  for (const row of rows) {
    const { command, found } = resolveReference(row, cli);
    if (found && command !== cli) covered.set(command, row);
  }
  const all = (command: Command): Command[] => [command, ...command.commands.flatMap(all)];
  for (const command of all(cli).slice(1)) {
    const ownOptions = command.options.filter((o) => !HELP_FLAGS.has(o.long ?? ''));
    const runnable =
      command.commands.length === 0 || command.registeredArguments.length > 0 || ownOptions.length > 0;
    const row = covered.get(command);
    if (!row) {
      if (runnable) {
        problems.push({
          file: file.path,
          line: tableLine,
          message: `\`ferrule ${commandPath(command)}\` has no row in the command table (this page is the complete reference)`,
        });
      }
      continue;
    }
    const listed = new Set([...row.words.flatMap(flagNames), ...row.optionFlags]);
    const missing = ownOptions.filter(
      (o) => !(o.long && listed.has(o.long)) && !(o.short && listed.has(o.short)),
    );
    if (missing.length > 0) {
      problems.push({
        file: file.path,
        line: row.line,
        message: `\`ferrule ${commandPath(command)}\`: its row does not list ${missing.map((o) => o.long ?? o.short).join(', ')}`,
      });
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Links

/** A link's target as a repository path, or undefined for URLs and anchors within the page. */
function linkTarget(from: string, url: string): string | undefined {
  if (url === '' || url.startsWith('#') || url.startsWith('//') || /^[a-z][a-z0-9+.-]*:/i.test(url))
    return undefined;
  let path = url.replace(/[#?].*$/, '');
  try {
    path = decodeURIComponent(path);
  } catch {
    // Left as written; the existence check reports it.
  }
  return path.startsWith('/') ? posix.normalize(path.slice(1)) : posix.join(posix.dirname(from), path);
}

function links(file: MarkdownFile): { target: string; url: string; line: number }[] {
  const found: { target: string; url: string; line: number }[] = [];
  for (const [node] of walk(parseMarkdown(file.text))) {
    if (node.type !== 'link' && node.type !== 'image' && node.type !== 'definition') continue;
    const target = linkTarget(file.path, node.url);
    if (target !== undefined) found.push({ target, url: node.url, line: lineOf(node) });
  }
  return found;
}

/** Every relative link and image points at a file or folder of the repository. */
export function checkRelativeLinks(file: MarkdownFile, exists: (path: string) => boolean): Problem[] {
  return links(file)
    .filter((link) => link.target === '..' || link.target.startsWith('../') || !exists(link.target))
    .map((link) => ({
      file: file.path,
      line: link.line,
      message: `link to ${link.url}: ${link.target.startsWith('..') ? 'outside the repository' : `${link.target} does not exist`}`,
    }));
}

/**
 * A map (README.md, docs/architecture.md) links every page of docs/. A page is also listed when
 * the map links its folder's README.md (or the folder) and that README links the page.
 */
export function checkDocsListed(map: MarkdownFile, pages: readonly MarkdownFile[]): Problem[] {
  const linked = (file: MarkdownFile) => new Set(links(file).map((link) => link.target.replace(/\/$/, '')));
  const fromMap = linked(map);
  const docsLinks = links(map).filter((link) => link.target.startsWith('docs/'));
  const line = docsLinks[0]?.line ?? 1;
  const isListed = (page: string): boolean => {
    if (page === map.path || fromMap.has(page)) return true;
    const folder = posix.dirname(page);
    const index = pages.find((p) => p.path === `${folder}/README.md`);
    if (!index || folder === 'docs' || !(fromMap.has(folder) || fromMap.has(index.path))) return false;
    return page === index.path || linked(index).has(page);
  };
  return pages
    .filter((page) => !isListed(page.path))
    .map((page) => ({
      file: map.path,
      line,
      message: `${page.path} is not linked from the docs list (every page of docs/ must be)`,
    }));
}

// ---------------------------------------------------------------------------------------------
// The whole check

export interface DocsCheck {
  readonly name: string;
  readonly problems: readonly Problem[];
}

/** The docs check on the repository at `root`, against the CLI `cli` (program() of cli/src/main.ts). */
export function runDocsChecks(root: string, cli: Command): DocsCheck[] {
  const files = documentedFiles(root);
  const file = (path: string): MarkdownFile =>
    files.find((f) => f.path === path) ?? {
      path,
      text: existsSync(join(root, path)) ? readFileSync(join(root, path), 'utf8') : '',
    };
  const packageJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  const scripts = ferruleScripts(packageJson.scripts ?? {});
  const pages = markdownUnder(root, 'docs').map(file);

  let bench: Problem[];
  try {
    const source = latestBenchResult(join(root, 'bench/results'));
    bench = checkBenchSection(file('README.md'), renderBenchSection(source), source.json);
  } catch (error) {
    bench = [{ file: 'bench/results', line: 1, message: (error as Error).message }];
  }

  return [
    {
      name: 'every `npx ferrule <command> --flag` in the docs exists in the CLI',
      problems: files.flatMap((f) => [
        ...checkCommandReferences(f, cli, scripts),
        ...checkEveryCommandClaims(f, cli),
      ]),
    },
    {
      name: 'docs/cli.md has a row for every command, with all its options',
      problems: checkCliReference(file('docs/cli.md'), cli),
    },
    {
      name: 'every page of docs/ is linked from README.md and docs/architecture.md',
      problems: [file('README.md'), file('docs/architecture.md')].flatMap((map) =>
        checkDocsListed(map, pages),
      ),
    },
    { name: "README.md's benchmark figures are those of the latest bench/results file", problems: bench },
    {
      name: 'every relative link points at a file that exists',
      problems: files.flatMap((f) => checkRelativeLinks(f, (path) => existsSync(join(root, path)))),
    },
  ];
}

export function describeProblems(problems: readonly Problem[]): string {
  return problems.map(formatProblem).join('\n');
}
