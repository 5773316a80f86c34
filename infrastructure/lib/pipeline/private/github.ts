import { Token } from 'aws-cdk-lib';

/** GitHub's OIDC issuer (host) and the audience configure-aws-credentials asks for. */
export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';
export const STS_AUDIENCE = 'sts.amazonaws.com';

/** The roles `cdk bootstrap` creates, as `cdk-<qualifier>-<kind>-<account>-<region>`. */
export const BOOTSTRAP_ROLE_KINDS = [
  'deploy-role',
  'file-publishing-role',
  'image-publishing-role',
  'lookup-role',
];

// GitHub: owner 1-39 alphanumerics or single hyphens; repository 1-100 of [A-Za-z0-9._-].
const REPOSITORY = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}\/[A-Za-z0-9._-]{1,100}$/;
// A plain branch name: no wildcard, no refs/ prefix, none of git's forbidden sequences.
const BRANCH = /^(?!refs\/)(?![/.])(?!.*(?:\.\.|\/\/|@\{|\.lock$|[/.]$))[A-Za-z0-9._/-]{1,255}$/;
const ENVIRONMENT = /^[A-Za-z0-9._-]{1,255}$/;
// The bootstrap template's AllowedPattern for its Qualifier parameter.
const QUALIFIER = /^[A-Za-z0-9_-]{1,10}$/;
const PROVIDER_ARN = /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/;

export interface GitHubTrust {
  readonly repository: string;
  /** Undefined when only the environment is trusted. */
  readonly branch: string | undefined;
  readonly environment: string;
  readonly qualifier: string;
}

/** Throws, naming the prop and the fix, when a value cannot be what GitHub or CDK expects. */
export function validate(id: string, trust: GitHubTrust, providerArn: string | undefined): void {
  const fail = (message: string) => {
    throw new Error(`GitHubOidcStack ${id}: ${message}`);
  };
  if (!REPOSITORY.test(trust.repository) || /\/\.{1,2}$/.test(trust.repository)) {
    fail(
      `repository must be "<owner>/<name>" exactly as on GitHub (for example acme/orders-api), not "${trust.repository}"`,
    );
  }
  if (trust.branch !== undefined && !BRANCH.test(trust.branch)) {
    fail(
      `branch must be a plain branch name without wildcards or refs/heads/ (for example main), not "${trust.branch}"`,
    );
  }
  if (!ENVIRONMENT.test(trust.environment)) {
    fail(
      `environment must be a GitHub environment name of letters, digits, ".", "_" or "-", not "${trust.environment}"`,
    );
  }
  if (!QUALIFIER.test(trust.qualifier)) {
    fail(
      `cdkQualifier must be the bootstrap qualifier: 1-10 of [A-Za-z0-9_-] (default hnb659fds), not "${trust.qualifier}"`,
    );
  }
  if (providerArn !== undefined && !Token.isUnresolved(providerArn) && !PROVIDER_ARN.test(providerArn)) {
    fail(
      `existingProviderArn must be the ARN of the account's GitHub provider (arn:aws:iam::<account>:oidc-provider/${GITHUB_OIDC_HOST}), not "${providerArn}"`,
    );
  }
}

/** The `sub` claims allowed to deploy: pushes to the branch, and jobs in the environment. */
export function subjects(trust: GitHubTrust): string[] {
  const environment = `repo:${trust.repository}:environment:${trust.environment}`;
  return trust.branch === undefined
    ? [environment]
    : [`repo:${trust.repository}:ref:refs/heads/${trust.branch}`, environment];
}
