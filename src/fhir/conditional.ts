/**
 * @module Conditional create, update and delete (http://hl7.org/fhir/R4/http.html#ccreate).
 * Race-free across processes: inside the write transaction, an advisory lock on (type, normalised
 * query) is taken BEFORE matching, so a second writer with the same criteria waits, then sees the
 * first one's committed resource (READ COMMITTED takes a fresh snapshot per statement).
 */
import type { Resource } from 'fhir/r4.js';
import type { AnyDb } from '../db/index.js';
import { CarebridgeError } from '../errors/index.js';
import { insertNew, upsertById, deleteById, type WriteResult } from './crud.js';
import { matchesQuery, matchOne } from './search/index.js';
import type { WriteOptions } from './types.js';
import { hasReferenceToResolve } from './references.js';
import { sameContent } from './resource-meta.js';
import { advisoryLock, lockCurrent } from './write.js';

export interface ConditionalQuery {
  readonly type: string;
  /** Parameters without the leading `?`, in a canonical order. */
  readonly query: string;
}

/** `Patient?identifier=s|1` (or `identifier=s|1` with `defaultType`) → canonical form. */
export function parseConditional(text: string, defaultType?: string): ConditionalQuery {
  const q = text.indexOf('?');
  const type = q >= 0 ? text.slice(0, q).replace(/^\/+/, '').split('/').pop()! : defaultType;
  const raw = q >= 0 ? text.slice(q + 1) : text;
  if (!type) throw new CarebridgeError('CB_ERR_BAD_REQUEST', 'Conditional operation needs a resource type');
  const params = [...new URLSearchParams(raw)].filter(([k]) => k).sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1));
  if (params.length === 0) {
    throw new CarebridgeError('CB_ERR_FHIR_UNPROCESSABLE', 'Conditional operation needs search criteria');
  }
  return { type, query: new URLSearchParams(params).toString() };
}

/** Locks the criteria for the rest of the transaction, then returns the ids that match them. */
export async function lockAndMatch(trx: AnyDb, c: ConditionalQuery): Promise<string[]> {
  await advisoryLock(trx, `fhir-cond:${c.type}?${c.query}`);
  return matchesQuery(trx, c.type, c.query);
}

export function multiple(c: ConditionalQuery, n: number): CarebridgeError {
  return new CarebridgeError('CB_ERR_FHIR_MULTIPLE_MATCHES', `${c.type}?${c.query} matched ${n} resources`.replace(c.query, safeDecode(c.query)));
}

export async function conditionalCreate<T extends Resource>(trx: AnyDb, r: T, ifNoneExist: string, o: WriteOptions): Promise<WriteResult<T>> {
  const c = parseConditional(ifNoneExist, r.resourceType);
  const ids = await lockAndMatch(trx, c);
  if (ids.length > 1) throw multiple(c, ids.length);
  if (ids.length === 1) {
    const existing = await lockCurrent(trx, c.type, ids[0]!);
    if (existing && !existing.deleted) return { resource: existing.content as T, created: false };
  }
  return insertNew(trx, r, o);
}

export async function conditionalUpdate<T extends Resource>(trx: AnyDb, query: string, r: T, o: WriteOptions): Promise<WriteResult<T>> {
  const c = parseConditional(query, r.resourceType);
  if (c.type !== r.resourceType) {
    throw new CarebridgeError('CB_ERR_BAD_REQUEST', `Conditional update of ${c.type} with a ${r.resourceType} body`, { details: [{ diagnostics: 'resourceType does not match the URL', expression: `${r.resourceType}.resourceType` }] });
  }
  const unchanged = o.ifMatch ? undefined : await unchangedMatch(trx, c, r);
  if (unchanged) return { resource: unchanged.content as T, created: false };
  const ids = await lockAndMatch(trx, c);
  if (ids.length > 1) throw multiple(c, ids.length);
  if (ids.length === 1) {
    if (r.id && r.id !== ids[0]) {
      throw new CarebridgeError('CB_ERR_FHIR_ID_MISMATCH', `The criteria match ${c.type}/${ids[0]}, the body has id ${r.id}`, { details: [{ diagnostics: 'id differs from the matched resource', expression: `${c.type}.id` }] });
    }
    return upsertById(trx, { ...r, id: ids[0] }, o);
  }
  return r.id ? upsertById(trx, r, o) : insertNew(trx, r, o);
}

/**
 * The no-op fast path of a conditional update: when exactly one resource matches and it already
 * says what `r` says, nothing needs writing and no lock is taken. Safe without the lock because a
 * no-op is indistinguishable from having run just before any concurrent writer. It matters for
 * mapped HL7 traffic, where most messages repeat the same Practitioner, Location and Patient: with
 * the lock, every message touching one doctor would queue behind the previous one's commit.
 * A body with references still to be resolved (urn:uuid, conditional) never compares equal to a
 * stored version, so it goes to the locked path at once, without the search and the read.
 */
export async function unchangedMatch(trx: AnyDb, c: ConditionalQuery, r: Resource): Promise<{ id: string; content: Resource } | undefined> {
  if (hasReferenceToResolve(r)) return undefined;
  const match = await matchOne(trx, c.type, c.query);
  if (!match || (r.id && r.id !== match.id) || !sameContent(match.content, r)) return undefined;
  return match;
}

/** Deletes every match; returns how many were deleted. */
export async function conditionalDelete(trx: AnyDb, query: string, o: WriteOptions): Promise<number> {
  const c = parseConditional(query);
  const ids = await lockAndMatch(trx, c);
  let n = 0;
  for (const id of ids) if (await deleteById(trx, c.type, id, o)) n += 1;
  return n;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}
