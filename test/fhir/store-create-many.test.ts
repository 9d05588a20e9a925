/**
 * store.createMany (the audit trail's write path) stores exactly what a transaction bundle of POSTs
 * stores: current row, history row, change-feed row (in order, with the source) and index rows; the
 * resources are readable, vreadable and searchable; an invalid one writes nothing. With
 * `changeFeed: false` (the audit trail) the same rows but the change-feed row.
 */
import type { AuditEvent } from 'fhir/r4.js';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toAuditEvent } from '../../src/auth/index.js';
import { testDatabaseKinds } from '../helpers/db.js';
import { openStore, type StoreFixture } from './store-helpers.js';

const events = (tag: string): AuditEvent[] => [
  toAuditEvent({ interaction: 'read', resourceType: 'Patient', id: `${tag}-1`, status: 200, clientId: 'cbc_a', ip: '10.0.0.1' }),
  toAuditEvent({ interaction: 'search', resourceType: 'Patient', query: 'identifier=urn:mrn|42', status: 200, clientId: 'cbc_b' }),
  toAuditEvent({ interaction: 'update', resourceType: 'Observation', id: `${tag}-2`, status: 403, clientId: 'cbc_a', ip: '10.0.0.2' }),
];

describe.each(testDatabaseKinds())('store.createMany on %s', (kind) => {
  let f: StoreFixture;
  beforeAll(async () => {
    f = await openStore(kind);
  });
  afterAll(() => f?.database.close());

  /** Everything the store keeps of one resource, without ids and timestamps. */
  async function stored(id: string) {
    const db = f.database.db;
    const one = async (q: ReturnType<typeof sql>) => (await q.execute(db)).rows;
    const current = await one(sql`select version_id, deleted, content - 'id' - 'meta' as content, content->'meta'->>'versionId' as v from fhir_resource where resource_type = 'AuditEvent' and id = ${id}`);
    const history = await one(sql`select version_id, deleted, operation, content - 'id' - 'meta' as content from fhir_resource_history where resource_type = 'AuditEvent' and id = ${id}`);
    const feed = await one(sql`select version_id, operation, source from fhir_change_feed where resource_type = 'AuditEvent' and id = ${id}`);
    const index: unknown[] = [];
    for (const table of ['token', 'string', 'date', 'reference', 'quantity', 'number', 'uri']) {
      const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(`fhir_search_${table}`)} where resource_type = 'AuditEvent' and id = ${id}`.execute(db)).rows;
      index.push(...rows.map(({ id: _id, ...rest }) => ({ table, ...rest })).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))));
    }
    return { current, history, feed, index };
  }

  it('writes the same rows as a transaction bundle of POSTs, feed rows in order', async () => {
    const source = { kind: 'system' as const };
    const written = events('m');
    const viaMany = await f.store.createMany(written, { source });
    const viaBundle = await f.store.transaction(
      { resourceType: 'Bundle', type: 'transaction', entry: written.map((resource) => ({ resource, request: { method: 'POST', url: 'AuditEvent' } })) },
      { source },
    );
    const bundleIds = viaBundle.entry!.map((e) => e.response!.location!.split('/')[1]!);
    expect(viaMany).toHaveLength(3);
    expect(written[0]!.id).toBeUndefined(); // the caller's objects are not changed
    for (let n = 0; n < 3; n++) {
      const created = viaMany[n]!;
      expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(created.meta?.versionId).toBe('1');
      const [a, b] = [await stored(created.id!), await stored(bundleIds[n]!)];
      expect(a.current).toHaveLength(1);
      expect(a.history).toHaveLength(1);
      expect(a.feed).toEqual([{ version_id: 1, operation: 'create', source: { kind: 'system' } }]);
      expect(a.index.length).toBeGreaterThan(3);
      expect(a).toEqual(b);
      expect(await f.store.read('AuditEvent', created.id!)).toEqual(created);
      expect(await f.store.vread('AuditEvent', created.id!, '1')).toEqual(created);
    }
    const seqs = (await sql<{ id: string }>`select id from fhir_change_feed where id in (${sql.join(viaMany.map((r) => r.id!))}) order by seq`.execute(f.database.db)).rows.map((r) => r.id);
    expect(seqs).toEqual(viaMany.map((r) => r.id));
    const found = await f.store.search('AuditEvent', new URLSearchParams('entity=Patient/m-1&subtype=read'));
    expect(found.entry?.map((e) => e.resource?.id).sort()).toEqual([viaMany[0]!.id, bundleIds[0]].sort());
  });

  it('with changeFeed: false writes the same rows but no change-feed row, and the resources still read, vread, list in history and search', async () => {
    const source = { kind: 'system' as const };
    const written = events('nf');
    const viaMany = await f.store.createMany(written, { source, changeFeed: false });
    const withFeed = await f.store.createMany(written, { source });
    for (let n = 0; n < 3; n++) {
      const created = viaMany[n]!;
      const [a, b] = [await stored(created.id!), await stored(withFeed[n]!.id!)];
      expect(a.feed).toEqual([]);
      expect(b.feed).toHaveLength(1);
      expect({ ...a, feed: undefined }).toEqual({ ...b, feed: undefined });
      expect(await f.store.read('AuditEvent', created.id!)).toEqual(created);
      expect(await f.store.vread('AuditEvent', created.id!, '1')).toEqual(created);
      expect((await f.store.history('AuditEvent', created.id!)).entry?.map((e) => e.resource)).toEqual([created]);
    }
    const found = await f.store.search('AuditEvent', new URLSearchParams('entity=Patient/nf-1&subtype=read'));
    expect(found.entry?.map((e) => e.resource?.id).sort()).toEqual([viaMany[0]!.id, withFeed[0]!.id].sort());
  });

  it('writes nothing when one resource is invalid', async () => {
    const before = Number((await sql<{ n: string }>`select count(*) as n from fhir_resource`.execute(f.database.db)).rows[0]!.n);
    await expect(f.store.createMany([...events('bad'), { resourceType: 'AuditEvent' } as AuditEvent])).rejects.toMatchObject({ code: 'CB_ERR_FHIR_INVALID_RESOURCE' });
    const after = Number((await sql<{ n: string }>`select count(*) as n from fhir_resource`.execute(f.database.db)).rows[0]!.n);
    expect(after).toBe(before);
  });
});
