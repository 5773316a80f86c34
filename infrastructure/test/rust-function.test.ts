import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import {
  FerruleService,
  HelloStack,
  parsePlatform,
  RustFunction,
  type RustFunctionProps,
  UNZIPPED_LIMIT_BYTES,
  WorkspaceBuild,
  ZIP_LIMIT_BYTES,
} from '../lib/index.ts';
import { fakeArtifacts, testStack } from './helpers.ts';

function functionTemplate(props: Partial<RustFunctionProps> = {}, platforms?: string[]) {
  const { stack } = testStack({ platforms });
  const fn = new RustFunction(stack, 'Fn', { crate: 'hello-http', ...props });
  return { template: Template.fromStack(stack), fn, stack };
}

describe('RustFunction defaults', () => {
  it('runs bootstrap on provided.al2023, x86_64, 256 MB, 10 s, JSON logs, active tracing', () => {
    const { template } = functionTemplate();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'provided.al2023',
      Handler: 'bootstrap',
      Architectures: ['x86_64'],
      MemorySize: 256,
      Timeout: 10,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: {
        LogFormat: 'JSON',
        ApplicationLogLevel: 'INFO',
        SystemLogLevel: 'WARN',
        LogGroup: { Ref: Match.stringLikeRegexp('^FnLogGroup') },
      },
    });
  });

  it("sets the service's environment for ferrule-logger and ferrule-metrics, then the function's own", () => {
    const { template } = functionTemplate({ crate: 'worker', environment: { GREETING: 'hello' } });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          // The service defaults to the stack's id in kebab-case when none is declared.
          FERRULE_SERVICE_NAME: 'test',
          FERRULE_STAGE: 'dev',
          POWERTOOLS_SERVICE_NAME: 'test',
          FERRULE_METRICS_NAMESPACE: 'test',
          POWERTOOLS_METRICS_NAMESPACE: 'test',
          GREETING: 'hello',
        },
      },
    });
  });

  it('takes the service name, stage and metrics namespace from its FerruleService', () => {
    const { stack } = testStack();
    const service = new FerruleService(stack, 'Orders', {
      serviceName: 'orders',
      stage: 'prod',
      metricsNamespace: 'Shop',
    });
    new RustFunction(stack, 'Fn', { crate: 'hello-http', service });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          FERRULE_SERVICE_NAME: 'orders',
          FERRULE_STAGE: 'prod',
          POWERTOOLS_SERVICE_NAME: 'orders',
          FERRULE_METRICS_NAMESPACE: 'Shop',
          POWERTOOLS_METRICS_NAMESPACE: 'Shop',
        },
      },
    });
  });

  it('has its own log group with retention, and a role without managed policies', () => {
    const { template } = functionTemplate();
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: Match.absent(),
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          // lambda.Function adds X-Ray while it is constructed, before the construct adds its grants.
          Match.objectLike({
            Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
            Resource: '*',
          }),
          Match.objectLike({
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FnLogGroup'), 'Arn'] },
          }),
        ]),
      },
    });
  });

  it('takes log retention and log levels from props', () => {
    const { template } = functionTemplate({
      logRetention: logs.RetentionDays.ONE_WEEK,
      applicationLogLevelV2: lambda.ApplicationLogLevel.DEBUG,
      systemLogLevelV2: lambda.SystemLogLevel.INFO,
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: Match.objectLike({ ApplicationLogLevel: 'DEBUG', SystemLogLevel: 'INFO' }),
    });
  });

  it('uses provided.al2 and arm64 when asked, from that platform folder', () => {
    const { template, fn } = functionTemplate({ runtime: 'al2', architecture: lambda.Architecture.ARM_64 }, [
      'al2-arm64',
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'provided.al2',
      Architectures: ['arm64'],
    });
    expect(fn.artifactPath).toMatch(/al2-arm64\/hello-http\/bootstrap\.zip$/);
  });

  it('alarms on errors, throttles and p99 duration above 80% of the timeout', () => {
    const { template } = functionTemplate({ timeout: Duration.seconds(20) });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Throttles', Threshold: 1 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Duration',
      ExtendedStatistic: 'p99',
      Threshold: 16_000,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('creates no alarms with alarms: false', () => {
    const { template } = functionTemplate({ alarms: false });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
  });
});

