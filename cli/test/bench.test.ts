import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalFunction } from '@ferrule/emulator';
import { listFunctions, projectRoot } from '@ferrule/toolchain/project';
import { afterAll, describe, expect, it } from 'vitest';
import { checkBenchResult } from '../src/bench/check.ts';
import {
  type ConcurrencyResult,
  concurrencyCost,
  FULFILLMENT_BATCH,
  FulfillmentEvents,
  type LevelFigures,
  levelFigures,
  ordersNeeded,
  orderUlid,
  perInFlight,
  warmupInvocations,
} from '../src/bench/concurrency.ts';
import {
  classicPerMillion,
  invocationCost,
  LAMBDA_PRICES,
  LMI_ASSUMPTIONS,
  LMI_PRICES,
  lmiCost,
  meanBilledMs,
} from '../src/bench/cost.ts';
import { shortCommit } from '../src/bench/machine.ts';
import type { SubjectFigures } from '../src/bench/measure.ts';
import type { MemoryFigures } from '../src/bench/memory.ts';
import { packageNodeBaselines } from '../src/bench/node-baselines.ts';
import { compareResults, renderChart, renderMarkdown } from '../src/bench/report.ts';
import {
  type BenchResult,
  costTable,
  evaluateTargets,
  type FunctionResult,
  pairResults,
  RESULT_SCHEMA,
  referenceBudget,
} from '../src/bench/result.ts';
import { percentile, spread } from '../src/bench/stats.ts';
import { allSubjects, contains, ordersGetEvent, SEED, SUBJECT_NAMES } from '../src/bench/subjects.ts';

const bin = join(projectRoot, 'cli/bin/ferrule.mjs');
const flat = (value: number) => ({ p50: value, p90: value, p99: value });

/** A function's figures where every latency is `coldMs` cold and `warmMs` warm. */
function figures(
  language: 'rust' | 'node',
  role: FunctionResult['role'],
  coldMs: number,
  warmMs: number,
  rssMb: number,
  zippedBytes: number,
): FunctionResult {
  const measured: SubjectFigures = {
    zippedBytes,
    unzippedBytes: zippedBytes * 2,
    cold: {
      runs: 30,
      initMs: flat(coldMs * 0.8),
      firstResponseMs: flat(coldMs),
      firstDurationMs: flat(coldMs * 0.2),
      peakRssMb: rssMb,
    },
    warm: {
      invokes: 2000,
      durationMs: flat(warmMs),
      roundTripMs: flat(warmMs + 0.1),
      invokesPerSecond: 1000 / (warmMs + 0.1),
      peakRssMb: rssMb,
    },
  };
  return { ...measured, language, role, about: 'test', event: '{}' };
}

/** `fn` with these cold p50s and this warm Duration p50 (the shape of a real orders-api run). */
function withTimes(
  fn: FunctionResult,
  times: { init: number; firstResponse: number; firstDuration: number; warm: number },
): FunctionResult {
  const cold = fn.cold as NonNullable<FunctionResult['cold']>;
  const warm = fn.warm as NonNullable<FunctionResult['warm']>;
  return {
    ...fn,
    cold: {
      ...cold,
      initMs: flat(times.init),
      firstResponseMs: flat(times.firstResponse),
      firstDurationMs: flat(times.firstDuration),
    },
    warm: { ...warm, durationMs: flat(times.warm) },
  };
}

/** baseline-hello and orders-api as the 2026-11-26 run measured them. */
const measuredRun = {
  'baseline-hello': withTimes(figures('rust', 'floor', 4, 0.3, 3, 500_000), {
    init: 8.36,
    firstResponse: 8.98,
    firstDuration: 0.51,
    warm: 0.28,
  }),
  'orders-api': withTimes(figures('rust', 'reference', 12, 4, 9, 2_900_000), {
    init: 9.99,
    firstResponse: 21.67,
    firstDuration: 9.64,
    warm: 3.1,
  }),
};

/**
 * One level as a run would measure it: `perSecond` invocations/s over 1 s, latency `latency` ms,
 * Duration `duration` ms, RSS steady `steadyKb` (samples around it), peak `maxKb`.
 */
function level(
  concurrency: number,
  perSecond: number,
  latency: number,
  duration: number,
  steadyKb: number,
  maxKb: number,
): LevelFigures {
  return levelFigures({
    concurrency,
    elapsedMs: 1000,
    latenciesMs: Array.from({ length: perSecond }, () => latency),
    durationsMs: Array.from({ length: perSecond }, () => duration),
    rssSamplesKb: [steadyKb - 8, steadyKb, steadyKb + 8],
    maxRssKb: maxKb,
  });
}

