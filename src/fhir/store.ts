/**
 * @module The FHIR store: one object that binds the write paths, reads, history, search and bundles
 * to a database handle. Every write is atomic: current row + history row + index rows + one
 * change-feed row (none for `createMany` with `changeFeed: false`) commit together — in the caller's transaction inside `inTransaction` and bundles,
 * in a transaction of their own for conditional writes, and as one self-contained statement for a
 * plain create, update or delete (see crud.ts).
 *
 * ```ts
 * const store = createFhirStore({ db, logger });
 * const { resource } = await store.create({ resourceType: 'Patient', identifier: [{ system: 's', value: '1' }] });
 * ```
 */
import type { Bundle, Resource } from 'fhir/r4.js';
import type { AnyDb } from '../db/index.js';
import { CarebridgeError } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import type { Metrics } from '../metrics/index.js';
import { conditionalCreate, conditionalDelete, conditionalUpdate } from './conditional.js';
import { changeManyById, deleteById, deleteByIdOptimistic, insertNew, prepareNew, updateExisting, upsertById, upsertByIdOptimistic } from './crud.js';
import { readHistory } from './history.js';
import { readCurrent, readCurrentMany, readOrThrow, readVersion } from './read.js';
import { purgeResource } from './purge.js';
import { newResourceId } from './resource-meta.js';
import { searchResources } from './search/index.js';
import { processBundle } from './transaction.js';
import type { FhirStore, WriteOptions } from './types.js';
import { validateResource } from './validation/index.js';
import { writeVersions } from './write.js';

export interface FhirStoreDeps {
  readonly db: AnyDb;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** Validate every write against the FHIR schema and fhir-profiles/ (default true). */
  readonly validate?: boolean;
  /** Base for fullUrl and links when the caller gives none (default `urn:carebridge:fhir`). */
  readonly baseUrl?: string;
}

/** PostgreSQL deadlock / serialization failure / unique violation → 409, retryable by the client. */
const CONFLICT_STATES = new Set(['40P01', '40001', '23505']);
function asConflict(err: unknown): never {
  const state = (err as { code?: unknown } | null)?.code;
  if (typeof state === 'string' && CONFLICT_STATES.has(state)) {
    throw new CarebridgeError('CB_ERR_FHIR_CONFLICT', 'Concurrent write conflict; retry the request', { cause: err });
  }
  throw err;
}

export function createFhirStore(deps: FhirStoreDeps): FhirStore {
  return bindStore(deps.db, deps);
}

function bindStore(db: AnyDb, deps: FhirStoreDeps): FhirStore {
  const defaultBase = deps.baseUrl ?? 'urn:carebridge:fhir';
  const inTx = <T>(fn: (trx: AnyDb) => Promise<T>): Promise<T> =>
    db.isTransaction ? fn(db) : db.transaction().execute((trx) => fn(trx as unknown as AnyDb)).catch(asConflict);
  const validate = (r: Resource) => {
    if (deps.validate !== false) validateResource(r);
  };
  const timed = async <T>(operation: string, fn: () => Promise<T>): Promise<T> => {
    const end = deps.metrics?.storeWriteLatency.startTimer({ operation });
    try {
      return await fn();
    } finally {
      end?.();
    }
  };

  const store: FhirStore = {
    db,
    create: async (r, o: WriteOptions = {}) => {
      validate(r);
      // A plain create is one atomic statement; a conditional one locks its criteria until commit.
      return timed('create', () => (o.ifNoneExist ? inTx((trx) => conditionalCreate(trx, r, o.ifNoneExist!, o)) : insertNew(db, r, o).catch(asConflict)));
    },
    update: async (r, o = {}) => {
      validate(r);
      // Outside a transaction: a live resource in one statement; otherwise read, then compare-and-set.
      return timed('update', async () =>
        db.isTransaction
          ? upsertById(db, r, o)
          : ((await updateExisting(db, r, o).catch(asConflict)) ?? (await upsertByIdOptimistic(db, r, o).catch(asConflict)) ?? inTx((trx) => upsertById(trx, r, o))));
    },
    conditionalUpdate: async (query, r, o = {}) => {
      validate(r);
      return timed('update', () => inTx((trx) => conditionalUpdate(trx, query, r, o)));
    },
    delete: async (type, id, o = {}) => {
      await timed('delete', async () =>
        db.isTransaction ? deleteById(db, type, id, o) : ((await deleteByIdOptimistic(db, type, id, o).catch(asConflict)) ?? inTx((trx) => deleteById(trx, type, id, o))));
    },
    conditionalDelete: (query, o = {}) => timed('delete', () => inTx((trx) => conditionalDelete(trx, query, o))),
    read: (type, id) => readOrThrow(db, type, id),
    readOrUndefined: (type, id) => readCurrent(db, type, id, 'undefined'),
    readMany: (type, ids) => readCurrentMany(db, type, ids),
    vread: (type, id, versionId) => readVersion(db, type, id, versionId),
    history: (type, id, o = {}) => readHistory(db, type, id, { baseUrl: defaultBase, ...o }),
    search: (type, params, o = {}) =>
      searchResources(db, { resourceType: type, params, baseUrl: o.baseUrl ?? defaultBase, handling: o.handling, maxCount: o.maxCount, access: o.access }),
    createMany: async (resources, o = {}) => {
      resources.forEach(validate);
      const prepared = resources.map((r) => prepareNew(r, { source: o.source }, newResourceId()));
      if (prepared.length) await timed('bundle', () => inTx((trx) => writeVersions(trx, prepared.map((p) => p.write), { changeFeed: o.changeFeed !== false })));
      return prepared.map((p) => p.resource);
    },
    updateMany: (type, ids, change, o = {}) => (ids.length ? timed('bundle', () => inTx((trx) => changeManyById(trx, type, ids, change, o, validate))) : Promise.resolve([])),
    transaction: (bundle: Bundle, o = {}) => timed('bundle', () => processBundle(store, bundle, { baseUrl: defaultBase, ...o })),
    inTransaction: (fn) => inTx((trx) => fn(trx === db ? store : bindStore(trx, deps), trx)),
    purge: (type, id) => inTx((trx) => purgeResource(trx, type, id)),
  };
  return store;
}
