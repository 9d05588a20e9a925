/**
 * @module The outbox table's operations: enqueue (inside the caller's transaction), claim the head
 * row per (destination, ordering key) with `FOR UPDATE SKIP LOCKED`, settle, dead-letter, replay.
 *
 * Ordering rule: a row is claimable only when no earlier row with the same destination and ordering
 * key is still open (pending or in flight), so a later update to a patient never overtakes an
 * earlier one, while different patients are claimed side by side. A dead-lettered row no longer
 * blocks its successors (one poison message must not stall a patient forever); replaying it later
 * delivers it after them, which the admin sees in the dead-letter list.
 */
import { sql, type AnyDb } from '../db/index.js';
import type { OutboundTables } from './tables.js';
import type { OutboxInsert, OutboxMessage, OutboxRowSummary, OutboxStatus, OutboundPayload } from './types.js';

const tables = (db: AnyDb) => db.withTables<OutboundTables>();

/**
 * Adds outbox rows in the caller's transaction (so they commit or roll back with the change that
 * caused them). A row whose (destination, idempotency key) already exists is skipped, which makes a
 * consumer that re-runs a batch harmless. Returns how many rows were added.
 */
export async function enqueueOutbound(trx: AnyDb, rows: OutboxInsert | readonly OutboxInsert[]): Promise<number> {
  const list = Array.isArray(rows) ? (rows as readonly OutboxInsert[]) : [rows as OutboxInsert];
  if (list.length === 0) return 0;
  const result = await tables(trx)
    .insertInto('outbound_message')
    .values(
      list.map((r) => ({
        destination: r.destination,
        ordering_key: r.orderingKey,
        idempotency_key: r.idempotencyKey,
        rule: r.rule ?? null,
        resource_type: r.resourceType ?? null,
        resource_id: r.resourceId ?? null,
        version_id: r.versionId ?? null,
        change_seq: r.changeSeq ?? null,
        payload: JSON.stringify(r.payload),
        committed_at: r.committedAt ?? null,
        ...(r.deadReason ? { status: 'dead', last_error: clip(r.deadReason, 500) } : {}),
      })),
    )
    .onConflict((oc) => oc.columns(['destination', 'idempotency_key']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0);
}

interface ClaimedRow {
  id: number;
  destination: string;
  ordering_key: string;
  idempotency_key: string;
  payload: OutboundPayload;
  rule: string | null;
  resource_type: string | null;
  resource_id: string | null;
  attempts: number;
  created_at: Date;
  committed_at: Date | null;
}

export interface ClaimOptions {
  readonly destination: string;
  readonly limit: number;
  readonly workerId: string;
  readonly now: Date;
  /** A claim not settled by then is free to take again (the worker that held it died). */
  readonly leaseUntil: Date;
}

/** Claims up to `limit` due head rows for one destination and marks them in flight. */
export async function claimOutboxMessages(db: AnyDb, o: ClaimOptions): Promise<OutboxMessage[]> {
  if (o.limit <= 0) return [];
  // The head (lowest id) of each open (destination, ordering key) chain comes from one ordered
  // index scan (DISTINCT ON); only heads that are due are locked. A head another process holds is
  // skipped, and nothing behind it is even considered, which is what keeps per-key order.
  const { rows } = await sql<ClaimedRow>`
    with heads as (
      select distinct on (ordering_key) id, status, next_attempt_at, locked_until
        from outbound_message
       where destination = ${o.destination} and status in ('pending', 'in_flight')
       order by ordering_key, id
    ),
    candidates as (
      select m.id from outbound_message m
       where m.id in (
               select id from heads
                where (status = 'pending' and next_attempt_at <= ${o.now}) or (status = 'in_flight' and locked_until < ${o.now})
                order by id limit ${o.limit * 2})
         and ((m.status = 'pending' and m.next_attempt_at <= ${o.now}) or (m.status = 'in_flight' and m.locked_until < ${o.now}))
       order by m.id
       limit ${o.limit}
       for update skip locked
    )
    update outbound_message m
       set status = 'in_flight', attempts = m.attempts + 1, locked_by = ${o.workerId}, locked_until = ${o.leaseUntil}
      from candidates c
     where m.id = c.id
    returning m.id, m.destination, m.ordering_key, m.idempotency_key, m.payload, m.rule, m.resource_type,
              m.resource_id, m.attempts, m.created_at, m.committed_at`.execute(db);
  return rows
    .sort((a, b) => a.id - b.id)
    .map((r) => ({
      id: r.id,
      destination: r.destination,
      orderingKey: r.ordering_key,
      idempotencyKey: r.idempotency_key,
      payload: r.payload,
      rule: r.rule ?? undefined,
      resourceType: r.resource_type ?? undefined,
      resourceId: r.resource_id ?? undefined,
      attempt: r.attempts,
      createdAt: new Date(r.created_at),
      committedAt: r.committed_at ? new Date(r.committed_at) : undefined,
    }));
}

/** Settles a claimed row as delivered. False when this worker no longer holds the claim. */
export async function markDelivered(db: AnyDb, id: number, workerId: string, at: Date, status?: number): Promise<boolean> {
  const r = await tables(db)
    .updateTable('outbound_message')
    .set({ status: 'delivered', delivered_at: at, locked_by: null, locked_until: null, last_status: status ?? null })
    .where('id', '=', id)
    .where('locked_by', '=', workerId)
    .where('status', '=', 'in_flight')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Puts a claimed row back to wait for its next attempt. */
export async function markRetry(db: AnyDb, id: number, workerId: string, next: Date, error: string, status?: number, response?: string): Promise<boolean> {
  const r = await tables(db)
    .updateTable('outbound_message')
    .set({ status: 'pending', next_attempt_at: next, locked_by: null, locked_until: null, last_error: clip(error, 500), last_status: status ?? null, last_response: response === undefined ? null : clip(response, 4000) })
    .where('id', '=', id)
    .where('locked_by', '=', workerId)
    .where('status', '=', 'in_flight')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Dead-letters a claimed row, keeping the destination's answer for the admin. */
export async function markDead(db: AnyDb, id: number, workerId: string, error: string, status?: number, response?: string): Promise<boolean> {
  const r = await tables(db)
    .updateTable('outbound_message')
    .set({ status: 'dead', locked_by: null, locked_until: null, last_error: clip(error, 500), last_status: status ?? null, last_response: response === undefined ? null : clip(response, 4000) })
    .where('id', '=', id)
    .where('locked_by', '=', workerId)
    .where('status', '=', 'in_flight')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Hands a claim back untouched (shutdown before sending): the attempt is not counted. */
export async function releaseClaim(db: AnyDb, id: number, workerId: string): Promise<void> {
  await sql`update outbound_message set status = 'pending', attempts = greatest(attempts - 1, 0), locked_by = null, locked_until = null
            where id = ${id} and locked_by = ${workerId} and status = 'in_flight'`.execute(db);
}

export interface ListOptions {
  readonly destination?: string;
  readonly status?: OutboxStatus;
  readonly afterId?: number;
  readonly limit?: number;
}

export async function listOutboxMessages(db: AnyDb, o: ListOptions = {}): Promise<OutboxRowSummary[]> {
  let q = tables(db).selectFrom('outbound_message').select([
    'id', 'destination', 'status', 'ordering_key', 'idempotency_key', 'rule', 'resource_type', 'resource_id',
    'attempts', 'last_error', 'last_status', 'created_at', 'next_attempt_at',
  ]);
  if (o.destination) q = q.where('destination', '=', o.destination);
  if (o.status) q = q.where('status', '=', o.status);
  if (o.afterId !== undefined) q = q.where('id', '>', o.afterId);
  const rows = await q.orderBy('id').limit(Math.min(o.limit ?? 100, 1000)).execute();
  return rows.map((r) => ({
    id: r.id,
    destination: r.destination,
    status: r.status as OutboxStatus,
    orderingKey: r.ordering_key,
    idempotencyKey: r.idempotency_key,
    rule: r.rule ?? undefined,
    resource: r.resource_type ? `${r.resource_type}/${r.resource_id}` : undefined,
    attempts: r.attempts,
    lastError: r.last_error ?? undefined,
    lastStatus: r.last_status ?? undefined,
    createdAt: new Date(r.created_at).toISOString(),
    nextAttemptAt: new Date(r.next_attempt_at).toISOString(),
  }));
}

/**
 * Puts dead letters back in the queue with a fresh attempt budget and the same idempotency key (a
 * receiver that did get an earlier try can still dedupe). Either the given ids or every dead
 * letter of a destination, at most `limit` per call; returns the ids requeued.
 */
export async function replayDeadLetters(db: AnyDb, o: { destination?: string; ids?: readonly number[]; limit?: number; now: Date }): Promise<number[]> {
  if (!o.destination && !o.ids?.length) return [];
  const limit = o.limit ?? 500;
  const { rows } = await sql<{ id: number }>`
    with picked as (
      select id from outbound_message
      where status = 'dead'
        and (${o.destination ?? null}::text is null or destination = ${o.destination ?? null})
        and (${o.ids ? o.ids.length : 0} = 0 or id = any(${o.ids ? [...o.ids] : []}::bigint[]))
      order by id limit ${limit}
      for update skip locked
    )
    update outbound_message m set status = 'pending', attempts = 0, next_attempt_at = ${o.now},
           last_error = null, last_status = null, last_response = null
      from picked where m.id = picked.id
    returning m.id`.execute(db);
  return rows.map((r) => r.id).sort((a, b) => a - b);
}

export interface DestinationCounts {
  readonly pending: number;
  readonly inFlight: number;
  /** Pending rows that already failed at least once (waiting for a retry). */
  readonly failed: number;
  readonly deadLettered: number;
}

/** Open and dead rows per destination (delivered rows are not counted: that set only grows). */
export async function countByDestination(db: AnyDb): Promise<Map<string, DestinationCounts>> {
  const { rows } = await sql<{ destination: string; pending: number; in_flight: number; failed: number; dead: number }>`
    select destination,
           count(*) filter (where status = 'pending')::int as pending,
           count(*) filter (where status = 'in_flight')::int as in_flight,
           count(*) filter (where status = 'pending' and attempts > 0)::int as failed,
           count(*) filter (where status = 'dead')::int as dead
      from outbound_message where status <> 'delivered' group by destination`.execute(db);
  return new Map(rows.map((r) => [r.destination, { pending: r.pending, inFlight: r.in_flight, failed: r.failed, deadLettered: r.dead }]));
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}
