import { resolve } from 'node:path';
import { parsePlatform } from '@ferrule/toolchain/project';
import type { DeployFlags } from '../commands/deploy.ts';
import { runDeploy } from '../deploy.ts';
import { CliError } from '../errors.ts';

/** `ferrule deploy`: the flags into {@link runDeploy}. */
export async function deployCommand(stacks: string[], flags: DeployFlags): Promise<void> {
  await runDeploy({
    stage: flags.stage,
    stacks,
    yes: flags.yes ?? false,
    dryRun: flags.dryRun ?? false,
    build: flags.build,
    profile: flags.profile,
    platform: parsePlatform(flags),
    context: parseContext(flags.context),
    outdir: flags.output ? resolve(flags.output) : undefined,
  });
}

function parseContext(entries: readonly string[]): Record<string, string> {
  const context: Record<string, string> = {};
  for (const entry of entries) {
    const at = entry.indexOf('=');
    if (at <= 0) throw new CliError(`--context takes key=value, not \`${entry}\``);
    context[entry.slice(0, at)] = entry.slice(at + 1);
  }
  return context;
}
