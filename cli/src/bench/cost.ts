/**
 * Lambda's public on-demand prices (US East (N. Virginia), first pricing tier), from
 * https://aws.amazon.com/lambda/pricing/ as listed on `asOf`. Update them together.
 */
export const LAMBDA_PRICES = {
  source: 'https://aws.amazon.com/lambda/pricing/ (US East (N. Virginia), first tier)',
  asOf: '2026-11-26',
  perGbSecond: { x86_64: 0.0000166667, arm64: 0.0000133334 },
  perMillionRequests: 0.2,
} as const;

export type PricedArchitecture = keyof typeof LAMBDA_PRICES.perGbSecond;

export interface CostFigures {
  /** Billed milliseconds: Lambda rounds each invocation up to the next millisecond. */
  readonly billedMs: number;
  readonly gbSeconds: number;
  /** USD per million invocations, requests included. */
  readonly perMillion: Record<PricedArchitecture, number>;
}

/**
 * The bill of one invocation of `durationMs` at `memoryMb`: billed duration rounded up to
 * 1 ms, times the memory in GB, times the price per GB-second, plus the request charge.
 */
export function invocationCost(durationMs: number, memoryMb: number): CostFigures {
  // The epsilon keeps float noise (9.6 + 2.4 = 12.000000000000002) from billing a whole extra ms.
  const billedMs = Math.max(1, Math.ceil(durationMs - 1e-9));
  const gbSeconds = (billedMs / 1000) * (memoryMb / 1024);
  const perMillion = (price: number) => gbSeconds * price * 1e6 + LAMBDA_PRICES.perMillionRequests;
  return {
    billedMs,
    gbSeconds,
    perMillion: {
      x86_64: perMillion(LAMBDA_PRICES.perGbSecond.x86_64),
      arm64: perMillion(LAMBDA_PRICES.perGbSecond.arm64),
    },
  };
}

/**
 * Lambda Managed Instances (LMI): the capacity provider's EC2 instances at their on-demand
 * price, plus Lambda's management fee (a share of that on-demand price), plus the request
 * charge; no duration charge. Prices for US East (N. Virginia), Linux, on-demand, read on
 * `asOf` from the sources named. Update them together.
 */
export const LMI_PRICES = {
  source:
    'https://aws.amazon.com/lambda/pricing/ (Lambda Managed Instances: "15% premium on the EC2 on-demand instance price", "$0.20 per million requests"; transcribed 2026-09-20 at https://raw.githubusercontent.com/api-evangelist/aws-lambda/refs/heads/main/plans/aws-lambda-plans-pricing.yml)',
  asOf: '2026-12-07',
  /** The management fee, as a share of the instance's EC2 on-demand price (also under Savings Plans). */
  managementFeeShare: 0.15,
  perMillionRequests: 0.2,
  /** Instances a capacity provider starts by default (three, for Availability Zone resilience). */
  defaultInstances: 3,
  defaultInstancesSource:
    'https://docs.aws.amazon.com/lambda/latest/dg/lambda-managed-instances-scaling.html ("It launches three by default for AZ resiliency")',
  instances: {
    'm7i.large': {
      architecture: 'x86_64',
      vCpus: 2,
      memoryGiB: 8,
      onDemandPerHour: 0.1008,
      source:
        'https://aws.amazon.com/ec2/pricing/on-demand/ (us-east-1, Linux; m7i.xlarge $0.2016/h at https://c3x.dev/blog/m5-vs-m6i-vs-m7i-cost-performance, .large is half)',
    },
    'm7g.large': {
      architecture: 'arm64',
      vCpus: 2,
      memoryGiB: 8,
      onDemandPerHour: 0.0816,
      source:
        'https://aws.amazon.com/ec2/pricing/on-demand/ (us-east-1, Linux, June 2026, at https://www.factualminds.com/blog/amazon-ec2-on-demand-pricing-instance-families-2026/)',
    },
  },
} as const;

export type LmiInstanceType = keyof typeof LMI_PRICES.instances;

/**
 * What the LMI per-million figure assumes besides the measured throughput: the function's
 * memory (2048 MB, the least RustFunction accepts on Managed Instances), 2 GiB per vCPU
 * (`ExecutionEnvironmentMemoryGiBPerVCpu`, its lowest value), so one execution environment
 * has one vCPU and a 2-vCPU instance holds two; and the instances busy half of the time on
 * average (capacity kept for peaks, as a target-tracking scaler keeps it).
 */
