import type { Command } from 'commander';

export interface ListFlags {
  arch?: string;
  runtime?: string;
  synth: boolean;
  output?: string;
  json?: boolean;
}

export function registerList(program: Command) {
  program
    .command('list')
    .description(
      'List the functions of the synthesized app: crate, stack, triggers, runtime, architecture, memory, timeout and IAM actions',
    )
    .option('--arch <arch>', 'x86_64 or arm64 (default: x86_64)')
    .option('--runtime <runtime>', 'al2023 or al2 (default: al2023)')
    .option('--no-synth', 'read the templates already in cdk.out/ instead of synthesizing first')
    .option('--output <dir>', 'with --no-synth: the cloud assembly folder to read (default: cdk.out)')
    .option('--json', 'print the functions as JSON (with every statement of each role)')
    .addHelpText(
      'after',
      [
        '',
        'Read from the synthesized templates, so it shows what would be deployed, including',
        'functions that are not Ferrule crates (their crate is "-"). On a terminal the table fits',
        'its width (long cells wrap); in a pipe or a file it is complete, and so is --json.',
        '',
        'Examples:',
        '  npx ferrule list',
        "  npx ferrule list --no-synth --json | jq '.[] | {crate, iamActions}'",
        '',
        'Exit codes: 0 listed, 1 synth failed, 2 bad usage, a missing artifact, or no synthesized app',
        '(with --no-synth).',
      ].join('\n'),
    )
    .action(async (flags: ListFlags) => {
      const { listCommand } = await import('../actions/list.ts');
      await listCommand(flags);
    });
}
