import type { Patient } from 'fhir/r4.js';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CarebridgeError } from '../../src/errors/index.js';
import { testDatabaseKinds } from '../helpers/db.js';
import { openStore, patient, type StoreFixture } from './store-helpers.js';

const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof CarebridgeError ? e.code : String(e)));

describe.each(testDatabaseKinds())('fhir store CRUD on %s', (kind) => {
  let f: StoreFixture;
  beforeAll(async () => {
    f = await openStore(kind);
  });
  afterAll(() => f.database.close());

  it('create assigns id, versionId 1 and lastUpdated, ignoring a client id', async () => {
    const { resource, created } = await f.store.create({ ...patient('c1'), id: 'mine' });
    expect(created).toBe(true);
    expect(resource.id).not.toBe('mine');
    expect(resource.meta?.versionId).toBe('1');
    expect(Date.parse(resource.meta!.lastUpdated!)).not.toBeNaN();
    expect(await f.store.read('Patient', resource.id!)).toEqual(resource);
  });

  it('update bumps the version, vread returns each version, no-op update keeps it', async () => {
    const { resource: v1 } = await f.store.create(patient('u1'));
    const { resource: v2, created } = await f.store.update({ ...v1, gender: 'female' });
    expect(created).toBe(false);
    expect(v2.meta?.versionId).toBe('2');
    expect(((await f.store.vread('Patient', v1.id!, '1')) as Patient).gender).toBeUndefined();
    expect(((await f.store.vread('Patient', v1.id!, '2')) as Patient).gender).toBe('female');
    const same = await f.store.update({ ...v2 });
    expect(same.resource.meta?.versionId).toBe('2');
  });

  it('update-as-create with a client id creates version 1', async () => {
    const { resource, created } = await f.store.update({ ...patient('uac'), id: 'client-chosen-1' });
    expect(created).toBe(true);
    expect(resource.id).toBe('client-chosen-1');
    expect(resource.meta?.versionId).toBe('1');
  });

  // The second writer finds no row, then its insert waits for the first writer's uncommitted one:
  // once that commits, it must become version 2 over it (not fail, not overwrite version 1).
  // PostgreSQL only: PGlite has one connection, so two transactions can never be open at once.
  it.skipIf(kind !== 'postgres')('two transactions creating the same client id at once write versions 1 and 2', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let firstWritten!: () => void;
    const written = new Promise<void>((resolve) => (firstWritten = resolve));
    const first = f.store.inTransaction(async (s) => {
      const r = await s.update({ ...patient('race'), id: 'race-1', gender: 'male' });
      firstWritten();
      await held;
      return r;
    });
    await written;
    const second = f.store.inTransaction((s) => s.update({ ...patient('race'), id: 'race-1', gender: 'female' }));
    for (let waiting = false; !waiting; ) {
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()`.execute(f.database.db);
      waiting = rows[0]!.n > 0;
    }
    release();
    expect((await first).resource.meta?.versionId).toBe('1');
    const b = await second;
    expect(b.created).toBe(false);
    expect(b.resource.meta?.versionId).toBe('2');
    expect(((await f.store.vread('Patient', 'race-1', '1')) as Patient).gender).toBe('male');
    expect(((await f.store.read('Patient', 'race-1')) as Patient).gender).toBe('female');
  });

  it('If-Match mismatch is a 412 version conflict; match succeeds', async () => {
    const { resource } = await f.store.create(patient('im'));
    expect(await codeOf(f.store.update({ ...resource, gender: 'male' }, { ifMatch: 'W/"7"' }))).toBe('CB_ERR_FHIR_VERSION_CONFLICT');
    expect(await codeOf(f.store.update({ ...resource, gender: 'male' }, { ifMatch: 'W/"1"' }))).toBe('ok');
    expect(await codeOf(f.store.delete('Patient', resource.id!, { ifMatch: '1' }))).toBe('CB_ERR_FHIR_VERSION_CONFLICT');
  });

  it('delete makes read 410, keeps history, and a later update re-creates', async () => {
    const { resource } = await f.store.create(patient('d1'));
    await f.store.delete('Patient', resource.id!);
    expect(await codeOf(f.store.read('Patient', resource.id!))).toBe('CB_ERR_FHIR_GONE');
    expect(await f.store.readOrUndefined('Patient', resource.id!)).toBeUndefined();
    expect(await codeOf(f.store.read('Patient', 'no-such-id'))).toBe('CB_ERR_NOT_FOUND');
    expect(await codeOf(f.store.vread('Patient', resource.id!, '2'))).toBe('CB_ERR_FHIR_GONE');
    expect((await f.store.vread('Patient', resource.id!, '1')).id).toBe(resource.id);
    const again = await f.store.update({ ...patient('d1'), id: resource.id });
    expect(again.created).toBe(true);
    expect(again.resource.meta?.versionId).toBe('3');
  });

  it('every write appends exactly one change-feed row and one history row in the same transaction', async () => {
    const count = async (table: string) =>
      (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)}`.execute(f.database.db)).rows[0]!.n;
    const feed0 = await count('fhir_change_feed');
    const hist0 = await count('fhir_resource_history');
    const { resource } = await f.store.create(patient('feed'), { source: { kind: 'hl7v2', sender: 'LAB|HOSP', controlId: 'MSG1' } });
    await f.store.update({ ...resource, gender: 'other' });
    await f.store.delete('Patient', resource.id!);
    expect(await count('fhir_change_feed')).toBe(feed0 + 3);
    expect(await count('fhir_resource_history')).toBe(hist0 + 3);
    // A failing write inside a transaction leaves nothing behind.
    await expect(
      f.store.inTransaction(async (s) => {
        await s.create(patient('rolled-back'));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await count('fhir_change_feed')).toBe(feed0 + 3);
    const { rows } = await sql<{ source: unknown }>`select source from fhir_change_feed where id = ${resource.id!} order by seq`.execute(f.database.db);
    expect(rows[0]!.source).toEqual({ kind: 'hl7v2', sender: 'LAB|HOSP', controlId: 'MSG1' });
    expect(resource.meta?.source).toBe('urn:carebridge:hl7v2:LAB%7CHOSP#MSG1');
  });

  it('a transaction of plain creates writes one version, history and feed row each, in entry order', async () => {
    const before = (await sql<{ n: number }>`select coalesce(max(seq), 0)::int as n from fhir_change_feed`.execute(f.database.db)).rows[0]!.n;
    const entry = ['tx-a', 'tx-b', 'tx-c'].map((mrn) => ({ resource: patient(mrn), request: { method: 'POST' as const, url: 'Patient' } }));
    const response = await f.store.transaction({ resourceType: 'Bundle', type: 'transaction', entry });
    const ids = response.entry!.map((e) => e.resource!.id);
    const { rows } = await sql<{ id: string }>`select id from fhir_change_feed where seq > ${before} order by seq`.execute(f.database.db);
    expect(rows.map((r) => r.id)).toEqual(ids);
    for (const id of ids) expect((await f.store.history('Patient', id)).total).toBe(1);
    const found = await f.store.search('Patient', new URLSearchParams({ identifier: 'urn:mrn|tx-b' }));
    expect(found.entry?.map((e) => e.resource?.id)).toEqual([ids[1]]);
  });

  it('purge removes the resource and all its versions', async () => {
    const { resource } = await f.store.create(patient('purge'));
    await f.store.update({ ...resource, gender: 'male' });
    await f.store.purge('Patient', resource.id!);
    expect(await codeOf(f.store.read('Patient', resource.id!))).toBe('CB_ERR_NOT_FOUND');
    expect(await codeOf(f.store.vread('Patient', resource.id!, '1'))).toBe('CB_ERR_NOT_FOUND');
  });

  it('rejects invalid resources with the element named (400) and profile violations (422)', async () => {
    const bad = f.store.create({ ...patient('bad'), birthDate: '1990-13-45' });
    await expect(bad).rejects.toMatchObject({ code: 'CB_ERR_FHIR_INVALID_RESOURCE', details: [expect.objectContaining({ expression: 'Patient.birthDate' })] });
    const badContained = f.store.create({ ...patient('bad-c'), contained: [{ resourceType: 'Practitioner', id: 'gp', birthDate: 'soon' }] });
    await expect(badContained).rejects.toMatchObject({ details: [expect.objectContaining({ expression: 'Patient.contained[0].birthDate' })] });
    const noId = f.store.create({ resourceType: 'Patient', name: [{ family: 'X' }] });
    await expect(noId).rejects.toMatchObject({ code: 'CB_ERR_FHIR_PROFILE_VIOLATION', details: [expect.objectContaining({ expression: 'Patient.identifier' })] });
  });
});
