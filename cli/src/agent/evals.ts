import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildFunctions } from '@ferrule/toolchain/build';
import { type CommandResult, runCommand } from '@ferrule/toolchain/process';
import { defaultPlatform, projectRoot } from '@ferrule/toolchain/project';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { isolateCopyArtifacts } from '../checks.ts';
import { functionsToBuild, stepLine, summarize, type VerifyReport } from './verify.ts';

/**
 * One step of a skill's scripted run: a command the skill tells the agent to use, or the
 * edit an agent would make (written down so the run is deterministic).
 */
const stepSchema = z.union([
  z.strictObject({
    run: z.string().regex(/^(npx ferrule|cargo) /, 'a `npx ferrule …` or `cargo …` command'),
    /** Text the command's output must contain. */
    expect: z.string().optional(),
  }),
  z.strictObject({ write: z.string(), content: z.string() }),
  z.strictObject({ replace: z.string(), find: z.string().min(1), with: z.string() }),
]);

const evalSchema = z.strictObject({
  description: z.string().min(1),
  steps: z.array(stepSchema).min(1),
});

export type EvalStep = z.infer<typeof stepSchema>;

export interface SkillEval {
  readonly skill: string;
  readonly description: string;
  readonly steps: readonly EvalStep[];
}

export interface EvalResult {
  readonly skills: readonly string[];
  readonly ok: boolean;
  /** Passed steps, then the final verify. */
  readonly log: readonly string[];
  readonly error?: string;
  readonly verify?: VerifyReport;
  readonly durationMs: number;
}

/** Skills with a scripted run (`agent/skills/<name>/eval.yaml`), sorted. */
export function loadEvals(root: string = projectRoot): SkillEval[] {
  const dir = join(root, 'agent/skills');
  if (!existsSync(dir)) return [];
  const evals: SkillEval[] = [];
  for (const skill of readdirSync(dir).sort()) {
    const file = join(dir, skill, 'eval.yaml');
    if (!existsSync(file)) continue;
    const parsed = evalSchema.safeParse(parseYaml(readFileSync(file, 'utf8')));
    if (!parsed.success) {
      throw new Error(
        `agent/skills/${skill}/eval.yaml: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    }
    // An eval runs the skill's own commands: each command verb must appear in SKILL.md.
    const text = readFileSync(join(dir, skill, 'SKILL.md'), 'utf8');
    for (const step of parsed.data.steps) {
      if (!('run' in step)) continue;
      const verb = step.run.split(' ').slice(0, 3).join(' ');
      if (!text.includes(verb)) {
        throw new Error(
          `agent/skills/${skill}/eval.yaml runs \`${step.run}\`, which SKILL.md never mentions`,
        );
      }
    }
    evals.push({ skill, ...parsed.data });
  }
  return evals;
}

/** What is not copied: dependencies, build output, virtualenv, VCS data. */
const NOT_COPIED = new Set([
  'node_modules',
  'target',
  'dist',
  '.venv',
  'cdk.out',
  '.git',
  '.tools',
  '.ferrule',
]);
const LINKED = ['.venv', '.tools'] as const;

function filesOf(root: string, dir = ''): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    if (NOT_COPIED.has(entry.name)) continue;
    const rel = dir ? join(dir, entry.name) : entry.name;
    if (entry.isDirectory()) found.push(...filesOf(root, rel));
    else if (entry.isFile()) found.push(rel);
  }
  return found;
}

function copyPath(root: string): string {
  return join(tmpdir(), `ferrule-skill-eval-${createHash('sha256').update(root).digest('hex').slice(0, 12)}`);
}

/**
 * One eval at a time per repository: the copy is shared. The lock holds the owner's pid, so a
 * lock left by a process that no longer runs is taken over.
 */
function lockCopy(root: string): () => void {
  const lock = `${copyPath(root)}.lock`;
  try {
    writeFileSync(lock, String(process.pid), { flag: 'wx' });
  } catch {
    const owner = Number(readFileSync(lock, 'utf8'));
    let alive = false;
    try {
      process.kill(owner, 0);
      alive = owner !== process.pid;
    } catch {
      alive = false;
    }
    if (alive) {
      throw new Error(`another skill eval (pid ${owner}) is using ${copyPath(root)}; wait for it to finish`);
    }
    writeFileSync(lock, String(process.pid));
  }
  return () => rmSync(lock, { force: true });
}

/** Removes folders left empty (a crate an earlier eval created would break the workspace glob). */
function pruneEmptyFolders(dir: string): boolean {
  let empty = true;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory() && !NOT_COPIED.has(entry.name)) {
      if (pruneEmptyFolders(join(dir, entry.name))) rmSync(join(dir, entry.name), { recursive: true });
      else empty = false;
    } else {
      empty = false;
    }
  }
  return empty;
}

/**
 * The eval copy of the repository: one fixed folder per repository (so paths compiled into
 * its crates stay valid between runs), brought back to this repository's content before each
 * run. Unchanged files keep their timestamps, so Cargo rebuilds only what differs; a file that
 * differs (an earlier eval's edit, or a change here) gets the current time, so the crate that
 * holds it is rebuilt. .venv and .tools are symlinks; node_modules is linked package by package
 * (see linkDependencies).
 */
