import type { Command } from 'commander';
import { type AppFunction, type AppTrigger, listAppFunctions } from '../app-functions.ts';
import { table } from '../format.ts';
import { parsePlatform } from '../project.ts';

interface ListFlags {
  arch?: string;
  runtime?: string;
  synth: boolean;
  output?: string;
  json?: boolean;
}

export function registerList(program: Command) {
  program
    .command('list')
    .description(
      'List the functions of the synthesized app: crate, stack, triggers, runtime, architecture, memory, timeout and IAM actions',
    )
    .option('--arch <arch>', 'x86_64 or arm64 (default: x86_64)')
    .option('--runtime <runtime>', 'al2023 or al2 (default: al2023)')
    .option('--no-synth', 'read the templates already in cdk.out/ instead of synthesizing first')
    .option('--output <dir>', 'with --no-synth: the cloud assembly folder to read (default: cdk.out)')
    .option('--json', 'print the functions as JSON (with every statement of each role)')
    .addHelpText(
      'after',
      [
        '',
        'Read from the synthesized templates, so it shows what would be deployed, including',
        'functions that are not Ferrule crates (their crate is "-").',
        '',
        'Examples:',
        '  npx ferrule list',
        "  npx ferrule list --no-synth --json | jq '.[] | {crate, iamActions}'",
        '',
        'Exit codes: 0 listed, 1 synth failed, 2 bad usage or no synthesized app (with --no-synth).',
      ].join('\n'),
    )
    .action(async (flags: ListFlags) => {
      const platform = parsePlatform(flags);
      const functions = await listAppFunctions({ synth: flags.synth, platform, outdir: flags.output });
      process.stdout.write(
        flags.json ? `${JSON.stringify(functions, null, 2)}\n` : `${functionTable(functions)}\n`,
      );
    });
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
