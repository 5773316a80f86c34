import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { HelloStack, parsePlatform, RustFunction } from '../lib/index.ts';

/** A folder laid out as `ferrule build` writes it, with a placeholder zip (the build is not under test here). */
function fakeArtifacts(platforms: string[] = ['al2023-x86_64'], crates: string[] = ['hello-http']): string {
  const dir = mkdtempSync(join(tmpdir(), 'ferrule-artifacts-'));
  for (const platform of platforms) {
    for (const crate of crates) {
      mkdirSync(join(dir, platform, crate), { recursive: true });
      writeFileSync(join(dir, platform, crate, 'bootstrap.zip'), 'placeholder');
    }
  }
  return dir;
}

function functionTemplate(
  props: Partial<ConstructorParameters<typeof RustFunction>[2]> = {},
  platforms?: string[],
) {
  const stack = new Stack(new App(), 'Test');
  const fn = new RustFunction(stack, 'Fn', {
    crate: 'hello-http',
    artifactsDir: fakeArtifacts(platforms),
    ...props,
  });
  return { template: Template.fromStack(stack), fn };
}

describe('RustFunction defaults', () => {
  it('runs bootstrap on provided.al2023, x86_64, JSON logs, active tracing', () => {
    const { template } = functionTemplate();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'provided.al2023',
      Handler: 'bootstrap',
      Architectures: ['x86_64'],
      MemorySize: 256,
      Timeout: 10,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: Match.objectLike({
        LogFormat: 'JSON',
        ApplicationLogLevel: 'INFO',
        SystemLogLevel: 'WARN',
      }),
      Environment: { Variables: { FERRULE_SERVICE_NAME: 'hello-http' } },
    });
  });

  it('has its own log group with retention, and a role without managed policies', () => {
    const { template } = functionTemplate();
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.resourceCountIs('AWS::IAM::Role', 1);
    const roles = template.findResources('AWS::IAM::Role');
    for (const role of Object.values(roles)) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('FnLogs'), 'Arn'] },
          }),
        ]),
      },
    });
  });

  it('uses provided.al2 and arm64 when asked, from that platform folder', () => {
    const { template } = functionTemplate({ runtime: 'al2', architecture: lambda.Architecture.ARM_64 }, [
      'al2-arm64',
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'provided.al2',
      Architectures: ['arm64'],
    });
  });
});

describe('RustFunction refuses props that make no sense', () => {
  it('names the build to run when the artifact is missing', () => {
    expect(() => functionTemplate({ runtime: 'al2' })).toThrow(
      /no artifact for crate "hello-http" at .*al2-x86_64\/hello-http\/bootstrap\.zip; run `npx ferrule build --runtime al2 --arch x86_64`/,
    );
  });

  it('rejects a crate name that is not kebab-case, and limits memory and timeout', () => {
    expect(() => functionTemplate({ crate: 'Hello_Http' })).toThrow(/must be a kebab-case crate name/);
    expect(() => functionTemplate({ memorySize: 64 })).toThrow(/memorySize must be 128\.\.10240 MB, got 64/);
    expect(() => functionTemplate({ timeout: Duration.minutes(16) })).toThrow(
      /timeout must be at most 15 minutes/,
    );
  });

  it('rejects an unknown platform name', () => {
    expect(() => parsePlatform('al2023-sparc')).toThrow(
      /ferrule:platform must be <al2023\|al2>-<x86_64\|arm64>/,
    );
  });
});

describe('HelloStack', () => {
  it('routes GET /hello on an HTTP API to the function', () => {
    const stack = new HelloStack(new App(), 'Hello', {
      platform: parsePlatform('al2023-x86_64'),
      artifactsDir: fakeArtifacts(),
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /hello' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
    });
  });
});
