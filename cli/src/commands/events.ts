import type { Command } from 'commander';
import { CliError } from '../errors.ts';
import { describeFixture, listFixtures } from '../events.ts';

export function registerEvents(program: Command) {
  program
    .command('events')
    .description('List the event fixtures of backend/events/ (shared by tests, invoke and the emulator)')
    .argument('[source]', 'only this source, e.g. sqs')
    .action((source?: string) => {
      const names = listFixtures(source);
      if (names.length === 0) {
        throw new CliError(
          source
            ? `no fixtures for source \`${source}\`; the sources are: ${[...new Set(listFixtures().map((n) => n.split('/')[0]))].join(', ')}`
            : 'no fixtures in backend/events/',
        );
      }
      for (const name of names) process.stdout.write(`${name.padEnd(44)} ${describeFixture(name)}\n`);
    });
}
