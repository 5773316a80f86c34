import { parsePlatform } from '@ferrule/toolchain/project';
import { type CheckFinding, type CheckReport, runCheck } from '../check.ts';
import type { CheckFlags } from '../commands/check.ts';
import { Progress, type ProgressStep } from '../progress.ts';
import { painter } from '../style.ts';

/** `ferrule check`: every check, one progress step each, then the findings per function (or JSON). */
export async function checkCommand(flags: CheckFlags): Promise<void> {
  const platform = parsePlatform(flags);
  const progress = new Progress();
  // runCheck announces each check as it starts: the previous one is then done.
  let step: ProgressStep | undefined;
  let report: CheckReport;
  try {
    report = await runCheck({
      platform,
      app: flags.app,
      outdir: flags.output,
      strict: flags.strict ?? false,
      progress: (line) => {
        step?.succeed();
        step = progress.start(line.replace(/^==> /, ''));
      },
    });
    step?.succeed();
  } catch (error) {
    step?.fail();
    throw error;
  }
  process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : describe(report));
  process.exitCode = report.ok ? 0 : 1;
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
