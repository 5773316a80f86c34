import type { Command } from 'commander';
import { type CheckFinding, type CheckReport, runCheck } from '../check.ts';
import { parsePlatform } from '../project.ts';
import { painter } from '../style.ts';

interface CheckFlags {
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
        'Exit codes: 0 no finding, 1 findings (or synth/cfn-lint failed), 2 bad usage.',
      ].join('\n'),
    )
    .action(async (flags: CheckFlags) => {
      const platform = parsePlatform(flags);
      const err = painter(process.stderr);
      const report = await runCheck({
        platform,
        app: flags.app,
        outdir: flags.output,
        strict: flags.strict ?? false,
        progress: (line) => process.stderr.write(`${err('dim', line)}\n`),
      });
      process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : describe(report));
      process.exitCode = report.ok ? 0 : 1;
    });
}

function describe(report: CheckReport): string {
  const paint = painter(process.stdout);
  const mark: Record<CheckFinding['level'], string> = {
    error: paint('red', 'error  '),
    warning: paint('yellow', 'warning'),
    info: paint('dim', 'info   '),
  };
  const lines: string[] = [];
  for (const group of report.groups) {
    const name = group.kind === 'function' ? (group.crate ?? '(not a Ferrule crate)') : 'other resources';
    const where = group.kind === 'function' ? group.constructPath : group.stack;
    const count = (level: CheckFinding['level']) => group.findings.filter((f) => f.level === level).length;
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
    const status =
      group.findings.length === 0
        ? paint('green', 'clean')
        : [
            count('error') > 0 && paint('red', plural(count('error'), 'error')),
            count('warning') > 0 && paint('yellow', plural(count('warning'), 'warning')),
            count('info') > 0 && plural(count('info'), 'note'),
          ]
            .filter(Boolean)
            .join(', ');
    lines.push(`${paint('bold', name)}  ${paint('dim', where)}  ${status}`);
    for (const finding of group.findings) {
      const inside = finding.constructPath.startsWith(`${where}/`)
        ? finding.constructPath.slice(where.length + 1).replace(/(^|\/)Resource$/, '')
        : finding.constructPath;
      const resource = inside === '' || inside === 'Function' ? 'the function' : inside;
      lines.push(`  ${mark[finding.level]} ${finding.rule} (${finding.source}) on ${resource}`);
      lines.push(`          ${finding.message}`);
      if (finding.fix !== finding.message) lines.push(`          fix: ${finding.fix}`);
    }
  }
  lines.push(
    '',
    `checked ${report.templates.join(', ')} with ${report.checks.join(', ')}`,
    report.ok
      ? paint(
          'green',
          `ok: ${report.errors} errors, ${report.warnings} warnings${report.strict ? ' (strict)' : ''}`,
        )
      : paint(
          'red',
          `failed: ${report.errors} errors, ${report.warnings} warnings${report.strict ? ' (strict: warnings fail)' : ''}`,
        ),
  );
  return `${lines.join('\n')}\n`;
}
