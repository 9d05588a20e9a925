/**
 * @module Bearer credentials → Principal. Three kinds are accepted in `Authorization: Bearer …`
 * (or `X-API-Key: …`): our own access tokens (JWTs), static API keys, and CAREBRIDGE_ADMIN_TOKEN
 * (of which only the sha256 digest is kept in memory).
 */
import { CarebridgeError } from '../errors/index.js';
import { credentialChangeCount, digestEquals, sha256Hex, type ClientRepository } from './clients.js';
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
  /** How long a verified API key is trusted without asking the database again (0 = always ask). */
  readonly apiKeyCacheMs?: number;
}

/**
 * A verified API key is trusted this long without a database lookup: every request otherwise pays
 * a query for it. Revocation and rotation in this process take effect at once (the cache drops
 * older verdicts); in another process sharing the database (a second server, the CLI) within this.
 */
export const API_KEY_CACHE_MS = 2_000;
/** Distinct keys held at most; the cache starts over when full (keys are few, requests many). */
const API_KEY_CACHE_MAX = 10_000;

interface VerifiedKey {
  readonly principal: Principal;
  readonly until: number;
  /** credentialChangeCount() before the lookup: a revocation or rotation since makes it stale. */
  readonly generation: number;
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

export function createAuthenticator({ clients, keys, tokens, adminTokenSha256, apiKeyCacheMs = API_KEY_CACHE_MS }: AuthenticatorDeps): Authenticator {
  const adminDigest = adminTokenSha256;
  // By digest: the cache never holds a key itself. Unknown keys are not cached, so a new key works at once.
  const verified = new Map<string, VerifiedKey>();
  const apiKeyPrincipal = async (credential: string, digest: string): Promise<Principal> => {
    const hit = verified.get(digest);
    if (hit && hit.until > Date.now() && hit.generation === credentialChangeCount()) return hit.principal;
    const generation = credentialChangeCount();
    const client = await clients.findByApiKey(credential);
    if (!client) {
      verified.delete(digest);
      throw new CarebridgeError('CB_ERR_AUTH_INVALID_TOKEN');
    }
    const scopes = client.scopes.split(' ').filter(Boolean);
    const principal: Principal = { clientId: client.clientId, method: 'api-key', scopes, policy: policyFromScopes(client.clientId, scopes) };
    if (apiKeyCacheMs > 0) {
      if (verified.size >= API_KEY_CACHE_MAX) verified.clear();
      verified.set(digest, { principal, until: Date.now() + apiKeyCacheMs, generation });
    }
    return principal;
  };
  const adminPrincipal: Principal | undefined = adminDigest
    ? { clientId: ADMIN_TOKEN_CLIENT_ID, method: 'admin-token', scopes: ALL_SCOPES, policy: policyFromScopes(ADMIN_TOKEN_CLIENT_ID, ALL_SCOPES) }
    : undefined;
  return {
    async authenticate(headers) {
      const credential = credentialFrom(headers);
      if (credential === undefined) return undefined;
      const digest = sha256Hex(credential);
      if (adminPrincipal && digestEquals(digest, adminDigest!)) return adminPrincipal;
      if (JWT_SHAPE.test(credential)) {
        const t = await verifyAccessToken(keys, tokens, credential);
        const scopes = t.scope.split(' ').filter(Boolean);
        return { clientId: t.clientId, method: 'access-token', scopes, policy: policyFromScopes(t.clientId, scopes) };
      }
      return apiKeyPrincipal(credential, digest);
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