describe('RustFunction is a lambda.Function', () => {
  it('passes the FunctionOptions it does not decide to the template', () => {
    const { stack } = testStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const layer = lambda.LayerVersion.fromLayerVersionArn(
      stack,
      'Layer',
      'arn:aws:lambda:eu-west-1:123456789012:layer:extension:3',
    );
    const fn = new RustFunction(stack, 'Fn', {
      crate: 'hello-http',
      vpc,
      layers: [layer],
      reservedConcurrentExecutions: 7,
      ephemeralStorageSize: Size.mebibytes(1024),
      maxEventAge: Duration.minutes(5),
      retryAttempts: 1,
      description: 'inherited props',
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Layers: ['arn:aws:lambda:eu-west-1:123456789012:layer:extension:3'],
      ReservedConcurrentExecutions: 7,
      EphemeralStorage: { Size: 1024 },
      Description: 'inherited props',
      VpcConfig: { SubnetIds: Match.anyValue(), SecurityGroupIds: Match.anyValue() },
      // And the construct's own choices stay.
      Handler: 'bootstrap',
      TracingConfig: { Mode: 'Active' },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumEventAgeInSeconds: 300,
      MaximumRetryAttempts: 1,
    });
    // In a VPC the role gets the ENI actions inline, still with no managed policy.
    const roleId = stack.getLogicalId(fn.role.node.defaultChild as never);
    expect(template.toJSON().Resources[roleId].Properties.ManagedPolicyArns).toBeUndefined();
    expect(fn.declaredGrants().find((grant) => grant.origin === 'vpc')?.actions).toContain(
      'ec2:CreateNetworkInterface',
    );
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: roleId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: Match.arrayWith(['ec2:CreateNetworkInterface']), Resource: '*' }),
        ]),
      },
    });
  });

  it('is accepted wherever CDK takes an IFunction', () => {
    const { stack } = testStack();
    const fn = new RustFunction(stack, 'Fn', { crate: 'hello-http' });
    const asFunction: lambda.IFunction = fn;
    new events.Rule(stack, 'Nightly', {
      schedule: events.Schedule.rate(Duration.days(1)),
      targets: [new targets.LambdaFunction(asFunction)],
    });
    fn.grantInvoke(new iam.ServicePrincipal('states.amazonaws.com'));
    const template = Template.fromStack(stack);
    const fnId = stack.getLogicalId(fn.node.defaultChild as never);
    template.hasResourceProperties('AWS::Events::Rule', {
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] } })],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'states.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
    });
  });

  it('uses a log group it is given and grants its role only that one', () => {
    const { stack } = testStack();
    const shared = new logs.LogGroup(stack, 'Shared', { retention: logs.RetentionDays.ONE_WEEK });
    const fn = new RustFunction(stack, 'Fn', { crate: 'hello-http', logGroup: shared });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: Match.objectLike({
        LogGroup: { Ref: stack.getLogicalId(shared.node.defaultChild as never) },
      }),
    });
    expect(fn.declaredGrants().find((grant) => grant.origin === 'logs')?.resources).toEqual([
      shared.logGroupArn,
    ]);
  });
});