/** The concurrency section: every subject of a full run at 1, 8 and 64. */
function concurrencySection(): ConcurrencyResult {
  const subject = (artifact: string, language: 'rust' | 'node', levels: LevelFigures[]) => ({
    artifact,
    language,
    event: '{}',
    levels: Object.fromEntries(levels.map((l) => [String(l.concurrency), l])),
    perInFlight: perInFlight(levels),
    cost: concurrencyCost(levels),
  });
  return {
    levels: [1, 8, 64],
    invocationsPerLevel: 2000,
    memoryMb: 2048,
    subjects: {
      'hello-http': subject('hello-http', 'rust', [
        level(1, 2000, 0.5, 0.2, 3_000, 3_200),
        level(8, 6000, 1.3, 0.9, 3_300, 3_500),
        level(64, 8000, 8, 6, 4_260, 4_460),
      ]),
      // One invocation at a time: the callers wait in the emulator, Duration stays.
      'orders-api': subject('orders-api', 'rust', [
        level(1, 250, 4, 3.5, 9_000, 9_500),
        level(8, 260, 31, 3.5, 9_100, 9_600),
        level(64, 260, 246, 3.5, 9_100, 9_700),
      ]),
      'fulfillment-worker': subject('fulfillment-worker', 'rust', [
        level(1, 80, 12, 11, 10_000, 10_500),
        level(8, 82, 98, 11, 10_000, 10_600),
        level(64, 82, 780, 11, 10_100, 10_700),
      ]),
      'node-hello': subject('node-hello', 'node', [
        level(1, 1000, 1, 0.4, 45_000, 47_000),
        level(8, 3000, 2.7, 2, 46_000, 48_000),
        level(64, 4000, 16, 12, 51_300, 53_300),
      ]),
      'node-orders-get': subject('node-orders-get', 'node', [
        level(1, 200, 5, 4.5, 75_000, 78_000),
        level(8, 600, 13, 12, 77_000, 80_000),
        level(64, 700, 91, 88, 90_000, 95_000),
      ]),
    },
    assumptions: LMI_ASSUMPTIONS,
    prices: LMI_PRICES,
    load: { atStart: 3.5, atEnd: 4.25 },
  };
}

function sampleResult(overrides: Partial<Record<string, FunctionResult>> = {}): BenchResult {
  const functions: Record<string, FunctionResult> = {
    'noop-runtime': figures('rust', 'calibration', 3, 0.2, 2, 170_000),
    'baseline-hello': figures('rust', 'floor', 4, 0.3, 3, 500_000),
    'libraries-hello': figures('rust', 'floor', 5, 0.35, 4, 900_000),
    'hello-http': figures('rust', 'hello', 5, 0.4, 4, 1_000_000),
    'orders-api': figures('rust', 'reference', 12, 4, 9, 2_900_000),
    'orders-api-no-call': { ...figures('rust', 'reference', 7, 0.4, 9, 2_900_000), artifact: 'orders-api' },
    'identity-triggers': figures('rust', 'reference', 6, 0.5, 6, 2_500_000),
    'orders-stream': figures('rust', 'reference', 6, 0.5, 6, 2_400_000),
    'fulfillment-worker': figures('rust', 'reference', 7, 0.5, 7, 3_300_000),
    'order-notifier': figures('rust', 'reference', 6, 0.5, 6, 2_500_000),
    'node-hello': figures('node', 'baseline', 40, 0.9, 45, 2_500),
    'node-orders-get': figures('node', 'baseline', 140, 5, 75, 230_000),
  };
  for (const [name, value] of Object.entries(overrides)) if (value) functions[name] = value;
  const result: BenchResult = {
    schema: RESULT_SCHEMA,
    date: '2026-11-26',
    startedAt: '2026-11-26T10:00:00.000Z',
    commit: 'abc1234',
    quick: false,
    platform: 'al2023-x86_64',
    machine: {
      cores: 2,
      cpuModel: 'Test CPU',
      kernel: 'linux 6',
      memoryGb: 8,
      node: 'v20',
      rustc: 'rustc 1.95',
      loadAtStart: 0.5,
      loadAtEnd: 0.7,
    },
    settings: { coldRuns: 30, warmInvokes: 2000, memoryMb: 128 },
    calibration: { spawnTrueMs: flat(1.5) },
    functions,
    pairs: pairResults(functions),
    synth: {
      '10': { functions: 10, cachedMs: 4000, runs: 3, withBuildMs: 9000, builds: 1 },
      '50': { functions: 50, cachedMs: 7000, runs: 3, withBuildMs: 12000, builds: 1 },
    },
    build: { cleanMs: 400_000, incrementalMs: 40_000, incrementalIn: 'clean target' },
    localCloud: {
      startToAnswerMs: 8_000,
      httpRoundTripMs: flat(2.5),
      directInvokeMs: flat(1.5),
      httpOverheadP50Ms: 1,
      invocations: 1000,
    },
    memory: {
      'hello-http': memoryFigures(100_000, 25_000, 30),
      'orders-api-no-call': memoryFigures(100_000, 800, 60),
    },
    concurrency: concurrencySection(),
    cost: costTable(functions),
    prices: LAMBDA_PRICES,
    targets: [],
  };
  result.targets = evaluateTargets(result);
  return result;
}

