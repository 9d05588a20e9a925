/**
 * fhir_search_replace changes a resource's index rows in place (migration 0154): after any series of
 * updates the rows are exactly those a fresh write of the final content produces, in every index
 * table (nulls, dates, quantities, references included); rows that did not change keep their
 * physical row (not deleted and inserted again); a resource with no rows yet gets them by a plain
 * insert (migration 0155); a delete removes them all.
 */
import type { Observation, Patient } from 'fhir/r4.js';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../../helpers/db.js';
import { openStore, type StoreFixture } from '../store-helpers.js';

const TABLES = ['token', 'string', 'date', 'reference', 'quantity', 'number', 'uri'] as const;

const versions: Patient[] = [
  { resourceType: 'Patient', active: true, gender: 'male', birthDate: '1970-05-01', identifier: [{ system: 'urn:mrn', value: '1' }, { value: 'NOSYS' }], name: [{ family: 'Müller', given: ['Hans'] }], telecom: [{ system: 'email', value: 'h@example.org' }], generalPractitioner: [{ reference: 'Practitioner/pr1' }] },
  { resourceType: 'Patient', active: false, gender: 'male', birthDate: '1970-05-01', identifier: [{ system: 'urn:mrn', value: '1' }, { value: 'NOSYS' }], name: [{ family: 'Müller', given: ['Hans'] }], telecom: [{ system: 'email', value: 'h@example.org' }], generalPractitioner: [{ reference: 'Practitioner/pr1' }] },
  { resourceType: 'Patient', gender: 'other', birthDate: '1971', identifier: [{ system: 'urn:mrn', value: '2' }], name: [{ family: 'Meyer', given: ['Hans', 'Peter'] }], managingOrganization: { reference: 'Organization/o1' } },
  { resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: '2' }] },
  { resourceType: 'Patient', active: true, gender: 'male', birthDate: '1970-05-01', identifier: [{ system: 'urn:mrn', value: '1' }, { value: 'NOSYS' }], name: [{ family: 'Müller', given: ['Hans'] }], telecom: [{ system: 'email', value: 'h@example.org' }], generalPractitioner: [{ reference: 'Practitioner/pr1' }] },
];

const observations: Observation[] = [
  { resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] }, subject: { reference: 'Patient/x' }, effectiveDateTime: '2026-01-01T10:00:00Z', valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' } },
  { resourceType: 'Observation', status: 'amended', code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] }, subject: { reference: 'Patient/x' }, effectiveDateTime: '2026-01-01T10:00:00Z', valueQuantity: { value: 72.0, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' } },
  { resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] }, subject: { reference: 'Patient/y' }, effectivePeriod: { start: '2026-01-02' }, valueQuantity: { value: 80.5, unit: '/min' } },
];

describe.each(testDatabaseKinds())('index rows replaced in place on %s', (kind) => {
  let f: StoreFixture;
  beforeAll(async () => {
    f = await openStore(kind);
  });
  afterAll(() => f?.database.close());

  /** Every index row of one resource (sorted, without the owner id); with ctids when asked. */
  async function indexRows(type: string, id: string, withCtid = false): Promise<string[]> {
    const out: string[] = [];
    for (const table of TABLES) {
      const rows = (await sql<Record<string, unknown>>`select ctid::text as ctid, * from ${sql.table(`fhir_search_${table}`)} where resource_type = ${type} and id = ${id}`.execute(f.database.db)).rows;
      out.push(...rows.map(({ ctid, id: _id, ...rest }) => JSON.stringify({ table, ...rest, ...(withCtid ? { ctid } : {}) })));
    }
    return out.sort();
  }

  it('after every update the rows equal those of a fresh write of the same content', async () => {
    for (const series of [versions, observations] as const) {
      const { resource } = await f.store.create(series[0]!);
      for (const next of series.slice(1)) {
        await f.store.update({ ...next, id: resource.id });
        const fresh = (await f.store.create(next)).resource;
        expect(await indexRows(next.resourceType, resource.id!), `${next.resourceType} ${JSON.stringify(next)}`).toEqual(await indexRows(next.resourceType, fresh.id!));
      }
    }
  });

  it('indexes a resource with no rows yet (plain insert, migration 0155) as a fresh write does', async () => {
    const { resource } = await f.store.create(versions[0]!);
    for (const table of TABLES) await sql`delete from ${sql.table(`fhir_search_${table}`)} where resource_type = 'Patient' and id = ${resource.id!}`.execute(f.database.db);
    expect(await indexRows('Patient', resource.id!)).toEqual([]);
    await f.store.update({ ...versions[2]!, id: resource.id });
    const fresh = (await f.store.create(versions[2]!)).resource;
    const rows = await indexRows('Patient', resource.id!);
    expect(rows.length).toBeGreaterThan(5);
    expect(rows).toEqual(await indexRows('Patient', fresh.id!));
  });

  it('keeps the rows that did not change, and removes every row on delete', async () => {
    const { resource } = await f.store.create(versions[0]!);
    const before = await indexRows('Patient', resource.id!, true);
    await f.store.update({ ...versions[1]!, id: resource.id });
    const after = await indexRows('Patient', resource.id!, true);
    const kept = after.filter((row) => before.includes(row));
    // Only the `active` token row changed; every other row is the same physical row.
    expect(before.length - kept.length).toBe(1);
    expect(after.length - kept.length).toBe(1);
    await f.store.delete('Patient', resource.id!);
    expect(await indexRows('Patient', resource.id!)).toEqual([]);
  });
});
