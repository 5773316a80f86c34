import { Command, CommanderError } from 'commander';
import { registerAgent } from './commands/agent.ts';
import { registerBench } from './commands/bench.ts';
import { registerBuild } from './commands/build.ts';
import { registerCheck } from './commands/check.ts';
import { registerDoctor } from './commands/doctor.ts';
import { registerEvents } from './commands/events.ts';
import { registerInvoke } from './commands/invoke.ts';
import { registerList } from './commands/list.ts';
import { registerToken, registerTrigger } from './commands/local.ts';
import { registerMcp } from './commands/mcp.ts';
import { registerNew } from './commands/new.ts';
import { registerStart } from './commands/start.ts';
import { registerSynth } from './commands/synth.ts';
import { registerVerify } from './commands/verify.ts';
import { CliError } from './errors.ts';

export function program(): Command {
  const cli = new Command('ferrule')
    .description('Rust on AWS Lambda, the ADR-002 way: build, invoke and check functions locally.')
    .showHelpAfterError()
    .addHelpText(
      'after',
      [
        '',
        'Exit codes (every command): 0 ok, 1 findings or failures, 2 usage errors.',
        'Colours only on a terminal (NO_COLOR turns them off); --json output is never coloured.',
        'Every command: npx ferrule <command> --help; reference: docs/cli.md',
      ].join('\n'),
    )
    .exitOverride();
  registerDoctor(cli);
  registerBuild(cli);
  registerInvoke(cli);
  registerEvents(cli);
  registerSynth(cli);
  registerStart(cli);
  registerTrigger(cli);
  registerToken(cli);
  registerCheck(cli);
  registerList(cli);
  registerBench(cli);
  registerNew(cli);
  registerVerify(cli);
  registerAgent(cli);
  registerMcp(cli);
  return cli;
}

/** Runs the CLI and returns the exit code; user errors are one line, never a stack trace. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    await program().parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed the usage error or the help text.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof CliError) {
      process.stderr.write(`ferrule: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`ferrule: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