/** A memory run that grew `growthKb` with a new trace id each, `controlKb` with one. */
function memoryFigures(invocations: number, growthKb: number, controlKb: number): MemoryFigures {
  const at = (start: number, growth: number, count: number) => ({
    startKb: start,
    endKb: start + growth,
    growthKb: growth,
    bytesPerInvocation: (growth * 1024) / count,
  });
  return {
    invocations,
    controlInvocations: invocations / 5,
    distinctTraceIds: at(4_000, growthKb, invocations),
    oneTraceId: at(4_000, controlKb, invocations / 5),
  };
}

describe('statistics', () => {
  it('takes percentiles by nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(spread([7])).toEqual({ p50: 7, p90: 7, p99: 7 });
    expect(Number.isNaN(percentile([], 50))).toBe(true);
  });
});

describe('cost', () => {
  it('bills whole milliseconds of memory-seconds, plus the request charge', () => {
    const cost = invocationCost(3.2, 128);
    expect(cost.billedMs).toBe(4);
    expect(cost.gbSeconds).toBeCloseTo(0.004 * 0.125, 12);
    expect(cost.perMillion.x86_64).toBeCloseTo(0.0005 * 0.0000166667 * 1e6 + 0.2, 9);
    expect(cost.perMillion.arm64).toBeLessThan(cost.perMillion.x86_64);
    expect(invocationCost(0.2, 1024).billedMs).toBe(1);
  });

  it('charges cold starts their init too, and leaves the calibration subject out', () => {
    const table = sampleResult().cost;
    expect(table['noop-runtime']).toBeUndefined();
    // orders-api: init 9.6 + first Duration 2.4 = 12 ms cold; 4 ms warm.
    expect(table['orders-api']?.['128']?.cold?.billedMs).toBe(12);
    expect(table['orders-api']?.['1024']?.warm?.billedMs).toBe(4);
  });
});

