// `npm run docs:check`: the docs check (also a suite of `npm test`), one line per problem.
// `npm run docs:bench`: writes README.md's benchmark section from the latest bench/results file.
//
// Usage: tsx scripts/docs.ts check|bench
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { latestBenchResult, renderBenchSection, withBenchSection } from './docs/bench-section.ts';
import { describeProblems, runDocsChecks } from './docs/check.ts';

const projectRoot = resolve(import.meta.dirname, '..');

async function check(): Promise<number> {
  // Loaded here, not above: writing the bench section needs no CLI.
  const { program } = await import('../cli/src/main.ts');
  let failed = 0;
  for (const { name, problems } of runDocsChecks(projectRoot, program())) {
    process.stdout.write(`${problems.length === 0 ? 'PASS' : 'FAIL'} ${name}\n`);
    if (problems.length > 0) process.stdout.write(`${describeProblems(problems).replace(/^/gm, '  ')}\n`);
    failed += problems.length;
  }
  return failed === 0 ? 0 : 1;
}

function writeBench(): number {
  const source = latestBenchResult(join(projectRoot, 'bench/results'));
  const readmePath = join(projectRoot, 'README.md');
  const before = readFileSync(readmePath, 'utf8');
  const after = withBenchSection(before, renderBenchSection(source));
  if (after !== before) writeFileSync(readmePath, after);
  process.stdout.write(
    `README.md: benchmark section from ${source.json}${after === before ? ' (unchanged)' : ''}\n`,
  );
  return 0;
}

const task = process.argv[2];
if (task === 'check') process.exitCode = await check();
else if (task === 'bench') process.exitCode = writeBench();
else {
  process.stderr.write('usage: tsx scripts/docs.ts check|bench\n');
  process.exitCode = 2;
}
