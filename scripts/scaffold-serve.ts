// Part of the scaffold test: every scaffolded function is served by the local cloud from the
// copy's synthesized app, with no edit beyond the scaffolder's, and answers an event sent the way
// its trigger sends it (an HTTP request, a queue message, a table write, an event on the bus, a
// schedule fired now, a sign-up). The event's content is the function's own fixture.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CognitoIdentityProviderClient,
  ConfirmSignUpCommand,
  InitiateAuthCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startMoto } from '@ferrule/cli';
import { LocalCloud, LogSink } from '@ferrule/local-cloud';
import type { CheckOutcome } from './smoke.ts';

export interface ServedCase {
  readonly name: string;
  readonly trigger: string;
  /** The function's first fixture (backend/events/<fixture>.json in the copy). */
  readonly fixture: string;
}

const PASSWORD = 'Passw0rd!Passw0rd';

type Json = Record<string, unknown>;

/** Starts the local cloud on the copy's cdk.out and drives each function through its trigger. */
export async function serveEach(copy: string, cases: readonly ServedCase[]): Promise<CheckOutcome[]> {
  const moto = await startMoto();
  const lines: string[] = [];
  let cloud: LocalCloud | undefined;
  const results: CheckOutcome[] = [];
  try {
    cloud = await LocalCloud.start({
      assemblyDir: join(copy, 'cdk.out'),
      motoEndpoint: moto.endpoint,
      port: 0,
      endpointPort: 0,
      valuesFile: join(copy, '.ferrule/local-values.json'),
      sqsRetryDelaySeconds: 0,
      log: new LogSink({ json: true, write: (text) => lines.push(...text.trimEnd().split('\n')) }),
    });
    const config = {
      region: 'eu-west-1',
      endpoint: cloud.endpointUrl,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    };
    const clients = {
      sqs: new SQSClient(config),
      dynamodb: new DynamoDBClient(config),
      events: new EventBridgeClient(config),
      cognito: new CognitoIdentityProviderClient(config),
    };
    try {
      for (const served of cases) {
        const label = `${served.name}: served by the local cloud through its ${served.trigger} trigger`;
        try {
          const fixture = JSON.parse(
            readFileSync(join(copy, 'backend/events', `${served.fixture}.json`), 'utf8'),
          ) as Json;
          const before = lines.length;
          await send(cloud, clients, served, fixture);
          const report = await waitFor(() =>
            lines
              .slice(before)
              .find((line) => line.startsWith(served.name) && line.includes('REPORT RequestId')),
          );
          results.push({
            name: label,
            ok: report !== undefined && !report.includes('Status:'),
            detail: report ?? `no invocation; the local cloud's log:\n${lines.slice(-40).join('\n')}`,
          });
        } catch (error) {
          results.push({
            name: label,
            ok: false,
            detail: `${(error as Error).message}\n${lines.slice(-40).join('\n')}`,
          });
        }
      }
    } finally {
      for (const client of Object.values(clients)) client.destroy();
    }
  } catch (error) {
    results.push({
      name: 'the local cloud starts on the scaffolded app',
      ok: false,
      detail: (error as Error).message,
    });
  } finally {
    await cloud?.stop();
    await moto.stop();
  }
  return results;
}