describe('concurrency section', () => {
  it('derives throughput, percentiles, runtime occupancy and billed time from one level', () => {
    const figures = levelFigures({
      concurrency: 8,
      elapsedMs: 500,
      latenciesMs: [1, 2, 3, 4],
      durationsMs: [0.4, 1.2, 2, 100],
      rssSamplesKb: [100, 300, 200],
      maxRssKb: 400,
    });
    expect(figures.invocationsPerSecond).toBe(8);
    expect(figures.latencyMs).toEqual({ p50: 2, p90: 4, p99: 4 });
    expect(figures.durationMs.p50).toBe(1.2);
    expect(figures.meanInRuntime).toBeCloseTo(103.6 / 500);
    expect(figures.meanBilledMs).toBe((1 + 2 + 2 + 100) / 4);
    expect(figures.steadyRssKb).toBe(200);
    expect(figures.rssSamples).toBe(3);
  });

  it('divides the RSS growth from the lowest to the highest level by the requests added', () => {
    const { subjects } = concurrencySection();
    expect(subjects['hello-http']?.perInFlight).toEqual({ from: 1, to: 64, steadyKb: 20, maxKb: 20 });
    expect(subjects['node-hello']?.perInFlight?.steadyKb).toBeCloseTo(100);
    expect(perInFlight([level(1, 10, 1, 1, 1, 1)])).toBeUndefined();
  });

  it('prices LMI from the instance, the 15 % fee and the request charge, and classic from billed ms', () => {
    // m7i.large: $0.1008 + 15 % = $0.11592 an hour; 2 environments × 1000 req/s × 50 % = 1000 req/s.
    const lmi = lmiCost(1000, 'm7i.large');
    expect(lmi.environmentsPerInstance).toBe(2);
    expect(lmi.perInstanceHour).toBeCloseTo(0.11592, 10);
    expect(lmi.requestsPerSecondPerInstance).toBe(1000);
    expect(lmi.perMillion).toBeCloseTo(0.11592 / 3.6 + 0.2, 10);
    expect(lmi.defaultInstancesLoad).toBe(3000);
    expect(lmi.defaultInstancesMonthly).toBeCloseTo(3 * 0.11592 * 730, 8);
    // 4 GiB per vCPU: an environment of 2048 MB has half a vCPU; memory then allows 4 per instance.
    expect(
      lmiCost(1000, 'm7g.large', { ...LMI_ASSUMPTIONS, memoryGiBPerVCpu: 4 }).environmentsPerInstance,
    ).toBe(4);
    expect(lmiCost(1000, 'm7g.large').perInstanceHour).toBeCloseTo(0.0816 * 1.15, 10);
    const classic = classicPerMillion(4, 128);
    expect(classic.x86_64).toBeCloseTo(0.0005 * 0.0000166667 * 1e6 + 0.2, 9);
    expect(classic.arm64).toBeLessThan(classic.x86_64);
    expect(meanBilledMs([0.2, 1.0, 1.01, 2.5])).toBe((1 + 1 + 2 + 3) / 4);
  });

  it('bases LMI on the highest level and classic on concurrency 1', () => {
    const cost = concurrencySection().subjects['hello-http']?.cost;
    expect(cost?.level).toBe(64);
    expect(cost?.requestsPerSecond).toBe(8000);
    expect(cost?.classicBilledMs).toBe(1);
    expect(cost?.lmi['m7i.large'].perMillion).toBeCloseTo(lmiCost(8000, 'm7i.large').perMillion, 12);
    expect(cost?.classic['2048']?.x86_64).toBeCloseTo(classicPerMillion(1, 2048).x86_64, 12);
  });

  it('ships a fresh seeded order in every fulfillment record', async () => {
    expect(orderUlid(1)).toMatch(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/);
    expect(orderUlid(33)).toBe('01M8BEWE400000000000000011');
    expect(ordersNeeded([1, 8], 200)).toBe(
      (warmupInvocations(1) + 200 + warmupInvocations(8) + 200) * FULFILLMENT_BATCH,
    );
    const events = await FulfillmentEvents.create(4);
    const first = JSON.parse(events.batch());
    const second = JSON.parse(events.batch());
    expect(first.Records).toHaveLength(FULFILLMENT_BATCH);
    const ids = [...first.Records, ...second.Records].map(
      (r: { body: string }) => JSON.parse(r.body).detail.orderId,
    );
    expect(ids).toEqual(events.orders);
    expect(JSON.parse(first.Records[0].body)['detail-type']).toBe('OrderPlaced');
    expect(JSON.parse(first.Records[0].body).detail.customerId).toBe(SEED.customerId);
    expect(() => events.batch()).toThrow('more orders than were seeded');
  });

  it('renders the section with its tables, prices and assumptions', () => {
    const markdown = renderMarkdown(sampleResult(), 'chart.svg');
    expect(markdown).toContain('## Concurrency in one execution environment (Lambda Managed Instances)');
    expect(markdown).toMatch(
      /\| hello-http +\| 64 +\| 8000 +\| 8\.00 +\| 8\.00 +\| 6\.00 +\| 6\.00 +\| 48\.0 +\| 4\.4 \/ 4\.2 +\|/,
    );
    expect(markdown).toMatch(
      /\| hello-http +\| 3\.1 \/ 2\.9 +\| 4\.4 \/ 4\.2 +\| 20\.0 KiB +\| 20\.0 KiB +\|/,
    );
    expect(markdown).toMatch(/\| hello +\| hello-http +\| node-hello +\| 2\.0× +\| 2\.0× +\| 8 % +\|/);
    expect(markdown).toContain('$0.1008/h');
    expect(markdown).toContain('15 %');
    expect(markdown).toContain(LMI_PRICES.asOf);
    expect(markdown).toContain('busy 50 % of the time');
    expect(markdown).toContain(
      'load average was 3.50 when the section started and 4.25 when it ended, on 2 cores',
    );
    // hello-http: 8000 req/s → LMI m7i.large, x86_64 classic at 128 MB and 1 ms.
    const perMillion = lmiCost(8000, 'm7i.large').perMillion;
    expect(markdown).toContain(`$${perMillion.toFixed(3)}`);
    expect(markdown).toContain(`$${classicPerMillion(1, 128).x86_64.toFixed(3)}`);
  });

  it('requires every level of every concurrency subject in a result', () => {
    const result = JSON.parse(JSON.stringify(sampleResult()));
    const names = ['hello-http', 'node-hello'];
    expect(checkBenchResult(result, names)).toEqual([]);
    delete result.concurrency.subjects['orders-api'];
    delete result.concurrency.subjects['node-hello'].levels['64'].steadyRssKb;
    delete result.concurrency.subjects['hello-http'].cost.lmi['m7i.large'];
    const problems = checkBenchResult(result, names);
    expect(problems).toContain(
      'concurrency.subjects.node-hello.levels.64.steadyRssKb is missing or not a number',
    );
    expect(problems).toContain(
      'concurrency.subjects.hello-http.cost.lmi.m7i.large.perMillion is missing or not a number',
    );
    expect(checkBenchResult(result, [...names, 'orders-api'])).toContain(
      'concurrency.subjects.orders-api is missing',
    );
  });
});

