import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ToolError } from './errors.ts';
import { paths, projectRoot } from './project.ts';

export interface MotoServer {
  /** `http://127.0.0.1:<port>`: what `AWS_ENDPOINT_URL` is set to for the tests. */
  readonly endpoint: string;
  /** The variables that point aws-sdk-rust and the AWS SDK for JavaScript at moto. */
  readonly environment: Readonly<Record<string, string>>;
  /** Stops the server; safe to call twice. */
  stop(): Promise<void>;
}

/** A free TCP port on loopback, chosen by the kernel. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The command that serves moto on `port`: moto_server's own options, through
 * toolchain/moto/serve.py, which makes each DynamoDB request atomic as DynamoDB does (moto's
 * threads otherwise let two conditional writes on one key both succeed).
 */
export function motoCommand(port: number): { command: string; args: string[] } {
  return {
    command: join(paths.venvBin, 'python'),
    args: [join(projectRoot, 'toolchain/moto/serve.py'), '-H', '127.0.0.1', '-p', String(port)],
  };
}

/**
 * Starts moto's server on a free loopback port from the project's virtualenv and
 * waits until it answers. The caller must call `stop()` (the test runner does so in
 * a `finally`, and on SIGINT/SIGTERM).
 */
export async function startMoto(options: { readyTimeoutMs?: number } = {}): Promise<MotoServer> {
  const bin = join(paths.venvBin, 'moto_server');
  if (!existsSync(bin)) throw new ToolError('moto is not installed in .venv; run `npm run setup`');
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const { command, args } = motoCommand(port);
  const child: ChildProcess = spawn(command, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    // moto builds botocore sessions inside: a shell profile this machine lacks (AWS_PROFILE) would
    // fail its calls with 500, so none of the shell's AWS settings reach it.
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_'))),
      PYTHONUNBUFFERED: '1',
    },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) =>
    child.on('exit', () => {
      exited = true;
      resolve();
    }),
  );

  const deadline = Date.now() + (options.readyTimeoutMs ?? 20_000);
  for (;;) {
    if (exited) throw new ToolError(`moto_server exited before it was ready:\n${stderr.trim()}`, 1);
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      if (response.ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new ToolError(`moto_server did not answer on ${endpoint} in time:\n${stderr.trim()}`, 1);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    endpoint,
    environment: {
      AWS_ENDPOINT_URL: endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_SESSION_TOKEN: 'testing',
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'eu-west-1',
      FERRULE_MOTO_ENDPOINT: endpoint,
    },
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exitedPromise;
      clearTimeout(timer);
    },
  };
}

/** Clears every resource moto holds, for isolation between tests that share one server. */
export async function resetMoto(endpoint: string): Promise<void> {
  const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  if (!response.ok) throw new Error(`moto reset failed with HTTP ${response.status}`);
}
