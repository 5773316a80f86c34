import type { Command } from 'commander';
import { FIXTURE_NAME_RULE, SKELETONS } from '../event-skeletons.ts';

export interface NewFixtureFlags {
  from?: string;
  dryRun?: boolean;
  json?: boolean;
}

export function registerEvents(program: Command) {
  const events = program
    .command('events')
    .description('List the event fixtures of backend/events/ (shared by tests, invoke and the emulator)')
    .argument('[source]', 'only this source, e.g. sqs')
    .option('--json', 'print the fixtures as JSON')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  npx ferrule events',
        '  npx ferrule events sqs --json',
        '  npx ferrule events new sqs payment-received',
        '',
        'Exit codes: 0 listed, 2 unknown source or no fixtures.',
      ].join('\n'),
    )
    .action(async (source: string | undefined, flags: { json?: boolean }) => {
      const { listEventsCommand } = await import('../actions/events.ts');
      listEventsCommand(source, flags);
    });

  events
    .command('new')
    .description(
      'Write a fixture skeleton to backend/events/<source>/<name>.json, copied from a fixture of that source',
    )
    .argument(
      '<source>',
      `event source folder, e.g. sqs (without fixtures yet: ${Object.keys(SKELETONS).join(', ')})`,
    )
    .argument('[name]', 'fixture name, kebab-case (default: new, new-2, ...)')
    .option(
      '--from <variant>',
      'the fixture of that source to copy (default: a typical one, e.g. sqs/standard)',
    )
    .option('--dry-run', 'print the path and content it would write, and write nothing')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      [
        '',
        `Names: ${FIXTURE_NAME_RULE}. An existing fixture is never overwritten.`,
        'Then edit the payload and use it with `npx ferrule invoke <function> --event <source>/<name>`',
        "or in a function's [[package.metadata.ferrule.events]].",
        '',
        'Examples:',
        '  npx ferrule events new sqs payment-received',
        '  npx ferrule events new apigw-http post-payment --from orders-post',
        '  npx ferrule events new s3 upload --dry-run',
        '',
        'Exit codes: 0 written (or shown with --dry-run), 2 bad name or source, or the file exists.',
      ].join('\n'),
    )
    .action(async (source: string, name: string | undefined, _flags: unknown, command: Command) => {
      // `--json` is also an option of `events`, which takes it first: read both levels.
      const flags = command.optsWithGlobals<NewFixtureFlags>();
      const { newEventCommand } = await import('../actions/events.ts');
      newEventCommand(source, name, flags);
    });
}
