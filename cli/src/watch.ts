// `ferrule start --watch`: a change under backend/ rebuilds (cargo rebuilds only the crates the
// change reaches) and re-synthesizes, then the local cloud swaps the functions whose artifact
// changed; a change under infrastructure/ re-synthesizes and reconciles the resources (tables
// keep their data). A failed build or synth is shown and the running version keeps serving.
import { type FSWatcher, watch } from 'node:fs';
import { relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { LocalCloud, LogSink } from '@ferrule/local-cloud';
import { buildFunctions } from './build.ts';
import { type Platform, paths, projectRoot } from './project.ts';
import { synthesize } from './synth.ts';

export interface WatchOptions {
  readonly cloud: LocalCloud;
  readonly platform: Platform;
  readonly log: LogSink;
  /** Quiet time after the last change before the rebuild starts. @default 300 */
  readonly debounceMs?: number;
}

/** Paths whose changes never matter: build output, dependencies, the assembly. */
const IGNORED = /(^|\/)(target|cdk\.out|node_modules|\.git)(\/|$)|~$|\.swp$/;

/** Starts watching; returns the function that stops it. */
export function startWatch(options: WatchOptions): () => void {
  let backendChanged = false;
  let infrastructureChanged = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let last = '';

  const schedule = (area: 'backend' | 'infrastructure', file: string) => {
    if (IGNORED.test(file)) return;
    if (area === 'backend') backendChanged = true;
    else infrastructureChanged = true;
    last = relative(projectRoot, `${area === 'backend' ? paths.backend : paths.infrastructure}/${file}`);
    clearTimeout(timer);
    timer = setTimeout(() => void cycle(), options.debounceMs ?? 300);
  };

  const cycle = async (): Promise<void> => {
    if (running) {
      // Changes during a rebuild run once more when it ends.
      await running;
      return cycle();
    }
    if (!backendChanged && !infrastructureChanged) return;
    const rebuild = backendChanged;
    backendChanged = false;
    infrastructureChanged = false;
    running = (async () => {
      const started = performance.now();
      try {
        if (rebuild) {
          options.log.info(
            `${last} changed: cargo lambda build --release (the profile deployed artifacts use)`,
          );
          await buildFunctions({ platform: options.platform, progress: 'quiet' });
        } else {
          options.log.info(`${last} changed: re-synthesizing`);
        }
        await synthesize(options.platform, 'quiet');
        await options.cloud.reload();
        options.log.info(`reloaded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      } catch (error) {
        options.log.info(`${(error as Error).message}\nthe previous version keeps serving`);
      }
    })();
    await running;
    running = undefined;
  };

  const watchers: FSWatcher[] = [
    watch(paths.backend, { recursive: true }, (_event, file) => file && schedule('backend', String(file))),
    watch(
      paths.infrastructure,
      { recursive: true },
      (_event, file) => file && schedule('infrastructure', String(file)),
    ),
  ];
  return () => {
    clearTimeout(timer);
    for (const watcher of watchers) watcher.close();
  };
}
