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
];
