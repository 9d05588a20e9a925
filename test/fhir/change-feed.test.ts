import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import pg from 'pg';
import { changeFeedLag, consumeChangeFeed, createFhirStore, registerChangeFeedGauge, type ChangeFeedEntry } from '../../src/fhir/index.js';
import { createMetrics } from '../../src/metrics/index.js';
import { createLogger } from '../../src/logging/index.js';
import { createPostgresDatabase, postgresOnly, testDatabaseKinds } from '../helpers/db.js';
import { openStore, patient, type StoreFixture } from './store-helpers.js';

/** Polls until `done` or 30 s (the drains below stop when the consumer has no lag left). */
async function until(done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await done()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

/** Consumes until the consumer has no lag left (or `expected` entries were seen). */
const drain = async (f: StoreFixture, consumer: string, expected?: number): Promise<ChangeFeedEntry[]> => {
  const seen: ChangeFeedEntry[] = [];
  await until(async () => {
    while ((await consumeChangeFeed(f.database.db, consumer, 3, async (entries) => void seen.push(...entries))) > 0);
    return expected !== undefined ? seen.length >= expected : (await changeFeedLag(f.database.db, consumer)) === 0;
  });
  return seen;
};

describe.each(testDatabaseKinds())('change feed on %s', (kind) => {
  let f: StoreFixture;
  beforeAll(async () => {
    f = await openStore(kind);
  });
  afterAll(() => f.database.close());

  it('delivers every write once, in order, per consumer, with its source', async () => {
    const { resource } = await f.store.create(patient('cf-1'), { source: { kind: 'rest', clientId: 'crm' } });
    await f.store.update({ ...resource, gender: 'female' });
    await f.store.delete('Patient', resource.id!);
    expect(await changeFeedLag(f.database.db, 'a')).toBe(3);
    const a = await drain(f, 'a', 3);
    expect(a.map((e) => [e.operation, e.versionId])).toEqual([['create', 1], ['update', 2], ['delete', 3]]);
    expect(a[0]).toMatchObject({ resourceType: 'Patient', id: resource.id, source: { kind: 'rest', clientId: 'crm' } });
    expect(await drain(f, 'a')).toEqual([]);
    expect(await changeFeedLag(f.database.db, 'a')).toBe(0);
    expect((await drain(f, 'b', 3)).length).toBe(3);
  });

  it('exposes the lag per consumer as a Prometheus gauge', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    registerChangeFeedGauge(f.database.db, metrics);
    await drain(f, 'gauge');
    await f.store.create(patient('cf-gauge'));
    expect(await metrics.registry.metrics()).toContain('carebridge_change_feed_lag{consumer="gauge"} 1');
  });

  it('a failing handler leaves the cursor and its own writes rolled back', async () => {
    await f.store.create(patient('cf-2'));
    await until(async () => (await consumeChangeFeed(f.database.db, 'probe', 1, async () => {})) > 0);
    await expect(
      consumeChangeFeed(f.database.db, 'c', 10, async (_entries, trx) => {
        await createFhirStore({ db: trx, logger: createLogger({ level: 'silent' }) }).create(patient('side-effect'));
        throw new Error('handler failed');
      }),
    ).rejects.toThrow('handler failed');
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from fhir_resource where content @> '{"identifier":[{"value":"side-effect"}]}'`.execute(f.database.db);
    expect(rows[0]!.n).toBe(0);
    const again = await drain(f, 'c', 1);
    expect(again.length).toBeGreaterThan(0);
  });
});

describe.each(postgresOnly())('change feed with concurrent writers on %s', (kind) => {
  let f: StoreFixture;
  beforeAll(async () => {
    f = await openStore(kind);
  });
  afterAll(() => f.database.close());

  /** Store creates held open in their own transaction until `release` is called. */
  function heldWrite(...mrns: string[]) {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let ready!: () => void;
    const hasXid = new Promise<void>((r) => (ready = r));
    let wrote!: () => void;
    const written = new Promise<void>((r) => (wrote = r));
    let writeNow!: () => void;
    const mayWrite = new Promise<void>((r) => (writeNow = r));
    const done = f.store.inTransaction(async (s, trx) => {
      await sql`select pg_current_xact_id()`.execute(trx); // takes the transaction id now
      ready();
      await mayWrite;
      for (const mrn of mrns) await s.create(patient(mrn));
      wrote();
      await gate;
    });
    return { hasXid, written, writeNow, release, done };
  }

  it('never skips a row written first (lower seq) by a transaction that commits last', async () => {
    const early = heldWrite('late-1'); // older transaction id
    await early.hasXid;
    const young = heldWrite('late-2'); // younger transaction id
    await young.hasXid;
    // The young transaction writes first (lower seq) but commits LAST; the old one writes later
    // (higher seq) and commits first. A seq-only cursor would skip the young row.
    young.writeNow();
    await young.written;
    early.writeNow();
    await early.written;
    early.release();
    await early.done;
    const seen: ChangeFeedEntry[] = [];
    const consume = () => consumeChangeFeed(f.database.db, 'late', 10, async (e) => void seen.push(...e));
    // The young transaction is still open: nothing at or above its txid may be handed out yet, and
    // the early row is visible below it.
    await until(async () => (await consume()) > 0);
    expect(seen).toHaveLength(1);
    expect(await consume()).toBe(0);
    young.release();
    await young.done;
    await until(async () => (await consume()) > 0);
    expect(seen).toHaveLength(2);
    expect(new Set(seen.map((e) => e.id)).size).toBe(2);
  });

  it('an open transaction elsewhere on the server does not hold back rows committed after it', async () => {
    // Transaction ids are cluster-wide: a writer in another database (a CREATE DATABASE copying a
    // template, a long import) has an id below every row written here after it began.
    const other = await createPostgresDatabase();
    const elsewhere = new pg.Client({ connectionString: other.url });
    await elsewhere.connect();
    try {
      await drain(f, 'elsewhere');
      await elsewhere.query('begin');
      await elsewhere.query('select pg_current_xact_id()');
      const { resource } = await f.store.create(patient('elsewhere-1'));
      const seen: ChangeFeedEntry[] = [];
      expect(await consumeChangeFeed(f.database.db, 'elsewhere', 10, async (e) => void seen.push(...e))).toBe(1);
      expect(seen.map((e) => e.id)).toEqual([resource.id]);
    } finally {
      await elsewhere.query('rollback');
      await elsewhere.end();
      await other.drop();
    }
  });

  it('a transaction that commits after younger ones were handed out comes later, once, also in smaller batches', async () => {
    await drain(f, 'older');
    const older = heldWrite('old-1', 'old-2', 'old-3'); // the oldest transaction id, committed last
    await older.hasXid;
    try {
      const { resource: young } = await f.store.create(patient('young-1'));
      const seen: ChangeFeedEntry[] = [];
      const consume = () => consumeChangeFeed(f.database.db, 'older', 2, async (e) => void seen.push(...e));
      expect(await consume()).toBe(1);
      expect(seen.map((e) => e.id)).toEqual([young.id]);
      older.writeNow();
      await older.written;
      expect(await consume()).toBe(0); // written, not committed
      older.release();
      await older.done;
      expect(await changeFeedLag(f.database.db, 'older')).toBe(3);
      expect(await consume()).toBe(2); // the batch ends inside the older transaction's rows
      expect(await consume()).toBe(1);
      expect(await consume()).toBe(0);
      expect(await changeFeedLag(f.database.db, 'older')).toBe(0);
      expect(new Set(seen.map((e) => e.id)).size).toBe(4);
    } finally {
      older.writeNow();
      older.release();
      await older.done;
    }
  });

  it('two consumers with the same name in parallel never get the same entry twice', async () => {
    for (let i = 0; i < 30; i++) await f.store.create(patient(`par-${i}`));
    const seen: string[] = [];
    const worker = async () => {
      await until(async () => {
        while ((await consumeChangeFeed(f.database.db, 'shared', 4, async (e) => void seen.push(...e.map((x) => `${x.id}/${x.versionId}`)))) > 0);
        return (await changeFeedLag(f.database.db, 'shared')) === 0;
      });
    };
    await Promise.all([worker(), worker(), worker()]);
    expect(new Set(seen).size).toBe(seen.length);
    expect(await changeFeedLag(f.database.db, 'shared')).toBe(0);
  });
});
