import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { GitHubOidcStack, type GitHubOidcStackProps } from '../lib/pipeline/index.ts';

function synth(props: Partial<GitHubOidcStackProps> = {}) {
  const stack = new GitHubOidcStack(new App(), 'Oidc', { repository: 'acme/orders-api', ...props });
  return { stack, template: Template.fromStack(stack) };
}

/** The ARN CloudFormation builds for one bootstrap role in the stack's (or the given) region. */
function bootstrapRole(name: string, region: unknown = { Ref: 'AWS::Region' }) {
  return {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':iam::',
        { Ref: 'AWS::AccountId' },
        `:role/cdk-${name}-`,
        { Ref: 'AWS::AccountId' },
        ...(typeof region === 'string' ? [`-${region}`] : ['-', region]),
      ],
    ],
  };
}

describe('GitHubOidcStack', () => {
  it('creates the GitHub provider for the STS audience, and keeps it when the stack goes', () => {
    const { template } = synth();
    template.resourceCountIs('AWS::IAM::OIDCProvider', 1);
    template.hasResource('AWS::IAM::OIDCProvider', {
      Properties: { Url: 'https://token.actions.githubusercontent.com', ClientIdList: ['sts.amazonaws.com'] },
      DeletionPolicy: 'Retain',
    });
  });

  it('trusts only web identities of this repository: pushes to main and the prod environment', () => {
    const { template, stack } = synth();
    const roles = Object.values(template.findResources('AWS::IAM::Role'));
    expect(roles).toHaveLength(1);
    expect(roles[0]?.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRoleWithWebIdentity',
        Principal: { Federated: { Ref: expect.stringMatching(/^GitHubProvider/) } },
        Condition: {
          StringEquals: {
            'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
            'token.actions.githubusercontent.com:sub': [
              'repo:acme/orders-api:ref:refs/heads/main',
              'repo:acme/orders-api:environment:prod',
            ],
          },
        },
      },
    ]);
    expect(stack.subjects).toEqual([
      'repo:acme/orders-api:ref:refs/heads/main',
      'repo:acme/orders-api:environment:prod',
    ]);
  });

  it('may do nothing but assume the four CDK bootstrap roles', () => {
    const { template } = synth();
    const role = Object.values(template.findResources('AWS::IAM::Role'))[0];
    expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role?.Properties.PermissionsBoundary).toBeUndefined();
    expect(role?.Properties.Policies).toEqual([
      {
        PolicyName: 'AssumeCdkBootstrapRoles',
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: 'sts:AssumeRole',
              Resource: [
                bootstrapRole('hnb659fds-deploy-role'),
                bootstrapRole('hnb659fds-file-publishing-role'),
                bootstrapRole('hnb659fds-image-publishing-role'),
                bootstrapRole('hnb659fds-lookup-role'),
              ],
            },
          ],
        },
      },
    ]);
    // No other way to attach a permission exists in the stack.
    for (const type of [
      'AWS::IAM::Policy',
      'AWS::IAM::ManagedPolicy',
      'AWS::IAM::RolePolicy',
      'AWS::IAM::User',
    ]) {
      template.resourceCountIs(type, 0);
    }
    template.hasOutput('DeployRoleArn', {
      Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DeployRole'), 'Arn'] },
    });
  });

  it('uses the branch, environment, qualifier and regions it is given', () => {
    const { template } = synth({
      repository: 'Acme-Corp/orders.api',
      branch: 'release/v2',
      environment: 'production',
      cdkQualifier: 'ferrule01',
      regions: ['eu-west-1', 'us-east-1'],
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Condition: {
              StringEquals: Match.objectLike({
                'token.actions.githubusercontent.com:sub': [
                  'repo:Acme-Corp/orders.api:ref:refs/heads/release/v2',
                  'repo:Acme-Corp/orders.api:environment:production',
                ],
              }),
            },
          }),
        ],
      },
      Policies: [
        Match.objectLike({
          PolicyDocument: Match.objectLike({
            Statement: [
              Match.objectLike({
                Resource: Match.arrayWith([
                  bootstrapRole('ferrule01-deploy-role', 'eu-west-1'),
                  bootstrapRole('ferrule01-lookup-role', 'us-east-1'),
                ]),
              }),
            ],
          }),
        }),
      ],
    });
    const resources = Object.values(template.findResources('AWS::IAM::Role'))[0]?.Properties.Policies[0]
      .PolicyDocument.Statement[0].Resource;
    expect(resources).toHaveLength(8);
  });

  it('trusts only the environment when trustBranch is false (a production-only account)', () => {
    const { template, stack } = synth({ trustBranch: false });
    expect(stack.subjects).toEqual(['repo:acme/orders-api:environment:prod']);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Condition: {
              StringEquals: {
                'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com',
                'token.actions.githubusercontent.com:sub': ['repo:acme/orders-api:environment:prod'],
              },
            },
          }),
        ],
      },
    });
  });

  it('trusts an existing provider instead of creating a second one', () => {
    const arn = 'arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com';
    const { template } = synth({ existingProviderArn: arn });
    template.resourceCountIs('AWS::IAM::OIDCProvider', 0);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Federated: arn } })] },
    });
  });

  it('refuses props that would trust the wrong thing, naming the prop', () => {
    expect(() => synth({ repository: 'orders-api' })).toThrow(/repository must be "<owner>\/<name>"/);
    expect(() => synth({ repository: 'acme/*' })).toThrow(/repository must be/);
    expect(() => synth({ repository: '-acme/orders' })).toThrow(/repository must be/);
    expect(() => synth({ branch: 'refs/heads/main' })).toThrow(/branch must be a plain branch name/);
    expect(() => synth({ branch: 'feature/*' })).toThrow(/branch must be a plain branch name/);
    expect(() => synth({ environment: 'prod:*' })).toThrow(/environment must be/);
    expect(() => synth({ cdkQualifier: 'far-too-long-qualifier' })).toThrow(/cdkQualifier must be/);
    expect(() =>
      synth({ existingProviderArn: 'arn:aws:iam::111122223333:oidc-provider/example.com' }),
    ).toThrow(/existingProviderArn must be/);
    expect(() => synth({ regions: [] })).toThrow(/regions must name at least one region/);
    expect(() => synth({ trustBranch: false, branch: 'main' })).toThrow(
      /branch has no effect when trustBranch is false/,
    );
  });
});

