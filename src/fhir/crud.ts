/**
 * @module Create, update and delete of one resource inside a transaction. Concurrency: writers of an
 * existing resource serialise on its row lock; update-as-create of a new id serialises on an advisory
 * lock of that id, so two processes creating the same client id produce versions 1 and 2, not a crash.
 */
import { randomUUID } from 'node:crypto';
import type { Resource } from 'fhir/r4.js';
import type { AnyDb } from '../db/index.js';
import { CarebridgeError } from '../errors/index.js';
import { assertValidId, parseVersion, sameContent, stampMeta } from './resource-meta.js';
import type { WriteOptions } from './types.js';
import { advisoryLock, lockCurrent, writeVersion, type CurrentRow, type VersionWrite } from './write.js';

export interface WriteResult<T extends Resource> {
  resource: T;
  created: boolean;
}

/**
 * Create with a server-assigned id (any id in `r` is ignored, as FHIR create says). `newId` is for
 * bundles, which assign ids up front so urn:uuid references can point at them; it must be fresh.
 */
export async function insertNew<T extends Resource>(trx: AnyDb, r: T, o: WriteOptions = {}, newId?: string): Promise<WriteResult<T>> {
  const { resource, write } = prepareNew(r, o, newId ?? randomUUID());
  await writeVersion(trx, write);
  return { resource, created: true };
}

/** The stamped version 1 of a new resource and the write that stores it (see writeVersions). */
export function prepareNew<T extends Resource>(r: T, o: WriteOptions, id: string): { resource: T; write: VersionWrite } {
  const lastUpdated = new Date();
  const resource = stampMeta(r, id, 1, lastUpdated, o.source);
  return { resource, write: { resourceType: r.resourceType, id, versionId: 1, lastUpdated, operation: 'create', content: resource, source: o.source } };
}

/** Update by id, or create with that id when it does not exist (update-as-create). */
export async function upsertById<T extends Resource>(trx: AnyDb, r: T, o: WriteOptions = {}): Promise<WriteResult<T>> {
  const type = r.resourceType;
  const id = r.id;
  if (!id) throw new CarebridgeError('CB_ERR_BAD_REQUEST', 'Update needs a resource id', { details: [{ diagnostics: 'Update needs a resource id', expression: `${type}.id` }] });
  assertValidId(id, `${type}.id`);
  let current = await lockCurrent(trx, type, id);
  if (!current) {
    await advisoryLock(trx, `fhir-id:${type}/${id}`);
    current = await lockCurrent(trx, type, id);
  }
  checkIfMatch(current, o.ifMatch, type, id);
  if (current && !current.deleted && sameContent(current.content, r)) {
    // A no-op update keeps the version: re-sent HL7 messages do not wake every consumer again.
    return { resource: current.content as T, created: false };
  }
  const versionId = (current?.version_id ?? 0) + 1;
  const lastUpdated = new Date();
  const resource = stampMeta(r, id, versionId, lastUpdated, o.source);
  const created = !current || current.deleted;
  await writeVersion(trx, { resourceType: type, id, versionId, lastUpdated, operation: created ? 'create' : 'update', content: resource, source: o.source });
  return { resource, created };
}

/** Deletes by id; deleting an absent or already deleted resource is a no-op (idempotent DELETE). */
export async function deleteById(trx: AnyDb, type: string, id: string, o: WriteOptions = {}): Promise<boolean> {
  const current = await lockCurrent(trx, type, id);
  checkIfMatch(current, o.ifMatch, type, id);
  if (!current || current.deleted) return false;
  await writeVersion(trx, {
    resourceType: type, id, versionId: current.version_id + 1, lastUpdated: new Date(),
    operation: 'delete', content: current.content, source: o.source,
  });
  return true;
}

function checkIfMatch(current: CurrentRow | undefined, ifMatch: string | undefined, type: string, id: string): void {
  if (ifMatch === undefined) return;
  const expected = parseVersion(ifMatch);
  const actual = current && !current.deleted ? String(current.version_id) : undefined;
  if (actual !== expected) {
    throw new CarebridgeError('CB_ERR_FHIR_VERSION_CONFLICT', `${type}/${id} is at version ${actual ?? '(none)'}, not ${expected}`);
  }
}
