// Entry point of the child process the default workspace builder starts: CDK constructs
// run synchronously, the CLI's build is async, so the synth blocks on this process.
// Usage: node --import tsx build-child.ts <al2023|al2> <x86_64|arm64>
import { buildFunctions } from '@ferrule/toolchain/build';

const [runtime, architecture] = process.argv.slice(2);
if ((runtime !== 'al2023' && runtime !== 'al2') || (architecture !== 'x86_64' && architecture !== 'arm64')) {
  process.stderr.write(`build-child: expected <al2023|al2> <x86_64|arm64>, got ${runtime} ${architecture}\n`);
  process.exit(2);
}
try {
  // No function list: one `cargo lambda build --release` of the whole workspace.
  await buildFunctions({ platform: { runtime, architecture }, progress: 'inherit' });
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}
