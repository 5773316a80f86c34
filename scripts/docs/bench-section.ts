// README.md's benchmark figures, generated from the latest bench/results file: the text between
// the bench markers is rendered here, written by `npm run docs:bench` and compared by the docs
// check, so a figure in the README is always one a results file records.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchResult, FunctionResult, Target } from '../../cli/src/bench/result.ts';
import { CLOUD_ENVIRONMENT } from '../../cli/src/bench/subjects.ts';
import { formatBytes } from '../../cli/src/format.ts';
import type { MarkdownFile, Problem } from './markdown.ts';

export const BENCH_START = '<!-- bench:start (npm run docs:bench writes this part from bench/results) -->';
export const BENCH_END = '<!-- bench:end -->';
const START_MARKER = /^<!-- bench:start\b.*-->$/;
const END_MARKER = /^<!-- bench:end\b.*-->$/;

/** A results file and the report beside it, as paths from the repository root. */
export interface BenchSectionSource {
  readonly result: BenchResult;
  readonly json: string;
  readonly report: string;
}

/**
 * The latest full run in `dir`: the highest `startedAt`, not the file name (names are
 * `<date>-<commit>`, and two runs of one day sort by commit hash). `--quick` runs are skipped.
 */
export function latestBenchResult(dir: string, dirFromRoot = 'bench/results'): BenchSectionSource {
  const runs = readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => ({ name, result: JSON.parse(readFileSync(join(dir, name), 'utf8')) as BenchResult }))
    .filter(({ result }) => !result.quick && typeof result.startedAt === 'string')
    .sort((a, b) => Date.parse(b.result.startedAt) - Date.parse(a.result.startedAt));
  const latest = runs[0];
  if (!latest) throw new Error(`${dirFromRoot} holds no results of a full run (npm run bench writes one)`);
  return {
    result: latest.result,
    json: `${dirFromRoot}/${latest.name}`,
    report: `${dirFromRoot}/${latest.name.replace(/\.json$/, '.md')}`,
  };
}

const LINE_WIDTH = 100;

/** The markdown between the markers, for README.md (links relative to the root). */
export function renderBenchSection({ result, report }: BenchSectionSource): string {
  const { machine, functions } = result;
  const blocks: string[] = [];
  const minutes =
    result.durationSeconds === undefined ? '' : `; ${(result.durationSeconds / 60).toFixed(1)} minutes`;
  const loadAtEnd = machine.loadAtEnd === undefined ? '' : `, ${machine.loadAtEnd.toFixed(1)} at the end`;
  blocks.push(
    wrap(
      `Latest run: [${report}](${report}) (${machine.cores} cores, load ${machine.loadAtStart.toFixed(1)} at the start${loadAtEnd}${minutes}):`,
    ),
  );

  const node = `Node.js ${/^v?(\d+)/.exec(machine.node)?.[1] ?? ''}`.trim();
  const rows = Object.entries(result.pairs).flatMap(([label, pair]) => {
    const rust = functions[pair.rust];
    const baseline = functions[pair.node];
    if (!rust?.cold || !baseline?.cold) return [];
    const name = /^[A-Z]+ \//.test(label) ? `\`${label}\`` : label;
    return [
      [
        `${name} (\`${pair.rust}\`)`,
        `**${pair.firstResponseSpeedup.toFixed(1)}× faster** (${rust.cold.firstResponseMs.p50.toFixed(1)} vs ${baseline.cold.firstResponseMs.p50.toFixed(1)} ms)`,
        `**${(pair.peakRssRatio * 100).toFixed(0)} %** (${peakRss(rust)} vs ${peakRss(baseline)} MB)`,
      ],
    ];
  });
  if (rows.length > 0) {
    blocks.push(
      markdownTable([`Rust vs ${node}`, 'cold start to first response (p50)', 'peak memory'], rows),
    );
  }

  const sentences: string[] = [];
  const reference = Object.values(functions).filter((fn) => fn.role === 'reference');
  const slowest = Math.max(...reference.map((fn) => fn.cold?.firstResponseMs.p50 ?? 0));
  if (reference.length > 0) {
    sentences.push(
      `Every reference function zips to at most ${formatBytes(Math.max(...reference.map((fn) => fn.zippedBytes)))} and answers its first event within ${slowest.toFixed(1)} ms of exec (p50; ADR-002: under 150 ms).`,
    );
  }
  const met = result.targets.filter((target) => target.met === true).length;
  const missed = result.targets.filter((target) => target.met === false);
  sentences.push(
    missed.length === 0
      ? `All ${result.targets.length} targets of bench/README.md were met.`
      : `${met} of ${result.targets.length} targets of bench/README.md were met; missed, as measured on this machine:`,
  );
  blocks.push(wrap(sentences.join(' ')));
  if (missed.length > 0) {
    blocks.push(missed.map((target) => wrap(`- ${missedTarget(target, result)}`, '  ')).join('\n'));
  }
  return blocks.join('\n\n');
}

function peakRss(fn: FunctionResult): number {
  return fn.warm?.peakRssMb ?? fn.cold?.peakRssMb ?? Number.NaN;
}

