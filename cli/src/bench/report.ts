// The results file (Markdown), its chart (SVG, drawn here: a few bars and labels need no
// chart library) and the comparison of two JSON results.
import { formatBytes } from '../format.ts';
import { CLASSIC_MEMORY_SIZES, type ConcurrencyResult } from './concurrency.ts';
import { type LmiInstanceType, vCpusPerEnvironment } from './cost.ts';
import {
  type BenchResult,
  type BudgetLine,
  COST_MEMORY_SIZES,
  flattenFigures,
  peakRss,
  REFERENCE_BUDGET_MS,
  referenceBudget,
} from './result.ts';
import { ORDERS_API_NO_CALL, PAIRS } from './subjects.ts';

const ms = (value: number | undefined) =>
  value === undefined || Number.isNaN(value) ? '–' : value.toFixed(2);
const us = (value: number | undefined) =>
  value === undefined || Number.isNaN(value) ? '–' : (value * 1000).toFixed(0);
const signed = (value: number) => `${value >= 0 ? '+' : ''}${ms(value)}`;
const usd = (value: number) => `$${value.toFixed(value < 1 ? 3 : 2)}`;

const mib = (kb: number) => `${(kb / 1024).toFixed(1)}`;

/** Rust / Node.js pairs of the concurrency section (hello-http is the HTTP hello Node.js answers plainly). */
export const CONCURRENCY_PAIRS = [
  { rust: 'hello-http', node: 'node-hello', label: 'hello' },
  { rust: 'orders-api', node: 'node-orders-get', label: 'GET /orders/{id}' },
] as const;

/** The concurrency table: one row per subject and level (printed by the command and in the report). */
export function concurrencyTable(c: ConcurrencyResult): { headers: string[]; rows: string[][] } {
  const headers = [
    'function',
    'at once',
    'invocations/s',
    'latency p50 ms',
    'p99 ms',
    'Duration p50 ms',
    'p99 ms',
    'in runtime (mean)',
    'RSS max / steady MiB',
  ];
  const rows: string[][] = [];
  for (const [name, subject] of Object.entries(c.subjects)) {
    for (const level of c.levels) {
      const f = subject.levels[String(level)];
      if (!f) continue;
      rows.push([
        name,
        String(level),
        f.invocationsPerSecond.toFixed(0),
        ms(f.latencyMs.p50),
        ms(f.latencyMs.p99),
        ms(f.durationMs.p50),
        ms(f.durationMs.p99),
        f.meanInRuntime.toFixed(1),
        `${mib(f.maxRssKb)} / ${mib(f.steadyRssKb)}`,
      ]);
    }
  }
  return { headers, rows };
}

/** Memory per request in flight, one row per subject. */
export function perInFlightTable(c: ConcurrencyResult): { headers: string[]; rows: string[][] } {
  const entries = Object.entries(c.subjects).filter(([, s]) => s.perInFlight);
  const first = entries[0]?.[1].perInFlight;
  const from = first?.from ?? 1;
  const to = first?.to ?? 1;
  return {
    headers: [
      'function',
      `RSS at ${from}: max / steady MiB`,
      `at ${to}: max / steady MiB`,
      `per request in flight, steady: (${to} − ${from}) ÷ ${to - from}`,
      'from the peaks',
    ],
    rows: entries.map(([name, s]) => {
      const low = s.levels[String(s.perInFlight?.from)];
      const high = s.levels[String(s.perInFlight?.to)];
      return [
        name,
        low ? `${mib(low.maxRssKb)} / ${mib(low.steadyRssKb)}` : '–',
        high ? `${mib(high.maxRssKb)} / ${mib(high.steadyRssKb)}` : '–',
        `${(s.perInFlight?.steadyKb ?? Number.NaN).toFixed(1)} KiB`,
        `${(s.perInFlight?.maxKb ?? Number.NaN).toFixed(1)} KiB`,
      ];
    }),
  };
}

