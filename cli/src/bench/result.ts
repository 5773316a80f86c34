// The figures of one run, as written to JSON, and what is derived from them: the Rust/Node
// ratios, the cost table, the reference service budget and the suite's targets.

import { ZIP_BUDGET_BYTES } from '@ferrule/toolchain/limits';
import type { CleanBuildFigures, SynthFigures } from './build-synth.ts';
import type { ConcurrencyResult } from './concurrency.ts';
import { type CostFigures, invocationCost, type LAMBDA_PRICES } from './cost.ts';
import type { LocalCloudFigures } from './local-cloud.ts';
import type { Machine } from './machine.ts';
import type { SubjectFigures } from './measure.ts';
import type { MemoryFigures } from './memory.ts';
import type { Spread } from './stats.ts';
import { type Language, ORDERS_API_NO_CALL, PAIRS, REFERENCE_FUNCTIONS, type Role } from './subjects.ts';

export const RESULT_SCHEMA = 1;

export interface FunctionResult extends SubjectFigures {
  /** The package whose artifact ran. @default the subject's name (results written before the field) */
  readonly artifact?: string;
  readonly language: Language;
  readonly role: Role;
  readonly about: string;
  readonly event: string;
}

export interface PairResult {
  readonly rust: string;
  readonly node: string;
  /** Node ÷ Rust, exec → first response p50 (higher: Rust faster). */
  readonly firstResponseSpeedup: number;
  /** Node ÷ Rust, init p50. */
  readonly initSpeedup: number;
  /** Node ÷ Rust, warm Duration p50. */
  readonly warmSpeedup: number;
  /** Rust ÷ Node, peak RSS (lower: Rust smaller). */
  readonly peakRssRatio: number;
  /** Rust ÷ Node, zipped size. */
  readonly zippedRatio: number;
}

export interface Target {
  readonly id: string;
  readonly description: string;
  readonly measured: string;
  /** null when the run did not measure it (for example --quick). */
  readonly met: boolean | null;
}

export interface BenchResult {
  readonly schema: typeof RESULT_SCHEMA;
  readonly date: string;
  readonly startedAt: string;
  readonly commit: string;
  readonly quick: boolean;
  readonly platform: string;
  readonly machine: Machine;
  readonly settings: { readonly coldRuns: number; readonly warmInvokes: number; readonly memoryMb: number };
  readonly calibration: { readonly spawnTrueMs: Spread };
  readonly functions: Record<string, FunctionResult>;
  /** RSS growth of one long-lived process over many warm invocations (bench/memory.ts). */
  readonly memory?: Record<string, MemoryFigures>;
  pairs: Record<string, PairResult>;
  build?: CleanBuildFigures & { readonly incrementalIn: 'clean target' | 'shared target' };
  /** Incremental rebuild in the shared target folder (--quick). */
  incrementalMs?: number;
  synth: Record<string, SynthFigures>;
  /** `ferrule start`, the local HTTP API's overhead, watch reload (docs/local-cloud.md). */
  localCloud?: LocalCloudFigures;
  /** Many invocations at once in one environment (Lambda Managed Instances), and LMI's cost. */
  concurrency?: ConcurrencyResult;
  cost: Record<string, Record<string, { cold?: CostFigures; warm?: CostFigures }>>;
  readonly prices: typeof LAMBDA_PRICES;
  targets: Target[];
  durationSeconds?: number;
}

export const COST_MEMORY_SIZES = [128, 1024] as const;

/** Cold = Init Duration + Duration of the first invocation (both billed); warm = Duration; p50s. */
export function costTable(functions: Record<string, FunctionResult>): BenchResult['cost'] {
  const table: BenchResult['cost'] = {};
  for (const [name, fn] of Object.entries(functions)) {
    if (fn.role === 'calibration') continue;
    table[name] = {};
    for (const memory of COST_MEMORY_SIZES) {
      table[name][String(memory)] = {
        ...(fn.cold
          ? { cold: invocationCost(fn.cold.initMs.p50 + fn.cold.firstDurationMs.p50, memory) }
          : {}),
        ...(fn.warm ? { warm: invocationCost(fn.warm.durationMs.p50, memory) } : {}),
      };
    }
  }
  return table;
}

