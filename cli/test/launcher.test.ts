// The launcher runs the bundle set-up compiles (cli/dist) only while it is current, else the
// sources through tsx (cli/bin/compiled.mjs).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { cliDir, compileCli, compiledEntry } from '../bin/compiled.mjs';

const scratch = mkdtempSync(join(tmpdir(), 'ferrule-launcher-'));
const bundles: string[] = [];
afterAll(() => {
  for (const dir of [scratch, ...bundles]) rmSync(dir, { recursive: true, force: true });
});

describe('compiledEntry', () => {
  /** A CLI folder whose build recorded one source, built at `builtAt` (ms). */
  function built(builtAt: number) {
    const dir = mkdtempSync(join(scratch, 'cli-'));
    const source = join(dir, 'src/main.ts');
    mkdirSync(join(dir, 'src'));
    mkdirSync(join(dir, 'dist'));
    writeFileSync(source, 'export {};\n');
    const manifest = { cliDir: dir, startedAt: builtAt, entry: 'main-X.js', inputs: [source] };
    writeFileSync(join(dir, 'dist/build.json'), JSON.stringify(manifest));
    const touch = (ms: number) => utimesSync(source, new Date(ms), new Date(ms));
    return { dir, source, touch };
  }
  const builtAt = Date.parse('2026-01-01T12:00:30.500Z');

  it('is the bundle while every source is older than the build', () => {
    const { dir, touch } = built(builtAt);
    touch(builtAt - 5_000);
    expect(compiledEntry(dir)).toBe(`file://${join(dir, 'dist/main-X.js')}`);
  });

  it('is nothing when a source changed since, or is gone, or the bundle is another checkout’s', () => {
    const edited = built(builtAt);
    edited.touch(builtAt + 60_000);
    expect(compiledEntry(edited.dir)).toBeUndefined();
    // Within the second the build started: a coarse file system could not tell it apart.
    edited.touch(builtAt - 200);
    expect(compiledEntry(edited.dir)).toBeUndefined();

    const deleted = built(builtAt);
    rmSync(deleted.source);
    expect(compiledEntry(deleted.dir)).toBeUndefined();

    const copied = built(builtAt);
    copied.touch(builtAt - 5_000);
    const manifest = join(copied.dir, 'dist/build.json');
    writeFileSync(manifest, readFileSync(manifest, 'utf8').replace(copied.dir, '/elsewhere/cli'));
    expect(compiledEntry(copied.dir)).toBeUndefined();
    expect(compiledEntry(join(scratch, 'never-built'))).toBeUndefined();
  });
});

describe('compileCli', () => {
  it('bundles the CLI so that it runs without tsx and answers as the sources do', async () => {
    // Inside the checkout (.ferrule/ is git-ignored): the bundle imports commander and the other
    // packages from the project's node_modules, found by walking up from where it lies.
    mkdirSync(join(cliDir, '../.ferrule'), { recursive: true });
    const outDir = mkdtempSync(join(cliDir, '../.ferrule/cli-bundle-'));
    bundles.push(outDir);
    const { entry, inputs } = await compileCli(cliDir, outDir);
    expect(inputs).toBeGreaterThan(20);
    expect(compiledEntry(cliDir, outDir)).toBe(`file://${entry}`);
    // The entry alone, as the launcher imports it (no loader registered).
    const run = (...args: string[]) =>
      spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const { main } = await import(process.argv[1]); process.exitCode = await main(['node', 'ferrule', ...process.argv.slice(2)]);`,
          entry,
          ...args,
        ],
        { encoding: 'utf8' },
      );
    const version = JSON.parse(readFileSync(join(cliDir, 'package.json'), 'utf8')).version as string;
    expect(run('--version').stdout).toBe(`${version}\n`);
    const events = run('events', 'sqs');
    expect(events.status, events.stderr).toBe(0);
    expect(events.stdout).toContain('sqs/standard');
    // A command loaded from its own chunk, and the same usage errors.
    expect(run('completion', 'bash').stdout).toContain('complete -o default -F _ferrule ferrule');
    expect(run('inv').stderr).toContain("unknown command 'inv' (did you mean invoke?)");
    expect(fileURLToPath(`file://${entry}`).startsWith(outDir)).toBe(true);
  }, 120_000);
});
