import type { Command } from 'commander';

interface InvokeFlags {
  event: string;
  arch?: string;
  runtime?: string;
  memory?: string;
  timeout?: string;
  env: string[];
  json?: boolean;
  aws?: boolean;
  watch?: boolean;
  concurrency?: string;
}

export function registerInvoke(program: Command) {
  program
    .command('invoke')
    .description(
      'Run a built function under the Lambda Runtime API emulator with one event, against a local moto',
    )
    .argument('<function>', 'function crate name, e.g. hello-http')
    .requiredOption(
      '-e, --event <fixture|file|->',
      'fixture name (see `ferrule events`), JSON file, or - for stdin',
    )
    .option('--arch <arch>', 'x86_64 or arm64 (default: x86_64)')
    .option('--runtime <runtime>', 'al2023 or al2 (default: al2023)')
    .option('--memory <mb>', "memory size in MB (default: the template's, else 128)")
    .option('--timeout <seconds>', "function timeout in seconds (default: the template's, else 3)")
    .option(
      '--env <KEY=VALUE>',
      "function environment variable, over the template's (repeatable)",
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .option('--aws', "talk to AWS with this shell's AWS settings instead of a local moto")
    .option(
      '--concurrency <n>',
      'run the event N times at once in one environment, as on Lambda Managed Instances (AWS_LAMBDA_MAX_CONCURRENCY=N)',
    )
    .option('--json', 'print the full report as JSON on stdout')
    .option(
      '--watch',
      'build with the `local` profile, invoke, then rebuild and invoke again on every change under backend/',
    )
    .addHelpText(
      'after',
      [
        '',
        'The function talks to the running local cloud (`ferrule start`) when it serves the function, else to',
        "a moto of its own with the app's resources from cdk.out, with fixed local credentials: never to AWS",
        "with the shell's credentials unless --aws. Memory, timeout and environment are the template's, with",
        'references resolved to the local resource names. Lines also go to .ferrule/logs/ (`ferrule logs`).',
        '',
        'Examples:',
        '  npx ferrule invoke hello-http --event apigw-http/get-hello',
        '  npx ferrule invoke orders-api -e apigw-http/orders-list --json',
        '  echo \'{"Records":[]}\' | npx ferrule invoke fulfillment-worker --event -',
        '  npx ferrule invoke orders-api -e apigw-http/orders-list --aws --env ORDERS_TABLE=<deployed table>',
        '  npx ferrule invoke hello-http -e apigw-http/get-hello --watch',
        '  npx ferrule invoke orders-api -e apigw-http/orders-list --concurrency 16',
        '',
        'Exit codes: 0 the function succeeded, 1 it returned an error or crashed (or moto could not be set up), 2 bad usage (unknown function, event or missing artifact).',
      ].join('\n'),
    )
    .action(async (name: string, flags: InvokeFlags) => {
      if (flags.watch && flags.concurrency !== undefined) {
        const { CliError } = await import('../errors.ts');
        throw new CliError('--concurrency runs one batch of invocations; it cannot be combined with --watch');
      }
      if (flags.watch) {
        const { invokeWatch } = await import('../invoke-watch.ts');
        process.exitCode = await invokeWatch(name, flags);
        return;
      }
      const { invoke } = await import('../actions/invoke.ts');
      process.exitCode = await invoke(name, flags);
    });
}
