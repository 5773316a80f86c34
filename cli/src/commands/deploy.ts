import type { Command } from 'commander';

export interface DeployFlags {
  stage: string;
  yes?: boolean;
  dryRun?: boolean;
  build: boolean;
  profile?: string;
  context: string[];
  output?: string;
  arch?: string;
  runtime?: string;
}

export function registerDeploy(program: Command) {
  program
    .command('deploy')
    .description(
      "Build, synthesize and check a stage, show the diff and any IAM widening, then cdk deploy it to this shell's AWS account",
    )
    .argument('[stacks...]', 'stacks to deploy, e.g. FerruleHello-dev or FerruleHello (default: every stack)')
    .option('--stage <stage>', 'the stage to synthesize and deploy (context ferrule:stage)', 'dev')
    .option('-y, --yes', 'deploy without asking, even when IAM widens')
    .option('--dry-run', 'stop after the diff and the IAM report: nothing is deployed')
    .option('--no-build', 'deploy the artifacts in dist/ as they are (a CI job that built them already)')
    .option('--profile <name>', 'AWS profile for the credentials and region (passed to cdk too)')
    .option(
      '--context <key=value>',
      'CDK context for the synth, e.g. ferrule:shippingBaseUrl=https://... (repeatable)',
      (value: string, previous: string[]) => [...previous, value],
      [],
    )
    .option('--output <dir>', 'cloud assembly folder (default: cdk.out/deploy-<stage>)')
    .option('--arch <arch>', 'x86_64 or arm64 (default: x86_64)')
    .option('--runtime <runtime>', 'al2023 or al2 (default: al2023)')
    .addHelpText(
      'after',
      [
        '',
        "Talks to AWS with the shell's credentials and region (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL,",
        'or --profile). In order: the account and region it targets (STS), the build when an artifact is',
        'older than backend/, one synth of the stage with every rule pack, the checks of `ferrule check`',
        '(any error refuses the deployment), `cdk diff`, the IAM report (what each role may do that the',
        'deployed one may not), a question when IAM widens, then `cdk deploy --require-approval never` of',
        'the checked assembly. Without a terminal, IAM widening needs --yes. The account and region need',
        '`cdk bootstrap` once (docs/deploy.md).',
        '',
        'Examples:',
        '  npx ferrule deploy --dry-run',
        '  npx ferrule deploy FerruleHello --stage dev',
        '  npx ferrule deploy --stage prod --profile prod --context ferrule:signupAllowedDomains=shop.example.org \\',
        '    --context ferrule:shippingBaseUrl=https://api.carrier.example.net/v2',
        '',
        'Exit codes: 0 deployed (or dry run), 1 a check error, IAM widening refused or declined, cdk failed,',
        '2 bad usage or a missing prerequisite (credentials, region, a tool).',
      ].join('\n'),
    )
    .action(async (stacks: string[], flags: DeployFlags) => {
      const { deployCommand } = await import('../actions/deploy.ts');
      await deployCommand(stacks, flags);
    });
}
