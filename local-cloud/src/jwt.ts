// HTTP API JWT authorizers, checked as API Gateway checks them: signature against the issuer's
// JWKS (moto's, for a Cognito issuer), `iss`, `aud` or `client_id`, `exp`/`nbf`, route scopes.
// The signature and time checks are jose's.
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';
import type { JwtAuthorizerSpec } from './model.ts';

export type AuthorizationResult =
  | { readonly ok: true; readonly claims: Record<string, string>; readonly scopes: string[] | null }
  | {
      readonly ok: false;
      readonly status: 401 | 403;
      readonly body: { readonly message: string };
      readonly wwwAuthenticate?: string;
      /** Why, for the local cloud's log. */
      readonly reason: string;
    };

const COGNITO_ISSUER = /^https:\/\/cognito-idp\.[a-z0-9-]+\.amazonaws\.com\/([\w-]+)$/;

export class JwtVerifier {
  private readonly keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  /** `motoEndpoint` serves the JWKS of the user pools it holds. */
  constructor(private readonly motoEndpoint: string) {}

  async authorize(
    authorizer: JwtAuthorizerSpec,
    headerValue: string | undefined,
    requiredScopes: readonly string[],
  ): Promise<AuthorizationResult> {
    const token = headerValue?.replace(/^Bearer\s+/i, '').trim();
    if (!token) return unauthorized('no token in the identity source', undefined);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keySet(authorizer.issuer), { issuer: authorizer.issuer }));
    } catch (error) {
      const description =
        error instanceof errors.JWTExpired
          ? 'the token has expired'
          : error instanceof errors.JWTClaimValidationFailed && error.claim === 'iss'
            ? 'the token does not have a valid issuer'
            : error instanceof errors.JWTClaimValidationFailed && error.claim === 'nbf'
              ? 'the token is not valid yet'
              : error instanceof errors.JWSSignatureVerificationFailed
                ? 'signature is invalid'
                : `the token is invalid: ${(error as Error).message}`;
      return unauthorized(description, description);
    }
    const audiences = [
      ...(Array.isArray(payload.aud) ? payload.aud : payload.aud ? [payload.aud] : []),
      ...(typeof payload.client_id === 'string' ? [payload.client_id] : []),
    ];
    if (!audiences.some((audience) => authorizer.audience.includes(audience))) {
      return unauthorized(
        'the token does not have a valid audience',
        'the token does not have a valid audience',
      );
    }
    const scopes = tokenScopes(payload);
    if (requiredScopes.length > 0 && !requiredScopes.some((scope) => scopes.includes(scope))) {
      return {
        ok: false,
        status: 403,
        body: { message: 'Forbidden' },
        wwwAuthenticate: `Bearer scope="${requiredScopes.join(' ')}" error="insufficient_scope" error_description="expected scopes: [${requiredScopes.join(' ')}]"`,
        reason: `the token has none of the scopes ${requiredScopes.join(', ')}`,
      };
    }
    return { ok: true, claims: stringClaims(payload), scopes: scopes.length > 0 ? scopes : null };
  }

  private keySet(issuer: string) {
    let set = this.keySets.get(issuer);
    if (!set) {
      const cognito = COGNITO_ISSUER.exec(issuer);
      const url = cognito
        ? `${this.motoEndpoint}/${cognito[1]}/.well-known/jwks.json`
        : `${issuer.replace(/\/$/, '')}/.well-known/jwks.json`;
      set = createRemoteJWKSet(new URL(url));
      this.keySets.set(issuer, set);
    }
    return set;
  }
}

function unauthorized(reason: string, description: string | undefined): AuthorizationResult {
  return {
    ok: false,
    status: 401,
    body: { message: 'Unauthorized' },
    ...(description
      ? { wwwAuthenticate: `Bearer scope="" error="invalid_token" error_description="${description}"` }
      : {}),
    reason,
  };
}

function tokenScopes(payload: JWTPayload): string[] {
  const scope = payload.scope ?? payload.scp;
  if (typeof scope === 'string') return scope.split(' ').filter(Boolean);
  if (Array.isArray(scope)) return scope.map(String);
  return [];
}

/** API Gateway hands claims over as strings; lists become `[a b]`. */
function stringClaims(payload: JWTPayload): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const [key, value] of Object.entries(payload)) {
    claims[key] = Array.isArray(value)
      ? `[${value.map(String).join(' ')}]`
      : typeof value === 'object' && value !== null
        ? JSON.stringify(value)
        : String(value);
  }
  return claims;
}
