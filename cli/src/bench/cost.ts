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
