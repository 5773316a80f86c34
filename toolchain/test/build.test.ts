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
const { defaultPlatform, listFunctions } = await import('../src/project.ts');

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
});
