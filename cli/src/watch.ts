// Watch mode. `ferrule start --watch`: a change under backend/ rebuilds the functions and the local
// cloud swaps only those whose binary changed; a change under infrastructure/ re-synthesizes and
// reconciles the resources (tables keep their data). A failed build or synth is shown and the
// running version keeps serving. `ferrule invoke --watch` (invoke-watch.ts) uses the same build,
// binary tracking and file watching.
//
// The build: the `local` Cargo profile (backend/Cargo.toml), release's behaviour (no overflow
// checks, unwinding) without the fat LTO and single codegen unit that make a release relink take
// half a minute on 2 cores. On Linux it is a plain `cargo build` for this machine: the emulator runs
// the binary here, so the zig link against the runtime's glibc that deployed artifacts need buys
// nothing: rustc's default linker (lld) relinks without the zig wrapper, which cost about a second
// of every edit on 2 cores. On other systems it stays `cargo lambda build`. Deployed artifacts stay
// release (`ferrule build`).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { LocalCloud, LogSink } from '@ferrule/local-cloud';
import { platformTargetDir, runCargo } from '@ferrule/toolchain/build';
import {
  type Architecture,
  listFunctions,
  type Platform,
  paths,
  platformName,
  projectRoot,
  rustTarget,
  toolEnvironment,
} from '@ferrule/toolchain/project';
import { synthesize } from '@ferrule/toolchain/synth';
import { watch } from 'chokidar';
import yazl from 'yazl';
import { CliError } from './errors.ts';

/** The Cargo profile watch builds use (backend/Cargo.toml). */
export const WATCH_PROFILE = 'local';

/** Quiet time after the last change before a rebuild starts: editors write a file in a few events. */
export const DEFAULT_DEBOUNCE_MS = 100;

/**
 * Paths whose changes never matter: build output, dependencies, the assembly, and the files editors
 * and tools write beside the one they save (backups, swap and lock files, vim's `4913` probe,
 * JetBrains' `___jb_tmp___`, `sed -i`'s temporary copy), which would each start a build of their own.
 */
