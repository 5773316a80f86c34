import type { Command } from 'commander';
import { TRIGGER_INFO, TRIGGERS } from '../scaffold/triggers.ts';

export interface NewFunctionFlags {
  trigger: string;
  service?: string;
  concurrent?: boolean;
  table: string[];
  index: string[];
  queue: string[];
  bus: string[];
  schedule?: string;
  route?: string;
  userPool?: string;
  description?: string;
  dryRun?: boolean;
  json?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerNew(program: Command) {
  const group = program
    .command('new')
    .description(
      'Scaffold a function (crate, tests, fixture, CDK wiring) from the templates in cli/templates/',
    )
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  npx ferrule new function payments-webhook --trigger http',
        '  npx ferrule new function --help',
        '',
        'Exit codes: 0 written, 1 a follow-up step failed, 2 bad input.',
      ].join('\n'),
    );

  group
    .command('function')
    .description('Create backend/functions/<name> and its CDK wiring infrastructure/functions/<name>.ts')
    .argument('<name>', 'crate name, kebab-case (payments-webhook)')
    .requiredOption('--trigger <trigger>', `one of: ${TRIGGERS.join(', ')}`)
    .option(
      '--service <service>',
      'the service it joins: functions (its own stack, resources made on first use) or orders (the reference service: its table, bus, queue, user pool, API)',
    )
    .option(
      '--table <name[:access]>',
      'a DynamoDB table it uses; access read, write or read-write (default) (dynamodb-stream: the first is the streamed table)',
      collect,
      [],
    )
    .option(
      '--index <name>',
      'an index of the first --table it queries: only that index is granted, and the table is read-only unless given',
      collect,
      [],
    )
    .option(
      '--queue <name>',
      'an SQS queue it sends to (sqs, sqs-fifo: the first is the consumed queue)',
      collect,
      [],
    )
    .option(
      '--bus <name>',
      'an EventBridge bus it publishes to (eventbridge: the first is the bus its rule listens on)',
      collect,
      [],
    )
    .option('--schedule <expression>', 'schedule: rate(...) or cron(...) (default: rate(1 hour))')
    .option('--route <route>', 'http: "<METHOD> <path>" (default: "GET /<name>")')
    .option(
      '--user-pool <name>',
      'cognito-*: the user pool (default: users); http: a JWT authorizer on that pool',
    )
    .option(
      '--concurrent',
      'run many invocations at once where the environment allows it (Lambda Managed Instances); one at a time elsewhere',
    )
    .option('--description <text>', 'one line for Cargo.toml, the README and the Lambda description')
    .option('--dry-run', 'print the files it would write, and write nothing')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      [
        '',
        'Triggers:',
        ...TRIGGERS.map((t) => `  ${t.padEnd(26)} ${TRIGGER_INFO[t].summary}`),
        '',
        'Examples:',
        '  npx ferrule new function payments-webhook --trigger http --route "POST /payments/webhook"',
        '  npx ferrule new function payments-worker --trigger sqs --queue payments --table payments',
        '  npx ferrule new function payments-stream --trigger dynamodb-stream --table payments --bus payments',
        '  npx ferrule new function nightly-report --trigger schedule --schedule "cron(0 3 * * ? *)" --dry-run',
        '  npx ferrule new function order-digest --service orders --trigger schedule --table orders:read --bus orders',
        '',
        'Existing files are never overwritten. Exit codes: 0 written, 1 a follow-up step failed, 2 bad input.',
      ].join('\n'),
    )
    .action(async (name: string, flags: NewFunctionFlags) => {
      const { newFunctionCommand } = await import('../actions/new.ts');
      await newFunctionCommand(name, flags);
    });

  group
    .command('index')
    .description('Write infrastructure/functions/index.ts again from the wiring files of that folder')
    .addHelpText(
      'after',
      '\nRun it after deleting a function and its declaration file.\n\nExample:\n  npx ferrule new index',
    )
    .action(async () => {
      const { newIndexCommand } = await import('../actions/new.ts');
      newIndexCommand();
    });
}
