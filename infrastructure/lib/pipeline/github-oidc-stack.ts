import {
  CfnOutput,
  DefaultStackSynthesizer,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import {
  BOOTSTRAP_ROLE_KINDS,
  GITHUB_OIDC_HOST,
  STS_AUDIENCE,
  subjects,
  validate,
} from './private/github.ts';

export interface GitHubOidcStackProps extends StackProps {
  /** The GitHub repository allowed to deploy, as `<owner>/<name>` with GitHub's spelling (IAM compares it case-sensitively). */
  readonly repository: string;
  /**
   * Branch whose workflow runs deploy (the dev job of `.github/workflows/deploy.yml` runs without an environment).
   * @default 'main'
   */
  readonly branch?: string;
  /**
   * Whether runs on `branch` outside any environment may assume the role. Set false in a
   * production-only account: then only jobs of `environment`, behind its required reviewers,
   * can deploy there, and a workflow edited on the branch cannot skip the approval.
   * @default true — one account for dev and prod, where the approval is a workflow step, not an IAM boundary
   */
  readonly trustBranch?: boolean;
  /**
   * GitHub environment whose jobs deploy (the prod job, gated by its required reviewers).
   * @default 'prod'
   */
  readonly environment?: string;
  /**
   * Qualifier of the `cdk bootstrap` stack whose roles the deploy role may assume.
   * @default 'hnb659fds' — the qualifier `cdk bootstrap` uses unless told otherwise
   */
  readonly cdkQualifier?: string;
  /**
   * ARN of the account's existing GitHub OIDC provider. An account holds one provider per URL,
   * so a second stack (another repository, another region) must reuse the first one's.
   * @default - this stack creates the provider (kept when the stack is deleted)
   */
  readonly existingProviderArn?: string;
  /**
   * Regions whose bootstrap roles the deploy role may assume.
   * @default - the stack's own region
   */
  readonly regions?: readonly string[];
}

/**
 * What GitHub Actions needs to deploy with OIDC and no stored keys: the
 * `token.actions.githubusercontent.com` identity provider (audience `sts.amazonaws.com`)
 * and a deploy role that only workflow runs of one repository's branch or environment
 * can assume, and that may do nothing but assume the CDK bootstrap roles
 * (deploy, file-publishing, image-publishing, lookup). Deploy it once, by hand;
 * see docs/deploy.md.
 */
export class GitHubOidcStack extends Stack {
  /** The role for `role-to-assume` (its ARN is the output `DeployRoleArn`). */
  readonly deployRole: iam.Role;
  /** The GitHub identity provider, created here or imported. */
  readonly provider: iam.IOidcProvider;
  /** The `sub` claims the role trusts. */
  readonly subjects: readonly string[];

  constructor(scope: Construct, id: string, props: GitHubOidcStackProps) {
    super(scope, id, props);
    const trust = {
      repository: props.repository,
      branch: props.trustBranch === false ? undefined : (props.branch ?? 'main'),
      environment: props.environment ?? 'prod',
      qualifier: props.cdkQualifier ?? DefaultStackSynthesizer.DEFAULT_QUALIFIER,
    };
    validate(id, trust, props.existingProviderArn);
    if (props.trustBranch === false && props.branch !== undefined) {
      throw new Error(
        `GitHubOidcStack ${id}: branch has no effect when trustBranch is false; remove one of them`,
      );
    }
    if (props.regions?.length === 0) {
      throw new Error(`GitHubOidcStack ${id}: regions must name at least one region, or be left out`);
    }

    this.provider = props.existingProviderArn
      ? iam.OidcProviderNative.fromOidcProviderArn(this, 'GitHubProvider', props.existingProviderArn)
      : new iam.OidcProviderNative(this, 'GitHubProvider', {
          url: `https://${GITHUB_OIDC_HOST}`,
          clientIds: [STS_AUDIENCE],
          // Other roles in the account may trust the same provider: never delete it with this stack.
          removalPolicy: RemovalPolicy.RETAIN,
        });

    this.subjects = subjects(trust);
    this.deployRole = new iam.Role(this, 'DeployRole', {
      description: `GitHub Actions deploys of ${trust.repository}: ${this.subjects.join(', ')}`,
      maxSessionDuration: Duration.hours(1),
      assumedBy: new iam.WebIdentityPrincipal(this.provider.oidcProviderArn, {
        StringEquals: {
          [`${GITHUB_OIDC_HOST}:aud`]: STS_AUDIENCE,
          [`${GITHUB_OIDC_HOST}:sub`]: [...this.subjects],
        },
      }),
      inlinePolicies: {
        AssumeCdkBootstrapRoles: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              actions: ['sts:AssumeRole'],
              resources: (props.regions ?? [this.region]).flatMap((region) =>
                BOOTSTRAP_ROLE_KINDS.map((kind) =>
                  this.formatArn({
                    service: 'iam',
                    region: '',
                    resource: 'role',
                    resourceName: `cdk-${trust.qualifier}-${kind}-${this.account}-${region}`,
                  }),
                ),
              ),
            }),
          ],
        }),
      },
    });

    new CfnOutput(this, 'DeployRoleArn', {
      value: this.deployRole.roleArn,
      description: 'Set as the GitHub variable AWS_DEPLOY_ROLE_ARN',
    });
    new CfnOutput(this, 'GitHubProviderArn', {
      value: this.provider.oidcProviderArn,
      description: 'Pass as existingProviderArn to any other GitHubOidcStack in this account',
    });
  }
}
