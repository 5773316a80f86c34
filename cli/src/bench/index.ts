export { checkBenchResult } from './check.ts';
export { compareResults, renderChart, renderMarkdown } from './report.ts';
export type { BenchResult } from './result.ts';
export { type BenchOptions, runBench } from './run.ts';
export { SUBJECT_NAMES } from './subjects.ts';