/** Peak memory of a function: after the warm run when there was one, else after its cold starts. */
export function peakRss(fn: SubjectFigures): number {
  return fn.warm?.peakRssMb ?? fn.cold?.peakRssMb ?? Number.NaN;
}

export function pairResults(functions: Record<string, FunctionResult>): Record<string, PairResult> {
  const pairs: Record<string, PairResult> = {};
  for (const pair of PAIRS) {
    const rust = functions[pair.rust];
    const node = functions[pair.node];
    if (!rust?.cold || !node?.cold) continue;
    pairs[pair.label] = {
      rust: pair.rust,
      node: pair.node,
      firstResponseSpeedup: node.cold.firstResponseMs.p50 / rust.cold.firstResponseMs.p50,
      initSpeedup: node.cold.initMs.p50 / rust.cold.initMs.p50,
      warmSpeedup: (node.warm?.durationMs.p50 ?? Number.NaN) / (rust.warm?.durationMs.p50 ?? Number.NaN),
      peakRssRatio: peakRss(rust) / peakRss(node),
      zippedRatio: rust.zippedBytes / node.zippedBytes,
    };
  }
  return pairs;
}

const ms = (value: number) => `${value.toFixed(2)} ms`;
const signedMs = (value: number) => `${value >= 0 ? '+' : ''}${ms(value)}`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;

/** The reference service's budget: exec → first response p50 within this of baseline-hello. */
export const REFERENCE_BUDGET_MS = 5;

export interface BudgetLine {
  /** exec → first response p50 of the subject, and of baseline-hello. */
  readonly value: number;
  readonly floor: number;
  readonly difference: number;
  readonly met: boolean;
}

export interface GetItemBudgetLine extends BudgetLine {
  /** orders-api's warm Duration p50: moto's GetItem round trip plus the handler. */
  readonly warmDuration: number;
  /** First Duration p50 − warm Duration p50: client creation, native root certificates, connection. */
  readonly firstOverWarm: number;
  /** Init p50 of orders-api − init p50 of baseline-hello. */
  readonly initDifference: number;
  /**
   * The difference less the three parts above: baseline-hello's own first Duration, the
   * runtime's exchanges, and p50s of sums not being sums of p50s.
   */
  readonly rest: number;
}

export interface ReferenceBudget {
  /** orders-api on a route that makes no AWS call (orders-api-no-call). */
  readonly noCall?: BudgetLine;
  /** orders-api answering from one DynamoDB GetItem (to moto). */
  readonly getItem?: GetItemBudgetLine;
}

/**
 * The reference service budget ("exec → first response of orders-api for a GET with clients
 * created lazily within 5 ms of a plain lambda_runtime hello"), measured twice: on a route with
 * no AWS call, and with the GetItem split into what the figures show. Empty parts were not run.
 */
export function referenceBudget(functions: Record<string, FunctionResult>): ReferenceBudget {
  const hello = functions['baseline-hello']?.cold;
  if (!hello) return {};
  const floor = hello.firstResponseMs.p50;
  const line = (value: number): BudgetLine => ({
    value,
    floor,
    difference: value - floor,
    met: value - floor <= REFERENCE_BUDGET_MS,
  });
  const noCall = functions[ORDERS_API_NO_CALL]?.cold;
  const api = functions['orders-api'];
  const budget: { noCall?: BudgetLine; getItem?: GetItemBudgetLine } = {};
  if (noCall) budget.noCall = line(noCall.firstResponseMs.p50);
  if (api?.cold && api.warm) {
    const base = line(api.cold.firstResponseMs.p50);
    const warmDuration = api.warm.durationMs.p50;
    const firstOverWarm = api.cold.firstDurationMs.p50 - warmDuration;
    const initDifference = api.cold.initMs.p50 - hello.initMs.p50;
    budget.getItem = {
      ...base,
      warmDuration,
      firstOverWarm,
      initDifference,
      rest: base.difference - warmDuration - firstOverWarm - initDifference,
    };
  }
  return budget;
}

