// `ferrule start --watch`: a change under backend/ rebuilds with the `local` profile (cargo
// rebuilds only the crates the change reaches) and the local cloud swaps only the functions whose
// binary changed; a change under infrastructure/ re-synthesizes and reconciles the resources
// (tables keep their data). A failed build or synth is shown and the running version keeps serving.
//
// Why the `local` profile (backend/Cargo.toml): the release profile's fat LTO and single codegen
// unit make every relink take about half a minute on 2 cores; `local` keeps release's behaviour
// (no overflow checks, unwinding) without them and links in seconds. Deployed artifacts stay release.
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { LocalCloud, LogSink } from '@ferrule/local-cloud';
import { watch } from 'chokidar';
import yazl from 'yazl';
import { platformTargetDir, runCargo } from './build.ts';
import { listFunctions, type Platform, paths, platformName, projectRoot, rustTarget } from './project.ts';
import { synthesize } from './synth.ts';

export interface WatchOptions {
  readonly cloud: LocalCloud;
  readonly platform: Platform;
  readonly log: LogSink;
  /** Quiet time after the last change before the rebuild starts. @default 200 */
  readonly debounceMs?: number;
  /**
   * Whether the served artifacts were built from the sources as they are (`start` built them).
   * When not (`--no-build`), every function moves to its watch build once that is ready.
   * @default true
   */
  readonly artifactsCurrent?: boolean;
}

/** The Cargo profile watch builds with (backend/Cargo.toml). */
export const WATCH_PROFILE = 'local';

/** Paths whose changes never matter: build output, dependencies, the assembly, editor files. */
const IGNORED = /(^|\/)(target|cdk\.out|node_modules|\.git)(\/|$)|~$|\.swp$|\.tmp$/;

/** Starts watching; returns the function that stops it. */
export function startWatch(options: WatchOptions): () => void {
  const { platform, log, cloud } = options;
  // cargo lambda writes each binary to <lambda dir>/<crate>/bootstrap; the zip goes beside it.
  const output = join(paths.dist, '..', `lambda-${WATCH_PROFILE}`, platformName(platform));
  /** Hash of each crate's binary as last served (or as first built, before any change). */
  const served = new Map<string, string>();
  let backendChanged = false;
  let infrastructureChanged = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let last = '';
  let stopped = false;

  const build = () =>
    runCargo(
      [
        'lambda',
        'build',
        '--profile',
        WATCH_PROFILE,
        '--target',
        rustTarget(platform),
        '--lambda-dir',
        output,
      ],
      'quiet',
      platformTargetDir(platform),
    );

  const hashOf = (crate: string): string | undefined => {
    const binary = join(output, crate, 'bootstrap');
    return existsSync(binary) ? createHash('sha256').update(readFileSync(binary)).digest('hex') : undefined;
  };

  /** Swaps every function whose binary differs from the one served. */
  const swapChanged = async (): Promise<string[]> => {
    const swapped: string[] = [];
    for (const fn of await listFunctions()) {
      const hash = hashOf(fn.name);
      if (!hash || served.get(fn.name) === hash) continue;
      served.set(fn.name, hash);
      const zip = join(output, fn.name, 'bootstrap.zip');
      await zipBinary(join(output, fn.name, 'bootstrap'), zip);
      swapped.push(...(await cloud.useArtifact(fn.name, zip)));
    }
    return swapped;
  };

  // The first watch build compiles the dependencies in the `local` profile: done in the
  // background while the release artifacts serve, so the first edit only rebuilds its crate.
  running = (async () => {
    const started = performance.now();
    log.info(`preparing watch builds (cargo profile ${WATCH_PROFILE}) in the background`);
    try {
      await build();
      if (options.artifactsCurrent === false || backendChanged) {
        // What serves may differ from the sources (an edit during this build, or --no-build).
        backendChanged = false;
        const swapped = await swapChanged();
        log.info(
          `watch builds ready in ${((performance.now() - started) / 1000).toFixed(1)} s; serving them: ${swapped.join(', ')}`,
        );
        return;
      }
      for (const fn of await listFunctions()) {
        const hash = hashOf(fn.name);
        if (hash) served.set(fn.name, hash);
      }
      log.info(`watch builds ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    } catch (error) {
      log.info(
        `the first watch build failed; the release artifacts keep serving:\n${(error as Error).message}`,
      );
    }
  })();
  void running.then(() => {
    running = undefined;
  });

  const schedule = (area: 'backend' | 'infrastructure', file: string) => {
    if (IGNORED.test(file) || stopped) return;
    if (area === 'backend') backendChanged = true;
    else infrastructureChanged = true;
    last = relative(projectRoot, join(area === 'backend' ? paths.backend : paths.infrastructure, file));
    clearTimeout(timer);
    timer = setTimeout(() => void cycle(), options.debounceMs ?? 200);
  };

  const cycle = async (): Promise<void> => {
    while (running) await running;
    if (stopped || (!backendChanged && !infrastructureChanged)) return;
    const rebuild = backendChanged;
    const resynth = infrastructureChanged;
    backendChanged = false;
    infrastructureChanged = false;
    running = (async () => {
      const started = performance.now();
      try {
        if (rebuild) {
          log.info(`${last} changed: cargo lambda build --profile ${WATCH_PROFILE}`);
          await build();
          const swapped = await swapChanged();
          log.info(
            swapped.length > 0
              ? `${swapped.join(', ')}: new code serves from the next invocation (${((performance.now() - started) / 1000).toFixed(1)} s)`
              : 'no function binary changed',
          );
        }
        if (resynth) {
          log.info(`${last} changed: re-synthesizing`);
          await synthesize(platform, 'quiet');
          await cloud.reload();
          log.info(
            `resources and routes reconciled (${((performance.now() - started) / 1000).toFixed(1)} s)`,
          );
        }
      } catch (error) {
        log.info(`${(error as Error).message}\nthe previous version keeps serving`);
      }
    })();
    await running;
    running = undefined;
    if (backendChanged || infrastructureChanged) await cycle();
  };

  // chokidar, not fs.watch: Node's recursive fs.watch on Linux misses a file replaced by unlink and
  // create (what `git checkout` does).
  const watcher = watch([paths.backend, paths.infrastructure], {
    ignoreInitial: true,
    ignored: (path) => IGNORED.test(relative(projectRoot, path)),
  });
  watcher.on('all', (_event, path) => {
    const area = path.startsWith(paths.backend) ? 'backend' : 'infrastructure';
    schedule(area, relative(area === 'backend' ? paths.backend : paths.infrastructure, path));
  });
  return () => {
    stopped = true;
    clearTimeout(timer);
    void watcher.close();
  };
}

/** A Lambda zip of one binary named `bootstrap` (stored, not deflated: it is read once, locally). */
function zipBinary(binary: string, zip: string): Promise<void> {
  mkdirSync(dirname(zip), { recursive: true });
  const archive = new yazl.ZipFile();
  archive.addFile(binary, 'bootstrap', { mode: 0o100755, compress: false, mtime: new Date(0) });
  return new Promise((resolve, reject) => {
    archive.outputStream.pipe(createWriteStream(zip)).on('close', resolve).on('error', reject);
    archive.end();
  });
}
