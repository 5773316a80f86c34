import { createWriteStream } from 'node:fs';
import { chmod, mkdir, mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { ArtifactError } from './errors.ts';
import { UNZIPPED_LIMIT_BYTES } from './limits.ts';
import { type ArtifactSizes, readZipSizes } from './zip.ts';

/** Largest unzipped deployment package Lambda accepts (250 MB). */
export const MAX_UNZIPPED_BYTES = UNZIPPED_LIMIT_BYTES;

export interface ExtractedArtifact {
  /** Folder that plays the role of `/var/task`. */
  readonly taskRoot: string;
  /** Path of the executable Lambda starts. */
  readonly bootstrap: string;
  /** Total size of the unzipped files. */
  readonly unzippedBytes: number;
  /** Size of the zip itself. */
  readonly zippedBytes: number;
}

/**
 * Unzips a function artifact the way Lambda does before the first start: into a
 * fresh folder, keeping each entry's Unix permission bits (a `bootstrap` zipped
 * without the execute bit fails on Lambda too, and fails here the same way).
 */
export async function extractArtifact(zipPath: string, into?: string): Promise<ExtractedArtifact> {
  const zippedBytes = await stat(zipPath).then(
    (s) => s.size,
    () => {
      throw new ArtifactError(`artifact not found: ${zipPath}`, 'ArtifactNotFound');
    },
  );
  const taskRoot = into ?? (await mkdtemp(join(tmpdir(), 'ferrule-task-')));
  const zip = await openZip(zipPath);
  let unzippedBytes = 0;
  let hasBootstrap = false;
  try {
    await new Promise<void>((resolvePromise, reject) => {
      zip.on('error', reject);
      zip.on('end', () => resolvePromise());
      zip.on('entry', (entry: yauzl.Entry) => {
        const target = resolve(taskRoot, entry.fileName);
        if (!target.startsWith(taskRoot + sep)) {
          reject(new ArtifactError(`zip entry escapes the task root: ${entry.fileName}`, 'InvalidArtifact'));
          return;
        }
        if (entry.fileName.endsWith('/')) {
          mkdir(target, { recursive: true }).then(() => zip.readEntry(), reject);
          return;
        }
        unzippedBytes += entry.uncompressedSize;
        if (unzippedBytes > MAX_UNZIPPED_BYTES) {
          reject(
            new ArtifactError(
              `unzipped artifact exceeds Lambda's 250 MB limit (${unzippedBytes} bytes so far); ship it as a container image`,
              'InvalidArtifact',
            ),
          );
          return;
        }
        if (entry.fileName === 'bootstrap') hasBootstrap = true;
        // The upper 16 bits of the external attributes hold the Unix mode when the zip was made on Unix.
        const mode = (entry.externalFileAttributes >>> 16) & 0o777;
        writeEntry(zip, entry, target, mode).then(() => zip.readEntry(), reject);
      });
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
  if (!hasBootstrap) {
    throw new ArtifactError(
      `${zipPath} has no \`bootstrap\` at its root; an OS-only runtime starts that file`,
      'InvalidArtifact',
    );
  }
  return { taskRoot, bootstrap: join(taskRoot, 'bootstrap'), unzippedBytes, zippedBytes };
}

function openZip(zipPath: string): Promise<yauzl.ZipFile> {
  return new Promise((resolvePromise, reject) => {
    yauzl.open(zipPath, { lazyEntries: true, autoClose: false }, (error, zip) => {
      if (error || !zip) {
        reject(new ArtifactError(`${zipPath} is not a readable zip: ${error?.message}`, 'InvalidArtifact'));
      } else {
        resolvePromise(zip);
      }
    });
  });
}

async function writeEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, target: string, mode: number) {
  await mkdir(dirname(target), { recursive: true });
  const stream = await new Promise<NodeJS.ReadableStream>((resolvePromise, reject) => {
    zip.openReadStream(entry, (error, readStream) => (error ? reject(error) : resolvePromise(readStream)));
  });
  await pipeline(stream, createWriteStream(target));
  if (mode !== 0) await chmod(target, mode);
}

/** Zipped and unzipped sizes of an artifact, read from the zip's directory without extracting it. */
export async function inspectArtifact(zipPath: string): Promise<ArtifactSizes> {
  try {
    await stat(zipPath);
  } catch {
    throw new ArtifactError(`artifact not found: ${zipPath}`, 'ArtifactNotFound');
  }
  try {
    return readZipSizes(zipPath);
  } catch (error) {
    throw new ArtifactError(
      `${zipPath} is not a readable zip: ${(error as Error).message}`,
      'InvalidArtifact',
    );
  }
}
