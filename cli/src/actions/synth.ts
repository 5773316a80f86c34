import { relative } from 'node:path';
import { parsePlatform, platformName, projectRoot } from '@ferrule/toolchain/project';
import { synthesize } from '@ferrule/toolchain/synth';
import { Progress } from '../progress.ts';

/** `ferrule synth`: cdk synth into cdk.out/, then the template files on stdout. */
export async function synthCommand(flags: { arch?: string; runtime?: string }): Promise<void> {
  const platform = parsePlatform(flags);
  const templates = await new Progress().run(
    `synthesizing the CDK app for ${platformName(platform)} (cdk synth, offline)`,
    () => synthesize(platform),
  );
  for (const template of templates) process.stdout.write(`${relative(projectRoot, template)}\n`);
}
