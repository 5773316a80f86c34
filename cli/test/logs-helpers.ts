// Shared by the tests of `ferrule logs` (local files, and CloudWatch Logs in the e2e group).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll } from 'vitest';
import { ferruleBin } from './run-ferrule.ts';

export const json = (level: string, message: string, requestId: string) =>
  JSON.stringify({ timestamp: '2026-12-06T10:00:00.123Z', level, message, requestId });

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

/** `ferrule logs ... --tail` as a user runs it; `shows` waits for output, not for a clock. */
export function follow(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [ferruleBin, 'logs', ...args, '--tail'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const shows = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (stdout.includes(text)) resolve();
      };
      child.stdout?.on('data', check);
      void exited.then(() =>
        stdout.includes(text)
          ? resolve()
          : reject(new Error(`exited before "${text}":\n${stdout}\n${stderr}`)),
      );
      check();
    });
  return { child, exited, shows, stdout: () => stdout };
}
