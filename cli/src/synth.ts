import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from './errors.ts';
import { type Platform, paths, platformName, projectRoot, toolEnvironment } from './project.ts';

/**
 * `cdk synth` of the app in infrastructure/ into cdk.out/, offline and without
 * credentials, against the artifacts already built for `platform`.
 * Returns the synthesized template files.
 */
export async function synthesize(
  platform: Platform,
  progress: 'inherit' | 'quiet' = 'inherit',
): Promise<string[]> {
  const cdk = join(projectRoot, 'node_modules/.bin/cdk');
  if (!existsSync(cdk)) throw new CliError('the CDK CLI is not installed; run `npm run setup`');
  const args = [
    'synth',
    '--quiet',
    '--no-notices',
    '--no-version-reporting',
    '--output',
    paths.cdkOut,
    '--context',
    `ferrule:platform=${platformName(platform)}`,
  ];
  await new Promise<void>((resolve, reject) => {
    let tail = '';
    const child = spawn(cdk, args, {
      cwd: paths.infrastructure,
      env: toolEnvironment(),
      stdio: ['ignore', progress === 'inherit' ? 'inherit' : 'pipe', 'pipe'],
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-8000);
      if (progress === 'inherit') process.stderr.write(chunk);
    });
    child.on('error', (error) => reject(new CliError(`could not run cdk: ${error.message}`, 1)));
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new CliError(`cdk synth failed (exit ${code}):\n${tail.trim()}`, 1)),
    );
  });
  return readdirSync(paths.cdkOut)
    .filter((file) => file.endsWith('.template.json'))
    .map((file) => join(paths.cdkOut, file));
}