/** The suite's targets (reported, never asserted), and ADR-002's own claims. */
export function evaluateTargets(result: BenchResult): Target[] {
  const targets: Target[] = [];
  const local = result.localCloud;
  if (local) {
    targets.push(
      {
        id: 'local-cloud:start',
        description: '`ferrule start` on an already-built tree → HTTP API answering, within 10 s',
        measured: `${(local.startToAnswerMs / 1000).toFixed(1)} s`,
        met: local.startToAnswerMs <= 10_000,
      },
      {
        id: 'local-cloud:http-overhead',
        description: 'Local HTTP API over a direct emulator invocation, warm p50, within 2 ms',
        measured: `${ms(local.httpOverheadP50Ms)} (${ms(local.httpRoundTripMs.p50)} vs ${ms(local.directInvokeMs.p50)})`,
        met: local.httpOverheadP50Ms <= 2,
      },
      {
        id: 'local-cloud:watch-reload',
        description:
          'Watch mode: a one-line change of a handler → new code answering through the API, within 5 s',
        measured:
          local.watchReloadMs === undefined
            ? 'not measured (ferrule bench --watch-reload)'
            : `${(local.watchReloadMs / 1000).toFixed(1)} s`,
        met: local.watchReloadMs === undefined ? null : local.watchReloadMs <= 5_000,
      },
    );
  }
  for (const [name, figures] of Object.entries(result.memory ?? {})) {
    const growth = figures.distinctTraceIds;
    targets.push({
      id: `memory:${name}`,
      description: `${name}: RSS growth over 100,000 warm invocations with a new trace id each, at most 1 MiB`,
      measured: `${(growth.growthKb / 1024).toFixed(2)} MiB over ${figures.invocations} (${growth.bytesPerInvocation.toFixed(0)} B per invocation; ${figures.oneTraceId.bytesPerInvocation.toFixed(0)} B with one trace id)`,
      // Per invocation, so a --quick run's shorter figure is compared on the same footing.
      met: figures.invocations >= 100_000 ? growth.growthKb <= 1024 : null,
    });
  }
  const fns = result.functions;
  const p50 = (name: string) => fns[name]?.cold?.firstResponseMs.p50;
  const floor = p50('baseline-hello');
  const budget = referenceBudget(fns);
  const compared = (line: BudgetLine) =>
    `${ms(line.value)} vs ${ms(line.floor)} (${signedMs(line.difference)})`;
  if (budget.noCall) {
    targets.push({
      id: 'reference-budget:no-call',
      description: `Reference service budget, no AWS call: ${ORDERS_API_NO_CALL} exec → first response p50 within 5 ms of baseline-hello`,
      measured: compared(budget.noCall),
      met: budget.noCall.met,
    });
  }
  if (budget.getItem) {
    const g = budget.getItem;
    targets.push({
      id: 'reference-budget:get-item',
      description:
        'Reference service budget, one GetItem: orders-api exec → first response p50 within 5 ms of baseline-hello',
      measured: `${compared(g)}: warm Duration ${ms(g.warmDuration)}, first over warm ${signedMs(g.firstOverWarm)}, init ${signedMs(g.initDifference)}`,
      met: g.met,
    });
  }
  for (const name of REFERENCE_FUNCTIONS) {
    // orders-api's row is the budget's second line above.
    if (name === 'orders-api') continue;
    const value = p50(name);
    if (value === undefined || floor === undefined) continue;
    targets.push({
      id: `first-response-near-hello:${name}`,
      description: `${name}: exec → first response p50 within 5 ms of baseline-hello`,
      measured: `${ms(value)} vs ${ms(floor)} (${value - floor >= 0 ? '+' : ''}${ms(value - floor)})`,
      met: value - floor <= 5,
    });
  }
  if (floor !== undefined) {
    const spawn = result.calibration.spawnTrueMs.p50;
    targets.push({
      id: 'hello-near-spawn',
      description: 'baseline-hello: exec → first response p50 within 5 ms of spawning /bin/true',
      measured: `${ms(floor)} vs ${ms(spawn)} (+${ms(floor - spawn)})`,
      met: floor - spawn <= 5,
    });
  }
  for (const [label, pair] of Object.entries(result.pairs)) {
    targets.push({
      id: `rust-faster-than-node:${label}`,
      description: `${label}: Rust at least 6× faster than Node.js to first response (p50)`,
      measured: `${pair.firstResponseSpeedup.toFixed(1)}×`,
      met: pair.firstResponseSpeedup >= 6,
    });
    targets.push({
      id: `rust-memory-vs-node:${label}`,
      description: `${label}: Rust peak RSS at most one third of Node.js's`,
      measured: `${(pair.peakRssRatio * 100).toFixed(0)} % (${peakRss(fns[pair.rust] as FunctionResult)} MB vs ${peakRss(fns[pair.node] as FunctionResult)} MB)`,
      met: pair.peakRssRatio <= 1 / 3,
    });
  }
  const base = fns['baseline-hello']?.warm?.durationMs.p50;
  const libs = fns['libraries-hello']?.warm?.durationMs.p50;
  if (base !== undefined && libs !== undefined) {
    targets.push({
      id: 'libraries-warm-overhead',
      description: 'libraries-hello: warm Duration p50 at most 0.1 ms over baseline-hello',
      measured: `${libs - base >= 0 ? '+' : ''}${((libs - base) * 1000).toFixed(0)} µs`,
      met: libs - base <= 0.1,
    });
  }
  for (const name of ['baseline-hello', 'hello-http']) {
    const fn = fns[name];
    if (!fn) continue;
    targets.push({
      id: `zip-hello:${name}`,
      description: `${name}: zipped at most 1.2 MB`,
      measured: mb(fn.zippedBytes),
      met: fn.zippedBytes <= 1.2 * 1024 * 1024,
    });
  }
  for (const name of REFERENCE_FUNCTIONS) {
    const fn = fns[name];
    if (!fn) continue;
    targets.push({
      id: `zip-reference:${name}`,
      description: `${name}: zipped at most 3 MB`,
      measured: mb(fn.zippedBytes),
      met: fn.zippedBytes <= ZIP_BUDGET_BYTES,
    });
  }
  const s10 = result.synth['10'];
  const s50 = result.synth['50'];
  targets.push({
    id: 'synth-50-vs-10',
    description: '50-function synth at most 2× the 10-function synth, with one cargo build',
    measured:
      s10 && s50
        ? `${(s50.cachedMs / s10.cachedMs).toFixed(2)}×, ${s50.builds} build(s)`
        : 'not measured (--quick)',
    met: s10 && s50 ? s50.cachedMs <= 2 * s10.cachedMs && s50.builds === 1 : null,
  });
  const rust = Object.entries(fns).filter(([, fn]) => fn.language === 'rust' && fn.role !== 'calibration');
  const slowest = Math.max(...rust.map(([, fn]) => fn.cold?.firstResponseMs.p50 ?? 0));
  const largest = Math.max(...rust.map(([, fn]) => fn.zippedBytes));
  targets.push({
    id: 'adr-002-cold-start',
    description: 'ADR-002: cold start median under 150 ms (slowest Rust function, exec → first response)',
    measured: ms(slowest),
    met: slowest < 150,
  });
  targets.push({
    id: 'adr-002-size',
    description: 'ADR-002: small artifacts, ~5–10 MB (largest Rust zip at most 10 MB)',
    measured: mb(largest),
    met: largest <= 10 * 1024 * 1024,
  });
  return targets;
}

/** Every number in a result, by a stable path (`functions.orders-api.cold.initMs.p50`). */
export function flattenFigures(
  value: unknown,
  prefix = '',
  into = new Map<string, number>(),
): Map<string, number> {
  if (typeof value === 'number') {
    if (Number.isFinite(value)) into.set(prefix, value);
  } else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) {
      // Machine, prices and settings describe the run; they are not figures to compare.
      if (prefix === '' && ['machine', 'prices', 'settings', 'schema', 'targets'].includes(key)) continue;
      if (prefix === 'concurrency' && ['prices', 'assumptions'].includes(key)) continue;
      flattenFigures(inner, prefix ? `${prefix}.${key}` : key, into);
    }
  }
  return into;
}
