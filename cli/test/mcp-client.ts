// The MCP client the MCP server tests use: `ferrule mcp` over stdio, rooted where asked.
import { join } from 'node:path';
import { projectRoot } from '@ferrule/toolchain/project';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll } from 'vitest';

/** The CLI's launcher. */
export const bin = join(projectRoot, 'cli/bin/ferrule.mjs');

export async function connect(root: string): Promise<Client> {
  const env = Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [bin, 'mcp'],
    cwd: root,
    env: { ...env, FERRULE_ROOT: root },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'ferrule-test', version: '0.0.0' });
  await client.connect(transport);
  return client;
}

export interface ToolResult {
  readonly isError?: boolean;
  readonly content: readonly { type: string; text?: string }[];
}

export function text(result: ToolResult, index = 0): string {
  return result.content[index]?.text ?? '';
}

/**
 * A tool call whose timeout is reset by each progress notification: a verify on a loaded machine
 * may take minutes; the server sends a notification at least every 15 s while it runs (a step
 * that prints nothing included), so the SDK's 60 s never passes without one.
 */
export const progressMessages: string[] = [];

export async function call(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<ToolResult> {
  return (await client.callTool({ name, arguments: args }, undefined, {
    onprogress: (progress) => {
      progressMessages.push(progress.message ?? '');
    },
    resetTimeoutOnProgress: true,
  })) as ToolResult;
}

/**
 * A client of the server rooted at `root` for the tests of the calling describe block:
 * connected before them, closed after them.
 */
export function serverOn(root: string): () => Client {
  let client: Client | undefined;
  beforeAll(async () => {
    client = await connect(root);
  }, 60_000);
  afterAll(async () => {
    await client?.close();
  });
  return () => {
    if (!client) throw new Error('the MCP client did not connect');
    return client;
  };
}
