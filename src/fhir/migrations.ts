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
];

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
