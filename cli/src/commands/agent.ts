import type { Command } from 'commander';
import { loadEvals, runSkillEvals } from '../agent/evals.ts';
import { HOOKS, type HookName, runHook } from '../agent/hooks.ts';
import { checkProjections, describeCheck, syncProjections } from '../agent/sync.ts';
import { CliError } from '../errors.ts';

export function registerAgent(program: Command) {
  const agent = program
    .command('agent')
    .description('Agent configuration: project agent/ into every agent’s own files, and check them');

  agent
    .command('sync')
    .description(
      'Write AGENTS.md, CLAUDE.md, .claude/, .cursor/, .github/, .kiro/, .amazonq/, MCP configs from agent/',
    )
    .action(() => {
      const result = syncProjections();
      if (Array.isArray(result)) {
        const lines = result.map((problem) => `  ${problem.path}: ${problem.message}`).join('\n');
        throw new CliError(`agent/ has invalid sources; nothing was written:\n${lines}`, 1);
      }
      for (const path of result.written) process.stdout.write(`wrote ${path}\n`);
      for (const path of result.deleted) process.stdout.write(`deleted ${path}\n`);
      process.stdout.write(
        `${result.written.length} written, ${result.deleted.length} deleted, ${result.unchanged} unchanged\n`,
      );
    });

  agent
    .command('check')
    .description('Fail when a projection differs from what `agent sync` would write, or a source is invalid')
    .action(() => {
      const result = checkProjections();
      if (result.ok) {
        process.stdout.write('agent projections are up to date\n');
        return;
      }
      throw new CliError(`agent projections are out of date:\n${describeCheck(result)}`, 1);
    });

  registerAgentEval(agent);

  agent
    .command('hook')
    .description(
      'Run an agent hook with the hook input (JSON) on stdin: format-after-edit, verify-before-stop',
    )
    .argument('<name>', HOOKS.join(' | '))
    .action(async (name: string) => {
      if (!(HOOKS as readonly string[]).includes(name)) {
        throw new CliError(`unknown hook \`${name}\`; the hooks are: ${HOOKS.join(', ')}`);
      }
      const stdin = process.stdin.isTTY ? '' : await readStdin();
      const result = await runHook(name as HookName, stdin);
      if (result.message) process.stderr.write(`${result.message}\n`);
      process.exitCode = result.exitCode;
    });
}

export function registerAgentEval(agent: Command) {
  agent
    .command('eval')
    .description(
      'Run skills’ scripted steps (agent/skills/<name>/eval.yaml) in one temporary copy of the repository, then verify',
    )
    .argument('[skills...]', 'skill names (default: every skill with an eval.yaml)')
    .action(async (skills: string[]) => {
      const names = skills.length > 0 ? skills : loadEvals().map((evaluation) => evaluation.skill);
      let result: Awaited<ReturnType<typeof runSkillEvals>>;
      try {
        result = await runSkillEvals(names, { onLog: (line) => process.stderr.write(`${line}\n`) });
      } catch (error) {
        throw new CliError((error as Error).message);
      }
      if (!result.ok) throw new CliError(`skill eval failed (${names.join(', ')}): ${result.error ?? ''}`, 1);
      process.stdout.write(
        `skill eval passed: ${names.join(', ')} (${(result.durationMs / 1000).toFixed(0)} s, verify included)\n`,
      );
    });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
