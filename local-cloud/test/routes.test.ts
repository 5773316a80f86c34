import { describe, expect, it } from 'vitest';
import { matchRoute } from '../src/http-api.ts';
import type { RouteSpec } from '../src/model.ts';

const route = (routeKey: string): RouteSpec => ({
  routeKey,
  functionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${routeKey}`,
  payloadFormatVersion: '2.0',
  timeoutMs: 30_000,
  scopes: [],
});

describe('route selection as API Gateway does it', () => {
  const routes = [
    route('GET /orders'),
    route('GET /orders/{id}'),
    route('POST /orders/{id}/cancel'),
    route('GET /orders/latest'),
    route('ANY /orders/{id}'),
    route('ANY /files/{path+}'),
    route('$default'),
  ];

  it('prefers literal segments, then parameters, then greedy paths, then $default', () => {
    expect(matchRoute(routes, 'GET', '/orders/latest')?.route.routeKey).toBe('GET /orders/latest');
    expect(matchRoute(routes, 'GET', '/orders/42')).toMatchObject({
      route: { routeKey: 'GET /orders/{id}' },
      pathParameters: { id: '42' },
    });
    expect(matchRoute(routes, 'DELETE', '/orders/42')?.route.routeKey).toBe('ANY /orders/{id}');
    expect(matchRoute(routes, 'POST', '/orders/42/cancel')?.pathParameters).toEqual({ id: '42' });
    expect(matchRoute(routes, 'GET', '/files/a/b/c.txt')?.pathParameters).toEqual({ path: 'a/b/c.txt' });
    expect(matchRoute(routes, 'GET', '/nothing/here')?.route.routeKey).toBe('$default');
  });

  it('matches a method only to its own routes or ANY, and needs every segment', () => {
    const strict = routes.filter((r) => r.routeKey !== '$default');
    expect(matchRoute(strict, 'POST', '/orders/latest')?.route.routeKey).toBe('ANY /orders/{id}');
    expect(matchRoute(strict, 'GET', '/orders/42/cancel')).toBeUndefined();
    expect(matchRoute(strict, 'GET', '/files')).toBeUndefined();
    expect(matchRoute(strict, 'PUT', '/orders')).toBeUndefined();
  });
});
