// `ferrule events new`: a fixture skeleton for backend/events/<source>/<name>.json, copied
// from a fixture of that source, or, for a source with none yet, a minimal payload.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { projectRoot } from '@ferrule/toolchain/project';
import { CliError } from './errors.ts';
import { FIXTURE_NAME_RULE, fixtureNameProblem, SKELETONS } from './event-skeletons.ts';
import { fixturePath, listFixtures } from './events.ts';

export { FIXTURE_NAME_RULE, fixtureNameProblem, SKELETONS };

/** The variant a new fixture of a source starts from when there is a choice. */
const PREFERRED: Record<string, string> = {
  'apigw-http': 'get-hello',
  sqs: 'standard',
  'dynamodb-stream': 'insert',
  eventbridge: 'order-placed',
  cognito: 'pre-sign-up',
};

export interface NewFixtureRequest {
  readonly source: string;
  /** @default the first free of `new`, `new-2`, `new-3`, ... */
  readonly name?: string;
  /** Variant of the same source to copy. @default a typical variant, else the first; the built-in skeleton when there is none */
  readonly from?: string;
  /** @default false */
  readonly dryRun?: boolean;
}

export interface NewFixtureResult {
  /** `<source>/<name>`, as `ferrule invoke --event` takes it. */
  readonly fixture: string;
  /** Relative to the project root. */
  readonly path: string;
  /** The fixture it was copied from, or `built-in` for a source without fixtures. */
  readonly from: string;
  readonly dryRun: boolean;
  readonly written: boolean;
  readonly content: string;
}

/** Writes (or, with dryRun, prepares) a fixture skeleton; never overwrites a file. */
export function newFixture(request: NewFixtureRequest): NewFixtureResult {
  const { source } = request;
  const sourceProblem = fixtureNameProblem(source);
  if (sourceProblem) throw new CliError(`invalid source \`${source}\`: ${sourceProblem}`);
  const existing = listFixtures(source).map((fixture) => fixture.slice(source.length + 1));
  if (existing.length === 0 && !(source in SKELETONS)) {
    const known = [
      ...new Set([...listFixtures().map((f) => f.split('/')[0]), ...Object.keys(SKELETONS)]),
    ].sort();
    throw new CliError(
      `no fixtures and no skeleton for source \`${source}\`; the sources are: ${known.join(', ')}`,
    );
  }
  let name = request.name;
  if (name === undefined) {
    name = 'new';
    for (let i = 2; existing.includes(name); i++) name = `new-${i}`;
  }
  const nameProblem = fixtureNameProblem(name);
  if (nameProblem) throw new CliError(`invalid fixture name \`${name}\`: ${nameProblem}`);
  const target = fixturePath(`${source}/${name}`);
  if (existsSync(target)) {
    throw new CliError(
      `${relative(projectRoot, target)} already exists and is never overwritten; choose another name (existing: ${existing.join(', ')})`,
    );
  }

  let from: string;
  let content: string;
  if (request.from !== undefined) {
    const variant = request.from.startsWith(`${source}/`)
      ? request.from.slice(source.length + 1)
      : request.from;
    if (!existing.includes(variant)) {
      throw new CliError(
        `no fixture \`${source}/${variant}\` to copy; the fixtures of ${source} are: ${existing.join(', ') || 'none'}`,
      );
    }
    from = `${source}/${variant}`;
  } else if (existing.length > 0) {
    const preferred = PREFERRED[source];
    from = `${source}/${preferred && existing.includes(preferred) ? preferred : existing[0]}`;
  } else {
    from = 'built-in';
  }
  if (from === 'built-in') {
    content = `${JSON.stringify(SKELETONS[source], null, 2)}\n`;
  } else {
    content = readFileSync(fixturePath(from), 'utf8');
    try {
      JSON.parse(content);
    } catch (error) {
      throw new CliError(
        `${from} is not JSON (${(error as Error).message}); fix it or pass --from <variant>`,
        1,
      );
    }
    if (!content.endsWith('\n')) content += '\n';
  }
  const dryRun = request.dryRun ?? false;
  if (!dryRun) {
    mkdirSync(dirname(target), { recursive: true });
    // `wx`: fail rather than overwrite, should the file appear meanwhile.
    writeFileSync(target, content, { flag: 'wx' });
  }
  return {
    fixture: `${source}/${name}`,
    path: relative(projectRoot, target),
    from,
    dryRun,
    written: !dryRun,
    content,
  };
}
