import { relative } from 'node:path';
import { projectRoot } from '@ferrule/toolchain/project';
import type { NewFixtureFlags } from '../commands/events.ts';
import { CliError } from '../errors.ts';
import { describeFixture, fixturePath, listFixtures } from '../events.ts';
import { newFixture } from '../events-new.ts';

/** `ferrule events [source]`: one fixture a line with its file, or JSON. */
export function listEventsCommand(source: string | undefined, flags: { json?: boolean }): void {
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
}

/** `ferrule events new <source> [name]`: writes the fixture (never over an existing one). */
export function newEventCommand(source: string, name: string | undefined, flags: NewFixtureFlags): void {
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
}
