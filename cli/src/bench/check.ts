// What the `npm test` smoke run of the suite checks: that every figure was produced (a
// number where a number belongs), never what the figures are.
import { CONCURRENCY_RUNS } from './concurrency.ts';
import { PAIRS } from './subjects.ts';

const finite = (value: unknown) => typeof value === 'number' && Number.isFinite(value);

/** Problems with a result file's content; empty when every expected figure is there. */
export function checkBenchResult(result: unknown, expectedFunctions: readonly string[]): string[] {
  const problems: string[] = [];
  const r = result as Record<string, unknown> | null;
  if (r === null || typeof r !== 'object') return ['the result is not a JSON object'];
  const atKeys = (keys: readonly string[]) =>
    keys.reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], r);
  const at = (path: string) => atKeys(path.split('.'));
  const needKeys = (keys: readonly string[]) => {
    if (!finite(atKeys(keys))) problems.push(`${keys.join('.')} is missing or not a number`);
  };
  const need = (path: string) => needKeys(path.split('.'));
  need('calibration.spawnTrueMs.p50');
  for (const figure of [
    'startToAnswerMs',
    'httpRoundTripMs.p50',
    'directInvokeMs.p50',
    'httpOverheadP50Ms',
  ]) {
    need(`localCloud.${figure}`);
  }
  need('machine.cores');
  for (const name of expectedFunctions) {
    if (at(`functions.${name}`) === undefined) {
      problems.push(`functions.${name} is missing`);
      continue;
    }
    for (const figure of [
      'zippedBytes',
      'unzippedBytes',
      'cold.initMs.p50',
      'cold.initMs.p99',
      'cold.firstResponseMs.p50',
      'cold.firstResponseMs.p90',
      'cold.peakRssMb',
      'warm.durationMs.p50',
      'warm.durationMs.p99',
      'warm.roundTripMs.p50',
      'warm.invokesPerSecond',
      'warm.peakRssMb',
    ]) {
      need(`functions.${name}.${figure}`);
    }
    if (name !== 'noop-runtime') need(`cost.${name}.128.warm.perMillion.x86_64`);
  }
  for (const pair of PAIRS) {
    if (expectedFunctions.includes(pair.rust) && expectedFunctions.includes(pair.node)) {
      need(`pairs.${pair.label}.firstResponseSpeedup`);
      need(`pairs.${pair.label}.peakRssRatio`);
    }
  }
  for (const name of ['hello-http', 'orders-api-no-call']) {
    if (!expectedFunctions.includes(name)) continue;
    for (const mode of ['distinctTraceIds', 'oneTraceId']) {
      need(`memory.${name}.${mode}.growthKb`);
      need(`memory.${name}.${mode}.bytesPerInvocation`);
    }
  }
  // The concurrency section: every level of every subject the run's kind measures.
  const run = r.quick === true ? CONCURRENCY_RUNS.quick : CONCURRENCY_RUNS.full;
  for (const name of run.subjects.filter((n) => expectedFunctions.includes(n))) {
    const base = `concurrency.subjects.${name}`;
    if (at(base) === undefined) {
      problems.push(`${base} is missing`);
      continue;
    }
    for (const level of run.levels) {
      for (const figure of [
        'invocationsPerSecond',
        'latencyMs.p50',
        'latencyMs.p99',
        'durationMs.p50',
        'durationMs.p99',
        'meanInRuntime',
        'maxRssKb',
        'steadyRssKb',
      ]) {
        need(`${base}.levels.${level}.${figure}`);
      }
    }
    need(`${base}.perInFlight.steadyKb`);
    need(`${base}.perInFlight.maxKb`);
    // Instance types hold a dot (m7i.large): this path is given key by key.
    needKeys([...base.split('.'), 'cost', 'lmi', 'm7i.large', 'perMillion']);
    need(`${base}.cost.classic.128.x86_64`);
  }
  const targets = at('targets');
  if (!Array.isArray(targets) || targets.length === 0) problems.push('targets were not evaluated');
  return problems;
}
