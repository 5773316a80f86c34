// The local AWS endpoint (`AWS_ENDPOINT_URL` for functions and users): every call goes on to moto
// unchanged, except the Cognito calls that run the user pool's Lambda triggers, which moto does
// not run. `/_ferrule/*` is the local cloud's own control API (`ferrule trigger`, state).
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AdminConfirmSignUpCommand,
  AdminGetUserCommand,
  AdminUpdateUserAttributesCommand,
  CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import type { InvokeReport } from '@ferrule/emulator';
import type { LogSink } from './log.ts';
import type { CognitoTrigger, UserPoolSpec } from './model.ts';

const COGNITO_TARGET = 'AWSCognitoIdentityProviderService.';
const MAX_REQUEST_BYTES = 32 * 1024 * 1024;

export type ControlHandler = (
  method: string,
  path: string,
  body: string,
) => Promise<{ status: number; body: unknown }>;

export interface EndpointOptions {
  readonly motoEndpoint: string;
  readonly region: string;
  readonly log: LogSink;
  /** The app's user pools (watch mode replaces them) and the pool of each app client. */
  readonly userPools: () => readonly UserPoolSpec[];
  readonly clientPools: () => ReadonlyMap<string, string>;
  readonly invoke: (functionArn: string, event: unknown) => Promise<InvokeReport>;
  readonly control: ControlHandler;
  /** @default 0 (a free port) */
  readonly port?: number;
}

type Json = Record<string, unknown>;

export class LocalEndpoint {
  private server?: Server;
  private readonly cognito: CognitoIdentityProviderClient;
  private port = 0;

