import { relative } from 'node:path';
import type { Command } from 'commander';
import { type BuiltArtifact, buildFunctions, ZIP_BUDGET_BYTES } from '../build.ts';
import { formatBytes, table } from '../format.ts';
import { lambdaRuntimeId, parsePlatform, projectRoot } from '../project.ts';

interface BuildFlags {
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
    .option('--runtime <runtime>', 'al2023 or al2 (default: al2023; al2 links against glibc 2.26)')
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
        'Exit codes: 0 built, 1 the build failed, 2 bad usage (unknown function, --arch, --runtime).',
      ].join('\n'),
    )
    .action(async (functions: string[], flags: BuildFlags) => {
      const platform = parsePlatform(flags);
      // With --json, cargo's progress goes to stderr so stdout stays parseable.
      const built = await buildFunctions({ platform, functions, progress: 'inherit' });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(built.map(artifactJson), null, 2)}\n`);
      } else {
        process.stdout.write(`${artifactTable(built)}\n`);
      }
    });
}

function artifactJson(artifact: BuiltArtifact) {
  return {
    function: artifact.function.name,
    trigger: artifact.function.trigger,
    runtime: lambdaRuntimeId[artifact.platform.runtime],
    architecture: artifact.platform.architecture,
    path: relative(projectRoot, artifact.path),
    zippedBytes: artifact.zippedBytes,
    unzippedBytes: artifact.unzippedBytes,
    withinBudget: artifact.zippedBytes <= ZIP_BUDGET_BYTES,
    packaging: artifact.needsImage ? 'image' : 'zip',
  };
}

/** Function, trigger, runtime, architecture, sizes against the budget and the ZIP limit, path. */
export function artifactTable(built: readonly BuiltArtifact[]): string {
  const rows = built.map((artifact) => [
    artifact.function.name,
    artifact.function.trigger,
    lambdaRuntimeId[artifact.platform.runtime],
    artifact.platform.architecture,
    `${formatBytes(artifact.zippedBytes)}${artifact.zippedBytes > ZIP_BUDGET_BYTES ? ' (over 3 MB budget)' : ''}`,
    formatBytes(artifact.unzippedBytes),
    artifact.needsImage ? 'image (over a ZIP limit)' : 'zip',
    relative(projectRoot, artifact.path),
  ]);
  return table(['function', 'trigger', 'runtime', 'arch', 'zipped', 'unzipped', 'package', 'artifact'], rows);
}
