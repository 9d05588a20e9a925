/**
 * @module The one write path. A single resource's version goes as one call of `fhir_write_one`
 * (migration 0101): compare-and-set of the current row, history row, change-feed row and search
 * index rows in one statement. Bundles write many versions with one statement for the three
 * tables, then the index rows. Every create/update/delete ends here.
 */
import type { Resource } from 'fhir/r4.js';
import { CompiledQuery, sql } from 'kysely';
import { PREPARED, type AnyDb } from '../db/index.js';
import { CarebridgeError } from '../errors/index.js';
import { SELECT_CURRENT } from './read.js';
import { indexDocument } from './search/index.js';
import type { ChangeOperation, WriteSource } from './types.js';

export interface VersionWrite {
  readonly resourceType: string;
  readonly id: string;
  readonly versionId: number;
  readonly lastUpdated: Date;
  readonly operation: ChangeOperation;
  /** The stamped resource (for a delete: the last live content, kept on the current row). */
  readonly content: Resource;
  readonly source?: WriteSource;
}

const WRITE_ONE = `${PREPARED}select fhir_write_one($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) as ok`;

/**
 * Writes one version if the resource is still at `expected` (0 = absent); returns false, having
 * written nothing, when it is not. Atomic by itself: callers outside a transaction need none.
 */
export async function tryWriteVersion(db: AnyDb, w: VersionWrite, expected: number): Promise<boolean> {
  const { content, history, source } = serialised(w);
  const index = w.operation === 'delete' ? '{}' : indexDocument(w.content);
  // The history row of a live version is the content itself: sent once, parsed once (null = same).
  // A raw compiled query: the statement is fixed, so building it through the query builder on every
  // write is pure overhead.
  const result = await db.executeQuery<{ ok: boolean }>(
    CompiledQuery.raw(WRITE_ONE, [w.resourceType, w.id, expected, w.versionId, w.lastUpdated, w.operation, content, history === content ? null : history, source, index]),
  );
  return result.rows[0]?.ok === true;
}

const UPDATE_ONE = `${PREPARED}select outcome, version_id, content from fhir_update_one($1, $2, $3, $4, $5, $6, $7)`;

export type UpdateOneOutcome =
  | { outcome: 'absent' }
  | { outcome: 'conflict'; versionId: number }
  | { outcome: 'unchanged'; versionId: number; content: Resource }
  | { outcome: 'updated'; versionId: number };

/**
 * The next version of a live resource in one statement (fhir_update_one, migration 0102): the
 * database locks the current row, checks `ifMatch` (a version, or null), leaves a no-op alone and
 * otherwise writes `content` — stamped but for meta.versionId, which it sets — with its history,
 * change-feed and index rows. 'absent' (no live row) writes nothing. Atomic by itself.
 */
export async function tryUpdateExisting(db: AnyDb, type: string, id: string, ifMatch: string | null, lastUpdated: Date, content: Resource, source: WriteSource | undefined): Promise<UpdateOneOutcome> {
  const { rows } = await db.executeQuery<{ outcome: UpdateOneOutcome['outcome']; version_id: number | null; content: Resource | null }>(
    CompiledQuery.raw(UPDATE_ONE, [type, id, ifMatch, lastUpdated, JSON.stringify(content), source ? JSON.stringify(source) : null, indexDocument(content)]),
  );
  const row = rows[0];
  if (!row || row.outcome === 'absent') return { outcome: 'absent' };
  if (row.outcome === 'unchanged') return { outcome: 'unchanged', versionId: row.version_id!, content: row.content! };
  return { outcome: row.outcome, versionId: row.version_id! };
}

/**
 * Writes one version inside a transaction that already holds the resource's row lock (or the
 * advisory lock of its id), so the compare-and-set cannot fail unless that invariant is broken.
 */
export async function writeVersion(trx: AnyDb, w: VersionWrite, expected: number): Promise<void> {
  if (!(await tryWriteVersion(trx, w, expected))) {
    throw new CarebridgeError('CB_ERR_FHIR_CONFLICT', `${w.resourceType}/${w.id} changed concurrently; retry the request`);
  }
}

/**
 * Writes new resources (version 1 creates with fresh ids, as bundles prepare them): one statement
 * for the three tables and one for all their index rows, per chunk. Bundles use it so 100 creates
 * cost two round trips, not 100. An id that exists already fails the statement (unique violation).
 */
