/**
 * The verified-API-key cache of the authenticator: repeated requests with one key cost one lookup;
 * revocation and rotation through any repository of this process take effect at once; a change
 * made by another process (here: straight SQL, which this process's repositories never see) takes
 * effect within the cache's bound.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authMigrations, createClientRepository, type ClientRepository } from '../../src/auth/index.js';
import { createAuthenticator } from '../../src/auth/authenticate.js';
import { loadSigningKeys, type SigningKeys } from '../../src/auth/keys.js';
import { sql } from '../../src/db/index.js';
import { openTestDatabase, testDatabaseKinds, type TestDatabase } from '../helpers/db.js';

const settings = { issuer: 'carebridge', audience: 'carebridge/fhir' };

describe.each(testDatabaseKinds())('API-key cache on %s', (kind) => {
  let t: TestDatabase;
  let keys: SigningKeys;
  let lookups = 0;
  /** The real repository, counting the lookups that reach the database. */
  let counted: ClientRepository;

  beforeAll(async () => {
    t = await openTestDatabase(kind, authMigrations);
    keys = await loadSigningKeys(t.db);
    const repo = createClientRepository(t.db);
    counted = { ...repo, findByApiKey: (key) => ((lookups += 1), repo.findByApiKey(key)) };
  });
  afterAll(() => t?.close());

  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
  const newKey = async () => (await createClientRepository(t.db).create({ scopes: 'system/Patient.rs', apiKey: true })) as { clientId: string; apiKey: string };

  it('looks a key up once while it is cached, and on every request without the cache', async () => {
    const { clientId, apiKey } = await newKey();
    for (const [cacheMs, expected] of [[60_000, 1], [0, 5]] as const) {
      const auth = createAuthenticator({ clients: counted, keys, tokens: settings, apiKeyCacheMs: cacheMs });
      lookups = 0;
      for (let i = 0; i < 5; i++) expect((await auth.authenticate(bearer(apiKey)))?.clientId).toBe(clientId);
      expect(lookups).toBe(expected);
    }
  });

  it('does not cache an unknown key: a key created afterwards works at once', async () => {
    const auth = createAuthenticator({ clients: counted, keys, tokens: settings, apiKeyCacheMs: 60_000 });
    await expect(auth.authenticate(bearer('cbk_not-a-key'))).rejects.toMatchObject({ code: 'CB_ERR_AUTH_INVALID_TOKEN' });
    const { clientId, apiKey } = await newKey();
    expect((await auth.authenticate(bearer(apiKey)))?.clientId).toBe(clientId);
  });

  it('revocation and rotation by any repository of this process take effect at once', async () => {
    const auth = createAuthenticator({ clients: counted, keys, tokens: settings, apiKeyCacheMs: 60_000 });
    const revoked = await newKey();
    const rotated = await newKey();
    await auth.authenticate(bearer(revoked.apiKey));
    await auth.authenticate(bearer(rotated.apiKey));
    const other = createClientRepository(t.db);
    await other.revoke(revoked.clientId);
    const { apiKey: fresh } = await other.rotate(rotated.clientId);
    await expect(auth.authenticate(bearer(revoked.apiKey))).rejects.toMatchObject({ code: 'CB_ERR_AUTH_INVALID_TOKEN' });
    await expect(auth.authenticate(bearer(rotated.apiKey))).rejects.toMatchObject({ code: 'CB_ERR_AUTH_INVALID_TOKEN' });
    expect((await auth.authenticate(bearer(fresh!)))?.clientId).toBe(rotated.clientId);
  });

  it('a revocation by another process takes effect within the cache bound', async () => {
    const cacheMs = 300;
    const auth = createAuthenticator({ clients: counted, keys, tokens: settings, apiKeyCacheMs: cacheMs });
    const { clientId, apiKey } = await newKey();
    expect((await auth.authenticate(bearer(apiKey)))?.clientId).toBe(clientId);
    const changedAt = Date.now();
    await sql`update auth_client set revoked = true where id = ${clientId}`.execute(t.db);
    // Still trusted from the cache: the bound is a real staleness window, not zero.
    if (Date.now() - changedAt < cacheMs / 2) expect((await auth.authenticate(bearer(apiKey)))?.clientId).toBe(clientId);
    await new Promise((r) => setTimeout(r, cacheMs + 50));
    await expect(auth.authenticate(bearer(apiKey))).rejects.toMatchObject({ code: 'CB_ERR_AUTH_INVALID_TOKEN' });
  });
});
