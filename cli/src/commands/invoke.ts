import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { type InvokeReport, LocalFunction } from '@ferrule/emulator';
import type { Command } from 'commander';
import { CliError } from '../errors.ts';
import { loadEvent } from '../events.ts';
import { formatMs } from '../format.ts';
import { artifactPath, findFunction, invokePassthrough, parsePlatform, projectRoot } from '../project.ts';

interface InvokeFlags {
  event: string;
  arch?: string;
  runtime?: string;
  memory: string;
  timeout: string;
  env: string[];
  json?: boolean;
}

export function registerInvoke(program: Command) {
  program
    .command('invoke')
    .description('Run a built function under the Lambda Runtime API emulator with one event')
    .argument('<function>', 'function crate name, e.g. hello-http')
    .requiredOption(
      '-e, --event <fixture|file|->',
      'fixture name (see `ferrule events`), JSON file, or - for stdin',
    )
    .option('--arch <arch>', 'x86_64 or arm64 (default: x86_64)')
    .option('--runtime <runtime>', 'al2023 or al2 (default: al2023)')
    .option('--memory <mb>', 'memory size in MB', '128')
    .option('--timeout <seconds>', 'function timeout in seconds', '3')
    .option('--env <KEY=VALUE>', 'function environment variable (repeatable)', collect, [])
    .option('--json', 'print the full report as JSON on stdout')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  npx ferrule invoke hello-http --event apigw-http/get-hello',
        '  echo \'{"Records":[]}\' | npx ferrule invoke fulfillment-worker --event -',
        '  npx ferrule invoke orders-api -e apigw-http/orders-list --env ORDERS_TABLE=orders --json',
        '',
        'Exit codes: 0 the function succeeded, 1 it returned an error or crashed, 2 bad usage (unknown function, event or missing artifact).',
      ].join('\n'),
    )
    .action(async (name: string, flags: InvokeFlags) => {
      process.exitCode = await invoke(name, flags);
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

async function invoke(name: string, flags: InvokeFlags): Promise<number> {
  const platform = parsePlatform(flags);
  const fn = await findFunction(name);
  const memoryMb = positiveNumber(flags.memory, '--memory', 128, 10_240);
  const timeoutSeconds = positiveNumber(flags.timeout, '--timeout', 1, 900);
  // The function's local environment from its Cargo.toml, then --env on top.
  const environment = { ...fn.environment, ...Object.fromEntries(flags.env.map(parseAssignment)) };
  // The event is checked first: a typo there is reported even before anything is built.
  const event = await loadEvent(flags.event);
  const artifact = artifactPath(fn.name, platform);
  if (!existsSync(artifact)) {
    throw new CliError(
      `no artifact for ${fn.name} at ${relative(projectRoot, artifact)}; run \`npx ferrule build ${fn.name}\`${
        flags.arch || flags.runtime ? ` with the same --arch/--runtime` : ''
      }`,
    );
  }

  const passthrough = invokePassthrough();
  const local = new LocalFunction({
    name: fn.name,
    artifact,
    memoryMb,
    timeoutSeconds,
    environment,
    passthroughEnvironment: passthrough,
    onLog: flags.json ? undefined : (line) => process.stderr.write(`${line}\n`),
  });
  try {
    const report = await local.invoke(event.text);
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      printOutcome(report);
      process.stderr.write(`${reportLine(report)}\n`);
    }
    return report.outcome.kind === 'success' ? 0 : 1;
  } finally {
    await local.stop();
  }
}

function printOutcome(report: InvokeReport) {
  const { outcome } = report;
  if (outcome.kind === 'success') {
    process.stdout.write(`${JSON.stringify(outcome.json, null, 2)}\n`);
    return;
  }
  const body: Record<string, unknown> = { errorType: outcome.errorType, errorMessage: outcome.errorMessage };
  if (outcome.stackTrace) body.stackTrace = outcome.stackTrace;
  process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
  if (outcome.stderr)
    process.stderr.write(`--- stderr of the process (${outcome.phase} phase) ---\n${outcome.stderr}\n`);
}

/** The platform REPORT line, as Lambda writes it to CloudWatch Logs. */
export function reportLine(report: InvokeReport): string {
  const parts = [
    `REPORT RequestId: ${report.requestId}`,
    `Duration: ${formatMs(report.durationMs)}`,
    `Billed Duration: ${Math.ceil(report.durationMs + (report.initDurationMs ?? 0))} ms`,
    `Memory Size: ${report.memorySizeMb} MB`,
    `Max Memory Used: ${report.maxMemoryUsedMb ?? '-'} MB`,
  ];
  if (report.initDurationMs !== undefined) parts.push(`Init Duration: ${formatMs(report.initDurationMs)}`);
  if (report.outcome.kind === 'error') parts.push(`Status: error (${report.outcome.errorType})`);
  return parts.join('\t');
}

function positiveNumber(raw: string, flag: string, min: number, max: number): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new CliError(`${flag} must be a number from ${min} to ${max}, not \`${raw}\``);
  }
  return value;
}

function parseAssignment(raw: string): [string, string] {
  const at = raw.indexOf('=');
  if (at <= 0) throw new CliError(`--env expects KEY=VALUE, not \`${raw}\``);
  return [raw.slice(0, at), raw.slice(at + 1)];
}
