import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import type { BenchResult } from '../../cli/src/bench/result.ts';
import {
  BENCH_END,
  BENCH_START,
  checkBenchSection,
  latestBenchResult,
  renderBenchSection,
  withBenchSection,
} from '../docs/bench-section.ts';
import {
  checkCliReference,
  checkCommandReferences,
  checkDocsListed,
  checkEveryCommandClaims,
  checkRelativeLinks,
  ferruleScripts,
  shellWords,
} from '../docs/check.ts';
import { formatProblem, type MarkdownFile, type Problem } from '../docs/markdown.ts';

/** A small CLI of the same shape as program(): verbs, a group with subcommands, options, arguments. */
function testCli(): Command {
  const cli = new Command('ferrule');
  cli.command('build').argument('[functions...]').option('--arch <arch>').option('--json');
  cli.command('synth').option('--arch <arch>');
  const events = cli.command('events').argument('[source]').option('--json');
  events.command('new').argument('<source>').option('--dry-run').option('--json');
  const create = cli.command('new');
  create.command('function').argument('<name>').option('--trigger <trigger>').option('--json');
  cli.command('invoke').argument('<function>').requiredOption('-e, --event <fixture>').option('--json');
  return cli;
}

const md = (text: string, path = 'docs/page.md'): MarkdownFile => ({ path, text });
const shown = (problems: readonly Problem[]) => problems.map(formatProblem);

describe('shellWords', () => {
  it('keeps placeholders and quoted values as one word and stops where the command ends', () => {
    const words = shellWords(' invoke <fn name> --event "POST /x y" | jq . # comment');
    expect(words.map((w) => w.text)).toEqual(['invoke', '<fn name>', '--event', 'POST /x y']);
    expect(shellWords(' build, npx ferrule synth').map((w) => w.text)).toEqual(['build']);
    expect(shellWords(' token ada@example.com)').map((w) => w.text)).toEqual(['token', 'ada@example.com']);
  });
});

describe('checkCommandReferences', () => {
  const cli = testCli();

  it('accepts commands, subcommands, arguments, options and placeholders that exist', () => {
    const page = md(
      [
        '# Page',
        '',
        'Run `npx ferrule build --arch arm64 hello` or `ferrule events new s3 --dry-run`.',
        '',
        '```sh',
        'npx ferrule events apigw-http --json | jq .',
        'npx ferrule invoke hello -e apigw-http/get-hello',
        'npx ferrule new function pay --trigger http --json',
        'npx ferrule <command> --help',
        'npx ferrule help build',
        '```',
      ].join('\n'),
    );
    expect(shown(checkCommandReferences(page, cli))).toEqual([]);
  });

  it('names file, line and the command that does not exist', () => {
    const page = md(['# Page', '', 'Deploy with `npx ferrule deploy --stage dev`.'].join('\n'));
    expect(shown(checkCommandReferences(page, cli))).toEqual([
      'docs/page.md:3: `npx ferrule deploy --stage dev`: `deploy` is not a command (the commands: build, synth, events, new, invoke)',
    ]);
  });

  it('names a subcommand that does not exist under a group', () => {
    const page = md(['```sh', '', 'npx ferrule new functon pay', '```'].join('\n'));
    expect(shown(checkCommandReferences(page, cli))).toEqual([
      'docs/page.md:3: `npx ferrule new functon pay`: `new functon` is not a command (`new` has: function)',
    ]);
  });

  it('names an option the command does not have, in code blocks and inline code', () => {
    const page = md(
      [
        'Text',
        '',
        '```sh',
        'npx ferrule synth --json > out.json',
        '```',
        '',
        'Then `ferrule build --watch`.',
      ].join('\n'),
    );
    expect(shown(checkCommandReferences(page, cli))).toEqual([
      'docs/page.md:4: `npx ferrule synth --json > out.json`: `synth` has no option --json',
      'docs/page.md:7: `ferrule build --watch`: `build` has no option --watch',
    ]);
  });

  it('requires a flag after a placeholder command to exist on every command', () => {
    const page = md('Any: `npx ferrule <command> --json`.');
    expect(shown(checkCommandReferences(page, cli))).toEqual([
      'docs/page.md:1: `npx ferrule <command> --json`: --json is not an option of every command (synth has none)',
    ]);
  });

  it('reads the flags of an options column as the row command’s', () => {
    const page = md(
      [
        '| command | what it does | options |',
        '| --- | --- | --- |',
        '| `build [functions...]` | builds | `--arch`, `--json` |',
        '| `synth` | synthesizes | `--arch`, `--runtime` |',
      ].join('\n'),
    );
    expect(shown(checkCommandReferences(page, cli))).toEqual([
      'docs/page.md:4: `synth`: `synth` has no option --runtime',
    ]);
  });

  it('follows npm scripts that run the CLI, with the arguments after --', () => {
    const scripts = ferruleScripts({
      build: 'node scripts/bootstrap.mjs && node cli/bin/ferrule.mjs build',
      test: 'node scripts/bootstrap.mjs && tsx scripts/test.ts',
    });
    expect(scripts).toEqual({ build: ['build'] });
    const page = md(
      [
        '```sh',
        'npm run build -- --arch arm64',
        'npm run build -- --watch',
        'npm test -- --watch',
        '```',
      ].join('\n'),
    );
    expect(shown(checkCommandReferences(page, cli, scripts))).toEqual([
      'docs/page.md:3: `npm run build -- --watch`: `build` has no option --watch',
    ]);
  });
});

