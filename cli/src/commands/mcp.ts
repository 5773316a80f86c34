import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Command } from 'commander';
import { createMcpServer } from '../agent/mcp-server.ts';

export function registerMcp(program: Command) {
  program
    .command('mcp')
    .description(
      'Start the Ferrule MCP server on stdio (tools: list_functions, scaffold_function, declare_use, build, invoke, verify, explain_rule)',
    )
    .action(async () => {
      const server = createMcpServer();
      const transport = new StdioServerTransport();
      // Resolves when the client closes the connection (stdin ends).
      const closed = new Promise<void>((resolve) => {
        transport.onclose = () => resolve();
        process.stdin.once('end', () => resolve());
      });
      await server.connect(transport);
      await closed;
      await server.close();
    });
}