async function send(
  cloud: LocalCloud,
  clients: {
    sqs: SQSClient;
    dynamodb: DynamoDBClient;
    events: EventBridgeClient;
    cognito: CognitoIdentityProviderClient;
  },
  served: ServedCase,
  fixture: Json,
): Promise<void> {
  const model = cloud.current;
  const fn = [...model.functions.values()].find((f) => f.crate === served.name);
  if (!fn) throw new Error(`${served.name} is not among the served functions`);
  const records = (fixture.Records ?? []) as Json[];
  const pool = model.userPools.find((p) => Object.values(p.triggers).includes(fn.arn));
  const clientOf = (poolId: string) => [...model.clientPools].find(([, id]) => id === poolId)?.[0] ?? '';

  switch (served.trigger) {
    case 'http': {
      const api = model.apis.find((a) => a.routes.some((r) => r.functionArn === fn.arn));
      const route = api?.routes.find((r) => r.functionArn === fn.arn);
      if (!api || !route) throw new Error('no route invokes the function');
      const [method = 'GET', path = '/'] = route.routeKey.split(' ');
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (route.authorizer) {
        const poolId = /\/([\w-]+)$/.exec(route.authorizer.issuer)?.[1] ?? '';
        headers.authorization = `Bearer ${await token(clients.cognito, route.authorizer.audience[0] ?? clientOf(poolId))}`;
      }
      const response = await fetch(`http://127.0.0.1:${api.port}${path.replace(/\{[^}]+\}/g, 'x')}`, {
        method: method === 'ANY' ? 'POST' : method,
        headers,
        ...(method === 'GET' ? {} : { body: typeof fixture.body === 'string' ? fixture.body : '{}' }),
      });
      if (response.status >= 500)
        throw new Error(`the API answered ${response.status}: ${await response.text()}`);
      return;
    }
    case 'sqs':
    case 'sqs-fifo': {
      const mapping = model.mappings.find((m) => m.kind === 'sqs' && m.functionArn === fn.arn);
      if (mapping?.kind !== 'sqs') throw new Error('no queue mapping invokes the function');
      await clients.sqs.send(
        new SendMessageCommand({
          QueueUrl: mapping.queueUrl,
          MessageBody: String(records[0]?.body ?? '{}'),
          ...(mapping.fifo ? { MessageGroupId: 'scaffold', MessageDeduplicationId: String(Date.now()) } : {}),
        }),
      );
      return;
    }
    case 'dynamodb-stream': {
      const mapping = model.mappings.find((m) => m.kind === 'dynamodb' && m.functionArn === fn.arn);
      const table = model.tables.find(
        (t) => mapping?.kind === 'dynamodb' && t.streamArn === mapping.streamArn,
      );
      if (!table) throw new Error('no table stream invokes the function');
      const image = ((records[0]?.dynamodb as Json | undefined)?.NewImage ?? {}) as Record<string, never>;
      await clients.dynamodb.send(new PutItemCommand({ TableName: table.name, Item: image }));
      return;
    }
    case 'eventbridge': {
      const rule = model.rules.find((r) => r.targets.some((t) => t.arn === fn.arn) && r.pattern);
      if (!rule) throw new Error('no rule targets the function');
      await clients.events.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: rule.busName,
              Source: String(fixture.source),
              DetailType: String(fixture['detail-type']),
              Detail: JSON.stringify(fixture.detail ?? {}),
            },
          ],
        }),
      );
      return;
    }
    case 'schedule': {
      const rule = model.rules.find((r) => r.targets.some((t) => t.arn === fn.arn) && r.schedule);
      if (!rule) throw new Error('no schedule targets the function');
      await cloud.trigger(rule.name);
      return;
    }
    case 'cognito-pre-sign-up':
    case 'cognito-post-confirmation': {
      if (!pool) throw new Error('no user pool triggers the function');
      const attributes = ((fixture.request as Json | undefined)?.userAttributes ?? {}) as Record<
        string,
        string
      >;
      // The fixture's domain (a pre-sign-up check may look at it), a user of this case's own:
      // both Cognito cases share one user pool.
      const email = `${served.name}@${(attributes.email ?? 'ada@example.com').split('@')[1]}`;
      const clientId = clientOf(pool.id);
      await clients.cognito.send(
        new SignUpCommand({
          ClientId: clientId,
          Username: email,
          Password: PASSWORD,
          UserAttributes: [{ Name: 'email', Value: email }],
        }),
      );
      if (served.trigger === 'cognito-post-confirmation') {
        await clients.cognito.send(
          new ConfirmSignUpCommand({ ClientId: clientId, Username: email, ConfirmationCode: '0' }),
        );
      }
      return;
    }
    default:
      throw new Error(`no way to send a ${served.trigger} event`);
  }
}

/** An ID token of a new user of the client's pool (sign-up, confirmation, sign-in). */
async function token(cognito: CognitoIdentityProviderClient, clientId: string): Promise<string> {
  const email = `scaffold-${Date.now()}@example.com`;
  await cognito.send(
    new SignUpCommand({
      ClientId: clientId,
      Username: email,
      Password: PASSWORD,
      UserAttributes: [{ Name: 'email', Value: email }],
    }),
  );
  await cognito.send(
    new ConfirmSignUpCommand({ ClientId: clientId, Username: email, ConfirmationCode: '0' }),
  );
  const result = await cognito.send(
    new InitiateAuthCommand({
      ClientId: clientId,
      AuthFlow: 'USER_PASSWORD_AUTH',
      AuthParameters: { USERNAME: email, PASSWORD },
    }),
  );
  return result.AuthenticationResult?.IdToken ?? '';
}

/** Waits for the function's REPORT: invocations are asynchronous for every trigger but HTTP. */
async function waitFor<T>(check: () => T | undefined): Promise<T | undefined> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    const value = check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return undefined;
}