/** Cost per million requests: LMI on each priced instance type against classic Lambda. */
export function concurrencyCostTable(c: ConcurrencyResult): { headers: string[]; rows: string[][] } {
  const instances = Object.keys(c.prices.instances) as LmiInstanceType[];
  const headers = [
    'function',
    'req/s per environment (at)',
    ...instances.map((type) => `LMI ${type} (${c.prices.instances[type].architecture})`),
    'classic billed ms (at 1)',
    ...CLASSIC_MEMORY_SIZES.flatMap((memory) => [
      `classic ${memory} MB x86_64`,
      `classic ${memory} MB arm64`,
    ]),
    `load the ${c.prices.defaultInstances} default ${instances[0] ?? ''} carry`,
  ];
  const rows = Object.entries(c.subjects).flatMap(([name, s]) => {
    const cost = s.cost;
    if (!cost) return [];
    return [
      [
        name,
        `${cost.requestsPerSecond.toFixed(0)} (${cost.level})`,
        ...instances.map((type) => usd(cost.lmi[type].perMillion)),
        cost.classicBilledMs.toFixed(2),
        ...CLASSIC_MEMORY_SIZES.flatMap((memory) => {
          const classic = cost.classic[String(memory)];
          return [classic ? usd(classic.x86_64) : '–', classic ? usd(classic.arm64) : '–'];
        }),
        `${(instances[0] ? cost.lmi[instances[0]].defaultInstancesLoad : Number.NaN).toFixed(0)} req/s`,
      ],
    ];
  });
  return { headers, rows };
}

function renderConcurrency(c: ConcurrencyResult, cores: number, out: string[]): void {
  const levels = c.levels.join(', ');
  out.push('## Concurrency in one execution environment (Lambda Managed Instances)');
  out.push('');
  out.push(
    `One process per function and level, started with \`AWS_LAMBDA_MAX_CONCURRENCY\` = the level (none at 1, as classic Lambda), ` +
      `driven by as many callers at once; ${c.invocationsPerLevel} measured invocations per level (${levels}) after a warm-up, ${c.memoryMb} MB configured. ` +
      'latency = `invoke()` → answer, what a caller waits (including for a free slot when the runtime takes fewer at once); ' +
      'Duration = event handed over → response; in runtime (mean) = Σ Duration ÷ wall time, about the level when the runtime takes invocations concurrently, at most 1 when it takes them one at a time; ' +
      'RSS max = VmHWM after the level (init and warm-up included), steady = median VmRSS sampled every 25 ms while the measured invocations ran.' +
      (c.load
        ? ` The machine's 1-minute load average was ${c.load.atStart.toFixed(2)} when the section started and ${c.load.atEnd.toFixed(2)} when it ended, on ${cores} cores: ` +
          'the process, the emulator, moto and the fake carrier share them, so a loaded machine lowers the throughputs and widens the p99s.'
        : ''),
  );
  out.push('');
  const table = concurrencyTable(c);
  out.push(markdownTable(table.headers, table.rows));
  out.push('');
  const pairs = CONCURRENCY_PAIRS.filter((p) => c.subjects[p.rust] && c.subjects[p.node]);
  if (pairs.length > 0) {
    const top = String(c.levels[c.levels.length - 1]);
    out.push(`Rust against Node.js 20 at ${top} at once, same run:`);
    out.push('');
    out.push(
      markdownTable(
        [
          'pair',
          'Rust',
          'Node.js',
          'invocations/s: Rust ÷ Node',
          'latency p99: Node ÷ Rust',
          'RSS steady: Rust ÷ Node',
        ],
        pairs.map((p) => {
          const r = c.subjects[p.rust]?.levels[top];
          const n = c.subjects[p.node]?.levels[top];
          return [
            p.label,
            p.rust,
            p.node,
            r && n ? `${(r.invocationsPerSecond / n.invocationsPerSecond).toFixed(1)}×` : '–',
            r && n ? `${(n.latencyMs.p99 / r.latencyMs.p99).toFixed(1)}×` : '–',
            r && n ? `${((r.steadyRssKb / n.steadyRssKb) * 100).toFixed(0)} %` : '–',
          ];
        }),
      ),
    );
    out.push('');
  }
  out.push('### Memory per request in flight');
  out.push('');
  const per = perInFlightTable(c);
  out.push(markdownTable(per.headers, per.rows));
  out.push('');
  out.push(
    'What one more invocation in flight adds to the process: its request and response buffers, its task or promise, its connections. A runtime that takes one invocation at a time (in runtime ≈ 1 above) holds the others in the emulator, not in the process, so its figure is about 0.',
  );
  out.push('');
  out.push('### Cost per million requests: Managed Instances against classic Lambda');
  out.push('');
  const [firstType, firstInstance] = Object.entries(c.prices.instances)[0] ?? [];
  const monthly = firstInstance
    ? firstInstance.onDemandPerHour * (1 + c.prices.managementFeeShare) * c.prices.defaultInstances * 730
    : Number.NaN;
  const instanceLines = Object.entries(c.prices.instances).map(
    ([type, i]) =>
      `${type} (${i.architecture}, ${i.vCpus} vCPU, ${i.memoryGiB} GiB) $${i.onDemandPerHour}/h on demand (${i.source})`,
  );
  out.push(
    `Prices as of ${c.prices.asOf}. LMI = the capacity provider's EC2 instances at their on-demand price + the management fee of ${(c.prices.managementFeeShare * 100).toFixed(0)} % of that price + $${c.prices.perMillionRequests.toFixed(2)} per million requests, no duration charge (${c.prices.source}). ` +
      `Instances: ${instanceLines.join('; ')}.`,
  );
  out.push('');
  out.push(
    `**What the LMI figure rests on:** a function of ${c.assumptions.functionMemoryMb} MB with ${c.assumptions.memoryGiBPerVCpu} GiB per vCPU, so an execution environment has ${vCpusPerEnvironment(c.assumptions)} vCPU and each 2-vCPU, 8-GiB instance holds 2 environments; ` +
      `each environment serving the invocations/s measured here at the highest level (one process on this machine, sharing its ${cores} cores with the emulator, moto and the fake carrier); ` +
      `instances busy ${(c.assumptions.utilisation * 100).toFixed(0)} % of the time on average; a steady load of at least what the ${c.prices.defaultInstances} instances a capacity provider starts by default carry at that utilisation (last column; below it those instances cost their fixed ` +
      `$${monthly.toFixed(0)} (${firstType}, 730 hours) a month whatever the load). ` +
      'Per million = (on-demand + fee per instance-hour) ÷ (environments × invocations/s × utilisation × 3600) × 10⁶ + the request charge. ' +
      `**Classic:** the mean billed Duration at concurrency 1 (each rounded up to 1 ms) × memory × Lambda's price per GB-second + $0.20 per million (the prices of the cost section below). ` +
      `At ${CLASSIC_MEMORY_SIZES[1]} MB classic Lambda gives a whole vCPU, as the process had here; at 128 MB it gives a fraction, so real durations there are longer than these.`,
  );
  out.push('');
  const cost = concurrencyCostTable(c);
  out.push(markdownTable(cost.headers, cost.rows));
  out.push('');
}

