import type { Command } from 'commander';
import { runVerify, summarize } from '../agent/verify.ts';

export function registerVerify(program: Command) {
  program
    .command('verify')
    .description(
      'The definition of done: cargo fmt, clippy, cargo test, tsc, biome, the TypeScript tests that cover the change (vitest related), agent check, build, and `ferrule check` (synth with the ADR-002, AwsSolutions, Serverless packs + cfn-lint + IAM equals code)',
    )
    .option(
      '--quick',
      'lint and test only the crates the change reaches; skip the build and the check (what the agent stop hook runs); not enough to finish',
    )
    .option('--json', 'print the report as JSON on stdout (progress stays on stderr)')
    .action(async (flags: { quick?: boolean; json?: boolean }) => {
      const report = await runVerify({
        quick: flags.quick ?? false,
        onStep: ({ title, done }) => {
          if (!done) process.stderr.write(`… ${title}\n`);
        },
      });
      if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(`${summarize(report)}\n`);
      process.exitCode = report.ok ? 0 : 1;
    });
}