describe('targets and ratios', () => {
  it('reports each Rust/Node.js pair as a ratio', () => {
    const { pairs } = sampleResult();
    expect(pairs.hello?.firstResponseSpeedup).toBeCloseTo(10);
    expect(pairs['GET /orders/{id}']?.peakRssRatio).toBeCloseTo(9 / 75);
  });

  it('marks each target met or missed from the figures', () => {
    const byId = new Map(sampleResult().targets.map((t) => [t.id, t]));
    expect(byId.get('reference-budget:no-call')?.met).toBe(true); // 7 vs 4 ms
    expect(byId.get('reference-budget:get-item')?.met).toBe(false); // 12 vs 4 ms
    expect(byId.has('first-response-near-hello:orders-api')).toBe(false);
    expect(byId.has('first-response-near-hello:orders-api-no-call')).toBe(false);
    expect(byId.get('first-response-near-hello:orders-stream')?.met).toBe(true);
    expect(byId.get('hello-near-spawn')?.met).toBe(true);
    expect(byId.get('rust-faster-than-node:hello')?.met).toBe(true);
    expect(byId.get('libraries-warm-overhead')?.met).toBe(true); // +50 µs
    expect(byId.get('zip-reference:fulfillment-worker')?.met).toBe(false); // 3.3 MB
    expect(byId.get('synth-50-vs-10')?.met).toBe(true);
  });

  it('splits the GetItem line of the budget into what the figures measure', () => {
    const { getItem, noCall } = referenceBudget(sampleResult(measuredRun).functions);
    expect(noCall?.difference).toBeCloseTo(7 - 8.98);
    expect(getItem?.difference).toBeCloseTo(12.69);
    expect(getItem?.warmDuration).toBeCloseTo(3.1);
    expect(getItem?.firstOverWarm).toBeCloseTo(6.54);
    expect(getItem?.initDifference).toBeCloseTo(1.63);
    expect(getItem?.rest).toBeCloseTo(12.69 - 3.1 - 6.54 - 1.63);
    expect(getItem?.met).toBe(false);
  });

  it('reports no budget line for a subject the run left out, nor any without baseline-hello', () => {
    const result = sampleResult();
    delete (result.functions as Record<string, unknown>)['orders-api-no-call'];
    expect(referenceBudget(result.functions).noCall).toBeUndefined();
    expect(referenceBudget(result.functions).getItem).toBeDefined();
    const ids = evaluateTargets(result).map((t) => t.id);
    expect(ids).toContain('reference-budget:get-item');
    expect(ids).not.toContain('reference-budget:no-call');
    delete (result.functions as Record<string, unknown>)['baseline-hello'];
    expect(referenceBudget(result.functions)).toEqual({});
  });

  it('leaves the synth target unmeasured when the run did not synthesize 50 functions', () => {
    const result = sampleResult();
    delete result.synth['50'];
    const synth = evaluateTargets(result).find((t) => t.id === 'synth-50-vs-10');
    expect(synth?.met).toBeNull();
  });
});

