/**
 * Searches by business key (`identifier` with a value, `_id`) run as prepared statements, whose
 * generic plan PostgreSQL uses after five calls: the answers must stay those of a planned search,
 * call after call, and no other search may be prepared (a generic plan is wrong for common values).
 */
import type { Patient } from 'fhir/r4.js';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fhirMigrations, matchesQuery, searchMigrations, searchResources } from '../../../src/fhir/index.js';
import { openTestDatabase, testDatabaseKinds, type TestDatabase } from '../../helpers/db.js';
import { BASE, matchIds, params, seed } from './support.js';

const patients: Patient[] = Array.from({ length: 12 }, (_, i) => ({
  resourceType: 'Patient',
  id: `p${i}`,
  identifier: [{ system: i % 2 ? 'urn:mrn' : 'urn:other', value: `m${i % 6}` }],
  gender: i % 3 ? 'male' : 'female',
}));

/** What the search must answer, computed from the fixtures. */
function expected(match: (p: Patient) => boolean): string[] {
  return patients.filter(match).map((p) => `Patient/${p.id}`).sort();
}

describe.each(testDatabaseKinds())('searches by business key on %s', (kind) => {
  let t: TestDatabase;
  const search = async (query: string) => matchIds(await searchResources(t.db, { resourceType: 'Patient', params: params(query), baseUrl: BASE })).sort();

  beforeAll(async () => {
    // One pooled connection: every search below runs in the session whose statements are checked.
    t = await openTestDatabase(kind, [...fhirMigrations, ...searchMigrations], { poolSize: 1 });
    await seed(t.db, patients);
  });
  afterAll(async () => t?.close());

  it('answers identifier searches call after call as the fixtures say (past the generic-plan switch)', async () => {
    for (const n of [0, 1, 2, 3, 4, 5, 0, 3, 1, 5]) {
      expect(await search(`identifier=urn:mrn|m${n}`)).toEqual(expected((p) => p.identifier![0]!.system === 'urn:mrn' && p.identifier![0]!.value === `m${n}`));
      expect(await search(`identifier=m${n}`)).toEqual(expected((p) => p.identifier![0]!.value === `m${n}`));
    }
    for (const pair of [[1, 2], [3, 4], [5, 0], [2, 2], [0, 1], [4, 3]]) {
      expect(await search(`identifier=urn:other|m${pair[0]},urn:mrn|m${pair[1]}`)).toEqual(
        expected((p) => (p.identifier![0]!.system === 'urn:other' && p.identifier![0]!.value === `m${pair[0]}`) || (p.identifier![0]!.system === 'urn:mrn' && p.identifier![0]!.value === `m${pair[1]}`)),
      );
    }
  });

  it('answers _id searches, alone and with an identifier, call after call', async () => {
    for (const n of [0, 7, 11, 3, 7, 12, 0, 5]) {
      expect(await search(`_id=p${n}`)).toEqual(expected((p) => p.id === `p${n}`));
      expect(await search(`_id=p${n}&identifier=m${n % 6}`)).toEqual(expected((p) => p.id === `p${n}` && p.identifier![0]!.value === `m${n % 6}`));
    }
  });

  // pg_prepared_statements is per connection, and only the pg driver path names its statements
  // (PGlite runs every text unnamed), so there is nothing to look at on PGlite.
  it.skipIf(kind !== 'postgres')('prepares business-key searches only', async () => {
    const preparedSearches = async () =>
      (await sql<{ statement: string }>`select statement from pg_prepared_statements where statement like '%fhir_resource as r%'`.execute(t.db)).rows.length;
    await search('identifier=urn:mrn|m1');
    const before = await preparedSearches();
    expect(before).toBeGreaterThan(0);
    for (const query of ['gender=male', 'identifier=urn:mrn|', 'identifier:not=urn:mrn|m1', 'identifier=urn:mrn|m1&gender=male', 'identifier:missing=false']) {
      await search(query);
      await search(query);
    }
    expect(await preparedSearches()).toBe(before);
  });

  // Conditional create/update/delete criteria (matchesQuery) follow the same rule.
  const match = async (query: string) => (await matchesQuery(t.db, 'Patient', query)).map((id) => `Patient/${id}`).sort();

  it('answers conditional criteria by business key call after call (past the generic-plan switch)', async () => {
    for (const n of [0, 1, 2, 3, 4, 5, 0, 3, 1, 5]) {
      expect(await match(`identifier=urn:mrn|m${n}`)).toEqual(expected((p) => p.identifier![0]!.system === 'urn:mrn' && p.identifier![0]!.value === `m${n}`));
      expect(await match(`identifier=|m${n}`)).toEqual([]);
    }
  });

  it.skipIf(kind !== 'postgres')('prepares conditional criteria by business key only', async () => {
    const preparedMatches = async () =>
      (await sql<{ statement: string }>`select statement from pg_prepared_statements where statement like '%select r.id from fhir_resource as r%'`.execute(t.db)).rows.length;
    await match('identifier=urn:other|m2');
    const after = await preparedMatches();
    expect(after).toBeGreaterThan(0);
    for (const query of ['gender=male', 'identifier=urn:mrn|', 'identifier=urn:mrn|m1&gender=male']) await match(query);
    expect(await preparedMatches()).toBe(after);
  });
});
