import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import type { Command } from 'commander';
import { compareResults } from '../bench/report.ts';
import { runBench } from '../bench/run.ts';
import { CliError } from '../errors.ts';
import { table } from '../format.ts';
import { projectRoot } from '../project.ts';

interface BenchFlags {
  quick?: boolean;
  compare?: string[];
  out?: string;
  watchReload?: boolean;
}

export function registerBench(program: Command) {
  program
    .command('bench')
    .description(
      'Measure cold start, warm latency, memory, size, build, synth and cost of the functions and of Node.js baselines',
    )
    .argument(
      '[functions...]',
      'only these subjects (e.g. orders-api node-orders-get); build and synth need all',
    )
    .option('--quick', 'a smoke run: few cold starts and invocations, no clean build, no 50-function synth')
    .option(
      '--compare <files...>',
      'print the change of every figure between two result JSON files (a.json b.json)',
    )
    .option('--watch-reload', "also time watch mode's reload after a one-line change of hello-http")
    .option('--out <dir>', 'where the report, JSON and chart go (default: bench/results)')
    .action(async (functions: string[], flags: BenchFlags) => {
      if (flags.compare) {
        process.exitCode = await compare(flags.compare);
        return;
      }
      const { result, files } = await runBench({
        only: functions,
        quick: flags.quick,
        outDir: flags.out,
        watchReload: flags.watchReload,
      });
      const rows = Object.entries(result.pairs).map(([label, pair]) => [
        label,
        `${pair.firstResponseSpeedup.toFixed(1)}× faster to first response`,
        `${(pair.peakRssRatio * 100).toFixed(0)} % of the peak memory`,
      ]);
      if (rows.length > 0)
        process.stdout.write(`${table(['Rust vs Node.js', 'cold start', 'memory'], rows)}\n\n`);
      const missed = result.targets.filter((t) => t.met === false);
      process.stdout.write(
        `targets: ${result.targets.filter((t) => t.met).length} met, ${missed.length} missed${
          missed.length ? ` (${missed.map((t) => t.id).join(', ')})` : ''
        }\n`,
      );
      for (const file of Object.values(files)) {
        const shown = relative(projectRoot, file);
        process.stdout.write(`wrote ${shown.startsWith('..') ? file : shown}\n`);
      }
    });
}

async function readResult(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new CliError(`cannot read ${path}; pass two JSON files written by \`ferrule bench\``);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError(`${path} is not JSON; pass two JSON files written by \`ferrule bench\``);
  }
}

async function compare(files: readonly string[]): Promise<number> {
  const [before, after] = files;
  if (files.length !== 2 || before === undefined || after === undefined) {
    throw new CliError(`--compare takes two result files (before.json after.json), not ${files.length}`);
  }
  const changes = compareResults(await readResult(before), await readResult(after));
  if (changes.length === 0)
    throw new CliError(`${before} and ${after} hold no figures; are they bench results?`);
  const show = (value: number | undefined) =>
    value === undefined ? '–' : Number.isInteger(value) ? String(value) : value.toPrecision(4);
  process.stdout.write(
    `${table(
      ['figure', before, after, 'change'],
      changes.map((c) => [
        c.figure,
        show(c.before),
        show(c.after),
        c.change === undefined
          ? c.before === undefined
            ? 'new'
            : c.after === undefined
              ? 'gone'
              : '–'
          : `${c.change >= 0 ? '+' : ''}${(c.change * 100).toFixed(1)} %`,
      ]),
    )}\n`,
  );
  return 0;
}
