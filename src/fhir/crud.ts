/**
 * @module Create, update and delete of one resource. Inside a transaction (bundles, conditional
 * writes, `inTransaction`): writers of an existing resource serialise on its row lock; update-as-create
 * of a new id inserts with `on conflict do nothing`, which waits for a concurrent creator of that
 * id. On their own (a plain REST write): one read, then one compare-and-set statement that is atomic by itself, retried on the winner's version.
 * Either way two processes creating the same client id produce versions 1 and 2, not a crash.
 */
import type { Resource } from 'fhir/r4.js';
import type { AnyDb } from '../db/index.js';
import { CarebridgeError } from '../errors/index.js';
import { assertValidId, newResourceId, parseVersion, sameContent, stampMeta } from './resource-meta.js';
import type { WriteOptions } from './types.js';
import { lockCurrent, lockCurrentMany, readCurrentRow, tryUpdateExisting, tryWriteVersion, writeUpdates, writeVersion, type CurrentRow, type VersionWrite } from './write.js';

export interface WriteResult<T extends Resource> {
  resource: T;
  created: boolean;
}

/**
 * Create with a server-assigned id (any id in `r` is ignored, as FHIR create says). `newId` is for
 * bundles, which assign ids up front so urn:uuid references can point at them; it must be fresh.
 * One atomic statement, so it needs no transaction of its own.
 */
export async function insertNew<T extends Resource>(trx: AnyDb, r: T, o: WriteOptions = {}, newId?: string): Promise<WriteResult<T>> {
  const { resource, write } = prepareNew(r, o, newId ?? newResourceId());
  await writeVersion(trx, write, 0);
  return { resource, created: true };
}

/** The stamped version 1 of a new resource and the write that stores it (see writeVersions). */
export function prepareNew<T extends Resource>(r: T, o: WriteOptions, id: string): { resource: T; write: VersionWrite } {
  const lastUpdated = new Date();
  const resource = stampMeta(r, id, 1, lastUpdated, o.source);
  return { resource, write: { resourceType: r.resourceType, id, versionId: 1, lastUpdated, operation: 'create', content: resource, source: o.source } };
}

/** Update by id, or create with that id when it does not exist (update-as-create). Inside a transaction. */
export async function upsertById<T extends Resource>(trx: AnyDb, r: T, o: WriteOptions = {}): Promise<WriteResult<T>> {
  const { type, id } = updateTarget(r);
  return writeOver(trx, await lockCurrent(trx, type, id), r, o, type, id);
}

/**
 * Writes `r` over `current`, the row this transaction holds locked (undefined: there was none).
 * An absent id is inserted with `insert … on conflict do nothing`: a writer creating the same id
 * at the same time makes it wait for that writer's commit and then insert nothing, and `r` becomes
 * the next version over the winner's, whose row is locked then (versions 1 and 2, never a crash).
 * This replaced an advisory lock on the id and a second locked read (two round trips per create).
 */
async function writeOver<T extends Resource>(trx: AnyDb, current: CurrentRow | undefined, r: T, o: WriteOptions, type: string, id: string): Promise<WriteResult<T>> {
  const step = planUpdate(current, r, o, type, id);
  if ('unchanged' in step) return step.unchanged;
  if (current) {
    await writeVersion(trx, step.write, step.expected);
    return step.result;
  }
  if (await tryWriteVersion(trx, step.write, 0)) return step.result;
  const winner = await lockCurrent(trx, type, id);
  if (!winner) throw new CarebridgeError('CB_ERR_FHIR_CONFLICT', `${type}/${id} changed concurrently; retry the request`);
  return writeOver(trx, winner, r, o, type, id);
}

/**
 * upsertById for many resources of distinct ids (a transaction bundle's PUTs by id), same outcomes
 * per resource: their rows locked with one statement, each planned (If-Match, no-op), every changed
 * live resource written with writeUpdates. Absent ids (update-as-create) and deleted ones are
 * written one by one after that, over the row read (writeOver). `atItem` labels a
 * failure with the item it belongs to; any failure leaves the caller's transaction to roll back.
 */
