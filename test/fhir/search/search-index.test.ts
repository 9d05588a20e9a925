import type { Patient } from 'fhir/r4.js';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexResource, removeIndex } from '../../../src/fhir/search/index.js';
import { testDatabaseKinds, type TestDatabase } from '../../helpers/db.js';
import { openSearchDatabase } from './support.js';

describe.each(testDatabaseKinds())('index writer on %s', (kind) => {
  let t: TestDatabase;
  const tokens = async (id: string) =>
    (await sql<{ value: string }>`select value from fhir_search_token where resource_type = 'Patient' and id = ${id} and param = 'identifier' order by value`.execute(t.db)).rows.map((r) => r.value);
  const rowCount = async (id: string) => {
    let n = 0;
    for (const table of ['token', 'string', 'date', 'reference', 'quantity', 'number', 'uri']) {
      const r = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(`fhir_search_${table}`)} where id = ${id}`.execute(t.db);
      n += r.rows[0].n;
    }
    return n;
  };

  beforeAll(async () => {
    t = await openSearchDatabase(kind);
  });
  afterAll(() => t.close());

  it('replaces the rows of a resource on re-index', async () => {
    const v1: Patient = { resourceType: 'Patient', id: 'r1', identifier: [{ system: 's', value: 'A' }, { system: 's', value: 'B' }] };
    await indexResource(t.db, v1);
    expect(await tokens('r1')).toEqual(['A', 'B']);
    const v2: Patient = { ...v1, identifier: [{ system: 's', value: 'C' }] };
    await indexResource(t.db, v2);
    expect(await tokens('r1')).toEqual(['C']);
  });

  it('removeIndex deletes every row of the resource and nothing else', async () => {
    const other: Patient = { resourceType: 'Patient', id: 'r2', name: [{ family: 'Keep' }], birthDate: '2000-01-01' };
    const gone: Patient = { resourceType: 'Patient', id: 'r3', name: [{ family: 'Gone' }], birthDate: '2000-01-01', managingOrganization: { reference: 'Organization/o' } };
    await indexResource(t.db, other);
    await indexResource(t.db, gone);
    expect(await rowCount('r3')).toBeGreaterThan(2);
    await removeIndex(t.db, 'Patient', 'r3');
    expect(await rowCount('r3')).toBe(0);
    expect(await rowCount('r2')).toBeGreaterThan(1);
  });

  it('rolls back with the write transaction', async () => {
    await expect(
      t.db.transaction().execute(async (trx) => {
        await indexResource(trx, { resourceType: 'Patient', id: 'r4', identifier: [{ value: 'X' }] } as Patient);
        throw new Error('write failed');
      }),
    ).rejects.toThrow('write failed');
    expect(await rowCount('r4')).toBe(0);
  });
});
