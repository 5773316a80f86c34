import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ToolError } from './errors.ts';
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
  if (!existsSync(cdk)) throw new ToolError('the CDK CLI is not installed; run `npm run setup`');
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
 * Returns the synthesized template files. With `inherit`, cdk's output (warnings, the folder it
 * wrote) goes to stderr once the synth succeeded; a failure is the error's message, without the
 * stack trace cdk prints for an app that threw.
 */
export async function synthesize(
  platform: Platform,
  progress: 'inherit' | 'quiet' = 'inherit',
): Promise<string[]> {
  forgetSynth();
  const { code, output } = await runCdkSynth({ platform });
  if (code !== 0) throw synthFailure(code, output);
  if (progress === 'inherit' && output.trim()) process.stderr.write(`${output.trim()}\n`);
  recordSynth(platform);
  return readdirSync(paths.cdkOut)
    .filter((file) => file.endsWith('.template.json'))
    .map((file) => join(paths.cdkOut, file));
}

/**
 * The error for a failed `cdk synth`. An error the app threw (a construct's check, a missing
 * artifact) is its message on one line instead of Node's stack trace; a missing artifact is a
 * prerequisite (exit 2). Other output, such as a rule pack's findings, is kept as cdk printed it.
 */
export function synthFailure(code: number, output: string, when = ''): ToolError {
  const thrown = /^(?:[\w.]*Error)(?: \[\w+\])?: (.+)\n(?:[ \t]+at .*(?:\n|$))+/m.exec(output);
  const heading = `cdk synth failed (exit ${code})${when ? ` ${when}` : ''}`;
  if (!thrown?.[1]) return new ToolError(`${heading}:\n${output.trim()}`, 1);
  // Absolute paths in the message are the checkout's: shown from the project root.
  const message = thrown[1].replace(/\/\S+/g, (path) =>
    path.startsWith(`${projectRoot}/`) ? relative(projectRoot, path) : path,
  );
  if (/no artifact for crate/.test(message)) return new ToolError(message, 2);
  // What the app printed before it threw (a validation report, warnings), without Node's
  // excerpt of the throwing line and its closing lines.
  const before = output
    .slice(0, thrown.index)
    .replace(/^\S+:\d+\n.*\n[ \t]*\^+[ \t]*\n\s*$/m, '')
    .trim();
  return new ToolError(`${heading}: ${message}${before ? `\n${before}` : ''}`, 1);
}
