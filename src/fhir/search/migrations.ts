/**
 * @module Index tables for search (migration range 0150). One table per search-parameter type,
 * each keyed by (resource_type, id) so a write can replace a resource's rows in one statement.
 * Values are stored pre-normalised (strings lower-cased, accents folded; dates as low/high
 * instants) so that every comparison is a plain indexed predicate.
 */
import { sql } from 'kysely';
import type { Migration } from '../../db/index.js';

export const searchMigrations: Migration[] = [
  {
    name: '0150_fhir_search_tables',
    async up(db) {
      const ddl = `
        create table fhir_search_token (
          resource_type text not null, id text not null, param text not null,
          system text, value text, text text);
        create index fhir_search_token_owner on fhir_search_token (resource_type, id);
        create index fhir_search_token_value on fhir_search_token (resource_type, param, value, system);

        create table fhir_search_string (
          resource_type text not null, id text not null, param text not null,
          value text not null, exact text not null);
        create index fhir_search_string_owner on fhir_search_string (resource_type, id);
        create index fhir_search_string_value on fhir_search_string (resource_type, param, value text_pattern_ops);

        create table fhir_search_date (
          resource_type text not null, id text not null, param text not null,
          low timestamptz not null, high timestamptz not null);
        create index fhir_search_date_owner on fhir_search_date (resource_type, id);
        create index fhir_search_date_low on fhir_search_date (resource_type, param, low);
        create index fhir_search_date_high on fhir_search_date (resource_type, param, high);

        create table fhir_search_reference (
          resource_type text not null, id text not null, param text not null,
          target_type text, target_id text, url text);
        create index fhir_search_reference_owner on fhir_search_reference (resource_type, id);
        create index fhir_search_reference_target on fhir_search_reference (target_type, target_id, param, resource_type);
        create index fhir_search_reference_url on fhir_search_reference (resource_type, param, url);

        create table fhir_search_quantity (
          resource_type text not null, id text not null, param text not null,
          low numeric, high numeric, system text, code text, unit text);
        create index fhir_search_quantity_owner on fhir_search_quantity (resource_type, id);
        create index fhir_search_quantity_low on fhir_search_quantity (resource_type, param, low);

        create table fhir_search_number (
          resource_type text not null, id text not null, param text not null,
          low numeric, high numeric);
        create index fhir_search_number_owner on fhir_search_number (resource_type, id);
        create index fhir_search_number_low on fhir_search_number (resource_type, param, low);

        create table fhir_search_uri (
          resource_type text not null, id text not null, param text not null, value text not null);
        create index fhir_search_uri_owner on fhir_search_uri (resource_type, id);
        create index fhir_search_uri_value on fhir_search_uri (resource_type, param, value text_pattern_ops);
      `;
      // One statement per call: the PGlite driver's extended protocol takes a single statement.
      for (const statement of ddl.split(';').map((s) => s.trim()).filter(Boolean)) {
        await sql.raw(statement).execute(db);
      }
    },
  },
  {
    // One call per write with plans cached by PL/pgSQL: a resource's rows arrive as one jsonb
    // document ({ token: [...], string: [...], ... }), old rows are deleted and new ones inserted.
    name: '0151_fhir_search_replace_function',
    async up(db) {
      await sql.raw(REPLACE_FUNCTION).execute(db);
    },
  },
  {
    // Index rows of resources that had none (a first version: the row insert just succeeded, and
    // index rows are only ever written and removed together with that row), so no delete probes:
    // fhir_search_insert for one resource, fhir_search_insert_many for a bundle's creates as one
    // set-based INSERT per table ([{ type, id, rows: { token: [...], ... } }, ...]).
    name: '0152_fhir_search_insert_functions',
    async up(db) {
      await sql.raw(INSERT_FUNCTION).execute(db);
      await sql.raw(INSERT_MANY_FUNCTION).execute(db);
    },
  },
  {
    // fhir_search_replace for many resources (a bundle's updates of existing resources): their old
    // rows go with one set-based DELETE per table, then the new ones as in fhir_search_insert_many.
    name: '0153_fhir_search_replace_many_function',
    async up(db) {
      await sql.raw(REPLACE_MANY_FUNCTION).execute(db);
    },
  },
  {
    // fhir_search_replace in place: only the rows that differ go (delete of old rows not in the new
    // document, insert of new rows not already there). An update changes a few of a resource's
    // rows (a Patient's `active` or telecom, not its 13 name and identifier rows), so most rows
    // and their index entries are left alone instead of deleted and inserted again. The rows after
    // are the same set as with delete-all-then-insert (the document is deduplicated by the writer).
    name: '0154_fhir_search_replace_in_place',
    async up(db) {
      await sql.raw(REPLACE_IN_PLACE_FUNCTION_0154).execute(db);
    },
  },
  {
    // The in-place replace probes the table once per new row to skip rows already there: for a
    // resource with no rows yet (the first indexing of a resource through replace) that made it
    // 1.5-2x slower than delete-then-insert. One existence probe per table picks the plain insert then.
    name: '0155_fhir_search_replace_first_rows_plain',
    async up(db) {
      await sql.raw(REPLACE_IN_PLACE_FUNCTION).execute(db);
    },
  },
];

