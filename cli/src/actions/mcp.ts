import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createMcpServer } from '../agent/mcp-server.ts';

/** `ferrule mcp`: the MCP server on stdio, until the client closes the connection. */
export async function mcpCommand(): Promise<void> {
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
}