describe('RustFunction packaging', () => {
  const oversized = (zippedBytes: number, unzippedBytes: number) => () => ({ zippedBytes, unzippedBytes });

  it('ships a ZIP asset by default, sized from the zip directory', () => {
    const { fn, template } = functionTemplate();
    expect(fn.packaging).toBe('zip');
    expect(fn.artifactSizes?.unzippedBytes).toBe('#!/bin/sh\necho placeholder\n'.length * 20);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Code: { S3Bucket: Match.anyValue(), S3Key: Match.stringLikeRegexp('\\.zip$') },
      PackageType: Match.absent(),
    });
  });

  it.each([
    ['zipped', ZIP_LIMIT_BYTES + 1, 10],
    ['unzipped', 10, UNZIPPED_LIMIT_BYTES + 1],
  ])('switches to a container image when the %s size exceeds the limit', (_, zipped, unzipped) => {
    const { stack } = testStack({ inspector: oversized(zipped, unzipped) });
    const fn = new RustFunction(stack, 'Fn', { crate: 'hello-http' });
    expect(fn.packaging).toBe('image');
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      PackageType: 'Image',
      Code: { ImageUri: Match.anyValue() },
      Architectures: ['x86_64'],
      Handler: Match.absent(),
      Runtime: Match.absent(),
    });
    const context = fn.imageContext ?? '';
    expect(readFileSync(join(context, 'Dockerfile'), 'utf8')).toMatch(
      /^FROM public\.ecr\.aws\/lambda\/provided:al2023\nCOPY runtime\/bootstrap \$\{LAMBDA_RUNTIME_DIR\}\/bootstrap\nCMD \[ "bootstrap" \]$/m,
    );
    const bootstrap = join(context, 'runtime/bootstrap');
    expect(readFileSync(bootstrap, 'utf8')).toContain('echo placeholder');
    expect(statSync(bootstrap).mode & 0o111).not.toBe(0);
  });

  it('stays a ZIP at exactly the limits', () => {
    const { stack } = testStack({ inspector: oversized(ZIP_LIMIT_BYTES, UNZIPPED_LIMIT_BYTES) });
    expect(new RustFunction(stack, 'Fn', { crate: 'hello-http' }).packaging).toBe('zip');
  });

  it("uses the al2 base image for runtime 'al2' and an arm64 image platform for arm64", () => {
    const { stack } = testStack({ platforms: ['al2-arm64'], inspector: oversized(ZIP_LIMIT_BYTES + 1, 1) });
    const fn = new RustFunction(stack, 'Fn', {
      crate: 'hello-http',
      runtime: 'al2',
      architecture: lambda.Architecture.ARM_64,
    });
    expect(readFileSync(join(fn.imageContext ?? '', 'Dockerfile'), 'utf8')).toContain(
      'FROM public.ecr.aws/lambda/provided:al2\n',
    );
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      PackageType: 'Image',
      Architectures: ['arm64'],
    });
  });

  it("packaging: 'image' forces an image and 'zip' forces a ZIP whatever the size", () => {
    const small = functionTemplate({ packaging: 'image' });
    expect(small.fn.packaging).toBe('image');
    small.template.hasResourceProperties('AWS::Lambda::Function', { PackageType: 'Image' });

    const { stack } = testStack({ inspector: oversized(ZIP_LIMIT_BYTES * 2, 1) });
    const big = new RustFunction(stack, 'Fn', { crate: 'hello-http', packaging: 'zip' });
    expect(big.packaging).toBe('zip');
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { Handler: 'bootstrap' });
  });

  it('synthesizes the image asset without Docker: the asset manifest points at the generated folder', () => {
    const { app, stack } = testStack({ inspector: oversized(ZIP_LIMIT_BYTES + 1, 1) });
    new RustFunction(stack, 'Fn', { crate: 'hello-http' });
    const assembly = app.synth();
    const manifest = JSON.parse(readFileSync(join(assembly.directory, 'Test.assets.json'), 'utf8')) as {
      dockerImages: Record<string, { source: { directory: string; platform?: string } }>;
    };
    const images = Object.values(manifest.dockerImages);
    expect(images).toHaveLength(1);
    expect(images[0]?.source.platform).toBe('linux/amd64');
    expect(existsSync(join(assembly.directory, images[0]?.source.directory ?? '', 'Dockerfile'))).toBe(true);
  });
});

describe('HelloStack', () => {
  it('routes GET /hello on an HTTP API to the function, publicly by explicit opt-out', () => {
    const app = new App();
    WorkspaceBuild.configure(app, { artifactsDir: fakeArtifacts() });
    const stack = new HelloStack(app, 'Hello', { platform: parsePlatform('al2023-x86_64') });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: 'GET /hello',
      AuthorizationType: 'NONE',
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ FERRULE_SERVICE_NAME: 'hello', FERRULE_STAGE: 'dev' }) },
    });
  });

  it('still accepts an artifactsDir prop', () => {
    const stack = new HelloStack(new App(), 'Hello', {
      platform: parsePlatform('al2023-x86_64'),
      artifactsDir: fakeArtifacts(),
      stage: 'prod',
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ FERRULE_STAGE: 'prod' }) },
    });
  });
});

describe('Stack tokens only', () => {
  it('synthesizes an environment-agnostic stack without lookups', () => {
    const app = new App();
    WorkspaceBuild.configure(app, { artifactsDir: fakeArtifacts() });
    const stack = new Stack(app, 'Agnostic');
    new RustFunction(stack, 'Fn', { crate: 'hello-http' });
    const assembly = app.synth();
    expect(assembly.manifest.missing ?? []).toEqual([]);
  });
});
