import type { Command } from 'commander';

export function registerMcp(program: Command) {
  program
    .command('mcp')
    .description(
      'Start the Ferrule MCP server on stdio (tools: list_functions, scaffold_function, declare_use, build, invoke, verify, explain_rule)',
    )
    .action(async () => {
      const { mcpCommand } = await import('../actions/mcp.ts');
      await mcpCommand();
    });
}
