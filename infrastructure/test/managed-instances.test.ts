import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { type ManagedInstancesOptions, RustFunction, type RustFunctionProps } from '../lib/index.ts';
import { Adr002Checks } from '../lib/rules/index.ts';
import { testStack } from './helpers.ts';

function capacityProvider(stack: Stack): lambda.CapacityProvider {
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
  const securityGroup = new ec2.SecurityGroup(stack, 'Instances', { vpc });
  return new lambda.CapacityProvider(stack, 'Capacity', {
    subnets: vpc.isolatedSubnets.length > 0 ? vpc.isolatedSubnets : vpc.publicSubnets,
    securityGroups: [securityGroup],
  });
}

/** The synth error for a function on a capacity provider, or '' when it is accepted. */
function managedError(
  options: Omit<ManagedInstancesOptions, 'capacityProvider'>,
  props: Partial<RustFunctionProps> = {},
): string {
  const { stack } = testStack({ crates: ['worker', 'order-notifier'] });
  try {
    new RustFunction(stack, 'Fn', {
      crate: 'worker',
      memorySize: 2048,
      ...props,
      managedInstances: { capacityProvider: capacityProvider(stack), ...options },
    });
    Template.fromStack(stack);
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('RustFunction on Lambda Managed Instances', () => {
  it('joins the capacity provider with the concurrency and memory per vCPU asked for', () => {
    const { stack } = testStack();
    const provider = capacityProvider(stack);
    const fn = new RustFunction(stack, 'Fn', {
      crate: 'worker',
      memorySize: 4096,
      managedInstances: {
        capacityProvider: provider,
        perExecutionEnvironmentMaxConcurrency: 64,
        executionEnvironmentMemoryGiBPerVCpu: 4,
      },
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      CapacityProviderConfig: {
        LambdaManagedInstancesCapacityProviderConfig: {
          CapacityProviderArn: Match.anyValue(),
          PerExecutionEnvironmentMaxConcurrency: 64,
          ExecutionEnvironmentMemoryGiBPerVCpu: 4,
        },
      },
      Handler: 'bootstrap',
    });
    expect((fn.node.defaultChild as lambda.CfnFunction).getMetadata('ferrule:concurrent')).toBe(true);
    // The pack finds nothing about it: the function declares the concurrent loop.
    const report = new Adr002Checks().validateScope(stack.node.root);
    const lmi = report.violations.filter((v) => v.ruleName === 'ADR002-ManagedInstancesConcurrentRuntime');
    expect(lmi).toEqual([]);
  });

  it('refuses a crate that does not declare the concurrent loop, naming the manifest and the setting', () => {
    expect(managedError({}, { crate: 'order-notifier' })).toMatch(
      /crate order-notifier runs one invocation at a time; .*set concurrent = true under \[package.metadata.ferrule\] in backend\/functions\/order-notifier\/Cargo.toml/,
    );
  });

  it('refuses settings outside what Lambda accepts', () => {
    expect(managedError({ perExecutionEnvironmentMaxConcurrency: 0 })).toMatch(
      /perExecutionEnvironmentMaxConcurrency must be a whole number in 1..1600, got 0/,
    );
    expect(managedError({ perExecutionEnvironmentMaxConcurrency: 1601 })).toMatch(/got 1601/);
    expect(managedError({ executionEnvironmentMemoryGiBPerVCpu: 1 })).toMatch(
      /executionEnvironmentMemoryGiBPerVCpu must be in 2..8 GiB per vCPU, got 1/,
    );
    expect(managedError({}, { memorySize: 1024 })).toMatch(
      /at least 2 GB and 1 vCPU; set memorySize to 2048 or more \(got 1024 MB\)/,
    );
    expect(managedError({}, { memorySize: undefined })).toMatch(/got 256 MB/);
    expect(managedError({}, { reservedConcurrentExecutions: 5 })).toMatch(
      /reservedConcurrentExecutions does not apply on Lambda Managed Instances/,
    );
    expect(
      managedError({ perExecutionEnvironmentMaxConcurrency: 1600, executionEnvironmentMemoryGiBPerVCpu: 8 }),
    ).toBe('');
  });
});

describe('ADR002-ManagedInstancesConcurrentRuntime', () => {
  it('reports a plain function on a capacity provider, which nothing says runs the concurrent loop', () => {
    const app = new App();
    const stack = new Stack(app, 'Test');
    const provider = capacityProvider(stack);
    const plain = new lambda.Function(stack, 'Plain', {
      runtime: lambda.Runtime.PROVIDED_AL2023,
      handler: 'bootstrap',
      code: lambda.Code.fromBucket(s3.Bucket.fromBucketName(stack, 'Artifacts', 'cdk-assets'), 'hello.zip'),
    });
    provider.addFunction(plain, { perExecutionEnvironmentMaxConcurrency: 8 });
    const report = new Adr002Checks().validateScope(app);
    const paths = report.violations
      .filter((v) => v.ruleName === 'ADR002-ManagedInstancesConcurrentRuntime')
      .flatMap((v) => v.violatingResources.map((r) => r.constructPath));
    expect(paths).toEqual(['Test/Plain/Resource']);
  });
});
