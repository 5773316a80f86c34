import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useRunTemporaryFolder } from '../testbed/temporary-folder.ts';

describe('a run that owns its temporary folder', () => {
  it('gives this process and its children a new TMPDIR, then removes it with all inside and restores the old one', () => {
    const before = process.env.TMPDIR;
    const remove = useRunTemporaryFolder('ferrule-owned-');
    const owned = tmpdir();
    try {
      expect(owned).not.toBe(before);
      expect(owned).toMatch(/ferrule-owned-[^/]+$/);
      // What a test leaves behind: a nested folder, as CDK's App writes its cdk.out…
      const left = mkdtempSync(join(tmpdir(), 'cdk.out'));
      writeFileSync(join(left, 'manifest.json'), '{}');
      // …and what a child process sees.
      const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(require("os").tmpdir())'], {
        encoding: 'utf8',
      });
      expect(child.stdout).toBe(owned);
    } finally {
      remove();
    }
    expect(existsSync(owned)).toBe(false);
    expect(process.env.TMPDIR).toBe(before);
  });
});