/** A missed target as the report states it, with what the run's own figures say about why. */
function missedTarget(target: Target, result: BenchResult): string {
  const line = `${target.description}: ${target.measured}`;
  if (target.id.startsWith('rust-faster-than-node:')) {
    return `${line}; both start fast on a whole local CPU, where Node.js's parse and compile cost least (bench/README.md, Limits)`;
  }
  if (target.id === 'reference-budget:get-item') {
    return `${line}; the warm Duration is moto's GetItem round trip, and the first call over the warm one is the SDK client's set-up (loading the system's root certificates among it) and connection`;
  }
  const near = /^first-response-near-hello:(.+)$/.exec(target.id);
  const fn = near?.[1] ? result.functions[near[1]] : undefined;
  const floor = result.functions['baseline-hello'];
  if (near?.[1] && fn?.cold && floor?.cold) {
    const init = fn.cold.initMs.p50 - floor.cold.initMs.p50;
    const resolvesSsm = Object.values(CLOUD_ENVIRONMENT[near[1]] ?? {}).some((value) =>
      value.startsWith('ssm:'),
    );
    const why = resolvesSsm
      ? ': it resolves its `ssm:` configuration from moto at start (SDK client, root certificates, one call), as in the cloud'
      : '';
    return `${line}; init ${init >= 0 ? '+' : ''}${init.toFixed(1)} ms over baseline-hello's${why}`;
  }
  return line;
}

/** A GitHub table, padded as Biome formats it. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, i) =>
    Math.max(3, header.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

/** Wraps prose at the README's width; continuation lines get `indent`. */
function wrap(text: string, indent = ''): string {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/)) {
    if (current !== '' && current.length + 1 + word.length > LINE_WIDTH) {
      lines.push(current);
      current = indent + word;
    } else {
      current = current === '' ? word : `${current} ${word}`;
    }
  }
  if (current !== '') lines.push(current);
  return lines.join('\n');
}

interface Section {
  readonly startLine: number;
  readonly lines: readonly string[];
}

/** The lines between the markers (1-based line of the first), or undefined without both markers. */
function findSection(text: string): Section | undefined {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => START_MARKER.test(line.trim()));
  const end = lines.findIndex((line, i) => i > start && END_MARKER.test(line.trim()));
  if (start === -1 || end === -1) return undefined;
  return { startLine: start + 2, lines: lines.slice(start + 1, end) };
}

/**
 * What formatting cannot change, one entry per paragraph or table row: prose joined into one
 * line, rows with trimmed cells (Biome pads them) and separator cells as `---`.
 */
function normalizedBlocks(section: Section): { line: number; text: string }[] {
  const blocks: { line: number; text: string }[] = [];
  let paragraph: { line: number; parts: string[] } | undefined;
  const endParagraph = () => {
    if (paragraph) blocks.push({ line: paragraph.line, text: paragraph.parts.join(' ') });
    paragraph = undefined;
  };
  section.lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('|')) endParagraph();
    if (line.startsWith('|')) {
      const cells = line.split('|').map((cell) => cell.trim().replace(/^:?-+:?$/, '---'));
      blocks.push({ line: section.startLine + i, text: cells.join(' | ').trim() });
    } else if (line !== '') {
      paragraph ??= { line: section.startLine + i, parts: [] };
      paragraph.parts.push(line.replace(/\s+/g, ' '));
    }
  });
  endParagraph();
  return blocks;
}

/** The README's section says what `expected` (renderBenchSection of the latest results) says. */
export function checkBenchSection(
  readme: MarkdownFile,
  expected: string,
  json = 'the latest bench/results file',
): Problem[] {
  const section = findSection(readme.text);
  if (!section) {
    return [
      {
        file: readme.path,
        line: 1,
        message: `no benchmark section: the figures from ${json} go between ${BENCH_START} and ${BENCH_END} (npm run docs:bench)`,
      },
    ];
  }
  const actual = normalizedBlocks(section);
  const wanted = normalizedBlocks({ startLine: 1, lines: expected.split('\n') });
  for (let i = 0; i < Math.max(actual.length, wanted.length); i += 1) {
    const have = actual[i];
    const want = wanted[i];
    if (have?.text === want?.text) continue;
    const line = have?.line ?? section.startLine + section.lines.length;
    const shown = want ? `"${want.text}"` : 'nothing more';
    return [
      {
        file: readme.path,
        line,
        message: `the benchmark section differs from ${json}: expected ${shown}; run npm run docs:bench`,
      },
    ];
  }
  return [];
}

/** README text with the section between the markers replaced by `rendered`. */
export function withBenchSection(readme: string, rendered: string): string {
  const lines = readme.split('\n');
  const start = lines.findIndex((line) => START_MARKER.test(line.trim()));
  const end = lines.findIndex((line, i) => i > start && END_MARKER.test(line.trim()));
  if (start === -1 || end === -1) {
    throw new Error(`README.md has no ${BENCH_START} … ${BENCH_END} section to write`);
  }
  return [...lines.slice(0, start + 1), '', rendered, '', ...lines.slice(end)].join('\n');
}
