import { parsePlatform, platformName } from '@ferrule/toolchain/project';
import { type AppFunction, type AppTrigger, listAppFunctions } from '../app-functions.ts';
import type { ListFlags } from '../commands/list.ts';
import { table } from '../format.ts';

/** `ferrule list`: the functions of the synthesized app, as a table or JSON. */
export async function listCommand(flags: ListFlags): Promise<void> {
  const platform = parsePlatform(flags);
  const list = () => listAppFunctions({ synth: flags.synth, platform, outdir: flags.output });
  let functions: AppFunction[];
  if (flags.synth) {
    // Only a synth has progress to show: `list --no-synth` does not load the spinner.
    const { Progress } = await import('../progress.ts');
    functions = await new Progress().run(
      `synthesizing the CDK app for ${platformName(platform)} (cdk synth, offline)`,
      list,
    );
  } else {
    functions = await list();
  }
  process.stdout.write(
    flags.json ? `${JSON.stringify(functions, null, 2)}\n` : `${functionTable(functions)}\n`,
  );
}

export function functionTable(functions: readonly AppFunction[]): string {
  const rows = functions.map((fn) => [
    fn.crate ?? '-',
    fn.stack,
    fn.triggers.map(triggerText).join('; ') || '-',
    fn.runtime,
    fn.architecture,
    `${fn.memoryMb} MB`,
    `${fn.timeoutSeconds} s`,
    actionsText(fn.iamActions),
  ]);
  return table(
    ['function', 'stack', 'triggers', 'runtime', 'arch', 'memory', 'timeout', 'iam actions'],
    rows,
  );
}

/** Routes, Cognito triggers and schedules say more than their source; queues, tables and rules are named. */
function triggerText(trigger: AppTrigger): string {
  const byDetail = ['http', 'cognito', 'schedule'].includes(trigger.type) && trigger.detail;
  return `${trigger.type} ${byDetail ? trigger.detail : trigger.source}`;
}

/** `dynamodb:{GetItem,Query} logs:{CreateLogStream,PutLogEvents}`: one group per service, to keep rows short. */
function actionsText(actions: readonly string[]): string {
  const byService = new Map<string, string[]>();
  for (const action of actions) {
    const [service, name] = action.includes(':') ? (action.split(':', 2) as [string, string]) : [action, ''];
    byService.set(service, [...(byService.get(service) ?? []), name]);
  }
  const groups = [...byService].map(([service, names]) =>
    names.length === 1 ? `${service}:${names[0]}` : `${service}:{${names.join(',')}}`,
  );
  return groups.join(' ') || '-';
}