const TABLE_COLUMNS: Record<string, string> = {
  token: 'param text, system text, value text, text text',
  string: 'param text, value text, exact text',
  date: 'param text, low timestamptz, high timestamptz',
  reference: 'param text, target_type text, target_id text, url text',
  quantity: 'param text, low numeric, high numeric, system text, code text, unit text',
  number: 'param text, low numeric, high numeric',
  uri: 'param text, value text',
};

function columnNames(columns: string): string[] {
  return columns.split(',').map((c) => c.trim().split(' ')[0]!);
}

/** A PL/pgSQL function whose body is one block per index table. */
function perTableFunction(signature: string, block: (table: string, columns: string) => string): string {
  return `
create or replace function ${signature} returns void
language plpgsql as $fn$
begin${Object.entries(TABLE_COLUMNS).map(([t, c]) => block(t, c)).join('')}
end
$fn$`;
}

const ONE_RESOURCE = 'p_type text, p_id text, p_rows jsonb';

/** The insert of one resource's rows of one index table, from `p_rows` (shared by replace and insert). */
function insertRows(table: string, columns: string): string {
  const names = columnNames(columns);
  return `
    insert into fhir_search_${table} (resource_type, id, ${names.join(', ')})
      select p_type, p_id, ${names.map((n) => `r.${n}`).join(', ')}
      from jsonb_to_recordset(p_rows->'${table}') as r(${columns});`;
}

function replaceBlock(table: string, columns: string): string {
  return `
  delete from fhir_search_${table} where resource_type = p_type and id = p_id;
  if jsonb_array_length(coalesce(p_rows->'${table}', '[]')) > 0 then${insertRows(table, columns)}
  end if;`;
}

const REPLACE_FUNCTION = perTableFunction(`fhir_search_replace(${ONE_RESOURCE})`, replaceBlock);

function insertBlock(table: string, columns: string): string {
  return `
  if p_rows ? '${table}' then${insertRows(table, columns)}
  end if;`;
}

const INSERT_FUNCTION = perTableFunction(`fhir_search_insert(${ONE_RESOURCE})`, insertBlock);

function insertManyStatement(table: string, columns: string): string {
  const names = columnNames(columns);
  return `
  insert into fhir_search_${table} (resource_type, id, ${names.join(', ')})
    select d->>'type', d->>'id', ${names.map((n) => `r.${n}`).join(', ')}
    from jsonb_array_elements(p_docs) as d
    cross join lateral jsonb_to_recordset(d->'rows'->'${table}') as r(${columns})
    where d->'rows' ? '${table}';`;
}

const INSERT_MANY_FUNCTION = perTableFunction('fhir_search_insert_many(p_docs jsonb)', insertManyStatement);

function deleteManyStatement(table: string): string {
  return `
  delete from fhir_search_${table} t
    using unnest(v_types, v_ids) as k(resource_type, id)
    where t.resource_type = k.resource_type and t.id = k.id;`;
}

const REPLACE_MANY_FUNCTION = `
create or replace function fhir_search_replace_many(p_docs jsonb) returns void
language plpgsql as $fn$
declare
  v_types text[];
  v_ids text[];
begin
  select array_agg(d->>'type'), array_agg(d->>'id') into v_types, v_ids from jsonb_array_elements(p_docs) as d;${Object.keys(TABLE_COLUMNS).map(deleteManyStatement).join('')}
  perform fhir_search_insert_many(p_docs);
end
$fn$`;

/** Rows of `a` and `b` equal column by column (nulls equal), for the in-place replace. */
function sameRow(a: string, b: string, columns: string): string {
  return columnNames(columns).map((n) => `${a}.${n} is not distinct from ${b}.${n}`).join(' and ');
}

function replaceInPlaceBlock(table: string, columns: string): string {
  const names = columnNames(columns);
  return `
  delete from fhir_search_${table} t
    where t.resource_type = p_type and t.id = p_id
      and not exists (select 1 from jsonb_to_recordset(coalesce(p_rows->'${table}', '[]')) as r(${columns}) where ${sameRow('r', 't', columns)});
  if jsonb_array_length(coalesce(p_rows->'${table}', '[]')) > 0 then
    insert into fhir_search_${table} (resource_type, id, ${names.join(', ')})
      select p_type, p_id, ${names.map((n) => `r.${n}`).join(', ')}
      from jsonb_to_recordset(p_rows->'${table}') as r(${columns})
      where not exists (select 1 from fhir_search_${table} t where t.resource_type = p_type and t.id = p_id and ${sameRow('r', 't', columns)});
  end if;`;
}

/** As migration 0154 shipped it (a migration's text never changes once applied somewhere). */
const REPLACE_IN_PLACE_FUNCTION_0154 = perTableFunction(`fhir_search_replace(${ONE_RESOURCE})`, replaceInPlaceBlock);

/** In place where the resource has rows in the table, a plain insert where it has none. */
function replaceInPlaceOrInsertBlock(table: string, columns: string): string {
  return `
  if exists (select 1 from fhir_search_${table} t where t.resource_type = p_type and t.id = p_id) then${replaceInPlaceBlock(table, columns)}
  elsif jsonb_array_length(coalesce(p_rows->'${table}', '[]')) > 0 then${insertRows(table, columns)}
  end if;`;
}

const REPLACE_IN_PLACE_FUNCTION = perTableFunction(`fhir_search_replace(${ONE_RESOURCE})`, replaceInPlaceOrInsertBlock);
