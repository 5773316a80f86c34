import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from './errors.ts';
import { forgetSynth, recordSynth } from './freshness.ts';
import { type CommandResult, runCommand } from './process.ts';
import { type Platform, paths, platformName, projectRoot, toolEnvironment } from './project.ts';

export interface CdkSynthOptions {
  readonly platform: Platform;
  /** Cloud assembly folder. @default cdk.out at the project root */
  readonly outdir?: string;
  /** Extra context, e.g. `{ 'ferrule:packs': 'all' }`. */
  readonly context?: Readonly<Record<string, string>>;
  /** Another CDK app (cdk's --app). @default infrastructure/bin/app.ts (cdk.json) */
  readonly app?: string;
  /** Pass cdk's output through while it runs. @default false */
  readonly echo?: boolean;
}

/**
 * Runs `cdk synth` offline and without credentials, against the artifacts already built for
 * the platform; the caller decides what its exit code means (a rule-pack finding exits 1).
 */
export function runCdkSynth(options: CdkSynthOptions): Promise<CommandResult> {
  const cdk = join(projectRoot, 'node_modules/.bin/cdk');
  if (!existsSync(cdk)) throw new CliError('the CDK CLI is not installed; run `npm run setup`', 1);
  const context = { 'ferrule:platform': platformName(options.platform), ...options.context };
  const args = [
    'synth',
    '--quiet',
    '--no-notices',
    '--no-version-reporting',
    '--output',
    options.outdir ?? paths.cdkOut,
    ...Object.entries(context).flatMap(([key, value]) => ['--context', `${key}=${value}`]),
    ...(options.app ? ['--app', options.app] : []),
  ];
  return runCommand(cdk, args, {
    cwd: paths.infrastructure,
    env: toolEnvironment(),
    echo: options.echo ?? false,
    keepChars: 8000,
  });
}

/**
 * `cdk synth` of the app in infrastructure/ into cdk.out/ for `platform`.
 * Returns the synthesized template files.
 */
export async function synthesize(
  platform: Platform,
  progress: 'inherit' | 'quiet' = 'inherit',
): Promise<string[]> {
  forgetSynth();
  const { code, output } = await runCdkSynth({ platform, echo: progress === 'inherit' });
  if (code !== 0) throw new CliError(`cdk synth failed (exit ${code}):\n${output.trim()}`, 1);
  recordSynth(platform);
  return readdirSync(paths.cdkOut)
    .filter((file) => file.endsWith('.template.json'))
    .map((file) => join(paths.cdkOut, file));
}