describe('report files', () => {
  it('writes the budget, the calibration and every function into the Markdown', () => {
    const markdown = renderMarkdown(sampleResult(measuredRun), 'chart.svg');
    expect(markdown).toContain('**Reference service budget**');
    expect(markdown).not.toMatch(/issue/i);
    expect(markdown).toContain(
      '- No AWS call (orders-api-no-call: `GET /orders/{id}` answered 400 before any client is built): 7.00 ms vs baseline-hello 8.98 ms, -1.98 ms: **within budget**.',
    );
    expect(markdown).toContain(
      '- One GetItem to moto (orders-api: the seeded order): 21.67 ms vs baseline-hello 8.98 ms, +12.69 ms: **over budget**. Of the difference: ' +
        "3.10 ms is orders-api's warm Duration p50 (moto's GetItem round trip on loopback plus the handler), " +
        '+6.54 ms its first Duration over the warm one (client creation, loading the native root certificates, connection setup), ' +
        '+1.63 ms the init difference, +1.42 ms the rest',
    );
    // The targets table: two budget rows in place of orders-api's, the others as they were.
    expect(markdown).toMatch(
      /\| Reference service budget, no AWS call: orders-api-no-call exec → first response p50 within 5 ms of baseline-hello +\| 7\.00 ms vs 8\.98 ms \(-1\.98 ms\) +\| yes +\|/,
    );
    expect(markdown).toMatch(
      /\| Reference service budget, one GetItem: orders-api exec → first response p50 within 5 ms of baseline-hello +\| 21\.67 ms vs 8\.98 ms \(\+12\.69 ms\): warm Duration 3\.10 ms, first over warm \+6\.54 ms, init \+1\.63 ms +\| \*\*no\*\* +\|/,
    );
    expect(markdown).not.toContain('| orders-api: exec → first response p50');
    expect(markdown).toContain(
      '| identity-triggers: exec → first response p50 within 5 ms of baseline-hello',
    );
    expect(markdown).toContain('spawn `/bin/true`');
    expect(markdown).toContain('![cold start and peak memory, Rust and Node.js](chart.svg)');
    for (const name of ['fulfillment-worker', 'node-orders-get', 'libraries-hello', 'orders-api-no-call'])
      expect(markdown).toMatch(new RegExp(`\\| ${name} +\\|`));
    expect(markdown).toContain(LAMBDA_PRICES.asOf);
  });

  it('draws one bar per pair member in each panel of the chart', () => {
    const svg = renderChart(sampleResult());
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<rect /g)?.length).toBe(1 + 2 * 4 + 2); // background, 2 panels × 4 bars, legend
    expect(svg).toContain('140 ms');
    expect(svg).toContain('75 MB');
  });
});

describe('compare', () => {
  it('gives the change of every figure and names new and gone ones', () => {
    const before = sampleResult();
    const after = sampleResult({ 'orders-api': figures('rust', 'reference', 15, 4, 9, 2_900_000) });
    delete (after.functions as Record<string, unknown>)['order-notifier'];
    const changes = new Map(compareResults(before, after).map((c) => [c.figure, c]));
    expect(changes.get('functions.orders-api.cold.firstResponseMs.p50')?.change).toBeCloseTo(0.25);
    expect(changes.get('functions.order-notifier.zippedBytes')?.after).toBeUndefined();
    expect([...changes.keys()].some((k) => k.startsWith('machine.'))).toBe(false);
    expect(changes.get('concurrency.subjects.hello-http.levels.64.invocationsPerSecond')?.before).toBe(8000);
    expect([...changes.keys()].some((k) => /^concurrency\.(prices|assumptions)\./.test(k))).toBe(false);
  });

  it('prints the comparison from the command line, and refuses a file that is not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ferrule-bench-compare-'));
    const a = join(dir, 'a.json');
    const b = join(dir, 'b.json');
    writeFileSync(a, JSON.stringify(sampleResult()));
    writeFileSync(
      b,
      JSON.stringify(sampleResult({ 'node-hello': figures('node', 'baseline', 60, 0.9, 45, 2_500) })),
    );
    const ok = spawnSync(process.execPath, [bin, 'bench', '--compare', a, b], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/functions\.node-hello\.cold\.firstResponseMs\.p50\s+40\s+60\s+\+50\.0 %/);
    writeFileSync(b, 'not json');
    const bad = spawnSync(process.execPath, [bin, 'bench', '--compare', a, b], { encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('is not JSON');
    const one = spawnSync(process.execPath, [bin, 'bench', '--compare', a], { encoding: 'utf8' });
    expect(one.status).toBe(2);
    expect(one.stderr).toContain('--compare takes two result files');
  });
});

