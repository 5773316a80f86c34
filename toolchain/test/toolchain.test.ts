import { createWriteStream, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import yazl from 'yazl';
import {
  ArtifactError,
  exceedsZipLimits,
  inspectArtifact,
  parsePlatform,
  platformName,
  readZipSizes,
  ToolError,
  UNZIPPED_LIMIT_BYTES,
  ZIP_LIMIT_BYTES,
} from '../src/index.ts';

describe('the platform model', () => {
  it('parses the flags and the dist/lambda folder name into the same platform', () => {
    expect(parsePlatform({ arch: 'arm64', runtime: 'al2' })).toEqual({
      runtime: 'al2',
      architecture: 'arm64',
    });
    expect(parsePlatform('al2-arm64')).toEqual(parsePlatform({ arch: 'arm64', runtime: 'al2' }));
    expect(parsePlatform({})).toEqual({ runtime: 'al2023', architecture: 'x86_64' });
    expect(platformName(parsePlatform('al2023-x86_64'))).toBe('al2023-x86_64');
  });

  it('refuses anything else with a usage error naming the accepted form', () => {
    expect(() => parsePlatform('al2023-aarch64')).toThrow(
      /<al2023\|al2>-<x86_64\|arm64>.*not "al2023-aarch64"/,
    );
    expect(() => parsePlatform({ arch: 'aarch64' })).toThrow(/--arch must be x86_64 or arm64/);
    expect(() => parsePlatform({ runtime: 'al1' })).toThrow(ToolError);
    try {
      parsePlatform('x');
    } catch (error) {
      expect((error as ToolError).exitCode).toBe(2);
    }
  });
});

describe('artifact limits and zip reading', () => {
  it('needs an image only above either of Lambda zip limits', () => {
    expect(exceedsZipLimits({ zippedBytes: ZIP_LIMIT_BYTES, unzippedBytes: UNZIPPED_LIMIT_BYTES })).toBe(
      false,
    );
    expect(exceedsZipLimits({ zippedBytes: ZIP_LIMIT_BYTES + 1, unzippedBytes: 1 })).toBe(true);
    expect(exceedsZipLimits({ zippedBytes: 1, unzippedBytes: UNZIPPED_LIMIT_BYTES + 1 })).toBe(true);
  });

  it('reads the sizes of a zip from its directory, and says what is wrong with a bad one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferrule-toolchain-'));
    const zipPath = join(dir, 'bootstrap.zip');
    const zip = new yazl.ZipFile();
    zip.addBuffer(Buffer.alloc(10_000, 1), 'bootstrap', { mode: 0o100755 });
    zip.addBuffer(Buffer.from('x'), 'data/x.txt');
    await new Promise<void>((resolve) => {
      zip.outputStream.pipe(createWriteStream(zipPath)).on('close', () => resolve());
      zip.end();
    });
    const sizes = await inspectArtifact(zipPath);
    expect(sizes.unzippedBytes).toBe(10_001);
    expect(sizes).toEqual(readZipSizes(zipPath));
    await expect(inspectArtifact(join(dir, 'missing.zip'))).rejects.toMatchObject({
      code: 'ArtifactNotFound',
    });
    writeFileSync(join(dir, 'text.zip'), 'not a zip');
    await expect(inspectArtifact(join(dir, 'text.zip'))).rejects.toBeInstanceOf(ArtifactError);
    await expect(inspectArtifact(join(dir, 'text.zip'))).rejects.toThrow(/not a readable zip/);
  });
});
