export { HelloStack, type HelloStackProps } from './hello-stack.ts';
export {
  defaultArtifactsDir,
  type OsRuntime,
  type Platform,
  parsePlatform,
  platformName,
} from './platform.ts';
export { RustFunction, type RustFunctionProps } from './rust-function.ts';
