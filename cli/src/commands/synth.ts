import type { Command } from 'commander';

export function registerSynth(program: Command) {
  program
    .command('synth')
    .description('Synthesize the CDK app into cdk.out/ (offline, no credentials) from the built artifacts')
    .option('--arch <arch>', 'x86_64 or arm64 (default: x86_64)')
    .option('--runtime <runtime>', 'al2023 or al2 (default: al2023)')
    .addHelpText(
      'after',
      [
        '',
        'Every synth runs the ADR-002 rule pack; `npx ferrule check` adds cdk-nag and cfn-lint.',
        'Prints the template files it wrote, one a line.',
        '',
        'Examples:',
        '  npx ferrule synth',
        '  npx ferrule synth --arch arm64 --runtime al2',
        '',
        'Exit codes: 0 synthesized, 1 synth failed (an ADR-002 finding, a construct error), 2 bad usage',
        'or a missing artifact (npx ferrule build first).',
      ].join('\n'),
    )
    .action(async (flags: { arch?: string; runtime?: string }) => {
      const { synthCommand } = await import('../actions/synth.ts');
      await synthCommand(flags);
    });
}
