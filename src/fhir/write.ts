/**
 * @module The one write path: current row + history row + change-feed row in one statement, then the
 * search index rows, all inside the caller's transaction. Every create/update/delete ends here.
 */
import type { Resource } from 'fhir/r4.js';
import { sql } from 'kysely';
import type { AnyDb } from '../db/index.js';
import { indexResource, removeIndex } from './search/index.js';
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

/** Writes one version. Must run inside a transaction (the store guarantees it). */
export async function writeVersion(trx: AnyDb, w: VersionWrite): Promise<void> {
  await writeVersions(trx, [w]);
}

/**
 * Writes several versions (of different resources) with one statement for the three tables, then
 * their index rows. Bundles use it so 100 creates cost one round trip, not 100.
 */
export async function writeVersions(trx: AnyDb, writes: readonly VersionWrite[]): Promise<void> {
  for (let i = 0; i < writes.length; i += MAX_ROWS_PER_STATEMENT) {
    await insertRows(trx, writes.slice(i, i + MAX_ROWS_PER_STATEMENT));
  }
  for (const w of writes) {
    if (w.operation === 'delete') await removeIndex(trx, w.resourceType, w.id);
    else await indexResource(trx, w.content);
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
      on conflict (resource_type, id) do update set version_id = excluded.version_id,
        last_updated = excluded.last_updated, deleted = excluded.deleted, content = excluded.content
      returning 1),
    hist as (
      insert into fhir_resource_history (resource_type, id, version_id, last_updated, deleted, operation, content)
      select resource_type, id, version_id, last_updated, deleted, operation, history_content from v
      returning 1)
    insert into fhir_change_feed (resource_type, id, version_id, operation, changed_at, source)
    select resource_type, id, version_id, operation, last_updated, source from v order by ord
  `.execute(trx);
}

function rowOf(w: VersionWrite, ord: number) {
  const deleted = w.operation === 'delete';
  const content = JSON.stringify(w.content);
  const historyContent = deleted
    ? JSON.stringify({ resourceType: w.resourceType, id: w.id, meta: { versionId: String(w.versionId), lastUpdated: w.lastUpdated.toISOString() } })
    : content;
  const source = w.source ? JSON.stringify(w.source) : null;
  return sql`(${w.resourceType}, ${w.id}, ${w.versionId}::int, ${w.lastUpdated}::timestamptz, ${deleted}::bool, ${w.operation}, ${content}::jsonb, ${historyContent}::jsonb, ${source}::jsonb, ${ord}::int)`;
}

export interface CurrentRow {
  version_id: number;
  deleted: boolean;
  content: Resource;
}

/** The current row, locked for the rest of the transaction (serialises writers of one resource). */
export async function lockCurrent(trx: AnyDb, type: string, id: string): Promise<CurrentRow | undefined> {
  const { rows } = await sql<CurrentRow>`
    select version_id, deleted, content from fhir_resource
    where resource_type = ${type} and id = ${id} for update`.execute(trx);
  return rows[0];
}

/**
 * Takes a transaction-scoped advisory lock on a key. Used where no row exists yet to lock (namespace 100 = fhir store in the two-key lock space):
 * update-as-create of one id, and conditional create/update of one query.
 */
export async function advisoryLock(trx: AnyDb, key: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(100, hashtext(${key}))`.execute(trx);
}
