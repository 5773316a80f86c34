// What the `npm test` smoke run of the suite checks: that every figure was produced (a
// number where a number belongs), never what the figures are.
import { PAIRS } from './subjects.ts';

const finite = (value: unknown) => typeof value === 'number' && Number.isFinite(value);

/** Problems with a result file's content; empty when every expected figure is there. */
export function checkBenchResult(result: unknown, expectedFunctions: readonly string[]): string[] {
  const problems: string[] = [];
  const r = result as Record<string, unknown> | null;
  if (r === null || typeof r !== 'object') return ['the result is not a JSON object'];
  const at = (path: string) =>
    path.split('.').reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], r);
  const need = (path: string) => {
    if (!finite(at(path))) problems.push(`${path} is missing or not a number`);
  };
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
  const targets = at('targets');
  if (!Array.isArray(targets) || targets.length === 0) problems.push('targets were not evaluated');
  return problems;
}