const IGNORED =
  /(^|\/)(target|cdk\.out|node_modules|\.git)(\/|$)|~$|\.(swp|swx|tmp)$|(^|\/)(4913|\.#[^/]*|#[^/]*#|sed[A-Za-z0-9]{6})$|___jb_(tmp|old)___$/;

/** The machine the CLI runs on: decides whether a watch build can skip the cross-link. */
export interface Host {
  readonly os: NodeJS.Platform;
  readonly architecture: Architecture;
}

export const thisHost: Host = {
  os: process.platform,
  architecture: process.arch === 'arm64' ? 'arm64' : 'x86_64',
};

/** Builds the functions for running on this machine. */
export interface WatchBuild {
  /** The build as shown in the output: the command, its profile and what it targets. */
  readonly command: string;
  /** Builds; rejects only when the build cannot run at all. */
  run(): Promise<WatchBuildResult>;
}

export interface WatchBuildResult {
  /** The binary of each function crate that built (every one when nothing failed). */
  readonly binaries: ReadonlyMap<string, string>;
  /** The end of cargo's output when a crate failed to compile. */
  readonly failure?: string;
}

/**
 * The cargo arguments of a watch build of `crates`: for this machine (`host`) when it is a Linux
 * machine of the platform's architecture, else `cargo lambda build` for the platform.
 */
export function watchBuildArgs(
  platform: Platform,
  crates: readonly string[],
  host: Host = thisHost,
): { readonly kind: 'host' | 'lambda'; readonly args: string[] } {
  // Every function in one build, whichever changed: features unify the same way each time, so
  // `start --watch` and `invoke --watch` share one set of compiled dependencies.
  const packages = crates.flatMap((crate) => ['--package', crate]);
  if (host.os === 'linux' && host.architecture === platform.architecture) {
    return {
      kind: 'host',
      // --keep-going: a function that does not compile leaves the others to build and be served.
      args: [
        'build',
        '--profile',
        WATCH_PROFILE,
        '--keep-going',
        '--message-format',
        'json-render-diagnostics',
        ...packages,
      ],
    };
  }
  return {
    kind: 'lambda',
    args: [
      'lambda',
      'build',
      '--profile',
      WATCH_PROFILE,
      '--target',
      rustTarget(platform),
      '--lambda-dir',
      lambdaLocalDir(platform),
      ...packages,
    ],
  };
}

/** The watch build of `crates` (function crate names) for `platform`. */
export function watchBuild(platform: Platform, crates: readonly string[], host: Host = thisHost): WatchBuild {
  const { kind, args } = watchBuildArgs(platform, crates, host);
  if (kind === 'host') {
    return {
      command: `cargo build --profile ${WATCH_PROFILE} (for this machine, no zig)`,
      run: () => cargoBuildBinaries(args, new Set(crates)),
    };
  }
  const output = lambdaLocalDir(platform);
  return {
    command: `cargo lambda build --profile ${WATCH_PROFILE} --target ${rustTarget(platform)}`,
    run: async () => {
      try {
        await runCargo(args, 'quiet', platformTargetDir(platform));
      } catch (error) {
        // cargo lambda copies the binaries only after a successful build: none of them is new.
        return { binaries: new Map(), failure: (error as Error).message };
      }
      const built = crates.map((crate) => [crate, join(output, crate, 'bootstrap')] as const);
      return { binaries: new Map(built.filter(([, binary]) => existsSync(binary))) };
    },
  };
}

/**
 * Where watch builds for this machine go: their own Cargo target folder, so `cargo test` or a
 * release build in another folder never waits on the lock of this one (or the other way round).
 */
export function hostTargetDir(): string {
  return join(toolEnvironment().CARGO_TARGET_DIR ?? join(paths.backend, 'target'), 'host');
}

/** Where watch builds put each function's binary and zip: dist/lambda-local/<platform>/<crate>/. */
export function lambdaLocalDir(platform: Platform): string {
  return join(paths.dist, '..', `lambda-${WATCH_PROFILE}`, platformName(platform));
}

/**
 * `cargo build`, reading where each binary of `crates` was written from cargo's JSON messages
 * (the ones it built and the ones already up to date).
 */
function cargoBuildBinaries(args: readonly string[], crates: ReadonlySet<string>): Promise<WatchBuildResult> {
  return new Promise((resolve, reject) => {
    const binaries = new Map<string, string>();
    let errors = '';
    let partial = '';
    const child = spawn('cargo', [...args], {
      cwd: paths.backend,
      env: toolEnvironment({ CARGO_TARGET_DIR: hostTargetDir() }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const message = parseCargoMessage(line);
        if (
          message &&
          message.reason === 'compiler-artifact' &&
          message.executable &&
          message.target?.kind.includes('bin') &&
          crates.has(message.target.name)
        ) {
          binaries.set(message.target.name, message.executable);
        }
      }
    });
    // Rendered diagnostics and progress: only the end is kept, for the error.
    child.stderr.on('data', (chunk: Buffer) => {
      errors = (errors + chunk.toString()).slice(-8000);
    });
    child.on('error', (error) => reject(new CliError(`could not run cargo: ${error.message}`, 1)));
    // 'close', not 'exit': every line of stdout has been read by then.
    child.on('close', (code) => {
      if (code === 0) return resolve({ binaries });
      resolve({
        binaries,
        failure: `cargo build failed (exit ${code})${errors ? `:\n${errors.trim()}` : ''}`,
      });
    });
  });
}

/** One line of cargo's JSON output; undefined for anything else. */
function parseCargoMessage(line: string): CargoMessage | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as CargoMessage;
  } catch {
    return undefined;
  }
}

interface CargoMessage {
  readonly reason: string;
  readonly target?: { readonly name: string; readonly kind: readonly string[] };
  readonly executable?: string | null;
}

/** The binary each function last served, to tell which ones a build changed. */
export class ServedBinaries {
  private readonly served = new Map<string, { mtimeMs: number; size: number; hash: string }>();

  /** Records `binaries` as served; returns the crates whose binary differs from the one served before. */
  update(binaries: ReadonlyMap<string, string>): string[] {
    const changed: string[] = [];
    for (const [crate, binary] of binaries) {
      const { mtimeMs, size } = statSync(binary);
      const last = this.served.get(crate);
      // Cargo leaves a binary it did not relink as it was: same time and size, same file, no hashing.
      if (last && last.mtimeMs === mtimeMs && last.size === size) continue;
      const hash = createHash('sha256').update(readFileSync(binary)).digest('hex');
      this.served.set(crate, { mtimeMs, size, hash });
      if (last?.hash !== hash) changed.push(crate);
    }
    return changed;
  }
}

