import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { extname, isAbsolute, join, relative, resolve } from 'node:path';
import { projectRoot, toolEnvironment } from '@ferrule/toolchain/project';
import type { HookName } from './hook-names.ts';
import { runVerify, summarize } from './verify.ts';

export { HOOKS, type HookName } from './hook-names.ts';

/** What a hook tells the agent: the exit code (2 blocks) and the message for it. */
export interface HookResult {
  readonly exitCode: 0 | 2;
  readonly message?: string;
}

const BIOME_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json', '.jsonc']);

function parseInput(stdin: string): Record<string, unknown> {
  try {
    const value = JSON.parse(stdin) as unknown;
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The edited file from the hook input (`tool_input.file_path`, or `file_path`), inside the repository. */
export function editedFile(input: Record<string, unknown>, root: string = projectRoot): string | undefined {
  const toolInput = input.tool_input as Record<string, unknown> | undefined;
  const raw = toolInput?.file_path ?? toolInput?.path ?? input.file_path;
  if (typeof raw !== 'string' || raw.length === 0) return undefined;
  const full = isAbsolute(raw) ? raw : resolve(root, raw);
  const inside = relative(root, full);
  if (inside.startsWith('..') || isAbsolute(inside)) return undefined;
  return full;
}

/** Formats one edited file with the project's formatter; never blocks the edit. */
export function formatAfterEdit(stdin: string, root: string = projectRoot): HookResult {
  const file = editedFile(parseInput(stdin), root);
  if (!file || !existsSync(file)) return { exitCode: 0 };
  const ext = extname(file);
  let result: ReturnType<typeof spawnSync> | undefined;
  if (ext === '.rs') {
    result = spawnSync(
      'rustfmt',
      ['--edition', '2021', '--config-path', join(root, 'backend/rustfmt.toml'), file],
      { env: toolEnvironment(), encoding: 'utf8' },
    );
  } else if (BIOME_EXTENSIONS.has(ext)) {
    result = spawnSync(join(root, 'node_modules/.bin/biome'), ['check', '--write', '--colors=off', file], {
      cwd: root,
      env: toolEnvironment(),
      encoding: 'utf8',
    });
  }
  if (!result || result.status === 0) return { exitCode: 0 };
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(0, 20).join('\n');
  return {
    exitCode: 0,
    message: `formatting ${relative(root, file)} reported problems (npx ferrule verify will too):\n${output}`,
  };
}

/** Refuses to end the turn (exit 2, the summary on stderr) while `verify --quick` fails. */
export async function verifyBeforeStop(): Promise<HookResult> {
  if (process.env.FERRULE_SKIP_STOP_VERIFY === '1') return { exitCode: 0 };
  const report = await runVerify({ quick: true });
  if (report.ok) return { exitCode: 0 };
  return {
    exitCode: 2,
    message: `Not done: \`npx ferrule verify --quick\` fails.\n${summarize(report)}`,
  };
}

export async function runHook(name: HookName, stdin: string): Promise<HookResult> {
  return name === 'format-after-edit' ? formatAfterEdit(stdin) : verifyBeforeStop();
}
