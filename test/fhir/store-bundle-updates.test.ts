/**
 * PUTs by id in a transaction Bundle are locked with one statement and written together (how the
 * care-plan scheduler completes its CommunicationRequests). Per resource the outcome must be that
 * of the one-by-one path: exactly one new version, history row and change-feed row, index rows
 * replaced, If-Match failing the whole bundle, no-ops keeping their version, update-as-create; and
 * two bundles updating overlapping sets in opposite orders must queue, not deadlock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import type { Bundle, BundleEntry, CommunicationRequest } from 'fhir/r4.js';
import { CarebridgeError } from '../../src/errors/index.js';
import { testDatabaseKinds } from '../helpers/db.js';
import { openStore, type StoreFixture } from './store-helpers.js';

function request(id: string, status: CommunicationRequest['status'], note?: string): CommunicationRequest {
  return {
    resourceType: 'CommunicationRequest', id, status,
    subject: { reference: 'Patient/p1' },
    ...(note ? { note: [{ text: note }] } : {}),
  };
}

const put = (r: CommunicationRequest, ifMatch?: string): BundleEntry => ({
  resource: r, request: { method: 'PUT', url: `CommunicationRequest/${r.id}`, ...(ifMatch ? { ifMatch } : {}) },
});

const transaction = (entry: BundleEntry[]): Bundle => ({ resourceType: 'Bundle', type: 'transaction', entry });

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_v, i) => `${prefix}-${i}`);

describe.each(testDatabaseKinds())('batched PUT-by-id bundle entries on %s', (kind) => {
  let f: StoreFixture;
  beforeAll(async () => {
    f = await openStore(kind, { poolSize: 4 });
  });
  afterAll(() => f?.database.close());

  /** Per id: current version, history rows, change-feed rows. */
  const counts = async (list: string[]) => {
    const db = f.database.db;
    const version = await sql<{ id: string; n: number }>`select id, version_id as n from fhir_resource where resource_type = 'CommunicationRequest' and id = any(${list})`.execute(db);
    const history = await sql<{ id: string; n: string }>`select id, count(*) as n from fhir_resource_history where resource_type = 'CommunicationRequest' and id = any(${list}) group by id`.execute(db);
    const feed = await sql<{ id: string; n: string }>`select id, count(*) as n from fhir_change_feed where resource_type = 'CommunicationRequest' and id = any(${list}) group by id`.execute(db);
    const byId = (rows: Array<{ id: string; n: string | number }>) => Object.fromEntries(rows.map((r) => [r.id, Number(r.n)]));
    return { version: byId(version.rows), history: byId(history.rows), feed: byId(feed.rows) };
  };
  const uniform = (list: string[], n: number) => Object.fromEntries(list.map((id) => [id, n]));
  const searchIds = async (status: string, prefix: string) => {
    const bundle = await f.store.search('CommunicationRequest', new URLSearchParams({ status, _count: '1000' }));
    return (bundle.entry ?? []).map((e) => e.resource!.id!).filter((id) => id.startsWith(`${prefix}-`)).sort();
  };

  it('writes one version, history row and change-feed row per updated resource, replaces index rows, keeps no-ops and creates', async () => {
    const list = ids('upd', 50);
    // Update-as-create of absent ids (the per-entry path).
    const seeded = await f.store.transaction(transaction([...list, 'upd-noop'].map((id) => put(request(id, 'active')))));
    expect(seeded.entry!.map((e) => e.response?.status)).toEqual(Array(51).fill('201 Created'));
    expect(await searchIds('active', 'upd')).toEqual([...list, 'upd-noop'].sort());

    const entry: BundleEntry[] = [];
    list.forEach((id, i) => {
      entry.push({ fullUrl: `urn:uuid:00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, resource: { resourceType: 'Communication', status: 'completed', basedOn: [{ reference: `CommunicationRequest/${id}` }] }, request: { method: 'POST', url: 'Communication' } });
      entry.push(put(request(id, 'completed'), i % 2 ? 'W/"1"' : undefined));
    });
    entry.push(put({ ...request('upd-noop', 'active'), meta: { source: 'urn:other' } }));
    entry.push(put(request('upd-new', 'active')));
    const response = await f.store.transaction(transaction(entry));

    const statuses = response.entry!.map((e) => e.response?.status);
    list.forEach((_id, i) => {
      expect(statuses[2 * i]).toBe('201 Created');
      expect(statuses[2 * i + 1]).toBe('200 OK');
      expect(response.entry![2 * i + 1]!.response?.etag).toBe('W/"2"');
      expect(response.entry![2 * i + 1]!.response?.location).toMatch(new RegExp(`CommunicationRequest/${list[i]}/_history/2$`));
      expect((response.entry![2 * i + 1]!.resource as CommunicationRequest).status).toBe('completed');
    });
    expect(response.entry![100]!.response?.etag).toBe('W/"1"');
    expect(response.entry![101]!.response?.status).toBe('201 Created');

    const after = await counts(list);
    expect(after.version).toEqual(uniform(list, 2));
    expect(after.history).toEqual(uniform(list, 2));
    expect(after.feed).toEqual(uniform(list, 2));
    expect(await counts(['upd-noop'])).toEqual({ version: { 'upd-noop': 1 }, history: { 'upd-noop': 1 }, feed: { 'upd-noop': 1 } });
    expect(await counts(['upd-new'])).toEqual({ version: { 'upd-new': 1 }, history: { 'upd-new': 1 }, feed: { 'upd-new': 1 } });

    // Index rows replaced: the new status is found, the old one no longer is.
    expect(await searchIds('completed', 'upd')).toEqual([...list].sort());
    expect(await searchIds('active', 'upd')).toEqual(['upd-new', 'upd-noop']);
    const stale = await sql<{ n: string }>`select count(*) as n from fhir_search_token where resource_type = 'CommunicationRequest' and id = any(${list}) and param = 'status'`.execute(f.database.db);
    expect(Number(stale.rows[0]!.n)).toBe(50);

    const read = await f.store.read<CommunicationRequest>('CommunicationRequest', 'upd-7');
    expect(read.status).toBe('completed');
    expect(read.meta?.versionId).toBe('2');
    // The change feed lists the updates in the bundle's order.
    const feed = await sql<{ id: string }>`select id from fhir_change_feed where resource_type = 'CommunicationRequest' and version_id = 2 and id = any(${list}) order by seq`.execute(f.database.db);
    expect(feed.rows.map((r) => r.id)).toEqual(list);
  });

  it('fails the whole bundle with 412 when one entry\'s If-Match does not match, writing nothing', async () => {
    const list = ids('ifm', 10);
    await f.store.transaction(transaction(list.map((id) => put(request(id, 'active')))));
    const before = await counts(list);
    const entry = list.map((id, i) => put(request(id, 'completed'), i === 6 ? 'W/"7"' : 'W/"1"'));
    entry.unshift({ resource: { resourceType: 'Communication', status: 'completed' }, request: { method: 'POST', url: 'Communication' } });
    const failure = await f.store.transaction(transaction(entry)).then(() => undefined, (e: unknown) => e);
    expect(failure).toBeInstanceOf(CarebridgeError);
    expect((failure as CarebridgeError).code).toBe('CB_ERR_FHIR_VERSION_CONFLICT');
    expect((failure as CarebridgeError).message).toContain('Bundle.entry[7]');
    expect(await counts(list)).toEqual(before);
    expect(await searchIds('completed', 'ifm')).toEqual([]);
  });

  it('updates a deleted resource (a new live version) and an absent id alongside batched updates', async () => {
    await f.store.transaction(transaction(['mix-0', 'mix-1'].map((id) => put(request(id, 'active')))));
    await f.store.delete('CommunicationRequest', 'mix-1');
    const response = await f.store.transaction(transaction(['mix-0', 'mix-1', 'mix-2'].map((id) => put(request(id, 'completed')))));
    expect(response.entry!.map((e) => [e.response?.status, e.response?.etag])).toEqual([['200 OK', 'W/"2"'], ['201 Created', 'W/"3"'], ['201 Created', 'W/"1"']]);
    expect(await searchIds('completed', 'mix')).toEqual(['mix-0', 'mix-1', 'mix-2']);
  });

  // PostgreSQL only: PGlite has one connection, so two transactions can never interleave there.
  it.runIf(kind === 'postgres')('lets two bundles updating overlapping sets in opposite orders both apply, without a deadlock', async () => {
    const list = ids('dl', 40);
    await f.store.transaction(transaction(list.map((id) => put(request(id, 'active')))));
    const rounds = 5;
    for (let round = 0; round < rounds; round++) {
      const forward = list.slice(0, 30).map((id) => put(request(id, 'active', `a${round}`)));
      const backward = list.slice(10).reverse().map((id) => put(request(id, 'active', `b${round}`)));
      const results = await Promise.allSettled([f.store.transaction(transaction(forward)), f.store.transaction(transaction(backward))]);
      expect(results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok'))).toEqual(['ok', 'ok']);
    }
    const after = await counts(list);
    list.forEach((id, i) => {
      const overlap = i >= 10 && i < 30;
      expect(after.version[id]).toBe(1 + rounds * (overlap ? 2 : 1));
      expect(after.feed[id]).toBe(after.version[id]);
      expect(after.history[id]).toBe(after.version[id]);
    });
  });
});
