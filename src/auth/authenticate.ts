/**
 * @module Bearer credentials → Principal. Three kinds are accepted in `Authorization: Bearer …`
 * (or `X-API-Key: …`): our own access tokens (JWTs), static API keys, and CAREBRIDGE_ADMIN_TOKEN
 * (of which only the sha256 digest is kept in memory).
 */
import { CarebridgeError } from '../errors/index.js';
import { digestEquals, sha256Hex, type ClientRepository } from './clients.js';
import type { SigningKeys } from './keys.js';
import { policyFromScopes } from './policy.js';
import { ALL_SCOPES } from './scopes.js';
import { verifyAccessToken, type TokenSettings } from './tokens.js';
import type { Principal } from './types.js';

export const ADMIN_TOKEN_CLIENT_ID = 'admin-token';

export interface Authenticator {
  /** Undefined when no credential was presented; throws CB_ERR_AUTH_INVALID_TOKEN for a bad one. */
  authenticate(headers: Record<string, string | string[] | undefined>): Promise<Principal | undefined>;
}

export interface AuthenticatorDeps {
  readonly clients: ClientRepository;
  readonly keys: SigningKeys;
  readonly tokens: TokenSettings;
  /** sha256 hex of CAREBRIDGE_ADMIN_TOKEN (the token itself is never held). */
  readonly adminTokenSha256?: string;
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

export function createAuthenticator({ clients, keys, tokens, adminTokenSha256 }: AuthenticatorDeps): Authenticator {
  const adminDigest = adminTokenSha256;
  const adminPrincipal: Principal | undefined = adminDigest
    ? { clientId: ADMIN_TOKEN_CLIENT_ID, method: 'admin-token', scopes: ALL_SCOPES, policy: policyFromScopes(ADMIN_TOKEN_CLIENT_ID, ALL_SCOPES) }
    : undefined;
  return {
    async authenticate(headers) {
      const credential = credentialFrom(headers);
      if (credential === undefined) return undefined;
      if (adminPrincipal && digestEquals(sha256Hex(credential), adminDigest!)) return adminPrincipal;
      if (JWT_SHAPE.test(credential)) {
        const t = await verifyAccessToken(keys, tokens, credential);
        const scopes = t.scope.split(' ').filter(Boolean);
        return { clientId: t.clientId, method: 'access-token', scopes, policy: policyFromScopes(t.clientId, scopes) };
      }
      const client = await clients.findByApiKey(credential);
      if (!client) throw new CarebridgeError('CB_ERR_AUTH_INVALID_TOKEN');
      const scopes = client.scopes.split(' ').filter(Boolean);
      return { clientId: client.clientId, method: 'api-key', scopes, policy: policyFromScopes(client.clientId, scopes) };
    },
  };
}

function credentialFrom(headers: Record<string, string | string[] | undefined>): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string' && auth.length > 0) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (!m) throw new CarebridgeError('CB_ERR_AUTH_INVALID_TOKEN', 'Authorization must be "Bearer <token>"');
    return m[1];
  }
  const key = headers['x-api-key'];
  if (typeof key === 'string' && key.length > 0) return key.trim();
  return undefined;
}
