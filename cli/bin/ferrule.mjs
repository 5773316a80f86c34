#!/usr/bin/env node
// Thin launcher: the CLI is TypeScript run through tsx, so a fresh clone needs no
// compile step before `npx ferrule` works.
import { register } from 'tsx/esm/api';

register();
// The AWS SDK warns whenever it loads that its Node 20 support ends in 2027; the local cloud's
// docs say so once (docs/local-cloud.md). Its own switch turns the warning off.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// `ferrule events | head` closes the pipe early; that is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv);
