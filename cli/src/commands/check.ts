import type { Command } from 'commander';

export interface CheckFlags {
  arch?: string;
  runtime?: string;
  app?: string;
  output?: string;
  strict?: boolean;
  json?: boolean;
}

export function registerCheck(program: Command) {
  program
    .command('check')
    .description(
      'Synthesize with the ADR-002, AwsSolutions and Serverless rule packs, run cfn-lint, compare each role with the AWS calls of its crate, and list the findings per function with their fix',
    )
    .option('--arch <arch>', 'x86_64 or arm64 (default: x86_64)')
    .option('--runtime <runtime>', 'al2023 or al2 (default: al2023)')
    .option('--app <command>', "another CDK app to check (cdk's --app; default: infrastructure/bin/app.ts)")
    .option('--output <dir>', 'cloud assembly folder (default: cdk.out)')
    .option('--strict', 'warnings fail the check too')
    .option('--json', 'print the report as JSON on stdout (progress stays on stderr)')
    .addHelpText(
      'after',
      [
        '',
        'Needs the artifacts of `npx ferrule build`. Findings of the rule packs are errors; cfn-lint',
        'reports errors and warnings. A reviewed exception is acknowledged in the stack with',
        "Validations.of(construct).acknowledge({ id: '<rule>', reason: '<why it is safe>' }).",
        'IAM findings (a grant the code never calls, a call the role does not grant) are fixed in the',
        'function\'s `uses` declaration (docs/constructs.md, "IAM equals code").',
        '',
        'Examples:',
        '  npx ferrule check',
        "  npx ferrule check --json | jq '.groups[] | select(.findings | length > 0)'",
        '  npx ferrule check --strict --arch arm64',
        '',
        'Exit codes: 0 no finding, 1 findings (or synth/cfn-lint failed), 2 bad usage or a missing',
        'prerequisite (an artifact: npx ferrule build; cfn-lint: npm run setup).',
      ].join('\n'),
    )
    .action(async (flags: CheckFlags) => {
      const { checkCommand } = await import('../actions/check.ts');
      await checkCommand(flags);
    });
}
