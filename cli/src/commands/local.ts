// Commands that talk to a running local cloud (`ferrule start`): `trigger` fires a schedule now,
// `token` signs a user up and in through the local Cognito and prints a token for the HTTP API.
import type { Command } from 'commander';

/** A password that satisfies Cognito's default and Ferrule's user pool policies. */
export const LOCAL_PASSWORD = 'Local-Passw0rd!';

export interface TokenFlags {
  password: string;
  pool?: string;
  client?: string;
  access?: boolean;
}

export function registerTrigger(program: Command) {
  program
    .command('trigger')
    .description(
      "Fire a schedule rule of the running local cloud now (its targets get EventBridge's Scheduled Event)",
    )
    .argument('<rule>', 'rule name, logical id, or a unique part of the name')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  npx ferrule trigger NightlyReport',
        '',
        'Exit codes: 0 fired, 1 the local cloud could not fire it, 2 no such rule or no local cloud',
        'running (npm start).',
      ].join('\n'),
    )
    .action(async (rule: string) => {
      const { triggerCommand } = await import('../actions/local.ts');
      await triggerCommand(rule);
    });
}

export function registerToken(program: Command) {
  program
    .command('token')
    .description('Sign a user up (if new), confirm and sign in through the local Cognito; print an ID token')
    .argument('<username>', 'the user, e.g. an e-mail address of an allowed domain')
    .option('--password <password>', 'password to sign up / in with', LOCAL_PASSWORD)
    .option('--pool <id>', 'user pool id (default: the only one)')
    .option('--client <id>', 'app client id (default: the pool’s first)')
    .option('--access', 'print the access token instead of the ID token')
    .addHelpText(
      'after',
      [
        '',
        'The same calls any client makes (SignUp, AdminConfirmSignUp, InitiateAuth USER_PASSWORD_AUTH), so',
        "the pool's PreSignUp and PostConfirmation triggers run.",
        '',
        'Examples:',
        '  TOKEN=$(npx ferrule token ada@example.com)',
        '  curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:3001/orders',
        '',
        'Exit codes: 0 printed, 1 sign-up refused or sign-in failed, 2 no such pool (or several: --pool)',
        'or no local cloud running (npm start).',
      ].join('\n'),
    )
    .action(async (username: string, flags: TokenFlags) => {
      const { tokenCommand } = await import('../actions/local.ts');
      await tokenCommand(username, flags);
    });
}
