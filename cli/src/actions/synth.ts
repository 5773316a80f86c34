import { relative } from 'node:path';
import { Progress } from '../progress.ts';
import { parsePlatform, platformName, projectRoot } from '../project.ts';
import { synthesize } from '../synth.ts';

/** `ferrule synth`: cdk synth into cdk.out/, then the template files on stdout. */
export async function synthCommand(flags: { arch?: string; runtime?: string }): Promise<void> {
  const platform = parsePlatform(flags);
  const templates = await new Progress().run(
    `synthesizing the CDK app for ${platformName(platform)} (cdk synth, offline)`,
    () => synthesize(platform),
  );
  for (const template of templates) process.stdout.write(`${relative(projectRoot, template)}\n`);
}
