// The moto test bed lives in the CLI package (`ferrule bench` starts one too); this path
// stays for the test runner and its tests.
export { freePort, type MotoServer, resetMoto, startMoto } from '@ferrule/cli';
