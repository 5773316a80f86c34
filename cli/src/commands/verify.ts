import type { Command } from 'commander';

export function registerVerify(program: Command) {
  program
    .command('verify')
    .description(
      'The definition of done: cargo fmt, clippy and cargo test of the crates the change reaches, tsc, biome, the TypeScript tests that cover the change (vitest related), agent check, build, and `ferrule check` (synth with the ADR-002, AwsSolutions, Serverless packs + cfn-lint + IAM equals code)',
    )
    .option(
      '--quick',
      'skip the build and the check, and tsc when no TypeScript changed (what the agent stop hook runs); not enough to finish',
    )
    .option('--json', 'print the report as JSON on stdout (progress stays on stderr)')
    .action(async (flags: { quick?: boolean; json?: boolean }) => {
      const { verifyCommand } = await import('../actions/verify.ts');
      await verifyCommand(flags);
    });
}