/** A Markdown table with padded columns, as the repository's formatter writes them. */
function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, i) =>
    Math.max(3, header.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${widths.map((width, i) => (cells[i] ?? '').padEnd(width)).join(' | ')} |`;
  return [line(headers), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

export function renderMarkdown(result: BenchResult, chartFile: string): string {
  const { machine, settings } = result;
  const fns = Object.entries(result.functions);
  const out: string[] = [];
  out.push(
    `# Benchmark results: ${result.date}, commit ${result.commit}${result.quick ? ' (quick run)' : ''}`,
  );
  out.push('');
  out.push(
    `Produced by \`npm run bench\` (\`npx ferrule bench${result.quick ? ' --quick' : ''}\`); method, figures and limits: [bench/README.md](../README.md). ` +
      `Every function ran under the Runtime API emulator on this machine in the same run, ${result.platform}, ` +
      `${settings.memoryMb} MB configured (not enforced), ${settings.coldRuns} cold starts and ${settings.warmInvokes} warm invocations each.`,
  );
  out.push('');
  out.push('## Machine');
  out.push('');
  out.push(
    markdownTable(
      ['cores', 'CPU', 'kernel', 'memory', 'Node.js', 'Rust', 'load (1 min) at start / end', 'run time'],
      [
        [
          String(machine.cores),
          machine.cpuModel,
          machine.kernel,
          `${machine.memoryGb} GB`,
          machine.node,
          machine.rustc,
          `${machine.loadAtStart.toFixed(2)} / ${machine.loadAtEnd?.toFixed(2) ?? '–'}`,
          result.durationSeconds === undefined ? '–' : `${(result.durationSeconds / 60).toFixed(1)} min`,
        ],
      ],
    ),
  );
  out.push('');
  out.push('## Headline: Rust against Node.js 20 (same machine, same run)');
  out.push('');
  out.push(`![cold start and peak memory, Rust and Node.js](${chartFile})`);
  out.push('');
  out.push(
    markdownTable(
      [
        'pair',
        'Rust',
        'Node.js',
        'first response: Node ÷ Rust',
        'init: Node ÷ Rust',
        'warm: Node ÷ Rust',
        'peak RSS: Rust ÷ Node',
        'zipped: Rust vs Node',
      ],
      Object.entries(result.pairs).map(([label, pair]) => [
        label,
        pair.rust,
        pair.node,
        `**${pair.firstResponseSpeedup.toFixed(1)}×** faster`,
        `${pair.initSpeedup.toFixed(1)}×`,
        `${pair.warmSpeedup.toFixed(1)}×`,
        `**${(pair.peakRssRatio * 100).toFixed(0)} %**`,
        `${formatBytes(result.functions[pair.rust]?.zippedBytes ?? 0)} vs ${formatBytes(result.functions[pair.node]?.zippedBytes ?? 0)}`,
      ]),
    ),
  );
  const budget = referenceBudget(result.functions);
  if (budget.noCall || budget.getItem) {
    const verdict = (line: BudgetLine) =>
      `${ms(line.value)} ms vs baseline-hello ${ms(line.floor)} ms, ${signed(line.difference)} ms: **${line.met ? 'within budget' : 'over budget'}**`;
    out.push('');
    out.push(
      `**Reference service budget**: exec → first response p50 of orders-api for a GET with lazily created clients, within ${REFERENCE_BUDGET_MS} ms of the plain lambda_runtime hello (baseline-hello).`,
    );
    out.push('');
    if (budget.noCall) {
      out.push(
        `- No AWS call (${ORDERS_API_NO_CALL}: \`GET /orders/{id}\` answered 400 before any client is built): ${verdict(budget.noCall)}.`,
      );
    }
    const g = budget.getItem;
    if (g) {
      out.push(
        `- One GetItem to moto (orders-api: the seeded order): ${verdict(g)}. Of the difference: ` +
          `${ms(g.warmDuration)} ms is orders-api's warm Duration p50 (moto's GetItem round trip on loopback plus the handler), ` +
          `${signed(g.firstOverWarm)} ms its first Duration over the warm one (client creation, loading the native root certificates, connection setup), ` +
          `${signed(g.initDifference)} ms the init difference, ${signed(g.rest)} ms the rest (baseline-hello's own first Duration; p50s do not add exactly).`,
      );
    }
  }
  out.push('');
  out.push('## Targets (reported, not asserted)');
  out.push('');
  out.push(
    markdownTable(
      ['target', 'measured', 'met'],
      result.targets.map((t) => [t.description, t.measured, t.met === null ? '–' : t.met ? 'yes' : '**no**']),
    ),
  );
  out.push('');
  out.push('## Calibration: the floor of this machine and of the emulator');
  out.push('');
  const noop = result.functions['noop-runtime'];
  out.push(
    markdownTable(
      ['floor', 'p50 ms', 'p90 ms', 'p99 ms'],
      [
        [
          'spawn `/bin/true` → exit (the emulator’s spawn, no Runtime API)',
          ms(result.calibration.spawnTrueMs.p50),
          ms(result.calibration.spawnTrueMs.p90),
          ms(result.calibration.spawnTrueMs.p99),
        ],
        ...(noop?.cold
          ? [
              [
                'noop-runtime: exec → first response (spawn + one Runtime API round trip)',
                ms(noop.cold.firstResponseMs.p50),
                ms(noop.cold.firstResponseMs.p90),
                ms(noop.cold.firstResponseMs.p99),
              ],
            ]
          : []),
        ...(noop?.warm
          ? [
              [
                'noop-runtime: warm round trip (`invoke()` → report)',
                ms(noop.warm.roundTripMs.p50),
                ms(noop.warm.roundTripMs.p90),
                ms(noop.warm.roundTripMs.p99),
              ],
              [
                'noop-runtime: warm Duration (event handed over → response)',
                ms(noop.warm.durationMs.p50),
                ms(noop.warm.durationMs.p90),
                ms(noop.warm.durationMs.p99),
              ],
            ]
          : []),
      ],
    ),
  );
  out.push('');
  out.push('Nothing is subtracted from the figures below; read them against these floors.');
  out.push('');
  out.push('## Cold start (fresh process each time)');
  out.push('');
  out.push(
    markdownTable(
      [
        'function',
        'lang',
        'event',
        'zipped',
        'unzipped',
        'init p50',
        'p90',
        'p99',
        'exec→first response p50',
        'p90',
        'p99',
        'first Duration p50',
        'peak RSS',
      ],
      fns.map(([name, fn]) => [
        name,
        fn.language,
        `\`${fn.event}\``,
        formatBytes(fn.zippedBytes),
        formatBytes(fn.unzippedBytes),
        ms(fn.cold?.initMs.p50),
        ms(fn.cold?.initMs.p90),
        ms(fn.cold?.initMs.p99),
        ms(fn.cold?.firstResponseMs.p50),
        ms(fn.cold?.firstResponseMs.p90),
        ms(fn.cold?.firstResponseMs.p99),
        ms(fn.cold?.firstDurationMs.p50),
        fn.cold ? `${fn.cold.peakRssMb} MB` : '–',
      ]),
    ),
  );
  out.push('');
  out.push(
    'Times in ms. init = exec → first `/next` (Lambda’s Init Duration); first Duration = event handed over → response in that first invocation (Lambda’s Duration on a cold start); peak RSS = Max Memory Used after the first invocation (median).',
  );
  out.push('');
  out.push('## Warm invocations (one process, one at a time)');
  out.push('');
  out.push(
    markdownTable(
      ['function', 'Duration p50 µs', 'p99 µs', 'round trip p50 µs', 'p99 µs', 'invokes/s', 'peak RSS after'],
      fns.map(([name, fn]) => [
        name,
        us(fn.warm?.durationMs.p50),
        us(fn.warm?.durationMs.p99),
        us(fn.warm?.roundTripMs.p50),
        us(fn.warm?.roundTripMs.p99),
        fn.warm ? fn.warm.invokesPerSecond.toFixed(0) : '–',
        fn.warm ? `${fn.warm.peakRssMb} MB` : '–',
      ]),
    ),
  );
  out.push('');
  if (result.localCloud) {
    const local = result.localCloud;
    out.push('## Local cloud (`ferrule start`)');
    out.push('');
    out.push(
      markdownTable(
        ['figure', 'value'],
        [
          [
            '`ferrule start` (already built) → `GET /hello` answers',
            `${(local.startToAnswerMs / 1000).toFixed(2)} s`,
          ],
          [
            `warm \`GET /hello\` through the local HTTP API, p50 / p99 (${local.invocations} requests)`,
            `${ms(local.httpRoundTripMs.p50)} / ${ms(local.httpRoundTripMs.p99)}`,
          ],
          [
            'the same event straight to the emulator, p50 / p99',
            `${ms(local.directInvokeMs.p50)} / ${ms(local.directInvokeMs.p99)}`,
          ],
          ['overhead of the local HTTP API, p50', ms(local.httpOverheadP50Ms)],
          [
            'watch: one-line change of hello-http → new answer (`local` profile)',
            local.watchReloadMs === undefined
              ? 'not measured (`--watch-reload`)'
              : `${(local.watchReloadMs / 1000).toFixed(2)} s`,
          ],
          [
            'watch: first `local` profile build, in the background after start',
            local.watchFirstBuildMs === undefined ? '–' : `${(local.watchFirstBuildMs / 1000).toFixed(1)} s`,
          ],
        ],
      ),
    );
    out.push('');
  }
  if (result.memory && Object.keys(result.memory).length > 0) {
    out.push('## Memory of a long-lived process');
    out.push('');
    out.push(
      'RSS (VmRSS) after a warm-up, then after many more warm invocations in the same process: once with a new X-Ray trace id per invocation, as Lambda sends them, once with one trace id. The difference is what `lambda_runtime` setting `_X_AMZN_TRACE_ID` for every invocation costs (docs/hardening.md).',
    );
    out.push('');
    const kb = (value: number) => `${(value / 1024).toFixed(2)} MiB`;
    out.push(
      markdownTable(
        [
          'function',
          'invocations',
          'new trace id each: growth',
          'per invocation',
          'one trace id: invocations, growth',
          'per invocation',
        ],
        Object.entries(result.memory).map(([name, m]) => [
          name,
          String(m.invocations),
          `${kb(m.distinctTraceIds.growthKb)} (${kb(m.distinctTraceIds.startKb)} → ${kb(m.distinctTraceIds.endKb)})`,
          `${m.distinctTraceIds.bytesPerInvocation.toFixed(0)} B`,
          `${m.controlInvocations}: ${kb(m.oneTraceId.growthKb)} (${kb(m.oneTraceId.startKb)} → ${kb(m.oneTraceId.endKb)})`,
          `${m.oneTraceId.bytesPerInvocation.toFixed(0)} B`,
        ]),
      ),
    );
    out.push('');
  }
  if (result.concurrency && Object.keys(result.concurrency.subjects).length > 0) {
    renderConcurrency(result.concurrency, machine.cores, out);
  }
  out.push('## Build and synth');
  out.push('');
  const buildRows: string[][] = [];
  if (result.build) {
    buildRows.push([
      'clean release build of the workspace (own target folder)',
      `${(result.build.cleanMs / 1000).toFixed(1)} s`,
    ]);
    buildRows.push([
      `incremental rebuild after touching hello-http's handler (${result.build.incrementalIn})`,
      `${(result.build.incrementalMs / 1000).toFixed(1)} s`,
    ]);
  } else {
    buildRows.push([
      'clean release build of the workspace',
      result.quick ? 'not measured (--quick)' : 'not measured',
    ]);
  }
  if (result.incrementalMs !== undefined) {
    buildRows.push([
      "incremental rebuild after touching hello-http's handler (shared target)",
      `${(result.incrementalMs / 1000).toFixed(1)} s`,
    ]);
  }
  out.push(markdownTable(['build', 'wall time'], buildRows));
  out.push('');
  const synthRows = Object.values(result.synth).map((s) => [
    String(s.functions),
    `${(s.cachedMs / 1000).toFixed(2)} s`,
    String(s.runs),
    `${(s.withBuildMs / 1000).toFixed(2)} s`,
    String(s.builds),
  ]);
  out.push(
    markdownTable(
      [
        'functions in the app',
        'synth, artifacts built (median)',
        'runs',
        'synth into an empty artifacts folder',
        'cargo builds it triggered',
      ],
      synthRows.length > 0 ? synthRows : [['not measured (only some subjects ran)', '–', '–', '–', '–']],
    ),
  );
  out.push('');
  out.push('## Cost');
  out.push('');
  out.push(
    'What a million invocations cost if every one is cold, or every one warm; real traffic lies in between.',
  );
  out.push('');
  out.push(
    `From the p50 durations above and Lambda's public prices (${result.prices.source}, as of ${result.prices.asOf}): ` +
      `x86_64 $${result.prices.perGbSecond.x86_64} and arm64 $${result.prices.perGbSecond.arm64} per GB-second, ` +
      `$${result.prices.perMillionRequests.toFixed(2)} per million requests. Cold = Init Duration + Duration (both billed), warm = Duration, each rounded up to 1 ms. ` +
      'Durations were measured on this machine at full CPU; at 128 MB Lambda gives a fraction of a vCPU, so real durations there are longer. arm64 prices are applied to x86_64 durations.',
  );
  out.push('');
  const costRows: string[][] = [];
  for (const [name, sizes] of Object.entries(result.cost)) {
    for (const memory of COST_MEMORY_SIZES) {
      const entry = sizes[String(memory)];
      for (const kind of ['cold', 'warm'] as const) {
        const cost = entry?.[kind];
        if (!cost) continue;
        costRows.push([
          name,
          `${memory} MB`,
          kind,
          `${cost.billedMs} ms`,
          cost.gbSeconds.toExponential(3),
          usd(cost.perMillion.x86_64),
          usd(cost.perMillion.arm64),
        ]);
      }
    }
  }
  out.push(
    markdownTable(
      [
        'function',
        'memory',
        'start',
        'billed',
        'GB-s / invocation',
        'per million, x86_64',
        'per million, arm64',
      ],
      costRows,
    ),
  );
  out.push('');
  out.push('## Notes');
  out.push('');
  out.push(
    `- Load: 1-minute load average ${machine.loadAtStart.toFixed(2)} at start and ${machine.loadAtEnd?.toFixed(2) ?? '–'} at the end on ${machine.cores} cores; other builds on the machine widen the p90/p99 columns and the build times.`,
  );
  out.push(
    '- moto answers the AWS calls on loopback over plain HTTP; a real DynamoDB call from Lambda takes a few ms more, and the first one pays a TLS handshake, for Rust and Node.js alike.',
  );
  out.push(
    '- Node.js runs with a minimal Runtime API loop (bench/node/runtime.ts), not the managed runtime: see bench/README.md.',
  );
  out.push('');
  return out.join('\n');
}