describe('checkEveryCommandClaims', () => {
  const cli = testCli();

  it('fails a flag said to apply to every command when some command lacks it', () => {
    const page = md(
      [
        '# Conventions',
        '',
        '- **`--json`** wherever the output is a table.',
        '- `--help` on every command.',
      ].join('\n'),
    );
    expect(shown(checkEveryCommandClaims(page, cli))).toEqual([
      'docs/page.md:3: --json is said to apply "wherever", but synth has no --json; name the commands that have it',
    ]);
  });

  it('leaves sentences that name their commands alone', () => {
    const page = md('`--json` on build, events and invoke: the same data as JSON.');
    expect(checkEveryCommandClaims(page, cli)).toEqual([]);
  });
});

describe('checkCliReference', () => {
  const cli = testCli();
  const row = (cells: string) => `| ${cells} |`;
  const table = (rows: string[]) =>
    [
      '# The command',
      '',
      '| command | what it does | options |',
      '| --- | --- | --- |',
      ...rows.map(row),
    ].join('\n');
  const complete = [
    '`build [functions...]` | builds | `--arch`, `--json`',
    '`synth` | synthesizes | `--arch`',
    '`events [source]` | lists | `--json`',
    '`events new <source>` | writes | `--dry-run`, `--json`',
    '`new function <name>` | scaffolds | `--trigger`, `--json`',
    '`invoke <function>` | runs | `-e/--event`, `--json`',
  ];

  it('passes when every command has a row listing all its options', () => {
    expect(checkCliReference(md(table(complete), 'docs/cli.md'), cli)).toEqual([]);
  });

  it('names a command without a row and an option missing from its row', () => {
    const rows = complete
      .filter((r) => !r.startsWith('`synth`'))
      .map((r) => r.replace('`--arch`, `--json`', '`--json`'));
    expect(shown(checkCliReference(md(table(rows), 'docs/cli.md'), cli))).toEqual([
      'docs/cli.md:5: `ferrule build`: its row does not list --arch',
      'docs/cli.md:3: `ferrule synth` has no row in the command table (this page is the complete reference)',
    ]);
  });
});

describe('checkCliReference with an unknown option in a row', () => {
  it('still counts the row for its command (the flag itself is checkCommandReferences’ finding)', () => {
    const cli = new Command('ferrule');
    cli.command('synth').option('--arch <arch>');
    const page = md(
      ['| command | options |', '| --- | --- |', '| `synth` | `--arch`, `--runtime` |'].join('\n'),
      'docs/cli.md',
    );
    expect(checkCliReference(page, cli)).toEqual([]);
    expect(shown(checkCommandReferences(page, cli))).toEqual([
      'docs/cli.md:3: `synth`: `synth` has no option --runtime',
    ]);
  });
});

