import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { projectRoot } from '@ferrule/toolchain/project';
import { compiledBundleCurrent, measureCliStartup } from '../bench/cli-startup.ts';
import { compareResults, concurrencyCostTable, concurrencyTable, perInFlightTable } from '../bench/report.ts';
import { runBench } from '../bench/run.ts';
import { measureWatchLoop, WATCH_LOOP_HANDLER, watchLoopRows } from '../bench/watch-loop.ts';
import type { BenchFlags } from '../commands/bench.ts';
import { CliError } from '../errors.ts';
import { table } from '../format.ts';

/** `ferrule bench`: the whole suite, some subjects, `cli-startup`, or `--compare` of two runs. */
export async function benchCommand(functions: readonly string[], flags: BenchFlags): Promise<void> {
  if (flags.compare) {
    process.exitCode = await compare(flags.compare);
    return;
  }
  if (functions.includes('cli-startup')) {
    if (functions.length > 1) {
      throw new CliError('cli-startup is measured on its own: npx ferrule bench cli-startup');
    }
    cliStartup(flags.quick ? 5 : 20);
    return;
  }
  if (functions.includes('watch-loop')) {
    if (functions.length > 1) {
      throw new CliError('watch-loop is measured on its own: npx ferrule bench watch-loop');
    }
    await watchLoop(flags.quick ? 3 : 5);
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
  const concurrency = result.concurrency;
  if (concurrency && Object.keys(concurrency.subjects).length > 0) {
    for (const [title, t] of [
      ['invocations at once in one environment', concurrencyTable(concurrency)],
      ['memory per request in flight', perInFlightTable(concurrency)],
      [
        `USD per million requests, LMI (${(concurrency.assumptions.utilisation * 100).toFixed(0)} % busy) vs classic Lambda; assumptions in the report`,
        concurrencyCostTable(concurrency),
      ],
    ] as const) {
      process.stdout.write(`${title}\n${table(t.headers, t.rows)}\n\n`);
    }
  }
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
}

/** Start-up time of the commands that must answer in 300 ms, compiled and from source. */
function cliStartup(runs: number): void {
  const current = compiledBundleCurrent();
  process.stderr.write(
    current
      ? `timing ${runs} runs of each command, compiled (cli/dist) and from source (tsx)\n`
      : 'the compiled CLI (cli/dist) is missing or older than the sources: run `npm run setup` to time it; timing from source only\n',
  );
  const compiled = current ? measureCliStartup({ runs, fromSource: false }) : undefined;
  if (current && !compiledBundleCurrent()) {
    throw new CliError(
      'a source of the CLI changed while it was timed, so some runs were from source; run `npm run setup`, then time it again',
      1,
    );
  }
  const source = measureCliStartup({ runs, fromSource: true });
  const show = (f: { meanMs: number; stddevMs: number; minMs: number; maxMs: number } | undefined) =>
    f
      ? `${f.meanMs.toFixed(0)} ± ${f.stddevMs.toFixed(0)} ms (${f.minMs.toFixed(0)}–${f.maxMs.toFixed(0)})`
      : '-';
  process.stdout.write(
    `${table(
      ['command', 'compiled: mean ± σ (min–max)', 'from source: mean ± σ (min–max)'],
      source.map((figures, i) => [figures.command, show(compiled?.[i]), show(figures)]),
    )}\n`,
  );
}

/** Edit → answer of watch mode, against `cargo lambda watch`; the handler is restored afterwards. */
async function watchLoop(runs: number): Promise<void> {
  const figures = await measureWatchLoop({ runs, log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(
    `a one-line change of ${WATCH_LOOP_HANDLER} → the first HTTP answer with it, ${runs} edits each (load average ${figures.loadAtStart.toFixed(1)} at the start, ${figures.loadAtEnd.toFixed(1)} at the end)\n`,
  );
  process.stdout.write(
    `${table(['loop', 'build per edit', 'start → serving', 'edit → answer, median', 'max', 'stalled edits'], watchLoopRows(figures))}\n`,
  );
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