describe('.github/workflows/deploy.yml', () => {
  const workflow = readFileSync(new URL('../../.github/workflows/deploy.yml', import.meta.url), 'utf8');

  it('authenticates with OIDC only, from the variable the stack output feeds', () => {
    expect(workflow).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY/);
    expect(workflow.match(/id-token: write/g)).toHaveLength(2);
    expect(workflow.match(/role-to-assume: \$\{\{ vars\.AWS_DEPLOY_ROLE_ARN \}\}/g)).toHaveLength(2);
  });

  it('deploys dev without an environment (the branch subject) and prod through the prod environment', () => {
    const jobs = workflow.split(/\n {2}(?=[a-z-]+:\n)/);
    const dev = jobs.find((j) => j.startsWith('deploy-dev:')) ?? '';
    const prod = jobs.find((j) => j.startsWith('deploy-prod:')) ?? '';
    expect(dev).not.toMatch(/\n {4}environment:/);
    expect(dev).toMatch(/--context ferrule:stage=dev --require-approval never/);
    expect(prod).toMatch(/\n {4}environment: prod\n/);
    expect(prod).toMatch(/needs: deploy-dev/);
    expect(prod).toMatch(/--context ferrule:stage=prod --require-approval never/);
    // Both download the single artifact the build job uploaded; neither builds.
    for (const job of [dev, prod]) {
      expect(job).toMatch(
        /download-artifact@v4\n\s+with:\n\s+name: lambda-\$\{\{ github\.sha \}\}\n\s+path: dist\/lambda/,
      );
      expect(job).not.toMatch(/ferrule build/);
    }
  });
});
