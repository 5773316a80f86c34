// The JWT authorizer against a real JWKS endpoint (a local HTTP server with our own key pair),
// in front of a real HTTP API server; the function is replaced by an echo of its event.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InvokeReport } from '@ferrule/emulator';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/cloud.ts';
import { HttpApiServer } from '../src/http-api.ts';
import { JwtVerifier } from '../src/jwt.ts';
import type { HttpApiSpec } from '../src/model.ts';
import { memoryLog } from './helpers.ts';

const POOL = 'eu-west-1_localtest';
const ISSUER = `https://cognito-idp.eu-west-1.amazonaws.com/${POOL}`;
const CLIENT = 'web-client';

let jwks: Server;
let api: HttpApiServer;
let base = '';
let sign: (
  claims: Record<string, unknown>,
  options?: { expiresIn?: string; issuer?: string },
) => Promise<string>;
let otherKeySign: (claims: Record<string, unknown>) => Promise<string>;

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const other = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  // Serves /<pool>/.well-known/jwks.json as moto does for its user pools.
  jwks = createServer((req, res) => {
    if (req.url === `/${POOL}/.well-known/jwks.json`) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  jwks.listen(0, '127.0.0.1');
  await once(jwks, 'listening');
  const jwksEndpoint = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}`;
  sign = (claims, options = {}) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(options.issuer ?? ISSUER)
      .setIssuedAt()
      .setExpirationTime(options.expiresIn ?? '1h')
      .sign(privateKey);
  otherKeySign = (claims) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setExpirationTime('1h')
      .sign(other.privateKey);

  const authorizer = { name: 'Jwt', issuer: ISSUER, audience: [CLIENT], identityHeader: 'authorization' };
  const spec: HttpApiSpec = {
    stackName: 'Test',
    logicalId: 'Api',
    apiId: 'api123',
    name: 'Api',
    port: await freePort(),
    routes: [
      {
        routeKey: 'GET /me',
        functionArn: 'fn',
        payloadFormatVersion: '2.0',
        timeoutMs: 5000,
        authorizer,
        scopes: [],
      },
      {
        routeKey: 'POST /admin',
        functionArn: 'fn',
        payloadFormatVersion: '2.0',
        timeoutMs: 5000,
        authorizer,
        scopes: ['orders/admin'],
      },
    ],
  };
  api = new HttpApiServer({
    api: spec,
    accountId: '123456789012',
    jwt: new JwtVerifier(jwksEndpoint),
    log: memoryLog().sink,
    invoke: async (_arn, event): Promise<InvokeReport> => ({
      requestId: 'r',
      outcome: {
        kind: 'success',
        payload: JSON.stringify(event),
        json: { statusCode: 200, body: JSON.stringify(event) },
      },
      coldStart: false,
      durationMs: 1,
      memorySizeMb: 128,
      logs: [],
    }),
  });
  await api.listen();
  base = api.url;
});

afterAll(async () => {
  await api.close();
  jwks.close();
});

const get = (path: string, token?: string, method = 'GET') =>
  fetch(`${base}${path}`, { method, headers: token === undefined ? {} : { authorization: token } });

describe('JWT authorizer, as API Gateway answers', () => {
  it('passes a valid ID token and puts its claims, as strings, in requestContext.authorizer.jwt', async () => {
    const token = await sign({ sub: 'user-1', aud: CLIENT, token_use: 'id', 'cognito:groups': ['a', 'b'] });
    const response = await get('/me', `Bearer ${token}`);
    expect(response.status).toBe(200);
    const event = (await response.json()) as {
      requestContext: { authorizer: { jwt: { claims: Record<string, string>; scopes: unknown } } };
    };
    expect(event.requestContext.authorizer.jwt.claims).toMatchObject({
      sub: 'user-1',
      aud: CLIENT,
      'cognito:groups': '[a b]',
    });
    expect(typeof event.requestContext.authorizer.jwt.claims.exp).toBe('string');
    expect(event.requestContext.authorizer.jwt.scopes).toBeNull();
  });

  it('passes an access token whose client_id is the audience, without the Bearer prefix too', async () => {
    const token = await sign({
      sub: 'user-1',
      client_id: CLIENT,
      token_use: 'access',
      scope: 'orders/admin openid',
    });
    expect((await get('/me', token)).status).toBe(200);
    const admin = await get('/admin', `Bearer ${token}`, 'POST');
    expect(admin.status).toBe(200);
    const event = (await admin.json()) as { requestContext: { authorizer: { jwt: { scopes: string[] } } } };
    expect(event.requestContext.authorizer.jwt.scopes).toEqual(['orders/admin', 'openid']);
  });

  it('answers 401 Unauthorized for a missing, expired, wrong-audience, wrong-issuer, tampered or garbage token', async () => {
    const cases: [string, string | undefined, RegExp | null][] = [
      ['missing header', undefined, null],
      ['expired', await sign({ sub: 'u', aud: CLIENT }, { expiresIn: '-1m' }), /expired/],
      ['wrong audience', await sign({ sub: 'u', aud: 'someone-else' }), /audience/],
      ['wrong issuer', await sign({ sub: 'u', aud: CLIENT }, { issuer: 'https://issuer.example' }), /issuer/],
      ['other key', await otherKeySign({ sub: 'u', aud: CLIENT }), /signature/],
      ['garbage', 'not.a.token', /invalid/],
    ];
    const valid = await sign({ sub: 'u', aud: CLIENT });
    const [head, body, signature] = valid.split('.');
    const tampered = `${head}.${Buffer.from(JSON.stringify({ sub: 'admin', aud: CLIENT, iss: ISSUER, exp: 9e9 })).toString('base64url')}.${signature}`;
    cases.push(['tampered payload', tampered, /signature/]);
    void body;
    for (const [name, token, description] of cases) {
      const response = await get('/me', token === undefined ? undefined : `Bearer ${token}`);
      expect(response.status, name).toBe(401);
      expect(await response.json(), name).toEqual({ message: 'Unauthorized' });
      const challenge = response.headers.get('www-authenticate');
      if (description) expect(challenge, name).toMatch(description);
      else expect(challenge, name).toBeNull();
    }
  });

  it('answers 403 Forbidden when the route needs a scope the token lacks', async () => {
    const token = await sign({ sub: 'u', client_id: CLIENT, scope: 'openid' });
    const response = await get('/admin', `Bearer ${token}`, 'POST');
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({ message: 'Forbidden' });
    expect(response.headers.get('www-authenticate')).toMatch(/insufficient_scope/);
  });
});
