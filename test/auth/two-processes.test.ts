/**
 * Two server processes on one PostgreSQL database (simulated with two independent connection
 * pools): first-start bootstrap happens once, and tokens signed by one are accepted by the other.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authMigrations, createClientRepository } from '../../src/auth/index.js';
import { ensureFirstAdmin } from '../../src/auth/bootstrap.js';
import { loadSigningKeys } from '../../src/auth/keys.js';
import { issueAccessToken, verifyAccessToken } from '../../src/auth/tokens.js';
import { openDatabase, runMigrations, type Database } from '../../src/db/index.js';
import { createLogger } from '../../src/logging/index.js';
import { createPostgresDatabase, postgresOnly } from '../helpers/db.js';

// Needs real PostgreSQL: PGlite is a single connection in one process, so there is no second process to race.
const withPostgres = postgresOnly().length > 0;

describe.skipIf(!withPostgres)('two processes on one PostgreSQL database', () => {
  let a: Database;
  let b: Database;
  let drop: () => Promise<void>;
  const logger = createLogger({ level: 'silent' });

  beforeAll(async () => {
    const created = await createPostgresDatabase();
    drop = created.drop;
    a = await openDatabase({ url: created.url, poolSize: 2 });
    b = await openDatabase({ url: created.url, poolSize: 2 });
    await runMigrations(a.db, authMigrations);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await drop?.();
  });

  it('creates the first admin exactly once when both start together', async () => {
    const printed: string[] = [];
    const out = { write: (s: string) => printed.push(s) };
    const results = await Promise.all([a, b, a, b].map((d) => ensureFirstAdmin({ db: d.db, clients: createClientRepository(d.db), logger, adminTokenSet: false, out })));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(printed).toHaveLength(1);
    expect(await createClientRepository(a.db).count()).toBe(1);
  });

  it('accepts in one process the tokens the other signed, even if both generated a key', async () => {
    const [ka, kb] = await Promise.all([loadSigningKeys(a.db), loadSigningKeys(b.db)]);
    const settings = { issuer: 'carebridge', audience: 'carebridge/fhir' };
    const fromA = await issueAccessToken(ka, settings, 'cbc_a', 'system/Patient.rs');
    const fromB = await issueAccessToken(kb, settings, 'cbc_b', 'system/Patient.rs');
    expect((await verifyAccessToken(kb, settings, fromA.accessToken)).clientId).toBe('cbc_a');
    expect((await verifyAccessToken(ka, settings, fromB.accessToken)).clientId).toBe('cbc_b');
  });
});
