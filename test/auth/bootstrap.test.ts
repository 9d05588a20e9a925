import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientRepository } from '../../src/auth/index.js';
import { testDatabaseKinds } from '../helpers/db.js';
import { startAuthApp, type AuthApp } from './auth-app.js';

describe.each(testDatabaseKinds())('first start on %s', (kind) => {
  let t: AuthApp;
  beforeAll(async () => {
    // No CAREBRIDGE_ADMIN_TOKEN: an empty database gets one admin client, printed once.
    t = await startAuthApp(kind, { CAREBRIDGE_ADMIN_TOKEN: '' });
  });
  afterAll(() => t?.close());

  it('creates one admin client and prints its key to stdout, not the log', async () => {
    expect(t.printed).toHaveLength(1);
    const key = /API key:\s+(\S+)/.exec(t.printed[0]!)?.[1];
    expect(key).toMatch(/^cbk_/);
    const clients = await createClientRepository(t.database.db).list();
    expect(clients).toHaveLength(1);
    expect(clients[0]?.scopes).toContain('carebridge/admin');
    expect(JSON.stringify(t.logs)).not.toContain(key);
    expect(t.logs.some((l) => String(l.msg).includes('first start'))).toBe(true);
    const res = await fetch(`${t.url}/admin/api/clients`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
  });

  it('the stored row holds only the key digest', async () => {
    const key = /API key:\s+(\S+)/.exec(t.printed[0]!)![1]!;
    const { rows } = await (await import('../../src/db/index.js')).sql<{ t: string }>`select auth_client::text as t from auth_client`.execute(t.database.db);
    expect(rows.map((r) => r.t).join('\n')).not.toContain(key);
  });

  it('does not create another admin on the next start', async () => {
    const second = await startAuthAppOn(t);
    expect(second).toEqual([]);
  });
});

/** Runs installAuth's bootstrap again against the same database (a restart). */
async function startAuthAppOn(t: AuthApp): Promise<string[]> {
  const { ensureFirstAdmin } = await import('../../src/auth/bootstrap.js');
  const printed: string[] = [];
  const { createLogger } = await import('../../src/logging/index.js');
  await ensureFirstAdmin({ db: t.database.db, clients: createClientRepository(t.database.db), logger: createLogger({ level: 'silent' }), adminTokenSet: false, out: { write: (s: string) => printed.push(s) } });
  return printed;
}

describe('auth switched off explicitly', () => {
  let t: AuthApp;
  beforeAll(async () => {
    t = await startAuthApp('pglite', { CAREBRIDGE_AUTH: 'off-i-understand-this-exposes-patient-data', CAREBRIDGE_ADMIN_TOKEN: '' });
  });
  afterAll(() => t?.close());

  it('opens every route, warns in the log on start, and creates no admin client', async () => {
    expect((await fetch(`${t.url}/fhir/Observation/1`)).status).toBe(200);
    expect((await fetch(`${t.url}/admin/api/clients`)).status).toBe(200);
    expect(t.logs.some((l) => l.level === 40 && String(l.msg).includes('AUTH IS OFF'))).toBe(true);
    expect(t.printed).toEqual([]);
  });

  it('refuses any other value of CAREBRIDGE_AUTH at start', async () => {
    const { loadConfig } = await import('../../src/server/index.js');
    expect(() => loadConfig({ CAREBRIDGE_AUTH: 'off' })).toThrow(/CAREBRIDGE_AUTH/);
  });
});