/** Two horizontal bar panels: cold start (exec → first response p50) and peak RSS, Rust vs Node.js. */
export function renderChart(result: BenchResult): string {
  const names = PAIRS.flatMap((pair) => [pair.rust, pair.node]).filter((name) => result.functions[name]);
  const rows = names.map((name) => {
    const fn = result.functions[name];
    return {
      name,
      node: fn?.language === 'node',
      cold: fn?.cold?.firstResponseMs.p50 ?? 0,
      rss: fn ? peakRss(fn) : 0,
    };
  });
  const width = 840;
  const labelWidth = 150;
  const barMax = 220;
  const rowHeight = 26;
  const top = 56;
  const panelWidth = labelWidth + barMax + 10;
  const height = top + rows.length * rowHeight + 40;
  const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const panel = (x: number, title: string, value: (r: (typeof rows)[number]) => number, unit: string) => {
    const max = Math.max(...rows.map(value), 1e-9);
    const parts = [`<text x="${x}" y="40" font-weight="bold">${xml(title)}</text>`];
    rows.forEach((row, i) => {
      const y = top + i * rowHeight;
      const w = Math.max(1, (value(row) / max) * barMax);
      parts.push(
        `<text x="${x + labelWidth - 6}" y="${y + 15}" text-anchor="end">${xml(row.name)}</text>`,
        `<rect x="${x + labelWidth}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowHeight - 8}" fill="${row.node ? '#3c873a' : '#b7410e'}"/>`,
        `<text x="${(x + labelWidth + w + 4).toFixed(1)}" y="${y + 15}">${value(row).toFixed(value(row) < 10 ? 1 : 0)} ${unit}</text>`,
      );
    });
    return parts.join('\n');
  };
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>Cold start and peak memory of Rust and Node.js 20, ${xml(result.date)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="10" y="18" font-size="14" font-weight="bold">Rust vs Node.js 20, ${xml(result.date)} (${xml(result.commit)}), same machine and emulator</text>`,
    panel(10, 'Cold start: exec → first response, p50 (ms)', (r) => r.cold, 'ms'),
    panel(10 + panelWidth, 'Peak memory: Max Memory Used (MB)', (r) => r.rss, 'MB'),
    `<rect x="10" y="${height - 24}" width="12" height="12" fill="#b7410e"/><text x="28" y="${height - 14}">Rust</text>`,
    `<rect x="80" y="${height - 24}" width="12" height="12" fill="#3c873a"/><text x="98" y="${height - 14}">Node.js 20</text>`,
    '</svg>',
    '',
  ].join('\n');
}

export interface FigureChange {
  readonly figure: string;
  readonly before?: number;
  readonly after?: number;
  /** (after − before) ÷ before, when both exist and before is not 0. */
  readonly change?: number;
}

/** Every figure of two results side by side, in the first result's order, then the new ones. */
export function compareResults(before: unknown, after: unknown): FigureChange[] {
  const a = flattenFigures(before);
  const b = flattenFigures(after);
  const names = [...a.keys(), ...[...b.keys()].filter((key) => !a.has(key))];
  return names.map((figure) => {
    const x = a.get(figure);
    const y = b.get(figure);
    return {
      figure,
      before: x,
      after: y,
      change: x !== undefined && y !== undefined && x !== 0 ? (y - x) / x : undefined,
    };
  });
}
