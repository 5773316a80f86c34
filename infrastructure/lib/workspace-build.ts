import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { type ArtifactSizes, readZipSizes } from '@ferrule/toolchain/zip';
import type { IConstruct } from 'constructs';
import { defaultArtifactsDir, type Platform, platformName, projectRoot } from './platform.ts';
import { cargoLambdaBuilder } from './private/default-builder.ts';

export type { ArtifactSizes } from '@ferrule/toolchain/zip';

/** What one workspace build is asked to produce. */
export interface BuildRequest {
  readonly platform: Platform;
  /** `al2023-x86_64`-style name, the folder under the artifacts directory. */
  readonly platformName: string;
  /** Where the zips must land: `<artifactsDir>/<platformName>/<crate>/bootstrap.zip`. */
  readonly lambdaDir: string;
}

/** Builds every function of the workspace for one platform (synchronously: constructs are). */
export type WorkspaceBuilder = (request: BuildRequest) => void;

/** Reads the zipped and unzipped sizes of an artifact. */
export type ArtifactInspector = (zipPath: string) => ArtifactSizes;

export interface WorkspaceBuildOptions {
  /**
   * Folder holding `<platform>/<crate>/bootstrap.zip`. Relative paths are resolved from the project root.
   * @default context `ferrule:artifacts`, else dist/lambda at the project root (where `ferrule build` writes)
   */
  readonly artifactsDir?: string;
  /**
   * Whether a missing artifact may be built during synth (one build per platform for the whole app).
   * @default context `ferrule:build` (`true`/`false`), else false: synth uses prebuilt artifacts only
   */
  readonly build?: boolean;
  /**
   * The build itself; tests inject a fake.
   * @default one `cargo lambda build --release` of every function through `@ferrule/toolchain`'s `buildFunctions`
   */
  readonly builder?: WorkspaceBuilder;
  /**
   * How artifact sizes are read; tests inject oversized ones.
   * @default the zip's central directory, read synchronously
   */
  readonly inspector?: ArtifactInspector;
}

export interface ResolvedArtifact {
  readonly zipPath: string;
  /** True when this synth's build produced the folder the artifact came from. */
  readonly builtNow: boolean;
}

const instances = new WeakMap<IConstruct, WorkspaceBuild>();

/**
 * The app's artifacts: one per App (`WorkspaceBuild.of(scope)`), shared by every
 * `RustFunction`. The first function whose artifact is missing triggers ONE workspace
 * build for its platform when building is allowed; every other function of that
 * platform then finds its zip already there. cargo-lambda-cdk builds once per function.
 */
export class WorkspaceBuild {
  /** The app's instance, created on first use from context. */
  static of(scope: IConstruct): WorkspaceBuild {
    const root = scope.node.root;
    let found = instances.get(root);
    if (!found) {
      found = new WorkspaceBuild(root, {});
      instances.set(root, found);
    }
    return found;
  }

  /** Sets the app's options; call it before the first `RustFunction` of the app. */
  static configure(scope: IConstruct, options: WorkspaceBuildOptions): WorkspaceBuild {
    const root = scope.node.root;
    if (instances.get(root)?.used) {
      throw new Error(
        'WorkspaceBuild.configure: a RustFunction of this app already resolved its artifact; configure the build before creating functions',
      );
    }
    const build = new WorkspaceBuild(root, options);
    instances.set(root, build);
    return build;
  }

  readonly artifactsDir: string;
  readonly buildAllowed: boolean;
  /** Every build this app ran, in order. */
  readonly requests: BuildRequest[] = [];
  private readonly builder: WorkspaceBuilder;
  private readonly inspector: ArtifactInspector;
  private readonly builtDirs = new Set<string>();
  private used = false;

  private constructor(root: IConstruct, options: WorkspaceBuildOptions) {
    const contextDir = root.node.tryGetContext('ferrule:artifacts') as unknown;
    if (contextDir !== undefined && typeof contextDir !== 'string') {
      throw new Error('context ferrule:artifacts must be a folder path, for example dist/lambda');
    }
    this.artifactsDir = resolveDir(options.artifactsDir ?? contextDir) ?? defaultArtifactsDir();
    this.buildAllowed = options.build ?? parseBuildContext(root.node.tryGetContext('ferrule:build'));
    this.builder = options.builder ?? cargoLambdaBuilder;
    this.inspector = options.inspector ?? readZipSizes;
  }

  /** How many workspace builds ran in this app (at most one per platform and artifacts folder). */
  get buildCount(): number {
    return this.requests.length;
  }

  /**
   * The zip of `crate` for `platform`, building the workspace first when it is missing
   * and building is allowed (for this app, or for this function through `build`).
   */
  artifact(
    crate: string,
    platform: Platform,
    overrides: { readonly artifactsDir?: string; readonly build?: boolean } = {},
  ): ResolvedArtifact {
    this.used = true;
    const lambdaDir = join(resolveDir(overrides.artifactsDir) ?? this.artifactsDir, platformName(platform));
    const zipPath = join(lambdaDir, crate, 'bootstrap.zip');
    if (existsSync(zipPath)) return { zipPath, builtNow: this.builtDirs.has(lambdaDir) };

    const allowed = overrides.build ?? this.buildAllowed;
    if (!allowed) {
      throw new Error(
        `no artifact for crate "${crate}" at ${zipPath}; run \`npx ferrule build --runtime ${platform.runtime} --arch ${platform.architecture}\` first, or synthesize with --context ferrule:build=true`,
      );
    }
    if (this.builtDirs.has(lambdaDir)) {
      throw new Error(
        `no artifact for crate "${crate}" at ${zipPath} even after this synth's workspace build; is "${crate}" a crate under backend/functions/?`,
      );
    }
    const request: BuildRequest = { platform, platformName: platformName(platform), lambdaDir };
    this.requests.push(request);
    this.builtDirs.add(lambdaDir);
    this.builder(request);
    if (!existsSync(zipPath)) {
      throw new Error(
        `the workspace build for ${request.platformName} produced no artifact for crate "${crate}" at ${zipPath}; is "${crate}" a crate under backend/functions/?`,
      );
    }
    return { zipPath, builtNow: true };
  }

  /** Sizes of an artifact, or why they could not be read. */
  inspect(zipPath: string): { sizes?: ArtifactSizes; problem?: string } {
    try {
      return { sizes: this.inspector(zipPath) };
    } catch (error) {
      return { problem: (error as Error).message };
    }
  }
}

function resolveDir(dir: string | undefined): string | undefined {
  if (dir === undefined) return undefined;
  return isAbsolute(dir) ? dir : resolve(projectRoot, dir);
}

function parseBuildContext(value: unknown): boolean {
  if (value === undefined || value === false || value === 'false') return false;
  if (value === true || value === 'true') return true;
  throw new Error(`context ferrule:build must be true or false, not "${String(value)}"`);
}
