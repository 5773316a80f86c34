import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  affectedPackages,
  cargoTestCheck,
  changedFiles,
  clippyCheck,
  typescriptChanges,
  vitestRelatedCheck,
  type WorkspacePackage,
  workspacePackages,
} from '../src/checks.ts';

const packages: WorkspacePackage[] = [
  { name: 'ferrule-testkit', dir: 'backend/crates/testkit', dependsOn: [] },
  { name: 'ferrule-http', dir: 'backend/crates/http', dependsOn: ['ferrule-testkit'] },
  { name: 'orders-domain', dir: 'backend/services/orders/domain', dependsOn: [] },
  { name: 'orders-adapters', dir: 'backend/services/orders/adapters', dependsOn: ['orders-domain'] },
  { name: 'orders-api', dir: 'backend/functions/orders-api', dependsOn: ['ferrule-http', 'orders-adapters'] },
  { name: 'hello-http', dir: 'backend/functions/hello-http', dependsOn: ['ferrule-http'] },
];

describe('the crates a change reaches', () => {
  it('is the changed crate alone when nothing depends on it', () => {
    expect(affectedPackages(['backend/functions/hello-http/src/lib.rs'], packages)).toEqual(['hello-http']);
  });

  it('follows dependents transitively', () => {
    expect(affectedPackages(['backend/services/orders/domain/src/order.rs'], packages)).toEqual([
      'orders-adapters',
      'orders-api',
      'orders-domain',
    ]);
    expect(affectedPackages(['backend/crates/testkit/src/lib.rs'], packages)).toEqual([
      'ferrule-http',
      'ferrule-testkit',
      'hello-http',
      'orders-api',
    ]);
  });

  it('is the whole workspace for the manifest, the lock file and the shared fixtures', () => {
    for (const file of ['backend/Cargo.toml', 'backend/Cargo.lock', 'backend/events/sqs/standard.json']) {
      expect(affectedPackages([file], packages)).toBeUndefined();
    }
  });

  it('is nothing for changes outside the crates', () => {
    expect(
      affectedPackages(['infrastructure/lib/table.ts', 'README.md', 'backend/README.md'], packages),
    ).toEqual([]);
  });

  it('reads the real workspace: every function depends on something, paths are relative', async () => {
    const real = await workspacePackages();
    const api = real.find((pkg) => pkg.name === 'orders-api');
    expect(api?.dir).toBe('backend/functions/orders-api');
    expect(api?.dependsOn).toContain('orders-adapters');
    expect(affectedPackages(['backend/services/orders/domain/src/lib.rs'], real)).toContain('orders-api');
  });
});

describe('check commands shared by npm test and verify', () => {
  it('CI locks the dependencies and runs every test binary; verify does neither', () => {
    expect(cargoTestCheck({ ci: true }).args).toEqual(expect.arrayContaining(['--locked', '--no-fail-fast']));
    expect(cargoTestCheck().args).not.toContain('--locked');
    expect(cargoTestCheck().args).not.toContain('--no-fail-fast');
    expect(clippyCheck({ ci: true }).args).toContain('--locked');
  });

  it('scopes cargo to the named crates, else the workspace', () => {
    const scoped = clippyCheck({ packages: ['hello-http', 'orders-api'] }).args;
    expect(scoped.join(' ')).toContain('-p hello-http -p orders-api');
    expect(scoped).not.toContain('--workspace');
    expect(clippyCheck().args).toContain('--workspace');
  });

  it('runs the vitest files related to the changed sources', () => {
    const check = vitestRelatedCheck(['infrastructure/lib/table.ts']);
    expect(check.args).toEqual(['related', '--run', '--passWithNoTests', 'infrastructure/lib/table.ts']);
  });
});

describe('changed files', () => {
  it('are the staged, unstaged and untracked files against HEAD; undefined outside git', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ferrule-changes-'));
    try {
      expect(await changedFiles(root)).toBeUndefined();
      const git = (...args: string[]) =>
        execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: root });
      git('init', '-q');
      mkdirSync(join(root, 'lib'));
      writeFileSync(join(root, 'lib/a.ts'), 'export const a = 1;\n');
      writeFileSync(join(root, 'lib/b.ts'), 'export const b = 1;\n');
      git('add', '.');
      git('commit', '-q', '-m', 'first');
      expect(await changedFiles(root)).toEqual([]);
      writeFileSync(join(root, 'lib/a.ts'), 'export const a = 2;\n');
      writeFileSync(join(root, 'lib/c.ts'), 'export const c = 1;\n');
      writeFileSync(join(root, 'lib/types.d.ts'), 'export type T = 1;\n');
      rmSync(join(root, 'lib/b.ts'));
      const changed = (await changedFiles(root)) ?? [];
      expect(changed).toEqual(['lib/a.ts', 'lib/b.ts', 'lib/c.ts', 'lib/types.d.ts']);
      // Deleted files and declarations have no tests to follow.
      expect(typescriptChanges(changed, root)).toEqual(['lib/a.ts', 'lib/c.ts']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
