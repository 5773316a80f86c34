import type { Command } from 'commander';

export interface BuildFlags {
  arch?: string;
  runtime?: string;
  json?: boolean;
}

export function registerBuild(program: Command) {
  program
    .command('build')
    .description('Build functions with cargo lambda (one workspace build) into dist/lambda/<runtime>-<arch>/')
    .argument('[functions...]', 'function crate names (default: all)')
    .option('--arch <arch>', 'x86_64 or arm64 (default: x86_64)')
    .option(
      '--runtime <runtime>',
      'al2023 or al2 (default: al2023; both link against glibc 2.26, so one build serves both)',
    )
    .option('--json', 'print the artifacts as JSON on stdout (progress stays on stderr)')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  npx ferrule build',
        '  npx ferrule build orders-api hello-http --arch arm64',
        '  npx ferrule build --runtime al2 --json > artifacts.json',
        '',
        'Exit codes: 0 built, 1 the build failed, 2 bad usage (unknown function, --arch, --runtime) or',
        'cargo-lambda not installed (npm run setup).',
      ].join('\n'),
    )
    .action(async (functions: string[], flags: BuildFlags) => {
      const { buildCommand } = await import('../actions/build.ts');
      await buildCommand(functions, flags);
    });
}
