import { relative } from 'node:path';
import { type BuiltArtifact, buildFunctions } from '@ferrule/toolchain/build';
import { ZIP_BUDGET_BYTES } from '@ferrule/toolchain/limits';
import { lambdaRuntimeId, parsePlatform, platformName, projectRoot } from '@ferrule/toolchain/project';
import type { BuildFlags } from '../commands/build.ts';
import { formatBytes, outputWidth, table } from '../format.ts';
import { Progress } from '../progress.ts';

/** `ferrule build`: one workspace build, then the artifacts as a table (or JSON) on stdout. */
export async function buildCommand(functions: readonly string[], flags: BuildFlags): Promise<void> {
  const platform = parsePlatform(flags);
  const progress = new Progress();
  const what = functions.length > 0 ? functions.join(', ') : 'every function';
  const built = await progress.run(
    `building ${what} for ${platformName(platform)} (cargo lambda build --release)`,
    // On a terminal cargo's last line shows beside the spinner; elsewhere its whole output goes
    // to stderr, so stdout stays the table or the JSON.
    (step) =>
      buildFunctions({ platform, functions, progress: progress.interactive ? step.update : 'inherit' }),
  );
  process.stdout.write(
    flags.json ? `${JSON.stringify(built.map(artifactJson), null, 2)}\n` : `${artifactTable(built)}\n`,
  );
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
export function artifactTable(
  built: readonly BuiltArtifact[],
  stream: NodeJS.WriteStream = process.stdout,
): string {
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
  return table(
    ['function', 'trigger', 'runtime', 'arch', 'zipped', 'unzipped', 'package', 'artifact'],
    rows,
    {
      maxWidth: outputWidth(stream),
    },
  );
}
