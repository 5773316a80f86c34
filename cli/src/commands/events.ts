import { relative } from 'node:path';
import type { Command } from 'commander';
import { CliError } from '../errors.ts';
import { describeFixture, fixturePath, listFixtures } from '../events.ts';
import { FIXTURE_NAME_RULE, newFixture, SKELETONS } from '../events-new.ts';
import { projectRoot } from '../project.ts';

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
    .action((source: string | undefined, flags: { json?: boolean }) => {
      const names = listFixtures(source);
      if (names.length === 0) {
        throw new CliError(
          source
            ? `no fixtures for source \`${source}\`; the sources are: ${[...new Set(listFixtures().map((n) => n.split('/')[0]))].join(', ')}`
            : 'no fixtures in backend/events/',
        );
      }
      if (flags.json) {
        const rows = names.map((name) => ({
          name,
          source: name.split('/')[0],
          path: relative(projectRoot, fixturePath(name)),
        }));
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      for (const name of names) process.stdout.write(`${name.padEnd(44)} ${describeFixture(name)}\n`);
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
    .action((source: string, name: string | undefined, _flags: unknown, command: Command) => {
      // `--json` is also an option of `events`, which takes it first: read both levels.
      const flags = command.optsWithGlobals<{ from?: string; dryRun?: boolean; json?: boolean }>();
      const result = newFixture({ source, name, from: flags.from, dryRun: flags.dryRun ?? false });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      } else if (result.dryRun) {
        process.stdout.write(
          `would write ${result.path} (from ${result.from}); nothing written (--dry-run):\n${result.content}`,
        );
      } else {
        process.stdout.write(
          `wrote ${result.path} (from ${result.from})\nnext: edit it, then npx ferrule invoke <function> --event ${result.fixture}\n`,
        );
      }
    });
}
