import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import type { LocalCloudState } from '@ferrule/local-cloud';
import { projectRoot } from '@ferrule/toolchain/project';
import type { TokenFlags } from '../commands/local.ts';
import { CliError } from '../errors.ts';
import { LOCAL_CLOUD_STATE } from '../local-state.ts';

/** The running local cloud's state file; no local cloud is a missing prerequisite (exit 2). */
export function readLocalCloudState(): LocalCloudState {
  if (!existsSync(LOCAL_CLOUD_STATE)) {
    throw new CliError('no local cloud is running here: start it with `npm start` (or `npx ferrule start`)');
  }
  let state: LocalCloudState;
  try {
    state = JSON.parse(readFileSync(LOCAL_CLOUD_STATE, 'utf8')) as LocalCloudState;
  } catch {
    throw new CliError(
      `${relative(projectRoot, LOCAL_CLOUD_STATE)} is not a local cloud's state: start the local cloud again with \`npm start\``,
    );
  }
  try {
    process.kill(state.pid, 0);
  } catch {
    throw new CliError(
      `the local cloud that wrote ${relative(projectRoot, LOCAL_CLOUD_STATE)} (pid ${state.pid}) is gone: start it again with \`npm start\``,
    );
  }
  return state;
}

/** `ferrule trigger <rule>`: fires a schedule rule of the running local cloud now. */
export async function triggerCommand(rule: string): Promise<void> {
  const state = readLocalCloudState();
  let response: Response;
  try {
    response = await fetch(`${state.endpoint}/_ferrule/rules/${encodeURIComponent(rule)}/trigger`, {
      method: 'POST',
    });
  } catch (error) {
    throw new CliError(`the local cloud at ${state.endpoint} did not answer: ${(error as Error).message}`, 1);
  }
  const body = (await response.json()) as { message?: string; fired?: string; targets?: number };
  if (!response.ok) {
    // 404: no rule by that name, a usage error like an unknown function.
    throw new CliError(
      body.message ?? `the local cloud answered ${response.status}`,
      response.status === 404 ? 2 : 1,
    );
  }
  process.stdout.write(`fired ${body.fired} (${body.targets} target(s))\n`);
}

/** `ferrule token <username>`: signs the user up and in through the local Cognito; prints a token. */
export async function tokenCommand(username: string, flags: TokenFlags): Promise<void> {
  const state = readLocalCloudState();
  const pools = flags.pool
    ? state.userPools.filter((p) => p.id === flags.pool || p.name === flags.pool)
    : state.userPools;
  if (pools.length !== 1) {
    throw new CliError(
      pools.length === 0
        ? `no user pool ${flags.pool ?? ''} in the local cloud`
        : `several user pools: name one with --pool (${pools.map((p) => p.id).join(', ')})`,
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
      await client.send(new cognito.AdminConfirmSignUpCommand({ UserPoolId: pool.id, Username: username }));
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
    if (!token) {
      throw new CliError(
        `sign-in of ${username} returned no token (a challenge: ${result.ChallengeName})`,
        1,
      );
    }
    process.stdout.write(`${token}\n`);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`sign-in of ${username} failed: ${(error as Error).message}`, 1);
  } finally {
    client.destroy();
  }
}
