import type { Patient } from 'fhir/r4.js';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../helpers/db.js';
import { openStore, patient, type StoreFixture } from './store-helpers.js';

describe.each(testDatabaseKinds())('fhir store updateMany on %s', (kind) => {
  let f: StoreFixture;
  beforeAll(async () => {
    f = await openStore(kind);
  });
  afterAll(() => f.database.close());

  const feedOf = async (id: string) =>
    (await sql<{ version_id: number; operation: string }>`select version_id, operation from fhir_change_feed where resource_type = 'Patient' and id = ${id} order by seq`.execute(f.database.db)).rows;
  const searchIds = async (query: string) =>
    ((await f.store.search('Patient', new URLSearchParams(query))).entry ?? []).map((e) => e.resource?.id).sort();

  it('writes each changed resource as update would (version, history, change feed, index); leaves the rest; skips absent and deleted ids', async () => {
    const { resource: a } = await f.store.create(patient('um-a', { gender: 'male' }));
    const { resource: b } = await f.store.create(patient('um-b', { gender: 'male' }));
    const { resource: same } = await f.store.create(patient('um-same', { gender: 'male' }));
    const { resource: skipped } = await f.store.create(patient('um-skip', { gender: 'other' }));
    const { resource: gone } = await f.store.create(patient('um-gone', { gender: 'male' }));
    await f.store.delete('Patient', gone.id!);
    const seen: string[] = [];
    const out = await f.store.updateMany<Patient>('Patient', [a.id!, b.id!, same.id!, skipped.id!, gone.id!, 'no-such-id', a.id!], (p) => {
      seen.push(p.id!);
      if (p.gender === 'other') return undefined;
      return p.id === same.id ? { ...p } : { ...p, gender: 'female' };
    });
    expect(seen).toEqual([a.id, b.id, same.id, skipped.id]);
    expect(out.map((p) => [p.id, p.meta?.versionId, p.gender])).toEqual([[a.id, '2', 'female'], [b.id, '2', 'female'], [same.id, '1', 'male']]);
    expect(await f.store.read('Patient', a.id!)).toEqual(out[0]);
    expect((await f.store.vread('Patient', b.id!, '2'))).toEqual(out[1]);
    expect(await f.store.read('Patient', same.id!)).toEqual(same);
    expect(await f.store.read('Patient', skipped.id!)).toEqual(skipped);
    expect(await feedOf(a.id!)).toEqual([{ version_id: 1, operation: 'create' }, { version_id: 2, operation: 'update' }]);
    expect(await feedOf(same.id!)).toEqual([{ version_id: 1, operation: 'create' }]);
    expect(await searchIds('identifier=urn:mrn|um-a,urn:mrn|um-b,urn:mrn|um-same&gender=female')).toEqual([a.id, b.id].sort());
    expect(await searchIds('identifier=urn:mrn|um-a,urn:mrn|um-b&gender=male')).toEqual([]);
    expect(await f.store.updateMany('Patient', [], () => undefined)).toEqual([]);
  });

  it('validates what it writes, and joins the transaction it runs in (a failure rolls everything back)', async () => {
    const { resource: a } = await f.store.create(patient('um-valid'));
    await expect(f.store.updateMany<Patient>('Patient', [a.id!], (p) => ({ ...p, gender: 'nonsense' as Patient['gender'] }))).rejects.toMatchObject({ code: expect.stringMatching(/^CB_ERR_/) });
    await expect(
      f.store.inTransaction(async (s) => {
        await s.updateMany<Patient>('Patient', [a.id!], (p) => ({ ...p, gender: 'female' }));
        expect((await s.read<Patient>('Patient', a.id!)).gender).toBe('female');
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await f.store.read('Patient', a.id!)).toEqual(a);
  });
});
