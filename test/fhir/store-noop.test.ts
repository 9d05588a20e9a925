/**
 * No-op conditional updates: a resource that already says what the update says keeps its version
 * and writes no change-feed row, even when the update comes from another message (other
 * meta.source, other mapping tag) — and without queueing behind a writer that holds the criteria
 * lock. A real change still writes a version.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { Practitioner } from 'fhir/r4.js';
import { testDatabaseKinds } from '../helpers/db.js';
import { openStore, type StoreFixture } from './store-helpers.js';

const MAPPING_TAG = 'https://carebridge.dev/fhir/CodeSystem/mapping';

function doctor(controlId: string, mapping: string, family = 'Smith'): Practitioner {
  return {
    resourceType: 'Practitioner',
    meta: { source: `urn:carebridge:hl7v2:HIS%7CNWH#${controlId}`, tag: [{ system: MAPPING_TAG, code: mapping, version: 'abc' }] },
    identifier: [{ system: 'urn:npi', value: '1234' }],
    name: [{ family, given: ['John'] }],
  };
}

describe.each(testDatabaseKinds())('no-op conditional updates on %s', (kind) => {
  let f: StoreFixture;
  beforeAll(async () => {
    f = await openStore(kind, { poolSize: 4 });
  });
  afterAll(() => f?.database.close());
  const feedRows = async (id: string) =>
    Number((await sql<{ n: string }>`select count(*) as n from fhir_change_feed where resource_type = 'Practitioner' and id = ${id}`.execute(f.database.db)).rows[0]!.n);
  const query = 'Practitioner?identifier=urn:npi|1234';

  /**
   * Runs `fn` while another transaction holds the conditional-update lock of `query` (as a
   * concurrent writer of the same criteria would); 'blocked' when `fn` waited 5 s for it.
   */
  async function whileCriteriaLocked<T>(fn: () => Promise<T>): Promise<T | 'blocked'> {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let lockTaken!: () => void;
    const locked = new Promise<void>((r) => (lockTaken = r));
    const other = f.database.db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(100, hashtext(${'fhir-cond:Practitioner?identifier=urn%3Anpi%7C1234'}))`.execute(trx);
      lockTaken();
      await held;
    });
    await locked;
    try {
      return await Promise.race([fn(), new Promise<'blocked'>((r) => setTimeout(() => r('blocked'), 5000))]);
    } finally {
      release();
      await other;
    }
  }

  it('keeps the version when only the origin (meta.source, mapping tag) differs', async () => {
    const first = await f.store.conditionalUpdate(query, doctor('MSG-1', 'adt-a01'));
    expect(first.created).toBe(true);
    const again = await f.store.conditionalUpdate(query, doctor('MSG-2', 'siu-s12'));
    expect(again.created).toBe(false);
    expect(again.resource.meta?.versionId).toBe('1');
    expect(again.resource.meta?.source).toMatch(/#MSG-1$/);
    expect(await feedRows(first.resource.id!)).toBe(1);
  });

  it('writes a new version when the content changes, or a content tag does', async () => {
    const changed = await f.store.conditionalUpdate(query, doctor('MSG-3', 'adt-a08', 'Smythe'));
    expect(changed.resource.meta?.versionId).toBe('2');
    const tagged = doctor('MSG-4', 'adt-a08', 'Smythe');
    tagged.meta!.tag!.push({ system: 'urn:crm:segment', code: 'vip' });
    expect((await f.store.conditionalUpdate(query, tagged)).resource.meta?.versionId).toBe('3');
    expect(await feedRows(changed.resource.id!)).toBe(3);
  });

  // PGlite has one connection: a second open transaction would wait for it, not for the lock.
  it.runIf(kind === 'postgres')('answers an unchanged update without waiting for a transaction that holds the criteria lock', async () => {
    const current = doctor('MSG-5', 'adt-a01', 'Smythe');
    current.meta!.tag!.push({ system: 'urn:crm:segment', code: 'vip' });
    const result = await whileCriteriaLocked(() => f.store.conditionalUpdate(query, current).then((r) => r.resource.meta?.versionId));
    expect(result).toBe('3');
  });

  it('does the same inside a transaction Bundle (how mapped messages write), also without the lock', async () => {
    const current = doctor('MSG-6', 'oru-r01', 'Smythe');
    current.meta!.tag!.push({ system: 'urn:crm:segment', code: 'vip' });
    const bundle = (d: Practitioner) => ({ resourceType: 'Bundle' as const, type: 'transaction' as const, entry: [{ resource: d, request: { method: 'PUT' as const, url: query } }] });
    const run = async () => {
      const response = await f.store.transaction(bundle(current));
      return response.entry?.[0]?.response?.etag;
    };
    // PGlite has one connection: there the lock cannot be held by another transaction meanwhile.
    expect(kind === 'postgres' ? await whileCriteriaLocked(run) : await run()).toBe('W/"3"');
    const changed = await f.store.transaction(bundle({ ...current, active: true }));
    expect(changed.entry?.[0]?.response?.etag).toBe('W/"4"');
  });

  // A plain update of a live resource is decided in the database (fhir_update_one): the same
  // no-op rule as sameContent, If-Match on the locked row, and the version it writes.
  it('a plain update by id: same no-op rule, If-Match and version as a conditional one', async () => {
    const created = await f.store.create({ ...doctor('MSG-7', 'adt-a01'), identifier: [{ system: 'urn:npi', value: '5678' }] });
    const id = created.resource.id!;
    const withId = (d: Practitioner): Practitioner => ({ ...d, id, identifier: [{ system: 'urn:npi', value: '5678' }] });
    const same = await f.store.update(withId(doctor('MSG-8', 'siu-s12')));
    expect(same.created).toBe(false);
    expect(same.resource.meta?.versionId).toBe('1');
    expect(same.resource.meta?.source).toMatch(/#MSG-7$/);
    await expect(f.store.update(withId(doctor('MSG-9', 'adt-a08', 'Smythe')), { ifMatch: 'W/"2"' })).rejects.toMatchObject({ code: 'CB_ERR_FHIR_VERSION_CONFLICT' });
    const changed = await f.store.update(withId(doctor('MSG-9', 'adt-a08', 'Smythe')), { ifMatch: 'W/"1"' });
    expect(changed.resource.meta?.versionId).toBe('2');
    expect(changed.resource.meta?.source).toMatch(/#MSG-9$/);
    expect(await f.store.read('Practitioner', id)).toEqual(changed.resource);
    const tagged = withId(doctor('MSG-10', 'adt-a08', 'Smythe'));
    tagged.meta!.tag!.push({ system: 'urn:crm:segment', code: 'vip' });
    expect((await f.store.update(tagged)).resource.meta?.versionId).toBe('3');
    // Only the origin tag differs now, and the content tag is kept: no new version.
    const origin = withId(doctor('MSG-11', 'oru-r01', 'Smythe'));
    origin.meta!.tag = [{ system: 'urn:crm:segment', code: 'vip' }];
    expect((await f.store.update(origin)).resource.meta?.versionId).toBe('3');
    expect(await feedRows(id)).toBe(3);
    expect((await f.store.history('Practitioner', id)).entry?.map((e) => e.resource?.meta?.versionId)).toEqual(['3', '2', '1']);
  });
});