export async function upsertManyById(trx: AnyDb, items: ReadonlyArray<{ resource: Resource; options: WriteOptions }>, atItem: (err: unknown, n: number) => Error): Promise<Array<WriteResult<Resource>>> {
  const targets = items.map((item, n) => {
    try {
      return updateTarget(item.resource);
    } catch (err) {
      throw atItem(err, n);
    }
  });
  const current = await lockCurrentMany(trx, targets);
  const results = new Array<WriteResult<Resource>>(items.length);
  const updates: Array<{ write: VersionWrite; expected: number }> = [];
  const rest: number[] = [];
  items.forEach((item, n) => {
    const { type, id } = targets[n]!;
    const row = current.get(`${type}/${id}`);
    if (!row || row.deleted) {
      rest.push(n);
      return;
    }
    try {
      const step = planUpdate(row, item.resource, item.options, type, id);
      if ('unchanged' in step) {
        results[n] = step.unchanged;
      } else {
        updates.push({ write: step.write, expected: step.expected });
        results[n] = step.result;
      }
    } catch (err) {
      throw atItem(err, n);
    }
  });
  if (updates.length) await writeUpdates(trx, updates);
  for (const n of rest) {
    const { type, id } = targets[n]!;
    try {
      results[n] = await writeOver(trx, current.get(`${type}/${id}`), items[n]!.resource, items[n]!.options, type, id);
    } catch (err) {
      throw atItem(err, n);
    }
  }
  return results;
}

/**
 * Changes existing resources of one type by id, reading each current version once: their rows are
 * locked with one statement, `change` makes the next version from the current one (undefined: leave
 * it as it is), and the changed ones are written with writeUpdates — a bundle of PUTs by id without
 * a separate read to build it from. Absent and deleted ids are left out. Inside a transaction.
 * Returns the versions that are current afterwards (written or left unchanged), in the order of `ids`.
 */
export async function changeManyById<T extends Resource>(trx: AnyDb, type: string, ids: readonly string[], change: (current: T) => T | undefined, o: WriteOptions, validate: (r: Resource) => void): Promise<T[]> {
  const unique = [...new Set(ids)];
  const current = await lockCurrentMany(trx, unique.map((id) => ({ type, id })));
  const out: T[] = [];
  const updates: Array<{ write: VersionWrite; expected: number }> = [];
  for (const id of unique) {
    const row = current.get(`${type}/${id}`);
    if (!row || row.deleted) continue;
    const next = change(row.content as T);
    if (!next) continue;
    const resource = { ...next, resourceType: type, id } as T;
    validate(resource);
    const step = planUpdate(row, resource, o, type, id);
    if ('unchanged' in step) {
      out.push(step.unchanged.resource);
      continue;
    }
    updates.push({ write: step.write, expected: step.expected });
    out.push(step.result.resource);
  }
  if (updates.length) await writeUpdates(trx, updates);
  return out;
}

/**
 * upsertById without a transaction: read the current row, decide, then write with one atomic
 * compare-and-set statement; when another writer got there first, decide again on its version.
 * Same outcomes as the locked path (a stale read is as if this write had come first and then
 * been overwritten, for If-Match and no-op detection alike), with two round trips instead of five.
 * Undefined when other writers kept winning: the caller then queues on the row lock (upsertById
 * in a transaction), so a hot resource costs waiting, never a 409.
 */
export async function upsertByIdOptimistic<T extends Resource>(db: AnyDb, r: T, o: WriteOptions = {}): Promise<WriteResult<T> | undefined> {
  const { type, id } = updateTarget(r);
  for (let attempt = 0; attempt < OPTIMISTIC_ATTEMPTS; attempt++) {
    const step = planUpdate(await readCurrentRow(db, type, id), r, o, type, id);
    if ('unchanged' in step) return step.unchanged;
    if (await tryWriteVersion(db, step.write, step.expected)) return step.result;
  }
  return undefined;
}

/**
 * upsertById of a live resource without a transaction, in one round trip (tryUpdateExisting):
 * the database decides If-Match and no-op on the locked row, with the same outcomes as planUpdate.
 * Undefined when there is no live row: the caller goes the longer way (update-as-create needs the
 * id's advisory lock, a deleted resource comes back as created).
 */
