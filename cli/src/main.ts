import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerAgent } from './commands/agent.ts';
import { registerBench } from './commands/bench.ts';
import { registerBuild } from './commands/build.ts';
import { registerCheck } from './commands/check.ts';
import { registerCompletion } from './commands/completion.ts';
import { registerDeploy } from './commands/deploy.ts';
import { registerDoctor } from './commands/doctor.ts';
import { registerEvents } from './commands/events.ts';
import { registerInvoke } from './commands/invoke.ts';
import { registerList } from './commands/list.ts';
import { registerToken, registerTrigger } from './commands/local.ts';
import { registerLogs } from './commands/logs.ts';
import { registerMcp } from './commands/mcp.ts';
import { registerNew } from './commands/new.ts';
import { registerStart } from './commands/start.ts';
import { registerSynth } from './commands/synth.ts';
import { registerVerify } from './commands/verify.ts';
import { CliError, UsageError } from './errors.ts';

// Every module under commands/ only declares its command; the action loads the implementation
// with `await import()`, so `ferrule --help` or `ferrule events` never loads the AWS SDK, CDK
// or the emulator (docs/architecture.md, "How the CLI starts").

/**
 * A command whose parse errors (unknown command or option, missing argument) become one
 * UsageError line instead of commander's message followed by the whole help.
 */
class FerruleCommand extends Command {
  override createCommand(name?: string): Command {
    return new FerruleCommand(name);
  }

  override error(message: string): never {
    throw new UsageError(oneLine(message), commandPath(this));
  }
}

/** `error: unknown command 'inv'\n(Did you mean invoke?)` → `unknown command 'inv' (did you mean invoke?)`. */
function oneLine(message: string): string {
  return message
    .replace(/^error: /, '')
    .replace(/\n\(Did you mean (.*)\)$/, ' (did you mean $1)')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

export function program(): Command {
  const cli = new FerruleCommand('ferrule')
    .description('Rust on AWS Lambda, the ADR-002 way: build, invoke and check functions locally.')
    .version(version(), '-V, --version', 'print the version of the ferrule command')
    .addHelpText(
      'after',
      [
        '',
        'Exit codes (every command): 0 ok, 1 findings or failures, 2 usage errors or a missing',
        'prerequisite (a tool, an artifact, a synthesized app, a running local cloud).',
        'Colours only on a terminal (NO_COLOR turns them off); --json output is never coloured.',
        'Every command: npx ferrule <command> --help; shell completion: npx ferrule completion --help;',
        'reference: docs/cli.md',
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
  registerLogs(cli);
  registerCheck(cli);
  registerDeploy(cli);
  registerList(cli);
  registerBench(cli);
  registerNew(cli);
  registerVerify(cli);
  registerAgent(cli);
  registerMcp(cli);
  registerCompletion(cli);
  return cli;
}

/** Runs the CLI and returns the exit code; expected failures are one line, never a stack trace. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    await program().parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help, --version, or the help that `ferrule` or `ferrule new` alone prints: already written.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`ferrule: error: ${error.message}\nrun \`${error.command} --help\` for usage\n`);
      return 2;
    }
    // A spinner still turning would keep the process alive and draw over the message.
    const { endSteps } = await import('./progress.ts');
    endSteps();
    if (error instanceof CliError) {
      process.stderr.write(`ferrule: error: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`ferrule: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    return 1;
  }
}
