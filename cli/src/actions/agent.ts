import { loadEvals, runSkillEvals } from '../agent/evals.ts';
import { HOOKS, type HookName, runHook } from '../agent/hooks.ts';
import { checkProjections, describeCheck, syncProjections } from '../agent/sync.ts';
import { CliError } from '../errors.ts';

/** `ferrule agent sync`: writes every agent's files from agent/. */
export function agentSyncCommand(): void {
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
}

/** `ferrule agent check`: exit code 1 when a projection differs from what sync would write. */
export function agentCheckCommand(): void {
  const result = checkProjections();
  if (result.ok) {
    process.stdout.write('agent projections are up to date\n');
    return;
  }
  throw new CliError(`agent projections are out of date:\n${describeCheck(result)}`, 1);
}

/** `ferrule agent hook <name>`: the hook's input on stdin, its message on stderr, its exit code. */
export async function agentHookCommand(name: string): Promise<void> {
  if (!(HOOKS as readonly string[]).includes(name)) {
    throw new CliError(`unknown hook \`${name}\`; the hooks are: ${HOOKS.join(', ')}`);
  }
  const stdin = process.stdin.isTTY ? '' : await readStdin();
  const result = await runHook(name as HookName, stdin);
  if (result.message) process.stderr.write(`${result.message}\n`);
  process.exitCode = result.exitCode;
}

/** `ferrule agent eval [skills...]`: the skills' scripted steps in a copy of the repository, then verify. */
export async function agentEvalCommand(skills: readonly string[]): Promise<void> {
  const names = skills.length > 0 ? [...skills] : loadEvals().map((evaluation) => evaluation.skill);
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
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
