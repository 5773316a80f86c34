import { createWriteStream } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yazl from 'yazl';

const runtimeScript = fileURLToPath(new URL('./fixtures/runtime.mjs', import.meta.url));

/** Writes a zip whose `bootstrap` starts the test runtime with this Node.js. */
export async function testArtifact(options: { executable?: boolean } = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ferrule-emulator-test-'));
  const zipPath = join(dir, 'bootstrap.zip');
  const zip = new yazl.ZipFile();
  const script = `#!/bin/sh\nexec "${process.execPath}" "${runtimeScript}"\n`;
  zip.addBuffer(Buffer.from(script), 'bootstrap', {
    mode: options.executable === false ? 0o100644 : 0o100755,
  });
  zip.addBuffer(Buffer.from('{"hello":"world"}\n'), 'config/settings.json', { mode: 0o100644 });
  await new Promise<void>((resolve, reject) => {
    zip.outputStream.pipe(createWriteStream(zipPath)).on('close', resolve).on('error', reject);
    zip.end();
  });
  return zipPath;
}

/** A zip without a bootstrap. */
export async function artifactWithoutBootstrap(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ferrule-emulator-test-'));
  const zipPath = join(dir, 'bootstrap.zip');
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from('fn main() {}'), 'main.rs');
  await new Promise<void>((resolve, reject) => {
    zip.outputStream.pipe(createWriteStream(zipPath)).on('close', resolve).on('error', reject);
    zip.end();
  });
  return zipPath;
}