/**
 * Runs `work` once changes have been quiet for `debounceMs`, never two runs at once; a change
 * during a run queues one more. `work` reports its own failures; one it lets through goes to
 * stderr, and the queue keeps running.
 */
export class ChangeQueue {
  private timer: NodeJS.Timeout | undefined;
  private tail: Promise<void> = Promise.resolve();
  private pending = false;
  private stopped = false;

  constructor(
    private readonly work: () => Promise<void>,
    private readonly debounceMs: number = DEFAULT_DEBOUNCE_MS,
  ) {}

  /** Something changed: the work runs after the quiet time, after any run under way. */
  changed(): void {
    if (this.stopped) return;
    this.pending = true;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), this.debounceMs);
  }

  /** Runs the work now, after any run under way. */
  now(): Promise<void> {
    this.pending = true;
    return this.flush();
  }

  /** No more runs; resolves when the one under way has ended. */
  stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    return this.tail;
  }

  private flush(): Promise<void> {
    this.tail = this.tail.then(async () => {
      if (!this.pending || this.stopped) return;
      this.pending = false;
      try {
        await this.work();
      } catch (error) {
        process.stderr.write(`watch: ${(error as Error).stack ?? String(error)}\n`);
      }
    });
    return this.tail;
  }
}

/** Whether a change of `path` (relative to the folder watched) is left out. */
export function ignoredChange(path: string): boolean {
  return IGNORED.test(path);
}

