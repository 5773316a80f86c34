// An HTTP API (API Gateway v2) on a loopback port: routes from the template, the JWT authorizer,
// CORS, the payload 2.0 event as API Gateway builds it, and the response mapped back.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { InvokeReport } from '@ferrule/emulator';
import { ThrottledError } from './functions.ts';
import type { JwtVerifier } from './jwt.ts';
import type { LogSink } from './log.ts';
import type { CorsSpec, HttpApiSpec, RouteSpec } from './model.ts';

/** API Gateway's request payload limit. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** Bodies with these content types reach the function as text; anything else as base64. */
const TEXT_TYPES =
  /^(text\/|application\/(json|javascript|xml|x-www-form-urlencoded|[\w.+-]+\+(json|xml))|$)/i;

export interface HttpApiServerOptions {
  readonly api: HttpApiSpec;
  readonly accountId: string;
  readonly jwt: JwtVerifier;
  readonly log: LogSink;
  /** Invokes a function by ARN (the pool applies its limits). */
  readonly invoke: (functionArn: string, event: unknown) => Promise<InvokeReport>;
}

interface MatchedRoute {
  readonly route: RouteSpec;
  readonly pathParameters: Record<string, string>;
}

export class HttpApiServer {
  private server?: Server;
  private routes: RouteSpec[];

  constructor(private readonly options: HttpApiServerOptions) {
    this.routes = options.api.routes;
  }

  get url(): string {
    return `http://127.0.0.1:${this.options.api.port}`;
  }

  /** Watch mode: the re-synthesized app's routes. */
  setRoutes(routes: RouteSpec[]): void {
    this.routes = routes;
  }