describe('checkDocsListed', () => {
  const pages = [
    md('# Map', 'docs/architecture.md'),
    md('# CLI', 'docs/cli.md'),
    md('# Decisions\n\n[0001](0001-a.md)', 'docs/adr/README.md'),
    md('# 0001', 'docs/adr/0001-a.md'),
    md('# 0002', 'docs/adr/0002-b.md'),
  ];

  it('passes when the map links every page, a folder through its README', () => {
    const map = md('# Map\n\n- [CLI](cli.md)\n- [ADRs](adr/README.md)', 'docs/architecture.md');
    const withBoth = pages.map((p) =>
      p.path === 'docs/adr/README.md' ? md(`${p.text}\n[0002](0002-b.md)`, p.path) : p,
    );
    expect(checkDocsListed(map, withBoth)).toEqual([]);
  });

  it('names each page the map does not reach, at the line of its docs list', () => {
    const readme = md('# Project\n\nSee [the CLI](docs/cli.md) and [decisions](docs/adr/).', 'README.md');
    expect(shown(checkDocsListed(readme, pages))).toEqual([
      'README.md:3: docs/architecture.md is not linked from the docs list (every page of docs/ must be)',
      'README.md:3: docs/adr/0002-b.md is not linked from the docs list (every page of docs/ must be)',
    ]);
  });
});

describe('checkRelativeLinks', () => {
  const exists = (path: string) => ['docs/cli.md', 'README.md', 'docs'].includes(path);

  it('names a link to a file that does not exist, and one outside the repository', () => {
    const page = md(
      [
        '[cli](cli.md#conventions), [home](../README.md), [web](https://example.com), [top](#top)',
        '',
        'See [gone](gone.md) and ![chart](../../up.svg).',
        '',
        '[ref]: ./missing.md',
      ].join('\n'),
    );
    expect(shown(checkRelativeLinks(page, exists))).toEqual([
      'docs/page.md:3: link to gone.md: docs/gone.md does not exist',
      'docs/page.md:3: link to ../../up.svg: outside the repository',
      'docs/page.md:5: link to ./missing.md: docs/missing.md does not exist',
    ]);
  });
});