export async function writeVersions(trx: AnyDb, writes: readonly VersionWrite[], o: { changeFeed: boolean } = { changeFeed: true }): Promise<void> {
  for (const w of writes) {
    if (w.operation !== 'create' || w.versionId !== 1) throw new CarebridgeError('CB_ERR_INTERNAL', 'writeVersions takes first versions of new resources only');
  }
  for (let i = 0; i < writes.length; i += MAX_ROWS_PER_STATEMENT) {
    const chunk = writes.slice(i, i + MAX_ROWS_PER_STATEMENT);
    await insertRows(trx, chunk, o.changeFeed);
    const docs = chunk.map((w) => `{"type":${JSON.stringify(w.resourceType)},"id":${JSON.stringify(w.id)},"rows":${indexDocument(w.content)}}`);
    await trx.executeQuery(CompiledQuery.raw(`${PREPARED}select fhir_search_insert_many($1::jsonb)`, [`[${docs.join(',')}]`]));
  }
}

// writeUpdates: 10 parameters per row; PostgreSQL allows 65,535 per statement.
const MAX_ROWS_PER_STATEMENT = 500;

/**
 * The current, history and change-feed rows of new resources in one statement whose rows arrive as
 * ONE jsonb array (each content spliced in as the JSON text it already is): no per-value parameters
 * to build and bind, and each content is parsed once, by PostgreSQL. `o` keeps the change-feed seq
 * in the order of `writes`; without `changeFeed` (audit events) no feed row is written.
 */
async function insertRows(trx: AnyDb, writes: readonly VersionWrite[], changeFeed: boolean): Promise<void> {
  const rows = writes.map((w, n) => {
    const { content, source } = serialised(w);
    return `{"t":${JSON.stringify(w.resourceType)},"id":${JSON.stringify(w.id)},"u":"${w.lastUpdated.toISOString()}","o":${n},"c":${content}${source === null ? '' : `,"s":${source}`}}`;
  });
  await trx.executeQuery(CompiledQuery.raw(INSERT_NEW, [`[${rows.join(',')}]`, changeFeed]));
}

const INSERT_NEW = `${PREPARED}
  with v as (select * from jsonb_to_recordset($1::jsonb) as v(t text, id text, u timestamptz, o int, c jsonb, s jsonb)),
  cur as (
    insert into fhir_resource (resource_type, id, version_id, last_updated, deleted, content)
    select t, id, 1, u, false, c from v
    returning 1),
  hist as (
    insert into fhir_resource_history (resource_type, id, version_id, last_updated, deleted, operation, content)
    select t, id, 1, u, false, 'create', c from v
    returning 1)
  insert into fhir_change_feed (resource_type, id, version_id, operation, changed_at, source)
  select t, id, 1, 'create', u, s from v where $2::boolean order by o`;

/**
 * Writes new versions of existing resources whose rows this transaction holds locked (`expected` =
 * the locked current version): per chunk one statement for the current rows, history and change
 * feed, and one that replaces their index rows. The same rows as writeVersion, one change-feed row
 * per write in the order of `writes`; a bundle's 100 updates cost two round trips, not 100.
 */
export async function writeUpdates(trx: AnyDb, writes: ReadonlyArray<{ write: VersionWrite; expected: number }>): Promise<void> {
  for (const { write, expected } of writes) {
    if (write.operation !== 'update' || expected < 1 || write.versionId !== expected + 1) throw new CarebridgeError('CB_ERR_INTERNAL', 'writeUpdates takes the next version of a live resource only');
  }
  for (let i = 0; i < writes.length; i += MAX_ROWS_PER_STATEMENT) {
    const chunk = writes.slice(i, i + MAX_ROWS_PER_STATEMENT);
    const { rows } = await sql<{ updated: string | number }>`
      with v (resource_type, id, version_id, last_updated, deleted, operation, content, source, ord, expected) as (
        values ${sql.join(chunk.map(({ write, expected }, n) => rowOf(write, n, expected)))}),
      cur as (
        update fhir_resource r set version_id = v.version_id, last_updated = v.last_updated, deleted = false, content = v.content
        from v where r.resource_type = v.resource_type and r.id = v.id and r.version_id = v.expected
        returning 1),
      hist as (
        insert into fhir_resource_history (resource_type, id, version_id, last_updated, deleted, operation, content)
        select resource_type, id, version_id, last_updated, deleted, operation, content from v
        returning 1),
      feed as (
        insert into fhir_change_feed (resource_type, id, version_id, operation, changed_at, source)
        select resource_type, id, version_id, operation, last_updated, source from v order by ord
        returning 1)
      select count(*) as updated from cur
    `.execute(trx);
    if (Number(rows[0]?.updated) !== chunk.length) {
      // Rows are locked by the caller, so this means a broken invariant; the transaction rolls back.
      throw new CarebridgeError('CB_ERR_FHIR_CONFLICT', 'A resource of the bundle changed concurrently; retry the request');
    }
    const docs = chunk.map(({ write: w }) => `{"type":${JSON.stringify(w.resourceType)},"id":${JSON.stringify(w.id)},"rows":${indexDocument(w.content)}}`);
    await trx.executeQuery(CompiledQuery.raw('select fhir_search_replace_many($1::jsonb)', [`[${docs.join(',')}]`]));
  }
}

