import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { projectRoot } from '@ferrule/toolchain/project';
import { GENERATED_MARKER, PROJECTION_DIRS, renderProjections } from './projections.ts';
import { loadSources, type SourceProblem } from './sources.ts';

export interface ProjectionDifference {
  readonly path: string;
  /** missing: sync would create it; different: sync would rewrite it; stale: sync would delete it. */
  readonly kind: 'missing' | 'different' | 'stale';
}

export interface AgentCheckResult {
  readonly ok: boolean;
  readonly problems: readonly SourceProblem[];
  readonly differences: readonly ProjectionDifference[];
}

export interface AgentSyncResult {
  readonly written: readonly string[];
  readonly deleted: readonly string[];
  readonly unchanged: number;
}

function filesUnder(root: string, dir: string): string[] {
  const full = join(root, dir);
  if (!existsSync(full)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(full).sort()) {
    const path = join(full, entry);
    if (statSync(path).isDirectory()) found.push(...filesUnder(root, relative(root, path)));
    else found.push(relative(root, path));
  }
  return found;
}

/** Generated files in the projection folders that no source produces any more. */
function staleFiles(root: string, expected: ReadonlyMap<string, string>): string[] {
  return PROJECTION_DIRS.flatMap((dir) => filesUnder(root, dir))
    .filter((path) => !expected.has(path))
    .filter((path) => readFileSync(join(root, path), 'utf8').includes(GENERATED_MARKER));
}

/** Compares the tree with what `agent sync` would write; also validates every source. */
export function checkProjections(root: string = projectRoot): AgentCheckResult {
  const { sources, problems } = loadSources(root);
  const expected = renderProjections(sources);
  const differences: ProjectionDifference[] = [];
  for (const [path, content] of expected) {
    const full = join(root, path);
    if (!existsSync(full)) differences.push({ path, kind: 'missing' });
    else if (readFileSync(full, 'utf8') !== content) differences.push({ path, kind: 'different' });
  }
  for (const path of staleFiles(root, expected)) differences.push({ path, kind: 'stale' });
  return { ok: problems.length === 0 && differences.length === 0, problems, differences };
}

/**
 * Writes every projection (only files whose content changes) and deletes generated files
 * no source produces any more. Refuses to write anything while a source is invalid.
 */
export function syncProjections(root: string = projectRoot): AgentSyncResult | SourceProblem[] {
  const { sources, problems } = loadSources(root);
  if (problems.length > 0) return problems;
  const expected = renderProjections(sources);
  const written: string[] = [];
  let unchanged = 0;
  for (const [path, content] of expected) {
    const full = join(root, path);
    if (existsSync(full) && readFileSync(full, 'utf8') === content) {
      unchanged += 1;
      continue;
    }
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
    written.push(path);
  }
  const deleted = staleFiles(root, expected);
  for (const path of deleted) rmSync(join(root, path));
  return { written, deleted, unchanged };
}

/** The one-paragraph report `agent check` prints and `verify` shows. */
export function describeCheck(result: AgentCheckResult): string {
  const lines: string[] = [];
  for (const problem of result.problems) lines.push(`${problem.path}: ${problem.message}`);
  for (const difference of result.differences) {
    const what = {
      missing: 'is missing',
      different: 'differs from its sources in agent/',
      stale: 'has no source any more',
    }[difference.kind];
    lines.push(`${difference.path} ${what}`);
  }
  if (result.problems.length > 0)
    lines.push('fix the source(s) above in agent/, then run `npx ferrule agent sync`');
  else if (result.differences.length > 0)
    lines.push('run `npx ferrule agent sync` (never edit generated files by hand)');
  return lines.join('\n');
}