describe('README benchmark section', () => {
  const spread = (p50: number) => ({ p50, p90: p50, p99: p50 });
  const fn = (
    role: string,
    language: string,
    firstMs: number,
    initMs: number,
    rssMb: number,
    zippedBytes: number,
  ) => ({
    artifact: undefined,
    role,
    language,
    about: '',
    event: '',
    zippedBytes,
    unzippedBytes: zippedBytes,
    cold: {
      runs: 5,
      initMs: spread(initMs),
      firstResponseMs: spread(firstMs),
      firstDurationMs: spread(1),
      peakRssMb: rssMb,
    },
    warm: {
      invokes: 10,
      durationMs: spread(1),
      roundTripMs: spread(1),
      invokesPerSecond: 1,
      peakRssMb: rssMb,
    },
  });
  const result = (overrides: Partial<Record<string, unknown>> = {}) =>
    ({
      schema: 1,
      date: '2026-01-02',
      startedAt: '2026-01-02T10:00:00.000Z',
      commit: 'abc1234',
      quick: false,
      machine: { cores: 2, node: 'v20.1.0', loadAtStart: 1.26, loadAtEnd: 2.27 },
      functions: {
        'baseline-hello': fn('floor', 'rust', 6.83, 6.3, 3, 500_000),
        'identity-triggers': fn('reference', 'rust', 15.99, 15.08, 8, 2_590_440),
        'node-hello': fn('baseline', 'node', 37.42, 34.8, 56, 2_624),
      },
      pairs: {
        hello: {
          rust: 'baseline-hello',
          node: 'node-hello',
          firstResponseSpeedup: 5.48,
          peakRssRatio: 0.0536,
        },
      },
      targets: [
        {
          id: 'zip-reference:identity-triggers',
          description: 'identity-triggers: zipped at most 3 MB',
          measured: '2.47 MB',
          met: true,
        },
        {
          id: 'first-response-near-hello:identity-triggers',
          description: 'identity-triggers: exec → first response p50 within 5 ms of baseline-hello',
          measured: '15.99 ms vs 6.83 ms (+9.16 ms)',
          met: false,
        },
      ],
      durationSeconds: 476.7,
      ...overrides,
    }) as unknown as BenchResult;
  const source = {
    result: result(),
    json: 'bench/results/2026-01-02-abc1234.json',
    report: 'bench/results/2026-01-02-abc1234.md',
  };
  const readme = (section: string) =>
    md(['# Project', '', BENCH_START, '', section, '', BENCH_END, '', '## Next'].join('\n'), 'README.md');

  it('renders the latest figures: run, pairs, sizes and every missed target with its measurement', () => {
    const text = renderBenchSection(source).replace(/ {2,}/g, ' ');
    const prose = text.replace(/\s+/g, ' ');
    expect(prose).toContain(
      'Latest run: [bench/results/2026-01-02-abc1234.md](bench/results/2026-01-02-abc1234.md) (2 cores, load 1.3 at the start, 2.3 at the end; 7.9 minutes):',
    );
    expect(text).toContain(
      '| hello (`baseline-hello`) | **5.5× faster** (6.8 vs 37.4 ms) | **5 %** (3 vs 56 MB) |',
    );
    expect(prose).toContain(
      'Every reference function zips to at most 2.47 MB and answers its first event within 16.0 ms',
    );
    expect(prose).toContain(
      '1 of 2 targets of bench/README.md were met; missed, as measured on this machine:',
    );
    expect(prose).toContain(
      "- identity-triggers: exec → first response p50 within 5 ms of baseline-hello: 15.99 ms vs 6.83 ms (+9.16 ms); init +8.8 ms over baseline-hello's: it resolves its `ssm:` configuration",
    );
  });

  it('passes a section that differs only in padding and line breaks', () => {
    const reflowed = renderBenchSection(source)
      .replace(/ {2,}/g, ' ')
      .replace(/(\| -+)+/g, (m) => m.replace(/-+/g, '------'))
      .replace(/ at the end;/, '\nat the end;');
    expect(checkBenchSection(readme(reflowed), renderBenchSection(source))).toEqual([]);
  });

  it('names the line of a figure that is not the latest run’s', () => {
    const stale = renderBenchSection(source).replace('5.5× faster', '6.1× faster');
    const problems = checkBenchSection(readme(stale), renderBenchSection(source), source.json);
    expect(problems).toHaveLength(1);
    expect(formatProblem(problems[0] as Problem)).toMatch(
      /^README\.md:10: the benchmark section differs from bench\/results\/2026-01-02-abc1234\.json: expected "\| ?hello \(`baseline-hello`\) ?\| ?\*\*5\.5× faster.*"; run npm run docs:bench$/,
    );
  });

  it('fails a README without the section, and writes the section between the markers', () => {
    expect(shown(checkBenchSection(md('# Project\n\n5.5× faster', 'README.md'), 'x'))[0]).toMatch(
      /^README\.md:1: no benchmark section/,
    );
    const written = withBenchSection(readme('old figures').text, renderBenchSection(source));
    expect(checkBenchSection(md(written, 'README.md'), renderBenchSection(source))).toEqual([]);
    expect(written).toContain('## Next');
    expect(written).not.toContain('old figures');
  });

  describe('latestBenchResult', () => {
    let dir: string | undefined;
    afterEach(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('takes the run that started last, not the last name, and skips --quick runs', () => {
      dir = mkdtempSync(join(tmpdir(), 'ferrule-docs-'));
      const write = (name: string, startedAt: string, quick = false) =>
        writeFileSync(join(dir as string, name), JSON.stringify({ startedAt, quick }));
      write('2026-01-02-fff0000.json', '2026-01-02T09:00:00.000Z');
      write('2026-01-02-0000aaa.json', '2026-01-02T11:00:00.000Z');
      write('2026-01-03-1111111.json', '2026-01-03T08:00:00.000Z', true);
      const latest = latestBenchResult(dir);
      expect(latest.json).toBe('bench/results/2026-01-02-0000aaa.json');
      expect(latest.report).toBe('bench/results/2026-01-02-0000aaa.md');
    });
  });
});
