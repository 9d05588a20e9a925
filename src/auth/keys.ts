/**
 * @module The server's token-signing key (ES256), kept in the database so every server process
 * on one database signs and verifies with the same keys. Created on first use.
 */
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { AnyDb } from '../db/index.js';
import type { AuthTables } from './tables.js';

export const TOKEN_ALG = 'ES256';

export interface SigningKeys {
  /** The key new tokens are signed with. */
  readonly current: { kid: string; key: CryptoKey };
  /** Public key by kid, for verification (reloaded when an unknown kid shows up). */
  publicKey(kid: string): Promise<CryptoKey | undefined>;
}

export async function loadSigningKeys(db: AnyDb): Promise<SigningKeys> {
  const tdb = db.withTables<AuthTables>();
  let rows = await tdb.selectFrom('auth_signing_key').selectAll().orderBy('created_at').execute();
  if (rows.length === 0) {
    const { privateKey, publicKey } = await generateKeyPair(TOKEN_ALG, { extractable: true });
    const kid = randomUUID();
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: TOKEN_ALG };
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: TOKEN_ALG, use: 'sig' };
    // Two processes starting at once may both generate; both keys stay valid for verification.
    await tdb
      .insertInto('auth_signing_key')
      .values({ kid, alg: TOKEN_ALG, private_jwk: JSON.stringify(privateJwk), public_jwk: JSON.stringify(publicJwk) })
      .execute();
    rows = await tdb.selectFrom('auth_signing_key').selectAll().orderBy('created_at').execute();
  }
  const newest = rows[rows.length - 1]!;
  const current = { kid: newest.kid, key: (await importJWK(newest.private_jwk as JWK, TOKEN_ALG)) as CryptoKey };
  const publics = new Map<string, CryptoKey>();
  for (const r of rows) publics.set(r.kid, (await importJWK(r.public_jwk as JWK, TOKEN_ALG)) as CryptoKey);
  return {
    current,
    async publicKey(kid) {
      const known = publics.get(kid);
      if (known) return known;
      const row = await tdb.selectFrom('auth_signing_key').selectAll().where('kid', '=', kid).executeTakeFirst();
      if (!row) return undefined;
      const key = (await importJWK(row.public_jwk as JWK, TOKEN_ALG)) as CryptoKey;
      publics.set(kid, key);
      return key;
    },
  };
}

/** Public JWK Set of the server (for documentation / `jwks_uri`). */
export async function publicJwks(db: AnyDb): Promise<{ keys: JWK[] }> {
  const rows = await db.withTables<AuthTables>().selectFrom('auth_signing_key').select('public_jwk').execute();
  return { keys: rows.map((r) => r.public_jwk as JWK) };
}
