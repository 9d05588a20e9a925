import type { Observation, Patient } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../helpers/db.js';
import { openStore, patient, type StoreFixture } from './store-helpers.js';

describe.each(testDatabaseKinds())('fhir store readMany on %s', (kind) => {
  let f: StoreFixture;
  beforeAll(async () => {
    f = await openStore(kind);
  });
  afterAll(() => f.database.close());

  it('returns the current version of each live id of the type, as read does; absent, deleted and other types are left out', async () => {
    const { resource: a } = await f.store.create(patient('rm-a'));
    const { resource: b1 } = await f.store.create(patient('rm-b'));
    const { resource: b2 } = await f.store.update({ ...b1, gender: 'female' });
    const { resource: gone } = await f.store.create(patient('rm-gone'));
    await f.store.delete('Patient', gone.id!);
    const { resource: obs } = await f.store.create<Observation>({ resourceType: 'Observation', status: 'final', code: { text: 'x' } });
    const many = await f.store.readMany<Patient>('Patient', [a.id!, b1.id!, gone.id!, obs.id!, 'no-such-id', a.id!]);
    const byId = new Map(many.map((r) => [r.id, r]));
    expect([...byId.keys()].sort()).toEqual([a.id!, b1.id!].sort());
    expect(byId.get(a.id)).toEqual(await f.store.read('Patient', a.id!));
    expect(byId.get(b1.id)).toEqual(b2);
    expect(await f.store.readMany('Patient', [])).toEqual([]);
  });

  it('sees the transaction it runs in', async () => {
    const { resource } = await f.store.create(patient('rm-trx'));
    await f.store.inTransaction(async (s) => {
      await s.update({ ...resource, gender: 'male' });
      expect((await s.readMany<Patient>('Patient', [resource.id!]))[0]?.gender).toBe('male');
    });
  });
});
