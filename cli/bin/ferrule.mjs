#!/usr/bin/env node
// Launcher: the bundle that set-up compiled (cli/dist, see compiled.mjs) while it matches the
// sources, else the TypeScript sources through tsx, so a fresh or edited checkout needs no
// compile step before `npx ferrule` works. FERRULE_CLI_FROM_SOURCE=1 always runs the sources.
import { compiledEntry } from './compiled.mjs';

// The AWS SDK warns whenever it loads that its Node 20 support ends in 2027; the local cloud's
// docs say so once (docs/local-cloud.md). Its own switch turns the warning off.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// `ferrule events | head` closes the pipe early; that is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
const compiled = process.env.FERRULE_CLI_FROM_SOURCE ? undefined : compiledEntry();
let main;
if (compiled) {
  ({ main } = await import(compiled));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/main.ts'));
}
process.exitCode = await main(process.argv);
