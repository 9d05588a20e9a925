/** An internal failure answers 500 with an OperationOutcome that leaks nothing (no SQL, no stack). */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../helpers/db.js';
import { startFhirApp, type FhirApp } from './fhir-app.js';
import { http, pat } from './rest-http.js';

describe.each(testDatabaseKinds())('FHIR REST internal errors on %s', (kind) => {
  let app: FhirApp;
  beforeAll(async () => {
    app = await startFhirApp(kind);
  });
  afterAll(() => app.stop());

  it('a broken database answers 500 OperationOutcome without internals, and writes nothing', async () => {
    // Sabotage: the change-feed table is gone, so every write's single statement fails.
    await sql`alter table fhir_change_feed rename to fhir_change_feed_gone`.execute(app.database.db);
    const r = await http(app.httpUrl)('POST', 'Patient', pat('boom'));
    expect(r.status).toBe(500);
    expect(r.body.resourceType).toBe('OperationOutcome');
    const text = JSON.stringify(r.body);
    expect(text).not.toMatch(/fhir_change_feed|relation|insert|\.ts:\d+|\.js:\d+|at /i);
    await sql`alter table fhir_change_feed_gone rename to fhir_change_feed`.execute(app.database.db);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from fhir_resource`.execute(app.database.db);
    expect(rows[0]!.n).toBe(0);
    expect(app.events.at(-1)).toMatchObject({ interaction: 'create', status: 500 });
  });
});
