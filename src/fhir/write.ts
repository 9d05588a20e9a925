/**
 * @module The one write path. A single resource's version goes as one call of `fhir_write_one`
 * (migration 0101): compare-and-set of the current row, history row, change-feed row and search
 * index rows in one statement. Bundles write many versions with one statement for the three
 * tables, then the index rows. Every create/update/delete ends here.
 */
import type { Resource } from 'fhir/r4.js';
import { CompiledQuery, sql } from 'kysely';
import type { AnyDb } from '../db/index.js';
import { CarebridgeError } from '../errors/index.js';
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

const WRITE_ONE = 'select fhir_write_one($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) as ok';

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
export async function writeVersions(trx: AnyDb, writes: readonly VersionWrite[]): Promise<void> {
  for (const w of writes) {
    if (w.operation !== 'create' || w.versionId !== 1) throw new CarebridgeError('CB_ERR_INTERNAL', 'writeVersions takes first versions of new resources only');
  }
  for (let i = 0; i < writes.length; i += MAX_ROWS_PER_STATEMENT) {
    const chunk = writes.slice(i, i + MAX_ROWS_PER_STATEMENT);
    await insertRows(trx, chunk);
    const docs = chunk.map((w) => `{"type":${JSON.stringify(w.resourceType)},"id":${JSON.stringify(w.id)},"rows":${indexDocument(w.content)}}`);
    await trx.executeQuery(CompiledQuery.raw('select fhir_search_insert_many($1::jsonb)', [`[${docs.join(',')}]`]));
  }
}

// 10 parameters per row; PostgreSQL allows 65,535 per statement.
const MAX_ROWS_PER_STATEMENT = 500;

async function insertRows(trx: AnyDb, writes: readonly VersionWrite[]): Promise<void> {
  // `ord` keeps the change-feed seq in the order of `writes`.
  await sql`
    with v (resource_type, id, version_id, last_updated, deleted, operation, content, history_content, source, ord) as (
      values ${sql.join(writes.map((w, n) => rowOf(w, n)))}),
    cur as (
      insert into fhir_resource (resource_type, id, version_id, last_updated, deleted, content)
      select resource_type, id, version_id, last_updated, deleted, content from v
      returning 1),
    hist as (
      insert into fhir_resource_history (resource_type, id, version_id, last_updated, deleted, operation, content)
      select resource_type, id, version_id, last_updated, deleted, operation, history_content from v
      returning 1)
    insert into fhir_change_feed (resource_type, id, version_id, operation, changed_at, source)
    select resource_type, id, version_id, operation, last_updated, source from v order by ord
  `.execute(trx);
}

/** The jsonb texts of a write: current content, history content (a stub for a delete), source. */
function serialised(w: VersionWrite): { content: string; history: string; source: string | null } {
  const content = JSON.stringify(w.content);
  const history = w.operation === 'delete'
    ? JSON.stringify({ resourceType: w.resourceType, id: w.id, meta: { versionId: String(w.versionId), lastUpdated: w.lastUpdated.toISOString() } })
    : content;
  return { content, history, source: w.source ? JSON.stringify(w.source) : null };
}

function rowOf(w: VersionWrite, ord: number) {
  const { content, history, source } = serialised(w);
  return sql`(${w.resourceType}, ${w.id}, ${w.versionId}::int, ${w.lastUpdated}::timestamptz, ${w.operation === 'delete'}::bool, ${w.operation}, ${content}::jsonb, ${history}::jsonb, ${source}::jsonb, ${ord}::int)`;
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

const SELECT_CURRENT = 'select version_id, deleted, content from fhir_resource where resource_type = $1 and id = $2';

/**
 * Takes a transaction-scoped advisory lock on a key. Used where no row exists yet to lock (namespace 100 = fhir store in the two-key lock space):
 * update-as-create of one id, and conditional create/update of one query.
 */
export async function advisoryLock(trx: AnyDb, key: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(100, hashtext(${key}))`.execute(trx);
}
