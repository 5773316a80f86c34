// Commands that talk to a running local cloud (`ferrule start`): `trigger` fires a schedule now,
// `token` signs a user up and in through the local Cognito and prints a token for the HTTP API.
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { LocalCloudState } from '@ferrule/local-cloud';
import type { Command } from 'commander';
import { CliError } from '../errors.ts';
import { projectRoot } from '../project.ts';
import { LOCAL_CLOUD_STATE } from './start.ts';

/** A password that satisfies Cognito's default and Ferrule's user pool policies. */
export const LOCAL_PASSWORD = 'Local-Passw0rd!';

export function readLocalCloudState(): LocalCloudState {
  if (!existsSync(LOCAL_CLOUD_STATE)) {
    throw new CliError(
      'no local cloud is running here: start it with `npm start` (or `npx ferrule start`)',
      1,
    );
  }
  const state = JSON.parse(readFileSync(LOCAL_CLOUD_STATE, 'utf8')) as LocalCloudState;
  try {
    process.kill(state.pid, 0);
  } catch {
    throw new CliError(
      `the local cloud that wrote ${relative(projectRoot, LOCAL_CLOUD_STATE)} (pid ${state.pid}) is gone: start it again with \`npm start\``,
      1,
    );
  }
  return state;
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
        'Exit codes: 0 fired, 1 no local cloud or no such rule.',
      ].join('\n'),
    )
    .action(async (rule: string) => {
      const state = readLocalCloudState();
      const response = await fetch(`${state.endpoint}/_ferrule/rules/${encodeURIComponent(rule)}/trigger`, {
        method: 'POST',
      });
      const body = (await response.json()) as { message?: string; fired?: string; targets?: number };
      if (!response.ok) throw new CliError(body.message ?? `the local cloud answered ${response.status}`, 1);
      process.stdout.write(`fired ${body.fired} (${body.targets} target(s))\n`);
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
        'Exit codes: 0 printed, 1 no local cloud, sign-up refused or sign-in failed.',
      ].join('\n'),
    )
    .action(
      async (
        username: string,
        flags: { password: string; pool?: string; client?: string; access?: boolean },
      ) => {
        const state = readLocalCloudState();
        const pools = flags.pool
          ? state.userPools.filter((p) => p.id === flags.pool || p.name === flags.pool)
          : state.userPools;
        if (pools.length !== 1) {
          throw new CliError(
            pools.length === 0
              ? `no user pool ${flags.pool ?? ''} in the local cloud`
              : `several user pools: name one with --pool (${pools.map((p) => p.id).join(', ')})`,
            1,
          );
        }
        const pool = pools[0] as LocalCloudState['userPools'][number];
        const clientId = flags.client ?? pool.clients[0];
        if (!clientId) throw new CliError(`user pool ${pool.name} has no app client`, 1);
        const cognito = await import('@aws-sdk/client-cognito-identity-provider');
        const client = new cognito.CognitoIdentityProviderClient({
          region: state.region,
          endpoint: state.endpoint,
          credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
        });
        try {
          try {
            await client.send(
              new cognito.SignUpCommand({
                ClientId: clientId,
                Username: username,
                Password: flags.password,
                UserAttributes: username.includes('@') ? [{ Name: 'email', Value: username }] : [],
              }),
            );
            await client.send(
              new cognito.AdminConfirmSignUpCommand({ UserPoolId: pool.id, Username: username }),
            );
          } catch (error) {
            if ((error as Error).name !== 'UsernameExistsException') {
              throw new CliError(`sign-up of ${username} failed: ${(error as Error).message}`, 1);
            }
          }
          const result = await client.send(
            new cognito.InitiateAuthCommand({
              ClientId: clientId,
              AuthFlow: 'USER_PASSWORD_AUTH',
              AuthParameters: { USERNAME: username, PASSWORD: flags.password },
            }),
          );
          const token = flags.access
            ? result.AuthenticationResult?.AccessToken
            : result.AuthenticationResult?.IdToken;
          if (!token)
            throw new CliError(
              `sign-in of ${username} returned no token (a challenge: ${result.ChallengeName})`,
              1,
            );
          process.stdout.write(`${token}\n`);
        } catch (error) {
          if (error instanceof CliError) throw error;
          throw new CliError(`sign-in of ${username} failed: ${(error as Error).message}`, 1);
        } finally {
          client.destroy();
        }
      },
    );
}
