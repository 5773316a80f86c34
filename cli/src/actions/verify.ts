import { runVerify, summarize } from '../agent/verify.ts';

/** `ferrule verify`: every check of the definition of done; exit code 1 when one fails. */
export async function verifyCommand(flags: { quick?: boolean; json?: boolean }): Promise<void> {
  const report = await runVerify({
    quick: flags.quick ?? false,
    onStep: ({ title, done }) => {
      if (!done) process.stderr.write(`… ${title}\n`);
    },
  });
  if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else process.stdout.write(`${summarize(report)}\n`);
  process.exitCode = report.ok ? 0 : 1;
}