/** Watches `folders`; `ready` resolves once the watcher has scanned them. */
export interface SourceWatcher {
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/** Calls `onChange` with each changed path under `folders`, except build output and editor files. */
export function watchSources(folders: readonly string[], onChange: (path: string) => void): SourceWatcher {
  const inside = (path: string) => folders.find((folder) => path === folder || path.startsWith(folder + sep));
  const ignored = (path: string) => {
    const folder = inside(path);
    return folder !== undefined && ignoredChange(relative(folder, path));
  };
  // chokidar, not fs.watch: Node's recursive fs.watch on Linux misses a file replaced by unlink and
  // create (what `git checkout` does).
  const watcher = watch([...folders], { ignoreInitial: true, ignored });
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  watcher.on('all', (_event, path) => {
    if (!ignored(path)) onChange(path);
  });
  return { ready, close: () => watcher.close() };
}

/** A Lambda zip of one binary named `bootstrap` (stored, not deflated: it is read once, locally). */
export async function zipBinary(binary: string, zip: string): Promise<void> {
  mkdirSync(dirname(zip), { recursive: true });
  // Written beside, then renamed: an environment starting meanwhile reads the old zip or the new one.
  const partial = `${zip}.${process.pid}.partial`;
  const archive = new yazl.ZipFile();
  archive.addFile(binary, 'bootstrap', { mode: 0o100755, compress: false, mtime: new Date(0) });
  try {
    await new Promise<void>((resolve, reject) => {
      archive.outputStream.pipe(createWriteStream(partial)).on('close', resolve).on('error', reject);
      archive.end();
    });
    renameSync(partial, zip);
  } finally {
    rmSync(partial, { force: true });
  }
}

export interface WatchOptions {
  readonly cloud: Pick<LocalCloud, 'useArtifact' | 'reload'>;
  readonly platform: Platform;
  readonly log: Pick<LogSink, 'info'>;
  /** Quiet time after the last change before the rebuild starts. @default DEFAULT_DEBOUNCE_MS */
  readonly debounceMs?: number;
  /**
   * Whether the served artifacts were built from the sources as they are (`start` built them).
   * When not (`--no-build`), every function moves to its watch build once that is ready.
   * @default true
   */
  readonly artifactsCurrent?: boolean;
  /** The build. @default watchBuild of every function crate, read again when a Cargo.toml changes */
  readonly build?: WatchBuild;
  /** The folders watched. @default backend/ and infrastructure/ */
  readonly sources?: { readonly backend: string; readonly infrastructure: string };
}

/** What startWatch returns: call it to stop watching. */
export type StopWatch = (() => Promise<void>) & {
  /** Resolves once the folders are watched: a change from then on gets its rebuild. */
  readonly watching: Promise<void>;
};

/** Starts watching; returns the function that stops it. */
export function startWatch(options: WatchOptions): StopWatch {
  const { platform, log, cloud } = options;
  const sources = options.sources ?? { backend: paths.backend, infrastructure: paths.infrastructure };
  const served = new ServedBinaries();
  let build = options.build;
  let backendChanged = false;
  let infrastructureChanged = false;
  let firstBuildDone = false;
  let last = '';
  let lastChangeAt = 0;

  const currentBuild = async (): Promise<WatchBuild> => {
    build ??= watchBuild(
      platform,
      (await listFunctions()).map((fn) => fn.name),
    );
    return build;
  };
  const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

  /** Zips each changed binary and hands it to the cloud; the labels of the functions swapped. */
  const swap = async (binaries: ReadonlyMap<string, string>, crates: readonly string[]) => {
    const swapped: string[] = [];
    for (const crate of crates) {
      const binary = binaries.get(crate);
      if (!binary) continue;
      const zip = join(lambdaLocalDir(platform), crate, 'bootstrap.zip');
      await zipBinary(binary, zip);
      swapped.push(...(await cloud.useArtifact(crate, zip)));
    }
    return swapped;
  };

  // The first watch build compiles the dependencies in the `local` profile: done in the
  // background while the release artifacts serve, so the first edit only rebuilds its crate.
  const firstBuild = async () => {
    const started = performance.now();
    try {
      const current = await currentBuild();
      log.info(`preparing watch builds in the background: ${current.command}`);
      const { binaries, failure } = await current.run();
      const changed = served.update(binaries);
      if (failure) {
        log.info(`${failure}\nthe functions that did not build keep serving their release artifacts`);
      }
      if (options.artifactsCurrent === false || backendChanged) {
        // What serves may differ from the sources (--no-build, or an edit during this build; the
        // edit still gets its own rebuild next, in case this build started before it).
        const swapped = await swap(binaries, changed);
        log.info(`watch builds ready in ${seconds(started)}; serving them: ${swapped.join(', ')}`);
      } else {
        log.info(`watch builds ready in ${seconds(started)}`);
      }
    } catch (error) {
      log.info(
        `the first watch build failed; the release artifacts keep serving:\n${(error as Error).message}`,
      );
    }
  };

  const cycle = async () => {
    const rebuild = backendChanged;
    const resynth = infrastructureChanged;
    const changedAt = lastChangeAt;
    backendChanged = false;
    infrastructureChanged = false;
    try {
      if (rebuild) {
        const current = await currentBuild();
        log.info(`${last} changed: ${current.command}`);
        const { binaries, failure } = await current.run();
        const swapped = await swap(binaries, served.update(binaries));
        if (swapped.length > 0) {
          log.info(
            `${swapped.join(', ')}: new code serves from the next invocation (${seconds(changedAt)} after the change)`,
          );
        }
        if (failure) log.info(`${failure}\nthe functions that did not build keep their previous version`);
        else if (swapped.length === 0) log.info('no function binary changed');
      }
      if (resynth) {
        log.info(`${last} changed: re-synthesizing`);
        await synthesize(platform, 'quiet');
        await cloud.reload();
        log.info(`resources and routes reconciled (${seconds(changedAt)} after the change)`);
      }
    } catch (error) {
      log.info(`${(error as Error).message}\nthe previous version keeps serving`);
    }
  };

  const queue = new ChangeQueue(async () => {
    if (firstBuildDone) return cycle();
    firstBuildDone = true;
    await firstBuild();
  }, options.debounceMs ?? DEFAULT_DEBOUNCE_MS);

  const watcher = watchSources([sources.backend, sources.infrastructure], (path) => {
    const backend = path.startsWith(sources.backend + sep);
    if (backend) backendChanged = true;
    else infrastructureChanged = true;
    // A new or renamed function crate: read the function list again before the next build.
    if (backend && path.endsWith('Cargo.toml') && !options.build) build = undefined;
    last = relative(projectRoot, path);
    lastChangeAt = performance.now();
    queue.changed();
  });
  void queue.now();

  const stop = async () => {
    await watcher.close();
    await queue.stop();
  };
  return Object.assign(stop, { watching: watcher.ready });
}
