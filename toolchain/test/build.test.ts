import { EventEmitter } from 'node:events';
import { beforeEach, describe, expect, it, vi } from 'vitest';

// cargo itself is not run: each spawn is recorded and exits 0 at once.
const spawned: string[][] = [];
vi.mock('node:child_process', async (original) => ({
  ...(await original<typeof import('node:child_process')>()),
  spawn: (_command: string, args: string[]) => {
    spawned.push(args);
    const child = new EventEmitter();
    setImmediate(() => child.emit('exit', 0));
    return child;
  },
}));

const { buildFunctions, buildPackages } = await import('../src/build.ts');
const { defaultPlatform, glibcOf, linkGlibc, listFunctions } = await import('../src/project.ts');
const { compareVersions } = await import('../src/glibc.ts');

describe('the release build', () => {
  beforeEach(() => {
    spawned.length = 0;
  });

  // Artifacts may not be built where this runs: the build is judged by its command line.
  const settle = (build: Promise<unknown>) => build.catch(() => undefined);

  it('selects the binaries of the functions asked for with --bin, never --package', async () => {
    await settle(buildFunctions({ platform: defaultPlatform, functions: ['hello-http'], progress: 'quiet' }));
    const [args] = spawned;
    expect(args?.slice(0, 3)).toEqual(['lambda', 'build', '--release']);
    expect(args?.filter((_, i) => args[i - 1] === '--bin')).toEqual(['hello-http']);
    expect(args).not.toContain('--package');
  });

  it('builds every function and no benchmark crate by default', async () => {
    await settle(buildFunctions({ platform: defaultPlatform, progress: 'quiet' }));
    const selected = spawned[0]?.filter((_, i, args) => args[i - 1] === '--bin');
    expect(selected).toEqual((await listFunctions()).map((fn) => fn.name));
    expect(selected).not.toContain('fault-probe');
  });

  it('selects benchmark crates the same way', async () => {
    const zips = await buildPackages(defaultPlatform, ['fault-probe', 'noop-runtime']);
    expect(spawned[0]?.filter((_, i, args) => args[i - 1] === '--bin')).toEqual([
      'fault-probe',
      'noop-runtime',
    ]);
    expect(spawned[0]).not.toContain('--package');
    expect([...zips.keys()]).toEqual(['fault-probe', 'noop-runtime']);
  });

  it('builds both runtimes of an architecture alike, in one target folder, each zipped into its own dist folder', async () => {
    const al2023 = { runtime: 'al2023', architecture: 'x86_64' } as const;
    const al2 = { runtime: 'al2', architecture: 'x86_64' } as const;
    await settle(buildFunctions({ platform: al2023, functions: ['hello-http'], progress: 'quiet' }));
    await settle(buildFunctions({ platform: al2, functions: ['hello-http'], progress: 'quiet' }));
    const option = (args: string[] | undefined, name: string) => args?.[args.indexOf(name) + 1];
    // Cargo fingerprints every crate with the linker, which cargo-lambda picks by target: one
    // target, one set of compiled crates for both runtimes.
    expect(option(spawned[0], '--target')).toBe(`x86_64-unknown-linux-gnu.${linkGlibc}`);
    expect(option(spawned[1], '--target')).toBe(option(spawned[0], '--target'));
    expect(option(spawned[0], '--lambda-dir')).toMatch(/al2023-x86_64$/);
    expect(option(spawned[1], '--lambda-dir')).toMatch(/al2-x86_64$/);
  });

  it('links against a glibc every supported runtime provides', () => {
    for (const provided of Object.values(glibcOf)) {
      expect(compareVersions(linkGlibc, provided)).toBeLessThanOrEqual(0);
    }
  });
});
