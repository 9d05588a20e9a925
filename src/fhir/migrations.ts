/**
 * @module Tables of the FHIR store (migration range 0100): current versions, every version, and the
 * change feed every write appends to (CONTRACTS §1).
 */
import { sql } from 'kysely';
import type { Migration } from '../db/index.js';

const DDL = `
  create table fhir_resource (
    resource_type text not null, id text not null, version_id int not null,
    last_updated timestamptz not null, deleted bool not null default false, content jsonb not null,
    primary key (resource_type, id));
  create index fhir_resource_last_updated on fhir_resource (resource_type, last_updated);

  create table fhir_resource_history (
    resource_type text not null, id text not null, version_id int not null,
    last_updated timestamptz not null, deleted bool not null default false, operation text not null,
    content jsonb not null,
    primary key (resource_type, id, version_id));
  create index fhir_resource_history_time on fhir_resource_history (last_updated, resource_type, id, version_id);
  create index fhir_resource_history_type_time on fhir_resource_history (resource_type, last_updated, id, version_id);

  create table fhir_change_feed (
    seq bigserial primary key, txid xid8 not null default pg_current_xact_id(),
    resource_type text not null, id text not null, version_id int not null, operation text not null,
    changed_at timestamptz not null default now(), source jsonb);
  create index fhir_change_feed_txid on fhir_change_feed (txid, seq);

  create table fhir_change_feed_cursor (
    consumer text primary key, last_txid xid8 not null default '0', last_seq bigint not null default 0,
    updated_at timestamptz not null default now())
`;

export const fhirMigrations: Migration[] = [
  {
    name: '0100_fhir_store_tables',
    async up(db) {
      // One statement per call: PGlite's extended protocol takes a single statement.
      for (const statement of DDL.split(';').map((s) => s.trim()).filter(Boolean)) {
        await sql.raw(statement).execute(db);
      }
    },
  },
  {
    // A single write (create, update, delete of one resource) as ONE statement: compare-and-set on
    // the current row, history row, change-feed row and the search index rows (through
    // fhir_search_insert/_replace, migrations 0151-0152, resolved at call time). Called outside an explicit
    // transaction it is atomic by itself, so a REST write costs one round trip instead of five
    // (BEGIN, lock, row, index, COMMIT). Returns false, writing nothing, when the current version
    // is not `p_expected` (0 = the resource must not exist yet); the caller re-reads and retries.
    // p_history null = the history row holds p_content (every version but a deletion's stub).
    name: '0101_fhir_write_one_function',
    async up(db) {
      await sql.raw(WRITE_ONE_FUNCTION).execute(db);
    },
  },
  {
    // A REST update of a live resource in ONE round trip instead of two (read the current row,
    // then compare-and-set): fhir_update_one locks the current row, checks If-Match, detects a
    // no-op (fhir_content_key: the content without id and origin meta — the same rule as
    // sameContent in resource-meta.ts), and writes the next version like fhir_write_one. An absent
    // or deleted resource is left to the caller (update-as-create needs the id's advisory lock).
    name: '0102_fhir_update_one_function',
    async up(db) {
      await sql.raw(CONTENT_KEY_FUNCTION).execute(db);
      await sql.raw(UPDATE_ONE_FUNCTION).execute(db);
    },
  },
  {
    // The transactions a consumer's cursor moved past while they were still open (change-feed.ts):
    // [{"txid": "<xid8>", "seq": <last seq handled of that transaction>}]. Empty for a cursor
    // written by the earlier reader, which never moved past an open transaction.
    name: '0103_fhir_change_feed_cursor_open_txids',
    async up(db) {
      await sql`alter table fhir_change_feed_cursor add column open_txids jsonb not null default '[]'`.execute(db);
    },
  },
];

