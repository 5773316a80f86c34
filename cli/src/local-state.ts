import { join } from 'node:path';
import { projectRoot } from '@ferrule/toolchain/project';

/** Where a running local cloud says where it is (read by `ferrule trigger` and `ferrule token`). */
export const LOCAL_CLOUD_STATE = join(projectRoot, '.ferrule/local-cloud.json');
/** Secrets and parameter overrides of the local cloud (git-ignored; docs/local-cloud.md). */
export const LOCAL_VALUES = join(projectRoot, '.ferrule/local-values.json');
