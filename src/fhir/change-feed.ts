/**
 * @module The change-feed reader (CONTRACTS §1). Safe with several consumers and processes:
 *
 * - the consumer's cursor row is locked FOR UPDATE, so one batch per consumer runs at a time and
 *   `fn`'s own writes commit together with the cursor move (exactly once for db effects);
 * - only rows whose txid is below `pg_snapshot_xmin(pg_current_snapshot())` are read: every
 *   transaction below that horizon has finished, so the set of such rows can no longer grow;
 * - the cursor is the pair (txid, seq), read in that order. A plain seq cursor would skip a row whose
 *   transaction took a lower seq but committed after a higher one had been consumed.
 *
 * Consequence for consumers: entries come in transaction-id order, not commit order, so two versions
 * of one resource written by different transactions can arrive out of version order (rare: the
 * later writer must have taken its transaction id before the earlier one). Act on the current
 * version (`store.read`), or ignore an entry whose versionId is below one already handled.
 *
 * Every write appends an entry, except `store.createMany(…, { changeFeed: false })`: the audit
 * trail's AuditEvents (write-once, acted on by no consumer) are not in the feed.
 */
import { sql } from 'kysely';
import type { AnyDb } from '../db/index.js';
import type { ChangeFeedEntry, ChangeOperation, WriteSource } from './types.js';

interface FeedRow {
  seq: number;
  txid: string;
  resource_type: string;
  id: string;
  version_id: number;
  operation: string;
  changed_at: Date;
  source: WriteSource | null;
}

/**
 * Claims the next batch after this consumer's cursor, runs `fn` in the same transaction and
 * advances the cursor when `fn` succeeds. Returns the number of entries handled (0 = caught up).
 * If `fn` throws, nothing is committed and the same batch is offered again next time.
 */
export async function consumeChangeFeed(
  db: AnyDb,
  consumer: string,
  limit: number,
  fn: (entries: ChangeFeedEntry[], trx: AnyDb) => Promise<void>,
): Promise<number> {
  // Make sure the cursor row exists before the transaction that locks it (harmless when it does).
  await sql`insert into fhir_change_feed_cursor (consumer) values (${consumer}) on conflict (consumer) do nothing`.execute(db);
  return db.transaction().execute(async (t) => {
    const trx = t as unknown as AnyDb;
    const { rows: cursors } = await sql<{ last_txid: string; last_seq: number }>`
      select last_txid::text as last_txid, last_seq from fhir_change_feed_cursor where consumer = ${consumer} for update`.execute(trx);
    const cursor = cursors[0] ?? { last_txid: '0', last_seq: 0 };
    const { rows } = await sql<FeedRow>`
      select seq, txid::text as txid, resource_type, id, version_id, operation, changed_at, source
      from fhir_change_feed
      where (txid, seq) > (${cursor.last_txid}::xid8, ${cursor.last_seq})
        and txid < pg_snapshot_xmin(pg_current_snapshot())
      order by txid, seq
      limit ${Math.max(1, limit)}`.execute(trx);
    if (rows.length === 0) return 0;
    await fn(rows.map(toEntry), trx);
    const last = rows[rows.length - 1]!;
    await sql`
      update fhir_change_feed_cursor set last_txid = ${last.txid}::xid8, last_seq = ${last.seq}, updated_at = now()
      where consumer = ${consumer}`.execute(trx);
    return rows.length;
  });
}

/** How many feed entries this consumer has not handled yet (for lag gauges). */
export async function changeFeedLag(db: AnyDb, consumer: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from fhir_change_feed f
    where (f.txid, f.seq) > coalesce(
      (select (c.last_txid, c.last_seq) from fhir_change_feed_cursor c where c.consumer = ${consumer}),
      ('0'::xid8, 0::bigint))`.execute(db);
  return rows[0]?.n ?? 0;
}

function toEntry(row: FeedRow): ChangeFeedEntry {
  return {
    seq: row.seq,
    resourceType: row.resource_type,
    id: row.id,
    versionId: row.version_id,
    operation: row.operation as ChangeOperation,
    changedAt: new Date(row.changed_at),
    ...(row.source ? { source: row.source } : {}),
  };
}
