// The checks that `npm test` (scripts/test.ts) and `ferrule verify` (agent/verify.ts) both
// run, defined once: the command line of each, and which part of the project a change reaches.
//
// The two callers differ on purpose in one way, named here: CI passes `ci: true`, which adds
// `--locked` (a stale Cargo.lock fails the run instead of being rewritten) and `--no-fail-fast`
// (every failing test binary is counted). `verify` is the edit loop: Cargo updates the lock file
// after a new dependency as `cargo build` would, and the first failure is the thing to fix.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { paths, projectRoot } from '@ferrule/toolchain/project';

const execFileAsync = promisify(execFile);

export interface CheckCommand {
  /** Stable id, shared by verify's steps and npm test's suites. */
  readonly id: 'rustfmt' | 'clippy' | 'cargo-test' | 'tsc' | 'biome' | 'vitest-related';
  readonly title: string;
  readonly command: string;
  readonly args: readonly string[];
}

export interface CheckScope {
  /** CI mode: `--locked` and `--no-fail-fast`. @default false */
  readonly ci?: boolean;
  /**
   * Workspace packages to lint and test; every package when undefined.
   * @default - the whole workspace
   */
  readonly packages?: readonly string[];
}

const bin = (name: string) => join(projectRoot, 'node_modules/.bin', name);

function cargoSelection(scope: CheckScope): string[] {
  const locked = scope.ci ? ['--locked'] : [];
  const packages = scope.packages ? scope.packages.flatMap((name) => ['-p', name]) : ['--workspace'];
  return ['--manifest-path', paths.manifest, ...locked, ...packages];
}

export function rustfmtCheck(): CheckCommand {
  return {
    id: 'rustfmt',
    title: 'cargo fmt --check',
    command: 'cargo',
    args: ['fmt', '--all', '--manifest-path', paths.manifest, '--check'],
  };
}

export function clippyCheck(scope: CheckScope = {}): CheckCommand {
  return {
    id: 'clippy',
    title: `cargo clippy -D warnings${scopeNote(scope)}`,
    command: 'cargo',
    args: ['clippy', ...cargoSelection(scope), '--all-targets', '--', '-D', 'warnings'],
  };
}

export function cargoTestCheck(scope: CheckScope = {}): CheckCommand {
  return {
    id: 'cargo-test',
    title: `cargo test${scopeNote(scope)}`,
    command: 'cargo',
    args: ['test', ...cargoSelection(scope), ...(scope.ci ? ['--no-fail-fast'] : [])],
  };
}

export function tscCheck(): CheckCommand {
  // Not --incremental: measured, the run is parse-bound (4,600 declaration files, 14 of 25 s),
  // which build-info does not save; only project references (tsc -b) would.
  return { id: 'tsc', title: 'tsc (strict)', command: bin('tsc'), args: ['-p', 'tsconfig.json'] };
}

export function biomeCheck(): CheckCommand {
  return { id: 'biome', title: 'biome ci (lint and format)', command: bin('biome'), args: ['ci', '.'] };
}

/** The vitest files that import any of `files` (vitest's own module graph decides). */
export function vitestRelatedCheck(files: readonly string[]): CheckCommand {
  return {
    id: 'vitest-related',
    title: `vitest: the TypeScript tests that cover ${files.length} changed file${files.length === 1 ? '' : 's'}`,
    command: bin('vitest'),
    args: ['related', '--run', '--passWithNoTests', ...files],
  };
}

function scopeNote(scope: CheckScope): string {
  if (!scope.packages) return '';
  const [first, ...rest] = scope.packages;
  if (first === undefined) return ' (no crate changed)';
  return rest.length === 0 ? ` (${first})` : ` (${scope.packages.length} crates the change reaches)`;
}

/** Files that differ from HEAD (staged, unstaged and untracked), relative to the root; undefined outside git. */
export async function changedFiles(root = projectRoot): Promise<string[] | undefined> {
  if (!existsSync(join(root, '.git'))) return undefined;
  try {
    const git = (args: string[]) => execFileAsync('git', args, { cwd: root, maxBuffer: 16 * 1024 * 1024 });
    const [tracked, untracked] = await Promise.all([
      git(['diff', '--name-only', 'HEAD']),
      git(['ls-files', '--others', '--exclude-standard']),
    ]);
    const names = `${tracked.stdout}\n${untracked.stdout}`.split('\n').filter((line) => line.trim() !== '');
    return [...new Set(names)].sort();
  } catch {
    return undefined;
  }
}