describe('result check (the npm test smoke run)', () => {
  const names = Object.keys(sampleResult().functions);

  it('finds nothing missing in a complete result', () => {
    expect(checkBenchResult(sampleResult(), names)).toEqual([]);
  });

  it('names every figure that was not produced', () => {
    const result = JSON.parse(JSON.stringify(sampleResult()));
    delete result.functions['orders-api'].warm;
    result.functions['node-hello'].cold.initMs.p50 = null;
    const problems = checkBenchResult(result, names);
    expect(problems).toContain('functions.orders-api.warm.durationMs.p50 is missing or not a number');
    expect(problems).toContain('functions.node-hello.cold.initMs.p50 is missing or not a number');
    expect(checkBenchResult(result, [...names, 'ghost'])).toContain('functions.ghost is missing');
    delete result.localCloud;
    expect(checkBenchResult(result, names)).toContain(
      'localCloud.startToAnswerMs is missing or not a number',
    );
  });

  it('reports memory growth against 1 MiB over 100,000 invocations, and requires its figures', () => {
    const result = sampleResult();
    const byId = new Map(result.targets.map((t) => [t.id, t]));
    expect(byId.get('memory:hello-http')).toMatchObject({ met: false });
    expect(byId.get('memory:hello-http')?.measured).toContain('256 B per invocation');
    expect(byId.get('memory:orders-api-no-call')).toMatchObject({ met: true });
    const quick = { ...result, memory: { 'hello-http': memoryFigures(2000, 500, 1) } };
    expect(new Map(evaluateTargets(quick).map((t) => [t.id, t])).get('memory:hello-http')?.met).toBeNull();
    expect(renderMarkdown(result, 'chart.svg')).toContain('## Memory of a long-lived process');
    const missing = JSON.parse(JSON.stringify(result));
    delete missing.memory;
    expect(checkBenchResult(missing, names)).toContain(
      'memory.hello-http.distinctTraceIds.growthKb is missing or not a number',
    );
  });

  it('reports the local cloud targets, watch reload unmeasured unless asked for', () => {
    const byId = new Map(sampleResult().targets.map((t) => [t.id, t]));
    expect(byId.get('local-cloud:start')?.met).toBe(true);
    expect(byId.get('local-cloud:http-overhead')).toMatchObject({
      met: true,
      measured: expect.stringContaining('1.00 ms'),
    });
    expect(byId.get('local-cloud:watch-reload')?.met).toBeNull();
    expect(renderMarkdown(sampleResult(), 'chart.svg')).toContain('## Local cloud (`ferrule start`)');
  });
});

describe('subjects', () => {
  it('matches responses the way fixtures declare them', () => {
    expect(contains({ statusCode: 200, body: '{"a":1,"b":2}' }, { body: { a: 1 } })).toBe(true);
    expect(contains({ headers: { 'Content-Type': 'x' } }, { headers: { 'content-type': 'x' } })).toBe(true);
    expect(contains({ statusCode: 404 }, { statusCode: 200 })).toBe(false);
  });

  it('asks orders-api for the seeded order of the fixture caller', async () => {
    const event = JSON.parse(await ordersGetEvent());
    expect(event.pathParameters.id).toBe(SEED.orderId);
    expect(event.rawPath).toBe(`/orders/${SEED.orderId}`);
    expect(event.requestContext.authorizer.jwt.claims.sub).toBe(SEED.customerId);
  });

  it('measures every subject the smoke run expects, each on a named artifact', async () => {
    const subjects = await allSubjects(await listFunctions());
    expect(subjects.map((s) => s.name)).toEqual([...SUBJECT_NAMES]);
    const noCall = subjects.find((s) => s.name === 'orders-api-no-call');
    expect(noCall?.artifact).toBe('orders-api');
    expect(subjects.find((s) => s.name === 'orders-api')?.artifact).toBe('orders-api');
    expect(noCall?.environment).toEqual(subjects.find((s) => s.name === 'orders-api')?.environment);
  });

  it('sends orders-api-no-call an id that fails validation, and accepts only the 400', async () => {
    const subjects = await allSubjects(await listFunctions());
    const noCall = subjects.find((s) => s.name === 'orders-api-no-call');
    if (!noCall) throw new Error('orders-api-no-call is not a subject');
    const event = JSON.parse(noCall.event);
    expect(event.pathParameters.id).toBe('o-2026-0001');
    expect(event.requestContext.authorizer.jwt.claims.sub).toBe(SEED.customerId);
    const problem = {
      statusCode: 400,
      headers: { 'content-type': 'application/problem+json' },
      body: JSON.stringify({ status: 400, title: 'Invalid path parameter' }),
    };
    expect(noCall.check(problem)).toBeUndefined();
    expect(noCall.check({ ...problem, statusCode: 200, body: '{}' })).toBe('answered HTTP 200, expected 400');
    expect(noCall.check({ ...problem, body: JSON.stringify({ status: 400, title: 'Other' }) })).toContain(
      "apigw-http/orders-get-by-id's expectation in orders-api's Cargo.toml",
    );
  });

  it('reads the commit from .git without git, or says unknown', () => {
    expect(shortCommit()).toMatch(/^([0-9a-f]{7}|unknown)$/);
    expect(shortCommit(tmpdir())).toBe('unknown');
  });
});