export async function prepareCopy(root: string = projectRoot): Promise<string> {
  const copy = join(
    tmpdir(),
    `ferrule-skill-eval-${createHash('sha256').update(root).digest('hex').slice(0, 12)}`,
  );
  mkdirSync(copy, { recursive: true });
  const wanted = new Set(filesOf(root));
  const now = new Date();
  for (const rel of wanted) {
    const source = join(root, rel);
    const target = join(copy, rel);
    const content = readFileSync(source);
    if (existsSync(target) && readFileSync(target).equals(content)) continue;
    const existed = existsSync(target);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
    const { atime, mtime } = statSync(source);
    if (existed) utimesSync(target, now, now);
    else utimesSync(target, atime, mtime);
  }
  for (const rel of filesOf(copy)) {
    if (!wanted.has(rel) && rel !== join('.cargo', 'config.toml')) rmSync(join(copy, rel));
  }
  pruneEmptyFolders(copy);
  await isolateCopyArtifacts(copy);
  for (const linked of LINKED) {
    if (existsSync(join(root, linked)) && !existsSync(join(copy, linked))) {
      symlinkSync(join(root, linked), join(copy, linked));
    }
  }
  linkDependencies(root, copy);
  // The copy starts with the repository's artifacts, as an agent's checkout holds those of its
  // last build: verify then builds the functions the skill's change reaches (and any with no
  // artifact), never ones an earlier eval built from its own edits.
  for (const output of ['dist', 'cdk.out']) rmSync(join(copy, output), { recursive: true, force: true });
  const artifacts = join(root, 'dist', 'lambda');
  if (existsSync(artifacts)) cpSync(artifacts, join(copy, 'dist', 'lambda'), { recursive: true });
  commitBase(copy);
  return copy;
}

/**
 * Commits the copy as it is before the skill's steps, so the copy is a git checkout whose
 * changes are the skill's, as in an agent's own checkout: `verify` then lints and tests the
 * crates the change reaches and the TypeScript tests that cover it, not everything. Without git
 * the copy stays a plain folder and verify checks the whole workspace.
 */
function commitBase(copy: string) {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: copy, stdio: 'pipe' });
  try {
    if (!existsSync(join(copy, '.git'))) git('init', '--quiet');
    git('add', '--all');
    git(
      '-c',
      'user.name=Ferrule skill eval',
      '-c',
      'user.email=skill-eval@ferrule.invalid',
      '-c',
      'commit.gpgsign=false',
      'commit',
      '--quiet',
      '--allow-empty',
      '--no-verify',
      '--message',
      "the repository before the skill's steps",
    );
  } catch {
    // No git here: verify follows no change and checks everything.
  }
}

/**
 * The copy's node_modules: a folder of links to the repository's installed packages, except the
 * workspace packages (`@ferrule/*`), whose relative links are recreated so they point into the
 * copy. With the whole node_modules linked, `@ferrule/infrastructure` would resolve to the
 * repository's sources while relative imports reach the copy's: the compiler then sees two
 * declarations of one class, and an eval's edit to a workspace package would go unseen.
 */
function linkDependencies(root: string, copy: string) {
  const source = join(root, 'node_modules');
  const target = join(copy, 'node_modules');
  if (!existsSync(source)) return;
  // An earlier copy linked node_modules as a whole.
  if (linkTarget(target) !== undefined) rmSync(target);
  syncFolder(target, readdirSync(source), (entry) => {
    if (entry !== WORKSPACE_SCOPE) return ensureLink(join(target, entry), join(source, entry));
    const scope = join(source, entry);
    syncFolder(join(target, entry), readdirSync(scope), (name) =>
      // npm's workspace links are relative (`../../cli`), so the same text points into the copy.
      ensureLink(join(target, entry, name), readlinkSync(join(scope, name))),
    );
  });
}

/** npm links each workspace package under this scope. */
const WORKSPACE_SCOPE = '@ferrule';

/** Makes `dir` a folder holding exactly `entries`, each set up by `put`. */
function syncFolder(dir: string, entries: readonly string[], put: (entry: string) => void) {
  if (linkTarget(dir) !== undefined) rmSync(dir);
  mkdirSync(dir, { recursive: true });
  const wanted = new Set(entries);
  for (const entry of readdirSync(dir)) {
    if (!wanted.has(entry)) rmSync(join(dir, entry), { recursive: true, force: true });
  }
  for (const entry of wanted) put(entry);
}

function ensureLink(path: string, to: string) {
  const current = linkTarget(path);
  if (current === to) return;
  rmSync(path, { recursive: true, force: true });
  symlinkSync(to, path);
}

/** Where the link at `path` points, or undefined when there is no link there. */
function linkTarget(path: string): string | undefined {
  try {
    return lstatSync(path).isSymbolicLink() ? readlinkSync(path) : undefined;
  } catch {
    return undefined;
  }
}

