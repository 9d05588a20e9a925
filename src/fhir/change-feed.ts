/**
 * @module The change-feed reader (CONTRACTS §1). Safe with several consumers and processes:
 *
 * - the consumer's cursor row is locked FOR UPDATE, so one batch per consumer runs at a time and
 *   `fn`'s own writes commit together with the cursor move (exactly once for db effects);
 * - the cursor is the pair (txid, seq), read in that order. A plain seq cursor would skip a row whose
 *   transaction took a lower seq but committed after a higher one had been consumed;
 * - the cursor may move past a transaction that is still open (its rows are not visible yet), and
 *   then remembers it (`open_txids`, from the snapshot the batch was read with) until it has ended
 *   and its rows were handed out. Transaction ids are cluster-wide: waiting instead for every lower
 *   transaction id to end (the snapshot's xmin) held the whole feed back for as long as ANY write
 *   transaction on the server was open, another database's included (a CREATE DATABASE copying a
 *   template, a long import, a session left idle in a transaction).
 *
 * Consequence for consumers: entries come in transaction-id order within a batch, and a transaction
 * that commits after younger ones were handed out comes later; so two versions of one resource
 * written by different transactions can arrive out of version order (rare). Act on the current
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

/** A transaction the cursor moved past while it was open, and the last seq of it handled since. */
interface OpenTxid {
  txid: string;
  seq: number;
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
  const n = Math.max(1, limit);
  return db.transaction().execute(async (t) => {
    const trx = t as unknown as AnyDb;
    const { rows: cursors } = await sql<{ last_txid: string; last_seq: number; open_txids: OpenTxid[] }>`
      select last_txid::text as last_txid, last_seq, open_txids from fhir_change_feed_cursor where consumer = ${consumer} for update`.execute(trx);
    const cursor = cursors[0] ?? { last_txid: '0', last_seq: 0, open_txids: [] };
    // The rows after the cursor and the rows of remembered transactions that have committed since
    // (their txids are below the cursor, so they come first), with the snapshot they were read
    // with: the same statement, so "in progress" below means invisible to this read.
    const { rows: read } = await sql<FeedRow & { snapshot: string; own: string | null }>`
      select s.snapshot, s.own, f.seq, f.txid::text as txid, f.resource_type, f.id, f.version_id, f.operation, f.changed_at, f.source
      from (select pg_current_snapshot()::text as snapshot, pg_current_xact_id_if_assigned()::text as own) s
      left join lateral (
        select * from (
          (select seq, txid, resource_type, id, version_id, operation, changed_at, source from fhir_change_feed
            where (txid, seq) > (${cursor.last_txid}::xid8, ${cursor.last_seq})
            order by txid, seq limit ${n})
          union all
          (select e.seq, e.txid, e.resource_type, e.id, e.version_id, e.operation, e.changed_at, e.source
             from jsonb_to_recordset(${JSON.stringify(cursor.open_txids)}::jsonb) as o(txid xid8, seq bigint)
             cross join lateral (select * from fhir_change_feed e where e.txid = o.txid and e.seq > o.seq order by e.seq limit ${n}) e)
        ) u order by txid, seq limit ${n}
      ) f on true
      order by f.txid, f.seq`.execute(trx);
    const rows = read.filter((r) => r.seq !== null);
    const next = advance(cursor, rows, n, read[0]!.snapshot, read[0]!.own);
    if (rows.length > 0) await fn(rows.map(toEntry), trx);
    if (rows.length > 0 || next.openChanged) {
      await sql`
        update fhir_change_feed_cursor set last_txid = ${next.txid}::xid8, last_seq = ${next.seq}, open_txids = ${JSON.stringify(next.open)}::jsonb, updated_at = now()
        where consumer = ${consumer}`.execute(trx);
    }
    return rows.length;
  });
}

/**
 * The cursor after handing out `rows` (in (txid, seq) order, at most `limit`) read with `snapshot`
 * ('xmin:xmax:xip,…'). A remembered transaction is forgotten once it has ended and all its rows
 * were handed out (the batch was not cut at or before it); every transaction still open below the
 * new position is remembered (this one's own too: rows it writes in `fn` are not in the batch).
 */
function advance(cursor: { last_txid: string; last_seq: number; open_txids: OpenTxid[] }, rows: readonly FeedRow[], limit: number, snapshot: string, own: string | null) {
  const [xmin, xmax, xip] = snapshot.split(':') as [string, string, string];
  const running = new Set(xip ? xip.split(',').map(BigInt) : []);
  if (own) running.add(BigInt(own));
  const ended = (x: bigint) => x < BigInt(xmin) || (x < BigInt(xmax) && !running.has(x));
  const last = rows[rows.length - 1];
  let txid = BigInt(cursor.last_txid);
  let seq = cursor.last_seq;
  if (last && (BigInt(last.txid) > txid || (BigInt(last.txid) === txid && last.seq > seq))) {
    txid = BigInt(last.txid);
    seq = last.seq;
  }
  const cut = rows.length >= limit && last ? BigInt(last.txid) : undefined;
  const open = new Map(cursor.open_txids.map((o) => [BigInt(o.txid), Number(o.seq)]));
  let openChanged = false;
  for (const r of rows) if (open.has(BigInt(r.txid))) open.set(BigInt(r.txid), r.seq);
  for (const x of [...open.keys()]) if (ended(x) && (cut === undefined || cut > x)) openChanged = open.delete(x);
  for (const x of running) if (x < txid && !open.has(x)) openChanged = Boolean(open.set(x, 0));
  return { txid: String(txid), seq, open: [...open].map(([x, s]): OpenTxid => ({ txid: String(x), seq: s })), openChanged };
}

/** How many feed entries this consumer has not handled yet (for lag gauges). */
export async function changeFeedLag(db: AnyDb, consumer: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    with c as (
      select last_txid, last_seq, open_txids from fhir_change_feed_cursor where consumer = ${consumer}
      union all select '0'::xid8, 0::bigint, '[]'::jsonb where not exists (select 1 from fhir_change_feed_cursor where consumer = ${consumer}))
    select ((select count(*) from c join fhir_change_feed f on (f.txid, f.seq) > (c.last_txid, c.last_seq))
          + (select count(*) from c cross join jsonb_to_recordset(c.open_txids) as o(txid xid8, seq bigint)
                               join fhir_change_feed f on f.txid = o.txid and f.seq > o.seq))::int as n`.execute(db);
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
