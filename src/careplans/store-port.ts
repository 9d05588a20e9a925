/**
 * @module What the care-plan room needs from other rooms, as structural types: the FHIR store
 * (CONTRACTS §1), its change feed, and consent (§3). The composition root passes the real ones
 * (`FhirStore`, `consumeChangeFeed`, `mayContact`); these types only name the parts we call, so
 * the room compiles on its own.
 */
import type { Bundle, Resource } from 'fhir/r4.js';
import type { AnyDb } from '../db/index.js';

export interface CareplanWriteSource {
  kind: 'rest' | 'hl7v2' | 'careplan' | 'outbound' | 'subscription' | 'system';
  clientId?: string;
  mapping?: string;
}

export interface CareplanWriteOptions {
  source?: CareplanWriteSource;
  ifMatch?: string;
  ifNoneExist?: string;
}

/** The subset of `FhirStore` the planner, scheduler and triage use. */
export interface CareplanStore {
  create<T extends Resource>(r: T, o?: CareplanWriteOptions): Promise<{ resource: T; created: boolean }>;
  read<T extends Resource>(type: string, id: string): Promise<T>;
  readOrUndefined<T extends Resource>(type: string, id: string): Promise<T | undefined>;
  readMany<T extends Resource>(type: string, ids: readonly string[]): Promise<T[]>;
  update<T extends Resource>(r: T, o?: CareplanWriteOptions): Promise<{ resource: T; created: boolean }>;
  search(type: string | undefined, params: URLSearchParams, o?: { maxCount?: number }): Promise<Bundle>;
  /** New resources (server ids), stamped, in order; one statement for all of them. */
  createMany<T extends Resource>(resources: readonly T[], o?: CareplanWriteOptions): Promise<T[]>;
  /** Existing resources of one type changed from their current versions, read once under their row locks. */
  updateMany<T extends Resource>(type: string, ids: readonly string[], change: (current: T) => T | undefined, o?: CareplanWriteOptions): Promise<T[]>;
  /** A transaction Bundle (atomic; joins the caller's transaction inside `inTransaction`). */
  transaction(bundle: Bundle, o?: CareplanWriteOptions): Promise<Bundle>;
  inTransaction<T>(fn: (store: CareplanStore, trx: AnyDb) => Promise<T>): Promise<T>;
}

export interface ChangeEntry {
  seq: number;
  resourceType: string;
  id: string;
  versionId: number;
  operation: 'create' | 'update' | 'delete';
  changedAt: Date;
  source?: CareplanWriteSource;
}

export type ConsumeChangeFeed = (db: AnyDb, consumer: string, limit: number, fn: (entries: ChangeEntry[], trx: AnyDb) => Promise<void>) => Promise<number>;

export interface ContactDecision {
  allowed: boolean;
  reason: string;
  consentId?: string;
}

/** `mayContact(patientRef, purpose, channel, at)` bound to a store. */
export type MayContact = (patientRef: string, purpose: string, channel: string, at: Date) => Promise<ContactDecision>;

export interface ContactQuery {
  readonly patientRef: string;
  readonly purpose: string;
  readonly channel: string;
}

/** The consent service's `mayContactMany`: one answer per query, in order, read with few searches. */
export type MayContactMany = (queries: readonly ContactQuery[], at: Date) => Promise<ContactDecision[]>;

/** Who wrote a care-plan resource (loop prevention: the planner ignores its own writes). */
export const CAREPLAN_SOURCE: CareplanWriteSource = { kind: 'careplan' };