export const LMI_ASSUMPTIONS = {
  functionMemoryMb: 2048,
  memoryGiBPerVCpu: 2,
  utilisation: 0.5,
} as const;

export type LmiAssumptions = {
  readonly functionMemoryMb: number;
  readonly memoryGiBPerVCpu: number;
  readonly utilisation: number;
};

export interface LmiCost {
  readonly instanceType: LmiInstanceType;
  /** Environments one instance holds: by vCPU and by memory, the smaller. */
  readonly environmentsPerInstance: number;
  /** Requests per second one instance serves at the assumed utilisation. */
  readonly requestsPerSecondPerInstance: number;
  /** EC2 on-demand + management fee, per instance-hour. */
  readonly perInstanceHour: number;
  /** USD per million requests at a steady load large enough to keep the default instances busy. */
  readonly perMillion: number;
  /** The steady load (requests/s) the default three instances carry at the assumed utilisation. */
  readonly defaultInstancesLoad: number;
  /** USD a month (730 hours) of the default three instances, whatever the load. */
  readonly defaultInstancesMonthly: number;
}

/** One execution environment's vCPUs: its memory over the memory per vCPU. */
export function vCpusPerEnvironment(assumptions: LmiAssumptions = LMI_ASSUMPTIONS): number {
  return assumptions.functionMemoryMb / 1024 / assumptions.memoryGiBPerVCpu;
}

/**
 * LMI cost per million requests when one execution environment serves `requestsPerSecond`
 * (measured here, one process) and instances are kept busy at `utilisation`:
 * (on-demand + fee) per hour ÷ requests an instance serves per hour × 10⁶ + request charge.
 */
export function lmiCost(
  requestsPerSecond: number,
  instanceType: LmiInstanceType,
  assumptions: LmiAssumptions = LMI_ASSUMPTIONS,
): LmiCost {
  const instance = LMI_PRICES.instances[instanceType];
  const byCpu = Math.floor(instance.vCpus / vCpusPerEnvironment(assumptions));
  const byMemory = Math.floor((instance.memoryGiB * 1024) / assumptions.functionMemoryMb);
  const environmentsPerInstance = Math.min(byCpu, byMemory);
  const perInstanceHour = instance.onDemandPerHour * (1 + LMI_PRICES.managementFeeShare);
  const requestsPerSecondPerInstance = environmentsPerInstance * requestsPerSecond * assumptions.utilisation;
  return {
    instanceType,
    environmentsPerInstance,
    requestsPerSecondPerInstance,
    perInstanceHour,
    perMillion:
      (perInstanceHour / (requestsPerSecondPerInstance * 3600)) * 1e6 + LMI_PRICES.perMillionRequests,
    defaultInstancesLoad: LMI_PRICES.defaultInstances * requestsPerSecondPerInstance,
    defaultInstancesMonthly: LMI_PRICES.defaultInstances * perInstanceHour * 730,
  };
}

/**
 * Classic Lambda per million requests from the mean billed duration (each invocation rounded
 * up to 1 ms before the mean, as Lambda bills them) at `memoryMb`, requests included.
 */
export function classicPerMillion(
  meanBilledMs: number,
  memoryMb: number,
): Record<PricedArchitecture, number> {
  const gbSeconds = (meanBilledMs / 1000) * (memoryMb / 1024);
  return {
    x86_64: gbSeconds * LAMBDA_PRICES.perGbSecond.x86_64 * 1e6 + LAMBDA_PRICES.perMillionRequests,
    arm64: gbSeconds * LAMBDA_PRICES.perGbSecond.arm64 * 1e6 + LAMBDA_PRICES.perMillionRequests,
  };
}

/** Billed milliseconds of each duration (rounded up to 1 ms, at least 1), averaged. */
export function meanBilledMs(durationsMs: readonly number[]): number {
  if (durationsMs.length === 0) return Number.NaN;
  return durationsMs.reduce((sum, d) => sum + Math.max(1, Math.ceil(d - 1e-9)), 0) / durationsMs.length;
}
