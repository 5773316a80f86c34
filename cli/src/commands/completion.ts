import { Argument, type Command } from 'commander';
import { SHELLS, type Shell } from '../completion.ts';

export function registerCompletion(program: Command) {
  program
    .command('completion')
    .description('Print a shell completion script for ferrule’s commands and options (bash, zsh or fish)')
    .addArgument(new Argument('<shell>', 'the shell to complete in').choices([...SHELLS]))
    .addHelpText(
      'after',
      [
        '',
        'The script completes `ferrule` (with it on PATH, e.g. node_modules/.bin or `npm link` in cli/),',
        'and is generated from the commands, so sourcing it at shell start keeps it current.',
        '',
        'Examples:',
        '  source <(npx ferrule completion bash)                 # ~/.bashrc',
        '  source <(npx ferrule completion zsh)                  # ~/.zshrc',
        '  npx ferrule completion fish | source                  # ~/.config/fish/config.fish',
        '',
        'Exit codes: 0 printed, 2 an unknown shell.',
      ].join('\n'),
    )
    .action(async (shell: string, _flags: unknown, command: Command) => {
      const { completionScript } = await import('../completion.ts');
      process.stdout.write(completionScript(command.parent ?? command, shell as Shell));
    });
}