describe('Node.js baselines', () => {
  const locals: LocalFunction[] = [];
  afterAll(async () => {
    await Promise.all(locals.map((l) => l.stop()));
  });

  it('bundles each handler with the runtime loop and runs under the emulator like a function', async () => {
    const { zips } = await packageNodeBaselines();
    const hello = new LocalFunction({
      name: 'node-hello',
      artifact: zips.get('node-hello') as string,
      handler: 'index.handler',
    });
    locals.push(hello);
    const first = await hello.invoke({ name: 'Ada' });
    expect(first.outcome).toMatchObject({ kind: 'success', json: { hello: 'Ada' } });
    expect(first.initDurationMs).toBeGreaterThan(0);
    const second = await hello.invoke({});
    expect(second.coldStart).toBe(false);
    expect(second.outcome).toMatchObject({ kind: 'success', json: { hello: 'world' } });

    // orders-get decides 401 and 400 before any AWS call, as orders-api does.
    const orders = new LocalFunction({
      name: 'node-orders-get',
      artifact: zips.get('node-orders-get') as string,
      handler: 'index.handler',
      environment: { ORDERS_TABLE: 'orders-test' },
    });
    locals.push(orders);
    const noClaims = await orders.invoke({ pathParameters: { id: SEED.orderId } });
    expect(noClaims.outcome).toMatchObject({ kind: 'success', json: { statusCode: 401 } });
    const badId = JSON.parse(await ordersGetEvent());
    badId.pathParameters.id = 'o-2026-0001';
    const invalid = await orders.invoke(badId);
    expect(invalid.outcome).toMatchObject({ kind: 'success', json: { statusCode: 400 } });
  });

  it('takes AWS_LAMBDA_MAX_CONCURRENCY invocations at once in one process, each answered with its own', async () => {
    const { zips } = await packageNodeBaselines();
    const hello = new LocalFunction({
      name: 'node-hello',
      artifact: zips.get('node-hello') as string,
      handler: 'index.handler',
      maxConcurrency: 8,
    });
    locals.push(hello);
    const names = Array.from({ length: 32 }, (_, i) => `caller-${i}`);
    const reports = await Promise.all(names.map((name) => hello.invoke({ name })));
    expect(reports.map((r) => r.outcome)).toEqual(
      names.map((name) => expect.objectContaining({ kind: 'success', json: { hello: name } })),
    );
    expect(reports.filter((r) => r.coldStart)).toHaveLength(1);
  });

  it('reports a handler that cannot be loaded as an init error', async () => {
    const { zips } = await packageNodeBaselines();
    const broken = new LocalFunction({
      name: 'node-hello',
      artifact: zips.get('node-hello') as string,
      handler: 'index.missing',
    });
    locals.push(broken);
    const report = await broken.invoke({});
    expect(report.outcome).toMatchObject({ kind: 'error', phase: 'init' });
    expect(JSON.stringify(report.outcome)).toContain('index.missing is not a function');
  });
});

describe('bench command', () => {
  it('names the subjects when asked for one that does not exist', () => {
    const run = spawnSync(process.execPath, [bin, 'bench', 'no-such-function'], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('unknown benchmark subject `no-such-function`');
    expect(run.stderr).toContain('node-orders-get');
  });
});
