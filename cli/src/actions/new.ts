import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { paths } from '@ferrule/toolchain/project';
import type { NewFunctionFlags } from '../commands/new.ts';
import { indexFile, type ScaffoldResult, scaffoldFunction } from '../scaffold/index.ts';

/** `ferrule new function <name>`: the crate, its tests, fixture and CDK wiring. */
export async function newFunctionCommand(name: string, flags: NewFunctionFlags): Promise<void> {
  const result = await scaffoldFunction({
    name,
    trigger: flags.trigger,
    service: flags.service,
    concurrent: flags.concurrent ?? false,
    tables: flags.table,
    indexes: flags.index,
    queues: flags.queue,
    buses: flags.bus,
    schedule: flags.schedule,
    route: flags.route,
    userPool: flags.userPool,
    description: flags.description,
    dryRun: flags.dryRun ?? false,
  });
  process.stdout.write(flags.json ? `${JSON.stringify(result, null, 2)}\n` : describe(result));
}

/** `ferrule new index`: infrastructure/functions/index.ts from the wiring files of that folder. */
export function newIndexCommand(): void {
  const dir = join(paths.infrastructure, 'functions');
  writeFileSync(join(dir, 'index.ts'), indexFile(dir));
  process.stdout.write('wrote infrastructure/functions/index.ts\n');
}

function describe(result: ScaffoldResult): string {
  const lines = [
    result.dryRun
      ? `would create ${result.name} (${result.trigger}); nothing written (--dry-run):`
      : `created ${result.name} (${result.trigger}):`,
    ...result.files.map(
      (file) => `  ${file.action === 'create' ? 'create    ' : 'regenerate'}  ${file.path}`,
    ),
  ];
  if (result.steps.length > 0) lines.push('then ran:', ...result.steps.map((step) => `  ${step}`));
  lines.push('next:', ...result.next.map((command) => `  ${command}`));
  return `${lines.join('\n')}\n`;
}
