import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import semver from 'semver';
import { extractArtifact } from './artifact.ts';
import { ToolError } from './errors.ts';

const execFileAsync = promisify(execFile);

/**
 * Compares dotted versions numerically ("2.9" < "2.26", "1.79" = "1.79.0"), through semver's
 * coercion: glibc and tool versions have two or three parts, not always semver's three.
 * A text with no version in it sorts first.
 */
export function compareVersions(a: string, b: string): number {
  const [va, vb] = [semver.coerce(a), semver.coerce(b)];
  if (!va || !vb) return (va ? 1 : 0) - (vb ? 1 : 0);
  return semver.compare(va, vb);
}

/** The highest `GLIBC_x.y` symbol version in `objdump -T` output, or undefined for a static binary. */
export function highestGlibcIn(objdumpOutput: string): string | undefined {
  const versions = [...objdumpOutput.matchAll(/GLIBC_(\d+(?:\.\d+)+)/g)].map((m) => m[1] as string);
  return versions.sort(compareVersions).pop();
}

/**
 * The highest glibc symbol version the artifact's bootstrap needs: the loader refuses
 * to start it on a runtime whose glibc is older. Read with `objdump -T`, falling back
 * to `readelf` (which reads any architecture) when objdump does not know the machine.
 */
export async function highestGlibcVersion(zipPath: string): Promise<string | undefined> {
  const extracted = await extractArtifact(zipPath);
  try {
    let output: string;
    try {
      ({ stdout: output } = await execFileAsync('objdump', ['-T', extracted.bootstrap], {
        maxBuffer: 64 << 20,
      }));
    } catch {
      try {
        ({ stdout: output } = await execFileAsync('readelf', ['--dyn-syms', '-W', extracted.bootstrap], {
          maxBuffer: 64 << 20,
        }));
      } catch (error) {
        throw new ToolError(`objdump/readelf could not read ${zipPath}: ${(error as Error).message}`, 1);
      }
    }
    return highestGlibcIn(output);
  } finally {
    await rm(extracted.taskRoot, { recursive: true, force: true });
  }
}
