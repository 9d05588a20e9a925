import type { Patient } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createFhirStore } from '../../src/fhir/index.js';
import { createLogger } from '../../src/logging/index.js';
import { openDatabase } from '../../src/db/index.js';
import { postgresOnly, testDatabaseKinds } from '../helpers/db.js';
import { openStore, patient, type StoreFixture } from './store-helpers.js';

describe.each(testDatabaseKinds())('conditional operations on %s', (kind) => {
  let f: StoreFixture;
  beforeAll(async () => {
    f = await openStore(kind);
  });
  afterAll(() => f.database.close());

  it('If-None-Exist returns the existing resource instead of creating a second one', async () => {
    const first = await f.store.create(patient('ine-1'), { ifNoneExist: 'identifier=urn:mrn|ine-1' });
    const second = await f.store.create(patient('ine-1'), { ifNoneExist: 'identifier=urn:mrn|ine-1' });
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.resource.id).toBe(first.resource.id);
  });

  it('conditional update creates when nothing matches, updates the match, and refuses several matches', async () => {
    const a = await f.store.conditionalUpdate('Patient?identifier=urn:mrn|cu-1', patient('cu-1'));
    expect(a.created).toBe(true);
    const b = await f.store.conditionalUpdate('Patient?identifier=urn:mrn|cu-1', patient('cu-1', { gender: 'male' }));
    expect(b.created).toBe(false);
    expect(b.resource.id).toBe(a.resource.id);
    expect(b.resource.meta?.versionId).toBe('2');
    await f.store.create(patient('dup', { identifier: [{ system: 'urn:x', value: 'same' }] }));
    await f.store.create(patient('dup', { identifier: [{ system: 'urn:x', value: 'same' }] }));
    await expect(f.store.conditionalUpdate('Patient?identifier=urn:x|same', patient('dup'))).rejects.toMatchObject({ code: 'CB_ERR_FHIR_MULTIPLE_MATCHES' });
    await expect(f.store.create(patient('dup'), { ifNoneExist: 'identifier=urn:x|same' })).rejects.toMatchObject({ code: 'CB_ERR_FHIR_MULTIPLE_MATCHES' });
  });

  it('conditional delete deletes every match', async () => {
    await f.store.create(patient('cd', { identifier: [{ system: 'urn:cd', value: '1' }] }));
    expect(await f.store.conditionalDelete('Patient?identifier=urn:cd|1')).toBe(1);
    expect(await f.store.conditionalDelete('Patient?identifier=urn:cd|1')).toBe(0);
  });

  it('a conditional operation without criteria is refused', async () => {
    await expect(f.store.conditionalDelete('Patient?')).rejects.toMatchObject({ code: 'CB_ERR_FHIR_UNPROCESSABLE' });
  });
});

describe.each(postgresOnly())('race-free conditional writes on %s', (kind) => {
  let f: StoreFixture;
  beforeAll(async () => {
    f = await openStore(kind, { poolSize: 20 });
  });
  afterAll(() => f.database.close());

  it('50 parallel conditional creates with the same identifier produce exactly one resource', async () => {
    // Two separate pools, as two server processes would have.
    const other = await openDatabase({ url: f.database.url, poolSize: 20 });
    const stores = [f.store, createFhirStore({ db: other.db, logger: createLogger({ level: 'silent' }) })];
    try {
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => stores[i % 2]!.create(patient('race-1'), { ifNoneExist: 'identifier=urn:mrn|race-1' })),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.resource.id)).size).toBe(1);
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from fhir_resource where resource_type = 'Patient' and content @> '{"identifier":[{"value":"race-1"}]}'`.execute(f.database.db);
      expect(rows[0]!.n).toBe(1);
    } finally {
      await other.close();
    }
  });

  it('50 parallel conditional updates with the same identifier produce one resource with 50 or fewer versions', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => f.store.conditionalUpdate('Patient?identifier=urn:mrn|race-2', patient('race-2', { gender: i % 2 ? 'male' : 'female' }))),
    );
    expect(new Set(results.map((r) => r.resource.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it('40 parallel updates of one resource from two pools: each its own version, none lost, index and feed follow', async () => {
    // Plain updates take the compare-and-set path (no transaction): a writer that loses re-reads
    // and retries, then queues on the row lock; none may overwrite another's version or fail.
    const other = await openDatabase({ url: f.database.url, poolSize: 20 });
    const stores = [f.store, createFhirStore({ db: other.db, logger: createLogger({ level: 'silent' }) })];
    try {
      const { resource } = await f.store.create(patient('hot-1'));
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) => stores[i % 2]!.update<Patient>({ ...resource, meta: undefined, name: [{ family: `Hot${i}`, given: ['Test'] }] })),
      );
      const versions = results.map((r) => Number(r.resource.meta!.versionId)).sort((a, b) => a - b);
      expect(versions).toEqual(Array.from({ length: 40 }, (_, i) => i + 2));
      const count = async (table: string) =>
        (await sql<{ n: number }>`select count(*)::int as n from ${sql.table(table)} where id = ${resource.id!}`.execute(f.database.db)).rows[0]!.n;
      expect(await count('fhir_resource_history')).toBe(41);
      expect(await count('fhir_change_feed')).toBe(41);
      const last = results.find((r) => r.resource.meta!.versionId === '41')!.resource;
      expect(await f.store.read('Patient', resource.id!)).toEqual(last);
      // The index holds the last version's family, and only that one.
      const { rows } = await sql<{ value: string }>`
        select value from fhir_search_string where resource_type = 'Patient' and id = ${resource.id!} and param = 'family'`.execute(f.database.db);
      expect(rows.map((r) => r.value)).toEqual([last.name![0]!.family!.toLowerCase()]);
    } finally {
      await other.close();
    }
  });

  it('parallel update-as-create of one client id yields versions, not a conflict', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => f.store.update(patient('uac-race', { id: 'uac-race', gender: i % 2 ? 'male' : 'female' }))),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });
});

describe.each(postgresOnly())('write conflicts on %s', (kind) => {
  let f: StoreFixture;
  beforeAll(async () => {
    f = await openStore(kind);
  });
  afterAll(() => f.database.close());

  it('a deadlock between two transactions answers 409 (retryable) for one of them, and the other commits', async () => {
    const a = (await f.store.create(patient('dl-a'))).resource;
    const b = (await f.store.create(patient('dl-b'))).resource;
    let bothHaveFirst!: () => void;
    const gate = new Promise<void>((r) => (bothHaveFirst = r));
    let arrived = 0;
    const cross = (first: typeof a, second: typeof a) =>
      f.store.inTransaction(async (s) => {
        await s.update({ ...first, gender: 'male' });
        if (++arrived === 2) bothHaveFirst();
        await gate;
        await s.update({ ...second, gender: 'female' });
      });
    const results = await Promise.allSettled([cross(a, b), cross(b, a)]);
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.reason).toMatchObject({ code: 'CB_ERR_FHIR_CONFLICT' });
  });
});