  async listen(): Promise<void> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch((error: Error) => {
        this.options.log.info(`${this.options.api.name}: ${error.message}`);
        send(res, 500, { message: 'Internal Server Error' });
      });
    });
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.api.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    res.setHeader('apigw-requestid', requestId);
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const rawPath = queryAt < 0 ? url : url.slice(0, queryAt);
    const rawQueryString = queryAt < 0 ? '' : url.slice(queryAt + 1);
    const method = (req.method ?? 'GET').toUpperCase();
    const cors = this.options.api.cors;

    const matched = matchRoute(this.routes, method, decodePath(rawPath));
    // With CORS configured, API Gateway answers preflights itself unless an OPTIONS route exists.
    if (
      method === 'OPTIONS' &&
      cors &&
      req.headers.origin &&
      !matched?.route.routeKey.startsWith('OPTIONS ')
    ) {
      return preflight(req, res, cors);
    }
    if (cors) applyCors(req, res, cors);
    if (!matched) return send(res, 404, { message: 'Not Found' });
    const { route } = matched;

    const body = await readBody(req);
    if (body === 'too-large') return send(res, 413, { message: 'Request Entity Too Large' });

    let authorizer: Record<string, unknown> | undefined;
    if (route.unsupportedAuthorization) {
      this.options.log.info(
        `${method} ${rawPath}: ${route.unsupportedAuthorization} is not emulated locally`,
      );
      return send(res, 500, { message: 'Internal Server Error' });
    }
    if (route.authorizer) {
      const header = req.headers[route.authorizer.identityHeader];
      const result = await this.options.jwt.authorize(
        route.authorizer,
        Array.isArray(header) ? header[0] : header,
        route.scopes,
      );
      if (!result.ok) {
        this.options.log.info(`${method} ${rawPath} → ${result.status}: ${result.reason}`);
        if (result.wwwAuthenticate) res.setHeader('www-authenticate', result.wwwAuthenticate);
        return send(res, result.status, result.body);
      }
      authorizer = { jwt: { claims: result.claims, scopes: result.scopes } };
    }
    if (route.payloadFormatVersion !== '2.0') {
      this.options.log.info(
        `${route.routeKey}: payload format ${route.payloadFormatVersion} is not emulated locally`,
      );
      return send(res, 500, { message: 'Internal Server Error' });
    }

    const event = this.event(req, {
      requestId,
      rawPath,
      rawQueryString,
      method,
      route,
      matched,
      body,
      authorizer,
    });
    let report: InvokeReport | 'timeout';
    try {
      report = await withTimeout(this.options.invoke(route.functionArn, event), route.timeoutMs);
    } catch (error) {
      if (error instanceof ThrottledError) return send(res, 429, { message: 'Too Many Requests' });
      throw error;
    }
    if (report === 'timeout') return send(res, 503, { message: 'Service Unavailable' });
    const outcome = report.outcome;
    if (outcome.kind === 'error') {
      // The function never answered (init failure, crash, timeout): a bad gateway. A handled
      // error from a running function is API Gateway's 500.
      const gateway =
        outcome.phase === 'init' ||
        outcome.errorType.startsWith('Runtime.') ||
        outcome.errorType.startsWith('Sandbox.');
      return send(res, gateway ? 502 : 500, { message: 'Internal Server Error' });
    }
    respond(res, outcome.json, outcome.payload, this.options.log, route.routeKey);
  }

  private event(
    req: IncomingMessage,
    parts: {
      requestId: string;
      rawPath: string;
      rawQueryString: string;
      method: string;
      route: RouteSpec;
      matched: MatchedRoute;
      body: Buffer;
      authorizer: Record<string, unknown> | undefined;
    },
  ): Record<string, unknown> {
    const headers: Record<string, string> = {};
    let cookies: string[] | undefined;
    for (const [name, values] of Object.entries(req.headersDistinct)) {
      if (!values) continue;
      if (name === 'cookie') {
        cookies = values.flatMap((v) => v.split(/;\s*/)).filter(Boolean);
        continue;
      }
      headers[name] = values.join(',');
    }
    const query: Record<string, string> = {};
    for (const [key, value] of new URLSearchParams(parts.rawQueryString)) {
      query[key] = key in query ? `${query[key]},${value}` : value;
    }
    const contentType = headers['content-type'] ?? '';
    const text = TEXT_TYPES.test(contentType) && isUtf8(parts.body);
    const now = new Date();
    const host = headers.host ?? `127.0.0.1:${this.options.api.port}`;
    return {
      version: '2.0',
      routeKey: parts.route.routeKey,
      rawPath: parts.rawPath,
      rawQueryString: parts.rawQueryString,
      ...(cookies ? { cookies } : {}),
      headers,
      ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
      ...(Object.keys(parts.matched.pathParameters).length > 0
        ? { pathParameters: parts.matched.pathParameters }
        : {}),
      requestContext: {
        accountId: this.options.accountId,
        apiId: this.options.api.apiId,
        ...(parts.authorizer ? { authorizer: parts.authorizer } : {}),
        domainName: host,
        domainPrefix: host.split('.')[0]?.split(':')[0] ?? host,
        http: {
          method: parts.method,
          path: parts.rawPath,
          protocol: `HTTP/${req.httpVersion}`,
          sourceIp: normaliseIp(req.socket.remoteAddress),
          userAgent: headers['user-agent'] ?? '',
        },
        requestId: parts.requestId,
        routeKey: parts.route.routeKey,
        stage: '$default',
        time: clf(now),
        timeEpoch: now.getTime(),
      },
      ...(parts.body.length > 0
        ? { body: text ? parts.body.toString('utf8') : parts.body.toString('base64') }
        : {}),
      isBase64Encoded: parts.body.length > 0 && !text,
    };
  }
}

/** The route API Gateway picks: the most specific path, then a method over ANY, else `$default`. */
export function matchRoute(
  routes: readonly RouteSpec[],
  method: string,
  path: string,
): MatchedRoute | undefined {
  let best: { match: MatchedRoute; score: number } | undefined;
  const segments = path.split('/').filter(Boolean);
  for (const route of routes) {
    if (route.routeKey === '$default') continue;
    const space = route.routeKey.indexOf(' ');
    const routeMethod = route.routeKey.slice(0, space);
    if (routeMethod !== 'ANY' && routeMethod !== method) continue;
    const pattern = route.routeKey
      .slice(space + 1)
      .split('/')
      .filter(Boolean);
    const parameters: Record<string, string> = {};
    let literals = 0;
    let greedy = false;
    let matches = true;
    for (let i = 0; i < pattern.length; i += 1) {
      const part = pattern[i] as string;
      const greedyMatch = /^\{(.+)\+\}$/.exec(part);
      if (greedyMatch && i === pattern.length - 1) {
        if (segments.length <= i) matches = false;
        else parameters[greedyMatch[1] as string] = segments.slice(i).join('/');
        greedy = true;
        break;
      }
      const segment = segments[i];
      if (segment === undefined) {
        matches = false;
        break;
      }
      const parameter = /^\{(.+)\}$/.exec(part);
      if (parameter) parameters[parameter[1] as string] = segment;
      else if (part === segment) literals += 1;
      else {
        matches = false;
        break;
      }
    }
    if (!matches || (!greedy && segments.length !== pattern.length)) continue;
    const score =
      (greedy ? 0 : 1_000_000) + literals * 1000 + pattern.length * 10 + (routeMethod === 'ANY' ? 0 : 1);
    if (!best || score > best.score) best = { match: { route, pathParameters: parameters }, score };
  }
  if (best) return best.match;
  const fallback = routes.find((route) => route.routeKey === '$default');
  return fallback ? { route: fallback, pathParameters: {} } : undefined;
}