  constructor(private readonly options: EndpointOptions) {
    this.cognito = new CognitoIdentityProviderClient({
      region: options.region,
      endpoint: options.motoEndpoint,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async listen(): Promise<void> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: Error) => {
        this.options.log.info(`local endpoint: ${error.message}`);
        if (!res.headersSent) cognitoError(res, 500, 'InternalErrorException', error.message);
        else res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async close(): Promise<void> {
    this.cognito.destroy();
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      // Larger than any AWS API request (DynamoDB's BatchWriteItem stops at 16 MB): refuse, don't buffer.
      if (size > MAX_REQUEST_BYTES)
        return cognitoError(res, 413, 'RequestEntityTooLarge', 'request body too large');
      chunks.push(chunk as Buffer);
    }
    const body = Buffer.concat(chunks);
    const url = req.url ?? '/';
    if (url.startsWith('/_ferrule/')) {
      const result = await this.options.control(
        req.method ?? 'GET',
        url.slice('/_ferrule'.length),
        body.toString(),
      );
      res.writeHead(result.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(result.body));
      return;
    }
    const target = String(req.headers['x-amz-target'] ?? '');
    if (target.startsWith(COGNITO_TARGET)) {
      const operation = target.slice(COGNITO_TARGET.length);
      if (operation === 'SignUp') return this.signUp(req, res, body);
      if (operation === 'ConfirmSignUp' || operation === 'AdminConfirmSignUp') {
        return this.confirm(req, res, body, operation);
      }
    }
    const forwarded = await this.forward(req, body);
    res.writeHead(forwarded.status, forwarded.headers);
    res.end(forwarded.body);
  }

  private forward(
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
    const target = new URL(req.url ?? '/', this.options.motoEndpoint);
    return new Promise((resolve, reject) => {
      const outgoing = httpRequest(
        target,
        { method: req.method, headers: { ...req.headers, 'content-length': String(body.length) } },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const headers: Record<string, string | string[]> = {};
            for (const [name, value] of Object.entries(response.headers)) {
              if (value !== undefined && name !== 'transfer-encoding' && name !== 'connection')
                headers[name] = value;
            }
            const payload = Buffer.concat(chunks);
            headers['content-length'] = String(payload.length);
            resolve({ status: response.statusCode ?? 502, headers, body: payload });
          });
          response.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  }

  private poolOfClient(clientId: unknown): UserPoolSpec | undefined {
    const poolId = this.options.clientPools().get(String(clientId));
    return this.options.userPools().find((pool) => pool.id === poolId);
  }

  /** PreSignUp (and CustomMessage) around moto's SignUp; a refusal refuses the sign-up. */
  private async signUp(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const input = parse(body);
    const pool = this.poolOfClient(input.ClientId);
    if (!pool || Object.keys(pool.triggers).length === 0) return this.pass(req, res, body);
    const userAttributes = attributes(input.UserAttributes);
    const common = {
      version: '1',
      region: this.options.region,
      userPoolId: pool.id,
      userName: String(input.Username ?? ''),
      callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: String(input.ClientId) },
    };
    let autoConfirm = false;
    let autoVerifyEmail = false;
    let autoVerifyPhone = false;
    if (pool.triggers.PreSignUp) {
      const outcome = await this.runTrigger(pool, 'PreSignUp', {
        ...common,
        triggerSource: 'PreSignUp_SignUp',
        request: {
          userAttributes,
          validationData: input.ValidationData ? attributes(input.ValidationData) : null,
          ...(input.ClientMetadata ? { clientMetadata: input.ClientMetadata } : {}),
        },
        response: { autoConfirmUser: false, autoVerifyEmail: false, autoVerifyPhone: false },
      });
      if ('error' in outcome) return cognitoError(res, 400, 'UserLambdaValidationException', outcome.error);
      const response = (outcome.json.response ?? {}) as Json;
      autoConfirm = response.autoConfirmUser === true;
      autoVerifyEmail = response.autoVerifyEmail === true;
      autoVerifyPhone = response.autoVerifyPhone === true;
    }
    const forwarded = await this.forward(req, body);
    if (forwarded.status !== 200) {
      res.writeHead(forwarded.status, forwarded.headers);
      res.end(forwarded.body);
      return;
    }
    const result = parse(forwarded.body);
    if (autoConfirm) {
      // Cognito confirms the user; PostConfirmation does not run for an auto-confirmed sign-up.
      await this.cognito.send(
        new AdminConfirmSignUpCommand({ UserPoolId: pool.id, Username: common.userName }),
      );
      const verified = [
        ...(autoVerifyEmail ? [{ Name: 'email_verified', Value: 'true' }] : []),
        ...(autoVerifyPhone ? [{ Name: 'phone_number_verified', Value: 'true' }] : []),
      ];
      if (verified.length > 0) {
        await this.cognito.send(
          new AdminUpdateUserAttributesCommand({
            UserPoolId: pool.id,
            Username: common.userName,
            UserAttributes: verified,
          }),
        );
      }
      result.UserConfirmed = true;
    } else if (pool.triggers.CustomMessage) {
      const outcome = await this.runTrigger(pool, 'CustomMessage', {
        ...common,
        triggerSource: 'CustomMessage_SignUp',
        request: {
          userAttributes: { ...userAttributes, sub: String(result.UserSub ?? '') },
          codeParameter: '{####}',
          linkParameter: '{##Click Here##}',
          usernameParameter: null,
          ...(input.ClientMetadata ? { clientMetadata: input.ClientMetadata } : {}),
        },
        response: { smsMessage: null, emailMessage: null, emailSubject: null },
      });
      if ('error' in outcome) return cognitoError(res, 400, 'UserLambdaValidationException', outcome.error);
      const message = (outcome.json.response ?? {}) as Json;
      this.options.log.info(
        `sign-up of ${common.userName}: the confirmation message would read "${String(message.emailSubject ?? '')}" / "${String(message.emailMessage ?? message.smsMessage ?? '')}" (any code confirms locally)`,
      );
    }
    const text = JSON.stringify(result);
    res.writeHead(200, {
      'content-type': 'application/x-amz-json-1.1',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  }

  /** moto's confirmation, then PostConfirmation; its failure is the caller's error, as in Cognito. */
  private async confirm(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    operation: 'ConfirmSignUp' | 'AdminConfirmSignUp',
  ): Promise<void> {
    const input = parse(body);
    const pool =
      operation === 'ConfirmSignUp'
        ? this.poolOfClient(input.ClientId)
        : this.options.userPools().find((p) => p.id === input.UserPoolId);
    const forwarded = await this.forward(req, body);
    if (forwarded.status !== 200 || !pool?.triggers.PostConfirmation) {
      res.writeHead(forwarded.status, forwarded.headers);
      res.end(forwarded.body);
      return;
    }
    const user = await this.cognito.send(
      new AdminGetUserCommand({ UserPoolId: pool.id, Username: String(input.Username ?? '') }),
    );
    const userAttributes: Record<string, string> = { 'cognito:user_status': 'CONFIRMED' };
    for (const attribute of user.UserAttributes ?? []) {
      if (attribute.Name) userAttributes[attribute.Name] = attribute.Value ?? '';
    }
    const outcome = await this.runTrigger(pool, 'PostConfirmation', {
      version: '1',
      region: this.options.region,
      userPoolId: pool.id,
      userName: user.Username ?? String(input.Username ?? ''),
      callerContext: {
        awsSdkVersion: 'aws-sdk-unknown-unknown',
        clientId: input.ClientId === undefined ? 'CLIENT_ID_NOT_APPLICABLE' : String(input.ClientId),
      },
      triggerSource: 'PostConfirmation_ConfirmSignUp',
      request: { userAttributes, ...(input.ClientMetadata ? { clientMetadata: input.ClientMetadata } : {}) },
      response: {},
    });
    if ('error' in outcome) return cognitoError(res, 400, 'UserLambdaValidationException', outcome.error);
    res.writeHead(forwarded.status, forwarded.headers);
    res.end(forwarded.body);
  }

  private async runTrigger(
    pool: UserPoolSpec,
    trigger: CognitoTrigger,
    event: Json,
  ): Promise<{ json: Json } | { error: string }> {
    const arn = pool.triggers[trigger] as string;
    let report: InvokeReport;
    try {
      report = await this.options.invoke(arn, event);
    } catch (error) {
      return { error: `${trigger} failed with error ${(error as Error).message}.` };
    }
    const outcome = report.outcome;
    if (outcome.kind === 'error') return { error: `${trigger} failed with error ${outcome.errorMessage}.` };
    if (outcome.json === null || typeof outcome.json !== 'object') {
      return { error: `${trigger} failed with error the trigger returned no event.` };
    }
    return { json: outcome.json as Json };
  }

  private async pass(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const forwarded = await this.forward(req, body);
    res.writeHead(forwarded.status, forwarded.headers);
    res.end(forwarded.body);
  }
}

function parse(body: Buffer): Json {
  try {
    const value = JSON.parse(body.toString('utf8')) as unknown;
    return value !== null && typeof value === 'object' ? (value as Json) : {};
  } catch {
    return {};
  }
}

function attributes(list: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!Array.isArray(list)) return out;
  for (const item of list as { Name?: unknown; Value?: unknown }[]) {
    if (typeof item?.Name === 'string') out[item.Name] = String(item.Value ?? '');
  }
  return out;
}

function cognitoError(res: ServerResponse, status: number, type: string, message: string): void {
  const text = JSON.stringify({ __type: type, message });
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'x-amzn-errortype': type,
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
