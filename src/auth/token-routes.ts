/**
 * @module POST /auth/token (SMART Backend Services, client_credentials + private_key_jwt) and
 * GET /.well-known/smart-configuration. OAuth errors use the RFC 6749 JSON shape.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AssertionError, ASSERTION_ALGORITHMS, type AssertionVerifier } from './client-assertion.js';
import type { SigningKeys } from './keys.js';
import { parseScopes, scopeCovers } from './scopes.js';
import { issueAccessToken, type TokenSettings } from './tokens.js';
import type { AccessEvent } from './types.js';

export const TOKEN_PATH = '/auth/token';
export const SMART_CONFIG_PATH = '/.well-known/smart-configuration';
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

export interface TokenRoutesOptions {
  readonly verifier: AssertionVerifier;
  readonly keys: SigningKeys;
  readonly tokens: TokenSettings;
  /** PUBLIC_BASE_URL; without it URLs are derived from the request's Host. */
  readonly publicBaseUrl?: string;
  readonly onAccess: (e: AccessEvent) => void;
}

function baseUrl(request: FastifyRequest, publicBaseUrl?: string): string {
  return publicBaseUrl ?? `${request.protocol}://${request.host}`;
}

function oauthError(reply: FastifyReply, status: number, error: string, description: string) {
  return reply.status(status).header('cache-control', 'no-store').send({ error, error_description: description });
}

/** The scopes to grant: the requested ones the client holds, or all it holds when none asked. */
export function grantScopes(registered: string, requested: string | undefined): string {
  const held = parseScopes(registered).scopes;
  if (!requested?.trim()) return held.map((s) => s.text).join(' ');
  const asked = parseScopes(requested).scopes;
  return asked.filter((a) => held.some((h) => scopeCovers(h, a))).map((s) => s.text).join(' ');
}

export const tokenRoutes: FastifyPluginAsync<TokenRoutesOptions> = async (app, opts) => {
  // Encapsulated: only these routes parse form bodies.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.get(SMART_CONFIG_PATH, async (request, reply) => {
    const base = baseUrl(request, opts.publicBaseUrl);
    return reply.header('cache-control', 'public, max-age=3600').send({
      issuer: opts.tokens.issuer,
      token_endpoint: `${base}${TOKEN_PATH}`,
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALGORITHMS,
      grant_types_supported: ['client_credentials'],
      scopes_supported: ['system/*.cruds', 'system/*.rs', 'system/*.read', 'system/*.write', 'carebridge/admin', 'carebridge/hl7v2'],
      response_types_supported: ['token'],
      capabilities: ['client-confidential-asymmetric', 'permission-v1', 'permission-v2'],
    });
  });

  app.post(TOKEN_PATH, async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const field = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : undefined);
    const audit = (status: number, clientId?: string) => opts.onAccess({ interaction: 'login', status, clientId, ip: request.ip });
    if (field('grant_type') !== 'client_credentials') {
      audit(400);
      return oauthError(reply, 400, 'unsupported_grant_type', 'grant_type must be client_credentials');
    }
    const assertion = field('client_assertion');
    if (field('client_assertion_type') !== JWT_BEARER || !assertion) {
      audit(400);
      return oauthError(reply, 400, 'invalid_request', `client_assertion_type must be ${JWT_BEARER} with a client_assertion`);
    }
    const base = baseUrl(request, opts.publicBaseUrl);
    let client;
    try {
      client = await opts.verifier.verify(assertion, [`${base}${TOKEN_PATH}`]);
    } catch (err) {
      if (!(err instanceof AssertionError)) throw err;
      audit(err.oauthError === 'invalid_client' ? 401 : 400, err.clientId);
      request.log.info({ clientId: err.clientId, reason: err.message }, 'token request refused');
      return oauthError(reply, err.oauthError === 'invalid_client' ? 401 : 400, err.oauthError, err.message);
    }
    const scope = grantScopes(client.scopes, field('scope'));
    if (!scope) {
      audit(400, client.clientId);
      return oauthError(reply, 400, 'invalid_scope', 'none of the requested scopes is granted to this client');
    }
    const token = await issueAccessToken(opts.keys, opts.tokens, client.clientId, scope);
    audit(200, client.clientId);
    return reply
      .header('cache-control', 'no-store')
      .header('pragma', 'no-cache')
      .send({ access_token: token.accessToken, token_type: 'bearer', expires_in: token.expiresIn, scope: token.scope });
  });
};
