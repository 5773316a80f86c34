import type { Command } from 'commander';

export interface LogsFlags {
  tail?: boolean;
  since?: string;
  requestId?: string;
  level?: string;
  json?: boolean;
  aws?: boolean;
  logGroup?: string;
}

export function registerLogs(program: Command) {
  program
    .command('logs')
    .description(
      "Print a function's log lines: the local cloud's and `ferrule invoke`'s (.ferrule/logs/), or CloudWatch Logs with --aws",
    )
    .argument('<function>', 'function crate name, e.g. orders-api')
    .option('--tail', 'keep printing new lines until Ctrl-C')
    .option(
      '--since <when>',
      'lines from this long ago (90s, 10m, 2h, 1d) or this time (default: every kept line; 10m with --tail or --aws)',
    )
    .option('--request-id <id>', 'one invocation (the 8 characters the log stream shows are enough)')
    .option('--level <level>', 'lines at this level and above: trace, debug, info, warn, error, fatal')
    .option('--json', 'the lines as written, one a line (no prefix, no pretty-printing)')
    .option('--aws', "read the deployed function's CloudWatch Logs with this shell's AWS settings")
    .option('--log-group <name>', "with --aws: this log group instead of the function's")
    .addHelpText(
      'after',
      [
        '',
        'Locally: the lines the local cloud (`ferrule start`) and `ferrule invoke` wrote to .ferrule/logs/<function>.log,',
        'pretty-printed as the local cloud prints them. With --aws: the log group of the function in the stack',
        "synthesized in cdk.out (its LoggingConfig's log group, else /aws/lambda/<name>), found through",
        'CloudFormation, read with FilterLogEvents; --tail asks again every 2 seconds.',
        '',
        'Examples:',
        '  npx ferrule logs orders-api',
        '  npx ferrule logs orders-api --tail --level warn',
        '  npx ferrule logs orders-api --request-id 1f0c2a9b --json | jq -R "fromjson? // ."',
        '  npx ferrule logs orders-api --aws --since 1h',
        '',
        'Exit codes: 0 printed (or stopped with Ctrl-C), 1 CloudWatch Logs or CloudFormation failed, 2 bad usage',
        '(unknown function, bad --since or --level, no synthesized app for --aws).',
      ].join('\n'),
    )
    .action(async (name: string, flags: LogsFlags) => {
      const { logsCommand } = await import('../actions/logs.ts');
      await logsCommand(name, flags);
    });
}
