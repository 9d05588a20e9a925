/**
 * Test support for the search room: a database with the store's tables (its own migrations) and
 * the search index tables, and a seeder that writes rows the way the store does (row + index in
 * one transaction) without the store's validation, so fixtures stay small.
 */
import type { Resource } from 'fhir/r4.js';
import { sql } from 'kysely';
import type { AnyDb, DatabaseKind } from '../../../src/db/index.js';
import { fhirMigrations, indexResource, removeIndex, searchMigrations } from '../../../src/fhir/index.js';
import { openTestDatabase, type TestDatabase } from '../../helpers/db.js';

export function openSearchDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  return openTestDatabase(kind, [...fhirMigrations, ...searchMigrations]);
}

export const BASE = 'http://cb.test/fhir';

/** Writes resources (version 1, or the next version when the id exists) with their index rows. */
export async function seed(db: AnyDb, resources: readonly Resource[], lastUpdated?: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const r of resources) {
      const at = lastUpdated ?? new Date().toISOString();
      const content = { ...r, meta: { ...r.meta, versionId: '1', lastUpdated: at } };
      await sql`insert into fhir_resource (resource_type, id, version_id, last_updated, deleted, content)
        values (${r.resourceType}, ${r.id as string}, 1, ${at}, false, ${JSON.stringify(content)}::jsonb)
        on conflict (resource_type, id) do update set version_id = fhir_resource.version_id + 1,
          content = excluded.content, last_updated = excluded.last_updated, deleted = false`.execute(trx);
      await indexResource(trx, r);
    }
  });
}

/** Marks a resource deleted the way the store does (row kept, flagged). */
export async function markDeleted(db: AnyDb, type: string, id: string, dropIndex = false): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`update fhir_resource set deleted = true where resource_type = ${type} and id = ${id}`.execute(trx);
    if (dropIndex) await removeIndex(trx, type, id);
  });
}

export function params(query: string): URLSearchParams {
  return new URLSearchParams(query);
}

/** `Type/id` of the match entries, in order. */
export function matchIds(bundle: { entry?: Array<{ resource?: { resourceType: string; id?: string }; search?: { mode?: string } }> }): string[] {
  return (bundle.entry ?? []).filter((e) => e.search?.mode === 'match').map((e) => `${e.resource?.resourceType}/${e.resource?.id}`);
}
