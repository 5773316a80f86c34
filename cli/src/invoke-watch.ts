// `ferrule invoke <function> --watch`: builds the function as `start --watch` does (watch.ts: the
// `local` profile, for this machine), invokes it, then rebuilds and invokes again on every change
// under backend/, printing each result. The event is read again each time, so editing its fixture
// is a change too. Where the function runs against (the running local cloud, or a moto of its own
// with the app's resources) and its settings are decided once, as `ferrule invoke` decides them.
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { findFunction, listFunctions, parsePlatform, paths, projectRoot } from '@ferrule/toolchain/project';
import { type InvokeFlags, invokeSettings, openTarget, printReport, run } from './actions/invoke.ts';
import { CliError } from './errors.ts';
import { loadEvent } from './events.ts';
import {
  ChangeQueue,
  DEFAULT_DEBOUNCE_MS,
  lambdaLocalDir,
  ServedBinaries,
  thisHost,
  type WatchBuild,
  watchBuild,
  watchSources,
  zipBinary,
} from './watch.ts';

export interface InvokeLoopOptions {
  /** The function crate to invoke. */
  readonly crate: string;
  readonly build: WatchBuild;
  /** Invokes the zip of a fresh build once and prints the outcome. A rejection is printed too. */
  readonly invoke: (artifact: string) => Promise<void>;
  /** Where the zip of each build goes. */
  readonly zipDir: string;
  /** Progress lines (stderr). */
  readonly log: (line: string) => void;
  /** @default backend/ */
  readonly folders?: readonly string[];
  /** @default DEFAULT_DEBOUNCE_MS */
  readonly debounceMs?: number;
}

export interface InvokeLoop {
  /** Resolves once the folders are watched: a change from then on gets its rebuild. */
  readonly watching: Promise<void>;
  /** Stops watching; resolves when the build or invocation under way has ended. */
  stop(): Promise<void>;
}

/** Builds and invokes now, then again after every change under the folders. */
export function startInvokeLoop(options: InvokeLoopOptions): InvokeLoop {
  const { crate, build, log } = options;
  const served = new ServedBinaries();
  let last: string | undefined;
  let changedAt = performance.now();

  const cycle = async () => {
    const started = changedAt;
    log(`${last ? `${last} changed` : 'first build'}: ${build.command}`);
    try {
      const { binaries, failure } = await build.run();
      const binary = binaries.get(crate);
      // Another function failing to compile does not stop this one; its own failure does.
      if (!binary) throw new CliError(failure ?? `the build made no binary for ${crate}`, 1);
      if (failure) log('other functions did not compile (`ferrule build` shows why); this one did');
      const rebuilt = served.update(new Map([[crate, binary]])).length > 0;
      const zip = join(options.zipDir, crate, 'bootstrap.zip');
      await zipBinary(binary, zip);
      log(
        `${rebuilt ? 'built' : 'binary unchanged'}, invoking ${crate} (${((performance.now() - started) / 1000).toFixed(1)} s after the ${last ? 'change' : 'start'})`,
      );
      await options.invoke(zip);
    } catch (error) {
      log(
        `${(error as Error).message}\nwaiting for the next change under ${describeFolders(options.folders)}`,
      );
    }
  };

  const queue = new ChangeQueue(cycle, options.debounceMs ?? DEFAULT_DEBOUNCE_MS);
  const watcher = watchSources(options.folders ?? [paths.backend], (path) => {
    last = relative(projectRoot, path);
    changedAt = performance.now();
    queue.changed();
  });
  void queue.now();
  return {
    watching: watcher.ready,
    stop: async () => {
      await watcher.close();
      await queue.stop();
    },
  };
}

function describeFolders(folders: readonly string[] | undefined): string {
  return (folders ?? [paths.backend]).map((folder) => `${relative(projectRoot, folder) || '.'}/`).join(', ');
}

/** The command: runs until Ctrl-C or SIGTERM, then exits 0. */
export async function invokeWatch(name: string, flags: InvokeFlags): Promise<number> {
  if (flags.event === '-') {
    throw new CliError(
      '--watch reads the event again after every change: give a fixture or a file, not - (stdin)',
    );
  }
  const platform = parsePlatform(flags);
  if (platform.architecture !== thisHost.architecture) {
    throw new CliError(
      `--watch runs the function on this machine, which runs ${thisHost.architecture} binaries: leave out --arch ${platform.architecture}`,
    );
  }
  const fn = await findFunction(name);
  const settings = invokeSettings(flags);
  // The event is checked first: a typo there is reported before anything starts.
  await loadEvent(flags.event);

  const { target, plan } = await openTarget(fn, {
    ...settings,
    onNote: (note) => process.stderr.write(`==> ${note}\n`),
  });
  try {
    const build = watchBuild(
      platform,
      (await listFunctions()).map((f) => f.name),
    );
    const loop = startInvokeLoop({
      crate: fn.name,
      build,
      zipDir: lambdaLocalDir(platform),
      log: (line) => process.stderr.write(`==> ${line}\n`),
      invoke: async (artifact) => {
        const event = await loadEvent(flags.event);
        const report = await run(
          fn.name,
          artifact,
          plan,
          event.text,
          flags.json ? undefined : (line) => process.stderr.write(`${line}\n`),
        );
        printReport(report, flags.json === true);
      },
    });
    process.stderr.write(`==> watching backend/: each change runs ${build.command}; Ctrl-C stops\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    await loop.stop();
    return 0;
  } finally {
    await target.stop();
  }
}
