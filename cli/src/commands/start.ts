import { relative } from 'node:path';
import type { Command } from 'commander';
import { buildFunctions } from '../build.ts';
import { parsePlatform, paths, projectRoot } from '../project.ts';
import { synthesize } from '../synth.ts';
import { artifactTable } from './build.ts';

export function registerStart(program: Command) {
  program
    .command('start')
    .description('Build every function, synthesize the CDK app, and print what was produced')
    .option('--arch <arch>', 'x86_64 or arm64 (default: x86_64)')
    .option('--runtime <runtime>', 'al2023 or al2 (default: al2023)')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  npx ferrule start',
        '  npx ferrule start --arch arm64',
        '',
        'Exit codes: 0 built and synthesized, 1 the build or the synth failed, 2 bad usage.',
      ].join('\n'),
    )
    .action(async (flags: { arch?: string; runtime?: string }) => {
      const platform = parsePlatform(flags);
      process.stderr.write('==> building every function (cargo lambda build --release)\n');
      const built = await buildFunctions({ platform, progress: 'inherit' });
      process.stderr.write('==> synthesizing the CDK app (cdk synth, offline)\n');
      const templates = await synthesize(platform, 'quiet');
      const out = [
        '',
        artifactTable(built),
        '',
        `artifacts: ${relative(projectRoot, paths.dist)}/<runtime>-<arch>/<function>/bootstrap.zip`,
        `templates: ${templates.map((t) => relative(projectRoot, t)).join(', ')}`,
        '',
        'next: npx ferrule invoke hello-http --event apigw-http/get-hello',
      ];
      process.stdout.write(`${out.join('\n')}\n`);
    });
}
