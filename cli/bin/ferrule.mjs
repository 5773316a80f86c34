#!/usr/bin/env node
// Thin launcher: the CLI is TypeScript run through tsx, so a fresh clone needs no
// compile step before `npx ferrule` works.
import { register } from 'tsx/esm/api';

register();
// `ferrule events | head` closes the pipe early; that is not an error.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv);
