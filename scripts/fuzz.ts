// `npm run fuzz`: seeded, structure-aware mutations of every fixture sent to every built
// function under the Runtime API emulator (10,000 per function by default), with moto as
// the AWS endpoint; prints one row per function and exits 1 when any function crashed,
// timed out, answered a client's request with a 5xx, answered malformed or failed a whole
// batch. Memory growth is reported, never judged. docs/architecture.md (Fuzzing) explains the columns.
//
// Usage: tsx scripts/fuzz.ts [--seed N] [--events N] [--function NAME ...] [--no-build]
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { failureCount, formatReport, runFuzz } from './fuzz/run.ts';
import { startMoto } from './testbed/moto.ts';

const USAGE = 'usage: tsx scripts/fuzz.ts [--seed N] [--events N] [--function NAME ...] [--no-build]';

async function main(): Promise<number> {
  let values: { seed?: string; events?: string; function?: string[]; 'no-build'?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        seed: { type: 'string' },
        events: { type: 'string' },
        function: { type: 'string', multiple: true },
        'no-build': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const seed = values.seed === undefined ? randomInt(2 ** 31) : Number(values.seed);
  const events = values.events === undefined ? 10_000 : Number(values.events);
  if (!Number.isSafeInteger(seed) || !Number.isSafeInteger(events) || events < 1) {
    process.stderr.write(`--seed and --events take whole numbers (--events at least 1)\n${USAGE}\n`);
    return 2;
  }

  const moto = await startMoto();
  const stop = () => void moto.stop().finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    process.stdout.write(
      `fuzzing with seed ${seed}, ${events} events per function (moto on ${moto.endpoint})\n`,
    );
    const report = await runFuzz({
      seed,
      events,
      functions: values.function,
      build: !values['no-build'],
      environment: moto.environment,
      log: (line) => process.stdout.write(`${line}\n`),
    });
    process.stdout.write(`\n${formatReport(report)}\n`);
    return report.functions.some((f) => failureCount(f) > 0) ? 1 : 0;
  } finally {
    await moto.stop();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: Error) => {
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 1;
  },
);
