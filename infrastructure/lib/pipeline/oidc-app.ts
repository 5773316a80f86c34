// One-time app for the GitHub deploy identity (docs/deploy.md):
//   cd infrastructure && npx cdk deploy --app "node --import tsx lib/pipeline/oidc-app.ts" \
//     --output cdk.out/github-oidc --context ferrule:github-repository=<owner>/<name>
// Kept apart from bin/app.ts on purpose: the pipeline's `cdk deploy --all` must never be
// able to change the role it runs as.
import { App } from 'aws-cdk-lib';
import { GitHubOidcStack } from './github-oidc-stack.ts';

const app = new App();
const context = (key: string): string | undefined => {
  const value = app.node.tryGetContext(key);
  return value === undefined || value === '' ? undefined : String(value);
};
const repository = context('ferrule:github-repository');
if (!repository) {
  throw new Error('set --context ferrule:github-repository=<owner>/<name> (the repository that deploys)');
}

new GitHubOidcStack(app, 'FerruleGitHubOidc', {
  description: `GitHub Actions OIDC deploy role for ${repository}`,
  repository,
  branch: context('ferrule:github-branch'),
  trustBranch: context('ferrule:github-trust-branch') !== 'false',
  environment: context('ferrule:github-environment'),
  cdkQualifier: context('ferrule:cdk-qualifier'),
  existingProviderArn: context('ferrule:github-oidc-provider-arn'),
  regions: context('ferrule:deploy-regions')
    ?.split(',')
    .map((r) => r.trim())
    .filter(Boolean),
  tags: { project: 'ferrule' },
});

app.synth();
