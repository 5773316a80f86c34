import type { Command } from 'commander';
import { HOOKS } from '../agent/hook-names.ts';

export function registerAgent(program: Command) {
  const agent = program
    .command('agent')
    .description('Agent configuration: project agent/ into every agent’s own files, and check them');

  agent
    .command('sync')
    .description(
      'Write AGENTS.md, CLAUDE.md, .claude/, .cursor/, .github/, .kiro/, .amazonq/, MCP configs from agent/',
    )
    .action(async () => {
      const { agentSyncCommand } = await import('../actions/agent.ts');
      agentSyncCommand();
    });

  agent
    .command('check')
    .description('Fail when a projection differs from what `agent sync` would write, or a source is invalid')
    .action(async () => {
      const { agentCheckCommand } = await import('../actions/agent.ts');
      agentCheckCommand();
    });

  registerAgentEval(agent);

  agent
    .command('hook')
    .description(
      'Run an agent hook with the hook input (JSON) on stdin: format-after-edit, verify-before-stop',
    )
    .argument('<name>', HOOKS.join(' | '))
    .addHelpText(
      'after',
      '\nExit codes are the agents’ hook protocol: 0 go on, 2 the agent must act on the message (stderr).',
    )
    .action(async (name: string) => {
      const { agentHookCommand } = await import('../actions/agent.ts');
      await agentHookCommand(name);
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
      const { agentEvalCommand } = await import('../actions/agent.ts');
      await agentEvalCommand(skills);
    });
}
