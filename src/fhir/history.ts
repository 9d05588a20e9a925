/**
 * @module History (http://hl7.org/fhir/R4/http.html#history): instance, type and system level,
 * newest first, with `_count`, `_since` and keyset paging (a cursor, never OFFSET).
 */
import type { Bundle, BundleEntry, FhirResource, Resource } from 'fhir/r4.js';
import { sql, type RawBuilder } from 'kysely';
import type { AnyDb } from '../db/index.js';
import { CarebridgeError } from '../errors/index.js';
import type { HistoryOptions } from './types.js';

interface HistoryRow {
  resource_type: string;
  id: string;
  version_id: number;
  last_updated: Date;
  deleted: boolean;
  operation: string;
  content: Resource;
}

type Cursor = [string, string, string, number]; // lastUpdated ISO, type, id, versionId

const DEFAULT_COUNT = 50;
const MAX_COUNT = 1000;

export async function readHistory(db: AnyDb, type: string | undefined, id: string | undefined, o: HistoryOptions = {}): Promise<Bundle> {
  const count = Math.min(Math.max(o.count ?? DEFAULT_COUNT, 0), MAX_COUNT);
  const cursor = o.cursor ? decodeCursor(o.cursor) : undefined;
  const conditions: RawBuilder<unknown>[] = [];
  if (type) conditions.push(sql`resource_type = ${type}`);
  if (id) conditions.push(sql`id = ${id}`);
  if (o.since) conditions.push(sql`last_updated >= ${o.since}`);
  if (cursor) {
    conditions.push(sql`(last_updated, resource_type, id, version_id) < (${new Date(cursor[0])}, ${cursor[1]}, ${cursor[2]}, ${cursor[3]})`);
  }
  const where = conditions.length ? sql`where ${sql.join(conditions, sql` and `)}` : sql``;
  const { rows } = await sql<HistoryRow>`
    select resource_type, id, version_id, last_updated, deleted, operation, content from fhir_resource_history ${where}
    order by last_updated desc, resource_type desc, id desc, version_id desc limit ${count + 1}`.execute(db);
  const page = rows.slice(0, count);
  const base = o.baseUrl ?? 'urn:carebridge:fhir';
  const path = [type, id, '_history'].filter(Boolean).join('/');
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'history',
    link: [{ relation: 'self', url: pageUrl(base, path, count, o.since, o.cursor) }],
    entry: page.map((row) => historyEntry(row, base)),
  };
  if (id && type && !cursor) bundle.total = await countVersions(db, type, id, o.since);
  const last = page[page.length - 1];
  if (rows.length > count && last) {
    const next: Cursor = [new Date(last.last_updated).toISOString(), last.resource_type, last.id, last.version_id];
    bundle.link!.push({ relation: 'next', url: pageUrl(base, path, count, o.since, encodeCursor(next)) });
  }
  return bundle;
}

async function countVersions(db: AnyDb, type: string, id: string, since: Date | undefined): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    select count(*)::int as n from fhir_resource_history
    where resource_type = ${type} and id = ${id} ${since ? sql`and last_updated >= ${since}` : sql``}`.execute(db);
  return rows[0]?.n ?? 0;
}

function historyEntry(row: HistoryRow, base: string): BundleEntry {
  const lastModified = new Date(row.last_updated).toISOString();
  const method = row.operation === 'create' ? 'POST' : row.operation === 'delete' ? 'DELETE' : 'PUT';
  const status = row.operation === 'create' ? '201 Created' : row.operation === 'delete' ? '204 No Content' : '200 OK';
  return {
    fullUrl: `${base}/${row.resource_type}/${row.id}`,
    ...(row.deleted ? {} : { resource: row.content as FhirResource }),
    request: { method, url: method === 'POST' ? row.resource_type : `${row.resource_type}/${row.id}` },
    response: { status, etag: `W/"${row.version_id}"`, lastModified },
  };
}

function pageUrl(base: string, path: string, count: number, since: Date | undefined, cursor: string | undefined): string {
  const q = new URLSearchParams({ _count: String(count) });
  if (since) q.set('_since', since.toISOString());
  if (cursor) q.set('_cursor', cursor);
  return `${base}/${path}?${q.toString()}`;
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(text: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(c) && c.length === 4 && typeof c[0] === 'string' && typeof c[1] === 'string' && typeof c[2] === 'string' && typeof c[3] === 'number' && !Number.isNaN(Date.parse(c[0]))) {
      return c as Cursor;
    }
  } catch {
    // fall through to the error below
  }
  throw new CarebridgeError('CB_ERR_BAD_REQUEST', 'Invalid _cursor', { details: [{ diagnostics: 'Invalid _cursor', expression: '_cursor' }] });
}
