/** @module Physical removal of a resource (patient erasure): current row, all versions, index rows. */
import { sql } from 'kysely';
import type { AnyDb } from '../db/index.js';
import { removeIndex } from './search/index.js';

export async function purgeResource(trx: AnyDb, type: string, id: string): Promise<void> {
  await sql`delete from fhir_resource where resource_type = ${type} and id = ${id}`.execute(trx);
  await sql`delete from fhir_resource_history where resource_type = ${type} and id = ${id}`.execute(trx);
  // Change-feed rows hold only type/id/version (no content) and stay: consumers may have cursors on them.
  await removeIndex(trx, type, id);
}
