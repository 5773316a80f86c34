import type { Command } from 'commander';

export interface BenchFlags {
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
      'only these subjects (e.g. orders-api node-orders-get); build and synth need all; `cli-startup`: how fast the ferrule command answers; `watch-loop`: edit → answer of start --watch and cargo lambda watch',
    )
    .option('--quick', 'a smoke run: few cold starts and invocations, no clean build, no 50-function synth')
    .option(
      '--compare <files...>',
      'print the change of every figure between two result JSON files (a.json b.json)',
    )
    .option('--watch-reload', "also time watch mode's reload after a one-line change of hello-http")
    .option('--out <dir>', 'where the report, JSON and chart go (default: bench/results)')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  npm run bench',
        '  npx ferrule bench orders-api node-orders-get',
        '  npx ferrule bench --compare bench/results/a.json bench/results/b.json',
        '  npx ferrule bench cli-startup',
        '  npx ferrule bench watch-loop',
        '',
        'Method, figures and limits: bench/README.md.',
      ].join('\n'),
    )
    .action(async (functions: string[], flags: BenchFlags) => {
      const { benchCommand } = await import('../actions/bench.ts');
      await benchCommand(functions, flags);
    });
}
