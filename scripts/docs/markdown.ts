// Reading the project's markdown: which files the docs check covers, their syntax trees
// (CommonMark + GitHub tables) and the shape of a problem it reports.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Nodes, Parents, Root } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { gfm } from 'micromark-extension-gfm';

/** One markdown file; `path` is relative to the repository root, with `/`. */
export interface MarkdownFile {
  readonly path: string;
  readonly text: string;
}

/** What a check found wrong, where: `file:line: message`. */
export interface Problem {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

export function formatProblem(problem: Problem): string {
  return `${problem.file}:${problem.line}: ${problem.message}`;
}

export function parseMarkdown(text: string): Root {
  return fromMarkdown(text, { extensions: [gfm()], mdastExtensions: [gfmFromMarkdown()] });
}

/** Every node of the tree, depth first, with its parents (nearest last). */
export function* walk(node: Nodes, parents: readonly Parents[] = []): Generator<[Nodes, readonly Parents[]]> {
  yield [node, parents];
  if ('children' in node) {
    for (const child of node.children) yield* walk(child, [...parents, node]);
  }
}

export function lineOf(node: Nodes): number {
  return node.position?.start.line ?? 1;
}

/** The markdown the docs check reads: what a reader of the repository or an agent is told. */
export function documentedFiles(root: string): MarkdownFile[] {
  const paths = [
    ...['README.md', 'AGENTS.md', 'CLAUDE.md', 'bench/README.md'].filter((path) =>
      existsSync(join(root, path)),
    ),
    ...markdownUnder(root, 'docs'),
    ...markdownUnder(root, 'agent'),
  ];
  return paths.map((path) => ({ path, text: readFileSync(join(root, path), 'utf8') }));
}

/** The `.md` files under a folder of the repository, recursively, sorted. */
export function markdownUnder(root: string, folder: string): string[] {
  if (!existsSync(join(root, folder))) return [];
  return readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' })
    .map((path) => `${folder}/${path.split('\\').join('/')}`)
    .filter((path) => path.endsWith('.md'))
    .sort();
}