/** Must stay in step with stripOriginMeta in resource-meta.ts (which it replaces for fhir_update_one). */
const CONTENT_KEY_FUNCTION = `
create or replace function fhir_content_key(c jsonb) returns jsonb
language plpgsql immutable as $fn$
declare
  m jsonb;
  tags jsonb;
begin
  if jsonb_typeof(c->'meta') is distinct from 'object' then
    return c - 'id' - 'meta';
  end if;
  m := (c->'meta') - 'versionId' - 'lastUpdated' - 'source';
  if jsonb_typeof(m->'tag') = 'array' then
    select coalesce(jsonb_agg(t order by n), '[]'::jsonb) into tags
      from jsonb_array_elements(m->'tag') with ordinality as x(t, n)
      where t->>'system' is distinct from 'https://carebridge.dev/fhir/CodeSystem/mapping';
    m := m - 'tag';
    if jsonb_array_length(tags) > 0 then
      m := m || jsonb_build_object('tag', tags);
    end if;
  end if;
  c := c - 'id' - 'meta';
  if m <> '{}'::jsonb then
    c := c || jsonb_build_object('meta', m);
  end if;
  return c;
end
$fn$`;

// outcome: 'absent' (no live row: nothing done), 'conflict' (If-Match differs; version_id is the
// current one), 'unchanged' (content is the current content), 'updated' (version_id written).
// p_content comes stamped except for meta.versionId, which only the locked row can tell.
const UPDATE_ONE_FUNCTION = `
create or replace function fhir_update_one(
  p_type text, p_id text, p_if_match text, p_last_updated timestamptz, p_content jsonb,
  p_source jsonb, p_index jsonb) returns table (outcome text, version_id int, content jsonb)
language plpgsql as $fn$
declare
  v_current int;
  v_deleted bool;
  v_old jsonb;
  v_next int;
  v_content jsonb;
begin
  select r.version_id, r.deleted, r.content into v_current, v_deleted, v_old
    from fhir_resource r where r.resource_type = p_type and r.id = p_id for update;
  if not found or v_deleted then
    return query select 'absent'::text, null::int, null::jsonb;
    return;
  end if;
  if p_if_match is not null and v_current::text <> p_if_match then
    return query select 'conflict'::text, v_current, null::jsonb;
    return;
  end if;
  if fhir_content_key(v_old) = fhir_content_key(p_content) then
    return query select 'unchanged'::text, v_current, v_old;
    return;
  end if;
  v_next := v_current + 1;
  v_content := jsonb_set(p_content, '{meta,versionId}', to_jsonb(v_next::text));
  -- The row is locked at v_current, so fhir_write_one's compare-and-set cannot miss.
  perform fhir_write_one(p_type, p_id, v_current, v_next, p_last_updated, 'update', v_content, null, p_source, p_index);
  return query select 'updated'::text, v_next, null::jsonb;
end
$fn$`;

const WRITE_ONE_FUNCTION = `
create or replace function fhir_write_one(
  p_type text, p_id text, p_expected int, p_version int, p_last_updated timestamptz, p_operation text,
  p_content jsonb, p_history jsonb, p_source jsonb, p_index jsonb) returns boolean
language plpgsql as $fn$
declare
  v_deleted bool := p_operation = 'delete';
begin
  if p_expected = 0 then
    insert into fhir_resource (resource_type, id, version_id, last_updated, deleted, content)
      values (p_type, p_id, p_version, p_last_updated, v_deleted, p_content)
      on conflict (resource_type, id) do nothing;
  else
    update fhir_resource set version_id = p_version, last_updated = p_last_updated, deleted = v_deleted, content = p_content
      where resource_type = p_type and id = p_id and version_id = p_expected;
  end if;
  if not found then
    return false;
  end if;
  insert into fhir_resource_history (resource_type, id, version_id, last_updated, deleted, operation, content)
    values (p_type, p_id, p_version, p_last_updated, v_deleted, p_operation, coalesce(p_history, p_content));
  insert into fhir_change_feed (resource_type, id, version_id, operation, changed_at, source)
    values (p_type, p_id, p_version, p_operation, p_last_updated, p_source);
  if p_expected = 0 then
    perform fhir_search_insert(p_type, p_id, p_index);
  else
    perform fhir_search_replace(p_type, p_id, p_index);
  end if;
  return true;
end
$fn$`;
