import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { paths } from '@ferrule/toolchain/project';
import { CliError } from './errors.ts';

/** Every fixture of backend/events/, as `<source>/<variant>` names, sorted. */
export function listFixtures(source?: string): string[] {
  if (!existsSync(paths.events)) return [];
  const names: string[] = [];
  for (const dir of readdirSync(paths.events).sort()) {
    if (source && dir !== source) continue;
    const full = join(paths.events, dir);
    if (!statSync(full).isDirectory()) continue;
    for (const file of readdirSync(full)) {
      if (file.endsWith('.json')) names.push(`${dir}/${file.slice(0, -'.json'.length)}`);
    }
  }
  return names.sort();
}

export function fixturePath(name: string): string {
  return join(paths.events, `${name}.json`);
}

export interface LoadedEvent {
  /** Where it came from, for messages. */
  readonly origin: string;
  readonly text: string;
  readonly json: unknown;
}

/**
 * Reads the event for `--event`: a fixture name (`sqs/standard`), a path to a JSON
 * file, or `-` for standard input. Anything that is not JSON is refused here, with
 * the place it came from, before a function is started.
 */
export async function loadEvent(spec: string): Promise<LoadedEvent> {
  let origin: string;
  let text: string;
  if (spec === '-') {
    origin = 'standard input';
    text = await readStdin();
  } else if (existsSync(fixturePath(spec)) && !spec.endsWith('.json')) {
    origin = `fixture ${spec}`;
    text = readFileSync(fixturePath(spec), 'utf8');
  } else if (existsSync(spec) && statSync(spec).isFile()) {
    origin = spec;
    text = readFileSync(spec, 'utf8');
  } else {
    const hint = listFixtures(spec.split('/')[0]).slice(0, 8).join(', ');
    throw new CliError(
      `no fixture or file \`${spec}\`${hint ? `; fixtures of that source: ${hint}` : ''}; list them with \`npx ferrule events\``,
    );
  }
  try {
    return { origin, text, json: JSON.parse(text) };
  } catch (error) {
    throw new CliError(`${origin} is not JSON: ${(error as Error).message.replace(/\s+/g, ' ')}`);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function describeFixture(name: string): string {
  return relative(process.cwd(), fixturePath(name));
}
