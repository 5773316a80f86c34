import { CfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Skips cfn-lint checks on one resource (cfn-lint's resource-level `Metadata`); the caller says
 * why in a comment. `owner` names the caller in the error for a construct with no resource.
 */
export function ignoreInCfnLint(owner: string, construct: IConstruct, checks: readonly string[]): void {
  const resource = construct instanceof CfnResource ? construct : construct.node.defaultChild;
  if (!(resource instanceof CfnResource)) {
    throw new Error(`${owner}: ${construct.node.path} has no CloudFormation resource to annotate`);
  }
  resource.addMetadata('cfn-lint', { config: { ignore_checks: [...checks] } });
}