/** TypeScript sources among `files` that exist (deleted ones cannot be followed). */
export function typescriptChanges(files: readonly string[], root = projectRoot): string[] {
  return files.filter(
    (file) => /\.(ts|mts|tsx)$/.test(file) && !file.endsWith('.d.ts') && existsSync(join(root, file)),
  );
}

export interface WorkspacePackage {
  readonly name: string;
  /** Folder of its Cargo.toml, relative to the project root, with `/`. */
  readonly dir: string;
  /** Names of the workspace packages it depends on (any kind of dependency). */
  readonly dependsOn: readonly string[];
}

/** The workspace's packages from `cargo metadata --no-deps` (no network, no build). */
export async function workspacePackages(root = projectRoot): Promise<WorkspacePackage[]> {
  const { stdout } = await execFileAsync(
    'cargo',
    [
      'metadata',
      '--format-version',
      '1',
      '--no-deps',
      '--offline',
      '--manifest-path',
      join(root, 'backend/Cargo.toml'),
    ],
    { cwd: root, maxBuffer: 64 * 1024 * 1024 },
  );
  const metadata = JSON.parse(stdout) as {
    packages: { name: string; manifest_path: string; dependencies: { name: string; path?: string }[] }[];
  };
  return metadata.packages.map((pkg) => ({
    name: pkg.name,
    dir: relative(root, join(pkg.manifest_path, '..')).split(sep).join('/'),
    dependsOn: pkg.dependencies.filter((dep) => dep.path !== undefined).map((dep) => dep.name),
  }));
}

/**
 * Gives a copy of the repository that builds in this checkout's Cargo target folder (the skill
 * evals' copy, the scaffold suite's) artifacts of its own for its workspace crates, through
 * `<copy>/.cargo/config.toml`. Registry dependencies stay shared, so the copy never rebuilds
 * them; but Cargo names a workspace crate's artifacts by its path relative to the workspace (the
 * same in both), so without this the copy's builds overwrite the repository's: the next build
 * here recompiles and relinks every function, or uses the copy's code (and crates bake absolute
 * paths in at compile time, `env!("CARGO_MANIFEST_DIR")` in ferrule-testkit). A different
 * debug-info level for workspace crates gives them their own. Dev: the base profile changes and
 * dependencies keep theirs through the repository's own `profile.dev.package."*"`. Release: one
 * override per workspace crate, since a changed base profile (even with `package."*"` restoring
 * the setting) gave every dependency new artifacts, a full release build of them per copy. Call it
 * again after adding a crate to the copy.
 */
export async function isolateCopyArtifacts(copy: string): Promise<void> {
  // No workspace manifest (or no cargo): no release overrides.
  const crates = await workspacePackages(copy).catch(() => []);
  const lines = [
    '# Written by cli/src/checks.ts (isolateCopyArtifacts): workspace crates get their own artifacts.',
    '[profile.dev]',
    'debug = "limited"',
  ];
  for (const { name } of crates.sort((a, b) => a.name.localeCompare(b.name))) {
    lines.push('', `[profile.release.package.${JSON.stringify(name)}]`, 'debug = "line-tables-only"');
  }
  await mkdir(join(copy, '.cargo'), { recursive: true });
  await writeFile(join(copy, '.cargo/config.toml'), `${lines.join('\n')}\n`);
}

/**
 * The packages a change to `files` reaches: each changed file's package and every package
 * that depends on it, directly or not. `undefined` means the whole workspace (a change to the
 * workspace manifest, the lock file or the shared fixtures); `[]` means no Rust change.
 */
export function affectedPackages(
  files: readonly string[],
  packages: readonly WorkspacePackage[],
): string[] | undefined {
  const changed = new Set<string>();
  for (const file of files) {
    if (!file.startsWith('backend/')) continue;
    if (
      /^backend\/(Cargo\.(toml|lock)|events\/|rust-toolchain|\.cargo\/|clippy\.toml|rustfmt\.toml)/.test(file)
    ) {
      return undefined;
    }
    const owner = packages
      .filter((pkg) => file.startsWith(`${pkg.dir}/`))
      .sort((a, b) => b.dir.length - a.dir.length)[0];
    // A file under backend/ that no package owns (a README, a script): no crate to test.
    if (owner) changed.add(owner.name);
  }
  const reached = new Set(changed);
  let grew = true;
  while (grew) {
    grew = false;
    for (const pkg of packages) {
      if (!reached.has(pkg.name) && pkg.dependsOn.some((dep) => reached.has(dep))) {
        reached.add(pkg.name);
        grew = true;
      }
    }
  }
  return [...reached].sort();
}