export async function updateExisting<T extends Resource>(db: AnyDb, r: T, o: WriteOptions = {}): Promise<WriteResult<T> | undefined> {
  const { type, id } = updateTarget(r);
  const lastUpdated = new Date();
  // versionId is set by the database from the locked row; '0' only holds its place in the text.
  const resource = stampMeta(r, id, 0, lastUpdated, o.source);
  const done = await tryUpdateExisting(db, type, id, o.ifMatch === undefined ? null : parseVersion(o.ifMatch), lastUpdated, resource, o.source);
  switch (done.outcome) {
    case 'absent':
      return undefined;
    case 'conflict':
      throw new CarebridgeError('CB_ERR_FHIR_VERSION_CONFLICT', `${type}/${id} is at version ${done.versionId}, not ${parseVersion(o.ifMatch!)}`);
    case 'unchanged':
      return { resource: done.content as T, created: false };
    case 'updated':
      resource.meta!.versionId = String(done.versionId);
      return { resource, created: false };
  }
}

/** Compare-and-set attempts before falling back to the row lock. */
const OPTIMISTIC_ATTEMPTS = 3;

function updateTarget(r: Resource): { type: string; id: string } {
  const type = r.resourceType;
  const id = r.id;
  if (!id) throw new CarebridgeError('CB_ERR_BAD_REQUEST', 'Update needs a resource id', { details: [{ diagnostics: 'Update needs a resource id', expression: `${type}.id` }] });
  assertValidId(id, `${type}.id`);
  return { type, id };
}

type UpdateStep<T extends Resource> = { unchanged: WriteResult<T> } | { write: VersionWrite; expected: number; result: WriteResult<T> };

function planUpdate<T extends Resource>(current: CurrentRow | undefined, r: T, o: WriteOptions, type: string, id: string): UpdateStep<T> {
  checkIfMatch(current, o.ifMatch, type, id);
  if (current && !current.deleted && sameContent(current.content, r)) {
    // A no-op update keeps the version: re-sent HL7 messages do not wake every consumer again.
    return { unchanged: { resource: current.content as T, created: false } };
  }
  const versionId = (current?.version_id ?? 0) + 1;
  const lastUpdated = new Date();
  const resource = stampMeta(r, id, versionId, lastUpdated, o.source);
  const created = !current || current.deleted;
  return {
    write: { resourceType: type, id, versionId, lastUpdated, operation: created ? 'create' : 'update', content: resource, source: o.source },
    expected: current?.version_id ?? 0,
    result: { resource, created },
  };
}

/** Deletes by id; deleting an absent or already deleted resource is a no-op (idempotent DELETE). Inside a transaction. */
export async function deleteById(trx: AnyDb, type: string, id: string, o: WriteOptions = {}): Promise<boolean> {
  const current = await lockCurrent(trx, type, id);
  const write = planDelete(current, o, type, id);
  if (!write) return false;
  await writeVersion(trx, write, current!.version_id);
  return true;
}

/** deleteById without a transaction (compare-and-set; undefined when contended, as upsertByIdOptimistic). */
export async function deleteByIdOptimistic(db: AnyDb, type: string, id: string, o: WriteOptions = {}): Promise<boolean | undefined> {
  for (let attempt = 0; attempt < OPTIMISTIC_ATTEMPTS; attempt++) {
    const current = await readCurrentRow(db, type, id);
    const write = planDelete(current, o, type, id);
    if (!write) return false;
    if (await tryWriteVersion(db, write, current!.version_id)) return true;
  }
  return undefined;
}

function planDelete(current: CurrentRow | undefined, o: WriteOptions, type: string, id: string): VersionWrite | undefined {
  checkIfMatch(current, o.ifMatch, type, id);
  if (!current || current.deleted) return undefined;
  return { resourceType: type, id, versionId: current.version_id + 1, lastUpdated: new Date(), operation: 'delete', content: current.content, source: o.source };
}

function checkIfMatch(current: CurrentRow | undefined, ifMatch: string | undefined, type: string, id: string): void {
  if (ifMatch === undefined) return;
  const expected = parseVersion(ifMatch);
  const actual = current && !current.deleted ? String(current.version_id) : undefined;
  if (actual !== expected) {
    throw new CarebridgeError('CB_ERR_FHIR_VERSION_CONFLICT', `${type}/${id} is at version ${actual ?? '(none)'}, not ${expected}`);
  }
}
