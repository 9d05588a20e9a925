/**
 * @module The fhir room's public shapes (CONTRACTS §1 and §3): the store, write options, the change
 * feed, and the access-policy hooks the security room plugs into the REST plugin.
 */
import type { Bundle, Resource } from 'fhir/r4.js';
import type { AnyDb } from '../db/index.js';

/** Where a write came from; kept on the change-feed row (outbound loop prevention) and in meta.source. */
export interface WriteSource {
  kind: 'rest' | 'hl7v2' | 'careplan' | 'outbound' | 'subscription' | 'system';
  clientId?: string;
  sender?: string;
  controlId?: string;
  destination?: string;
  mapping?: string;
}

export interface WriteOptions {
  source?: WriteSource;
  /** Expected current versionId (`If-Match`); a mismatch throws CB_ERR_FHIR_VERSION_CONFLICT (412). */
  ifMatch?: string;
  /** Conditional create query without the type, e.g. `identifier=sys|123` (`If-None-Exist`). */
  ifNoneExist?: string;
}

export interface CreateManyOptions {
  source?: WriteSource;
  /**
   * false: no change-feed rows for these resources (default true). For write-once records no
   * consumer acts on, such as the audit trail: each row would only be read and skipped by every
   * consumer, and would offer the records to Subscriptions. Current, history and index rows are
   * written as always.
   */
  changeFeed?: boolean;
}

export interface SearchOptions {
  /** e.g. `http://host/fhir` for fullUrl and links (default `urn:carebridge:fhir`). */
  baseUrl?: string;
  handling?: 'strict' | 'lenient';
  maxCount?: number;
  access?: AccessPolicy;
}

export interface HistoryOptions {
  count?: number;
  since?: Date;
  /** Opaque paging cursor from a previous page's `next` link. */
  cursor?: string;
  baseUrl?: string;
}

export interface FhirStore {
  create<T extends Resource>(r: T, o?: WriteOptions): Promise<{ resource: T; created: boolean }>;
  /** Throws CB_ERR_NOT_FOUND or CB_ERR_FHIR_GONE. */
  read<T extends Resource>(type: string, id: string): Promise<T>;
  readOrUndefined<T extends Resource>(type: string, id: string): Promise<T | undefined>;
  /** Current versions of these ids of one type, one statement; absent and deleted ids are left out. */
  readMany<T extends Resource>(type: string, ids: readonly string[]): Promise<T[]>;
  vread(type: string, id: string, versionId: string): Promise<Resource>;
  /** Update, or create with the client's id when absent. */
  update<T extends Resource>(r: T, o?: WriteOptions): Promise<{ resource: T; created: boolean }>;
  /** `query` is `Type?param=value` (or just the query with the type taken from `r`). */
  conditionalUpdate<T extends Resource>(query: string, r: T, o?: WriteOptions): Promise<{ resource: T; created: boolean }>;
  delete(type: string, id: string, o?: WriteOptions): Promise<void>;
  /** Deletes every match of `Type?query`; returns how many were deleted. Multiple matches are allowed. */
  conditionalDelete(query: string, o?: WriteOptions): Promise<number>;
  search(type: string | undefined, params: URLSearchParams, o?: SearchOptions): Promise<Bundle>;
  /** History bundle: instance (type+id), type (type only) or system (neither). */
  history(type: string | undefined, id: string | undefined, o?: HistoryOptions): Promise<Bundle>;
  /**
   * Creates new resources (server ids) in one transaction, as a transaction bundle of POSTs would,
   * without the bundle's work (entries, reference rewriting, a response bundle): for system writers
   * of self-contained resources, such as the audit trail. Returns them stamped, in order.
   */
  createMany<T extends Resource>(resources: readonly T[], o?: CreateManyOptions): Promise<T[]>;
  /**
   * Changes existing resources of one type in one transaction, each from its current version read
   * once under its row lock: `change` returns the next version (undefined: leave it). Absent and
   * deleted ids are left out. Returns the current versions afterwards (written or unchanged).
   */
  updateMany<T extends Resource>(type: string, ids: readonly string[], change: (current: T) => T | undefined, o?: WriteOptions): Promise<T[]>;
  /** Bundle of type transaction (atomic) or batch (each entry on its own). */
  transaction(bundle: Bundle, o?: WriteOptions & { access?: AccessPolicy; baseUrl?: string }): Promise<Bundle>;
  /** Run several store calls atomically (also used by change-feed consumers). */
  inTransaction<T>(fn: (store: FhirStore, trx: AnyDb) => Promise<T>): Promise<T>;
  /** Remove a resource and all its history + index rows (patient erasure). */
  purge(type: string, id: string): Promise<void>;
  /** The handle this store writes through (a transaction inside `inTransaction`). */
  readonly db: AnyDb;
}

export type ChangeOperation = 'create' | 'update' | 'delete';

export interface ChangeFeedEntry {
  seq: number;
  resourceType: string;
  id: string;
  versionId: number;
  operation: ChangeOperation;
  changedAt: Date;
  source?: WriteSource;
}

export type FhirInteraction = 'read' | 'vread' | 'search' | 'history' | 'create' | 'update' | 'delete' | 'operation';

export interface AccessPolicy {
  clientId?: string;
  isAdmin: boolean;
  can(interaction: FhirInteraction, resourceType: string, resource?: Resource): boolean;
}

export interface AccessEvent {
  interaction: FhirInteraction | 'export' | 'erase' | 'login' | 'admin';
  resourceType?: string;
  id?: string;
  query?: string;
  status: number;
  clientId?: string;
  ip?: string;
}

/** A policy that allows everything (auth off, or internal callers). */
export const ALLOW_ALL: AccessPolicy = Object.freeze({ isAdmin: true, can: () => true });
