/**
 * @module SMART Backend Services client authentication (private_key_jwt): the client signs a JWT
 * with its private key (RS384 or ES384); we verify it against the client's registered JWKS (or
 * JWKS URL), check iss = sub = client id, aud = our token endpoint, a near expiry, and that the
 * jti was never used before (replay guard in auth_jti).
 */
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { sql, type AnyDb } from '../db/index.js';
import type { AuthClient, ClientRepository } from './clients.js';
import type { AuthTables } from './tables.js';

export const ASSERTION_ALGORITHMS = ['RS384', 'ES384'];
/** An assertion may not be valid for longer than this (SMART: five minutes). */
const MAX_ASSERTION_LIFETIME_S = 300;
const CLOCK_TOLERANCE_S = 30;
/** An unknown kid triggers a refetch of the JWKS URL at most this often (follows key rotation, bounds fetches). */
export const JWKS_REFETCH_COOLDOWN_MS = 1000;

export class AssertionError extends Error {
  constructor(readonly oauthError: 'invalid_client' | 'invalid_request', message: string, readonly clientId?: string) {
    super(message);
  }
}

export interface AssertionVerifier {
  /** Returns the authenticated client, or throws AssertionError. */
  verify(assertion: string, acceptedAudiences: readonly string[]): Promise<AuthClient>;
}

export function createAssertionVerifier(db: AnyDb, clients: ClientRepository): AssertionVerifier {
  const remoteSets = new Map<string, JWTVerifyGetKey>();
  const keySetFor = (client: AuthClient): JWTVerifyGetKey | undefined => {
    if (client.jwks) return createLocalJWKSet(client.jwks);
    if (!client.jwksUrl) return undefined;
    let set = remoteSets.get(client.jwksUrl);
    if (!set) {
      set = createRemoteJWKSet(new URL(client.jwksUrl), { timeoutDuration: 5000, cooldownDuration: JWKS_REFETCH_COOLDOWN_MS, cacheMaxAge: 600_000 });
      remoteSets.set(client.jwksUrl, set);
    }
    return set;
  };
  const tdb = db.withTables<AuthTables>();

  return {
    async verify(assertion, acceptedAudiences) {
      let iss: unknown;
      try {
        iss = decodeJwt(assertion).iss;
      } catch {
        throw new AssertionError('invalid_request', 'client_assertion is not a JWT');
      }
      if (typeof iss !== 'string' || iss.length === 0 || iss.length > 200) throw new AssertionError('invalid_client', 'client_assertion has no iss');
      const client = await clients.get(iss);
      if (!client || client.revoked || client.kind !== 'smart') throw new AssertionError('invalid_client', 'unknown or revoked client', iss);
      const keySet = keySetFor(client);
      if (!keySet) throw new AssertionError('invalid_client', 'client has no keys', iss);
      let payload;
      try {
        ({ payload } = await jwtVerify(assertion, keySet, {
          algorithms: ASSERTION_ALGORITHMS,
          issuer: client.clientId,
          subject: client.clientId,
          audience: [...acceptedAudiences],
          requiredClaims: ['exp', 'jti', 'iss', 'sub', 'aud'],
          clockTolerance: CLOCK_TOLERANCE_S,
        }));
      } catch (err) {
        throw new AssertionError('invalid_client', `client_assertion rejected: ${(err as { code?: string }).code ?? 'invalid'}`, client.clientId);
      }
      const now = Math.floor(Date.now() / 1000);
      const exp = payload.exp!;
      if (exp - now > MAX_ASSERTION_LIFETIME_S + CLOCK_TOLERANCE_S) throw new AssertionError('invalid_client', 'client_assertion expires too far in the future', client.clientId);
      const jti = String(payload.jti);
      await tdb.deleteFrom('auth_jti').where('expires_at', '<', sql<Date>`now()`).execute();
      const inserted = await tdb
        .insertInto('auth_jti')
        .values({ client_id: client.clientId, jti, expires_at: new Date((exp + CLOCK_TOLERANCE_S) * 1000) })
        .onConflict((oc) => oc.doNothing())
        .returning('jti')
        .executeTakeFirst();
      if (!inserted) throw new AssertionError('invalid_client', 'client_assertion jti was already used', client.clientId);
      return client;
    },
  };
}