/**
 * The current rows of `keys`, locked for the rest of the transaction, in one statement. Rows are
 * locked in (resource_type, id) order whatever the order of `keys`, so two bundles locking
 * overlapping sets queue instead of deadlocking. Absent keys are absent from the map.
 */
export async function lockCurrentMany(trx: AnyDb, keys: ReadonlyArray<{ type: string; id: string }>): Promise<Map<string, CurrentRow>> {
  const { rows } = await trx.executeQuery<CurrentRow & { resource_type: string; id: string }>(CompiledQuery.raw(
    `select resource_type, id, version_id, deleted, content from fhir_resource
      where (resource_type, id) in (select * from unnest($1::text[], $2::text[]))
      order by resource_type, id for update`,
    [keys.map((k) => k.type), keys.map((k) => k.id)],
  ));
  return new Map(rows.map((r) => [`${r.resource_type}/${r.id}`, { version_id: r.version_id, deleted: r.deleted, content: r.content }]));
}

/** The jsonb texts of a write: current content, history content (a stub for a delete), source. */
function serialised(w: VersionWrite): { content: string; history: string; source: string | null } {
  const content = JSON.stringify(w.content);
  const history = w.operation === 'delete'
    ? JSON.stringify({ resourceType: w.resourceType, id: w.id, meta: { versionId: String(w.versionId), lastUpdated: w.lastUpdated.toISOString() } })
    : content;
  return { content, history, source: w.source ? JSON.stringify(w.source) : null };
}

/**
 * One row of writeVersions / writeUpdates; `expected` (writeUpdates): the locked current version, a
 * tenth column. Both take live versions only, whose history row is the content itself: it is sent
 * and parsed once.
 */
function rowOf(w: VersionWrite, ord: number, expected?: number) {
  const { content, source } = serialised(w);
  const tail = expected === undefined ? sql`` : sql`, ${expected}::int`;
  return sql`(${w.resourceType}, ${w.id}, ${w.versionId}::int, ${w.lastUpdated}::timestamptz, ${w.operation === 'delete'}::bool, ${w.operation}, ${content}::jsonb, ${source}::jsonb, ${ord}::int${tail})`;
}

export interface CurrentRow {
  version_id: number;
  deleted: boolean;
  content: Resource;
}

/** The current row, locked for the rest of the transaction (serialises writers of one resource). */
export async function lockCurrent(trx: AnyDb, type: string, id: string): Promise<CurrentRow | undefined> {
  const { rows } = await trx.executeQuery<CurrentRow>(CompiledQuery.raw(`${SELECT_CURRENT} for update`, [type, id]));
  return rows[0];
}

/** The current row without a lock (for a compare-and-set write that re-checks the version). */
export async function readCurrentRow(db: AnyDb, type: string, id: string): Promise<CurrentRow | undefined> {
  const { rows } = await db.executeQuery<CurrentRow>(CompiledQuery.raw(SELECT_CURRENT, [type, id]));
  return rows[0];
}


/**
 * Takes a transaction-scoped advisory lock on a key. Used where no row exists yet to lock (namespace 100 = fhir store in the two-key lock space):
 * conditional create/update/delete of one query.
 */
export async function advisoryLock(trx: AnyDb, key: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(100, hashtext(${key}))`.execute(trx);
}