function runIn(copy: string, command: string, env: NodeJS.ProcessEnv): Promise<CommandResult> {
  // No shell: commands are plain words, and `npx ferrule` is the copy's own CLI.
  const words = command.split(/\s+/);
  const [cmd, args] =
    words[0] === 'npx' && words[1] === 'ferrule'
      ? [process.execPath, [join(copy, 'cli/bin/ferrule.mjs'), ...words.slice(2)]]
      : [words[0] ?? 'cargo', words.slice(1)];
  return runCommand(cmd, args, { cwd: copy, env });
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function tail(text: string, lines = 40): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Runs the scripted steps of `skills` one after another in the eval copy of the repository
 * (prepareCopy), then `npx ferrule verify` once. The Cargo target folder is the runner's
 * (CARGO_TARGET_DIR, else backend/target of this repository). Runs must not overlap.
 */
export async function runSkillEvals(
  skills: readonly string[],
  options: {
    readonly root?: string;
    readonly onLog?: (line: string) => void;
    /** Base environment of every command (the test runner passes moto's). @default process.env */
    readonly env?: NodeJS.ProcessEnv;
  } = {},
): Promise<EvalResult> {
  const root = options.root ?? projectRoot;
  const started = performance.now();
  const all = loadEvals(root);
  const selected = skills.map((name) => {
    const found = all.find((candidate) => candidate.skill === name);
    if (!found) {
      throw new Error(
        `no scripted run for skill \`${name}\`; skills with one: ${all.map((e) => e.skill).join(', ')}`,
      );
    }
    return found;
  });
  const log: string[] = [];
  const note = (line: string) => {
    log.push(line);
    options.onLog?.(line);
  };
  if (root === projectRoot) {
    // The copy starts from the repository's artifacts (prepareCopy): build those missing first,
    // as an agent's checkout has been built before it is changed.
    const missing = await functionsToBuild([]);
    if (missing.length > 0) {
      note(`building the repository's functions that have no artifact: ${missing.join(', ')}`);
      await buildFunctions({ platform: defaultPlatform, functions: missing, progress: 'quiet' });
    }
  }
  const release = lockCopy(root);
  let copy: string;
  try {
    copy = await prepareCopy(root);
  } catch (error) {
    release();
    throw error;
  }
  const base = options.env ?? process.env;
  const env: NodeJS.ProcessEnv = {
    ...base,
    FERRULE_ROOT: copy,
    CARGO_TARGET_DIR: base.CARGO_TARGET_DIR ?? join(root, 'backend/target'),
    CARGO_TERM_COLOR: 'never',
    FORCE_COLOR: '0',
  };
  const finish = (result: Omit<EvalResult, 'skills' | 'log' | 'durationMs'>): EvalResult => {
    release();
    return { skills, log, durationMs: Math.round(performance.now() - started), ...result };
  };
  try {
    for (const evaluation of selected) {
      for (const [index, step] of evaluation.steps.entries()) {
        const label = `${evaluation.skill} step ${index + 1}`;
        if ('write' in step) {
          const target = join(copy, step.write);
          mkdirSync(dirname(target), { recursive: true });
          writeFileSync(target, step.content);
          note(`${label}: wrote ${step.write}`);
        } else if ('replace' in step) {
          const target = join(copy, step.replace);
          const text = existsSync(target) ? readFileSync(target, 'utf8') : '';
          const count = text.split(step.find).length - 1;
          if (count !== 1) {
            return finish({
              ok: false,
              error: `${label}: expected the text to replace exactly once in ${step.replace}, found it ${count} times (the file changed; update agent/skills/${evaluation.skill}/eval.yaml)`,
            });
          }
          writeFileSync(
            target,
            text.replace(step.find, () => step.with),
          );
          note(`${label}: edited ${step.replace}`);
        } else {
          const stepStarted = performance.now();
          const result = await runIn(copy, step.run, env);
          if (result.code !== 0 || (step.expect && !result.output.includes(step.expect))) {
            return finish({
              ok: false,
              error: `${label}: \`${step.run}\` ${result.code !== 0 ? `exited ${result.code}` : `did not print \`${step.expect}\``}:\n${tail(result.output)}`,
            });
          }
          note(`${label}: ${step.run} ok (${seconds(performance.now() - stepStarted)})`);
        }
      }
    }
    const verify = await runIn(copy, 'npx ferrule verify --json', env);
    let report: VerifyReport | undefined;
    try {
      report = JSON.parse(verify.output.slice(verify.output.indexOf('{\n'))) as VerifyReport;
    } catch {
      return finish({ ok: false, error: `npx ferrule verify printed no report:\n${tail(verify.output)}` });
    }
    note(`npx ferrule verify: ${report.ok ? 'passed' : 'failed'}`);
    for (const step of report.steps) note(`  ${stepLine(step)}`);
    if (!report.ok) {
      const first = report.firstFailure;
      return finish({
        ok: false,
        verify: report,
        error: `npx ferrule verify failed at ${first?.title}:\n${summarize(report)}\n${tail(first?.output ?? '', 30)}`,
      });
    }
    return finish({ ok: true, verify: report });
  } catch (error) {
    return finish({ ok: false, error: (error as Error).message });
  }
}
