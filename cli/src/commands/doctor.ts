import type { Command } from 'commander';

export function registerDoctor(program: Command) {
  program
    .command('doctor')
    .description('List every tool Ferrule uses, its version, and the fix for anything missing or too old')
    .option('--json', 'print the results as JSON')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  npx ferrule doctor',
        '  npx ferrule doctor --json | jq \'.[] | select(.status != "ok")\'',
        '',
        'Exit codes: 0 every required tool is there, 1 a required tool is missing or too old.',
      ].join('\n'),
    )
    .action(async (flags: { json?: boolean }) => {
      const { doctorCommand } = await import('../actions/doctor.ts');
      await doctorCommand(flags);
    });
}