/** Maps a payload 2.0 response back to HTTP as API Gateway does. */
function respond(res: ServerResponse, json: unknown, payload: string, log: LogSink, routeKey: string): void {
  const shaped = json !== null && typeof json === 'object' && !Array.isArray(json) && 'statusCode' in json;
  if (!shaped) {
    // No statusCode: API Gateway assumes 200 and a JSON body of the whole response.
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(payload);
    return;
  }
  const response = json as {
    statusCode: unknown;
    headers?: Record<string, unknown>;
    multiValueHeaders?: Record<string, unknown[]>;
    cookies?: unknown[];
    body?: unknown;
    isBase64Encoded?: unknown;
  };
  const status = Number(response.statusCode);
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    log.info(
      `${routeKey}: the function answered statusCode ${JSON.stringify(response.statusCode)}: API Gateway answers 500`,
    );
    send(res, 500, { message: 'Internal Server Error' });
    return;
  }
  for (const [name, value] of Object.entries(response.headers ?? {})) {
    if (value !== undefined && value !== null) res.setHeader(name, String(value));
  }
  for (const [name, values] of Object.entries(response.multiValueHeaders ?? {})) {
    if (Array.isArray(values)) res.setHeader(name, values.map(String));
  }
  if (Array.isArray(response.cookies) && response.cookies.length > 0) {
    res.setHeader('set-cookie', response.cookies.map(String));
  }
  const body =
    response.body === undefined || response.body === null
      ? Buffer.alloc(0)
      : response.isBase64Encoded === true
        ? Buffer.from(String(response.body), 'base64')
        : Buffer.from(typeof response.body === 'string' ? response.body : JSON.stringify(response.body));
  res.statusCode = status;
  res.setHeader('content-length', body.length);
  res.end(body);
}

function preflight(req: IncomingMessage, res: ServerResponse, cors: CorsSpec): void {
  const origin = String(req.headers.origin);
  if (allowedOrigin(cors, origin)) {
    res.setHeader('access-control-allow-origin', cors.allowOrigins.includes('*') ? '*' : origin);
    if (cors.allowMethods.length > 0)
      res.setHeader('access-control-allow-methods', cors.allowMethods.join(','));
    if (cors.allowHeaders.length > 0)
      res.setHeader('access-control-allow-headers', cors.allowHeaders.join(','));
    if (cors.allowCredentials) res.setHeader('access-control-allow-credentials', 'true');
    if (cors.maxAge !== undefined) res.setHeader('access-control-max-age', String(cors.maxAge));
  }
  res.writeHead(204);
  res.end();
}

function applyCors(req: IncomingMessage, res: ServerResponse, cors: CorsSpec): void {
  const origin = req.headers.origin;
  if (!origin || !allowedOrigin(cors, origin)) return;
  res.setHeader('access-control-allow-origin', cors.allowOrigins.includes('*') ? '*' : origin);
  if (cors.exposeHeaders.length > 0)
    res.setHeader('access-control-expose-headers', cors.exposeHeaders.join(','));
  if (cors.allowCredentials) res.setHeader('access-control-allow-credentials', 'true');
}

function allowedOrigin(cors: CorsSpec, origin: string): boolean {
  return cors.allowOrigins.includes('*') || cors.allowOrigins.includes(origin);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

function isUtf8(buffer: Buffer): boolean {
  return Buffer.from(buffer.toString('utf8'), 'utf8').equals(buffer);
}

function normaliseIp(address: string | undefined): string {
  return (address ?? '127.0.0.1').replace(/^::ffff:/, '');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `06/Dec/2026:14:39:20 +0000`, API Gateway's requestContext.time. */
function clf(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}
