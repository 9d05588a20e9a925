/**
 * Care-plan test harness: a fresh database with the store, search, auth and care-plan tables, the
 * shipped plan files, a manual clock, and helpers to run the planner and sweeps on demand.
 */
import type { Consent, Encounter, Patient, Procedure, Resource } from 'fhir/r4.js';
import { createConsentService } from '../../src/auth/index.js';
import { ManualClock, careplanMigrations, careplanTables, createScheduler, loadPlanRegistry, runPlanner, type CareplanStore, type PlanRegistry, type Scheduler } from '../../src/careplans/index.js';
import type { DatabaseKind } from '../../src/db/index.js';
import { changeFeedLag, consumeChangeFeed, createFhirStore, fhirMigrations, searchMigrations, type FhirStore } from '../../src/fhir/index.js';
import { createLogger } from '../../src/logging/index.js';
import { openTestDatabase, type TestDatabase } from '../helpers/db.js';

export const SHIPPED_PLANS = new URL('../../mappings/careplans/', import.meta.url).pathname;
export const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export interface Harness {
  readonly t: TestDatabase;
  readonly store: FhirStore;
  readonly clock: ManualClock;
  readonly registry: PlanRegistry;
  readonly scheduler: Scheduler;
  plan(): Promise<number>;
  sweep(): ReturnType<Scheduler['sweep']>;
  rows(careplanId?: string): Promise<Array<{ id: string; activity_key: string; status: string; due_at: Date; run_at: Date; patient_ref: string; result_ref: string | null; reason: string | null; careplan_id: string }>>;
  close(): Promise<void>;
}

/**
 * Runs the planner until the change feed is drained. The feed only shows rows below the cluster's
 * snapshot xmin, so on a shared PostgreSQL server another database's open transaction can hide our
 * newest rows for a moment: poll (briefly) instead of assuming one pass sees everything.
 */
async function drainPlanner(deps: Parameters<typeof runPlanner>[0]): Promise<number> {
  let total = 0;
  const until = Date.now() + 30_000;
  for (;;) {
    total += await runPlanner(deps);
    if ((await changeFeedLag(deps.db, 'careplans')) === 0) return total;
    if (Date.now() > until) throw new Error('change feed not drained within 30 s');
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const careplanTestMigrations = () => [...fhirMigrations, ...searchMigrations, ...careplanMigrations];

export async function openHarness(kind: DatabaseKind, start = '2026-03-01T00:00:00Z', plansDir = SHIPPED_PLANS): Promise<Harness> {
  const t = await openTestDatabase(kind, careplanTestMigrations());
  const store = createFhirStore({ db: t.db, logger });
  const clock = new ManualClock(start);
  const registry = await loadPlanRegistry(plansDir, { logger, defaultTimeZone: 'Asia/Shanghai', watch: false });
  const consent = createConsentService({ store });
  const scheduler = createScheduler({ db: t.db, store: store as CareplanStore, registry, logger, clock, mayContact: (p, purpose, ch, at) => consent.mayContact(p, purpose, ch, at), mayContactMany: (q, at) => consent.mayContactMany(q, at) });
  const deps = { db: t.db, consumeChangeFeed, storeFor: (trx: typeof t.db) => createFhirStore({ db: trx, logger }) as CareplanStore, registry, logger, clock };
  return {
    t, store, clock, registry, scheduler,
    plan: () => drainPlanner(deps),
    sweep: () => scheduler.sweep(),
    rows: (careplanId) => {
      let q = careplanTables(t.db).selectFrom('careplan_activity').selectAll().orderBy('due_at');
      if (careplanId) q = q.where('careplan_id', '=', careplanId);
      return q.execute();
    },
    close: async () => {
      registry.close();
      await t.close();
    },
  };
}

export function patient(id: string, o: { lang?: string; birthDate?: string; telecom?: Patient['telecom']; extension?: Patient['extension'] } = {}): Patient {
  return {
    resourceType: 'Patient',
    id,
    identifier: [{ system: 'urn:oid:2.16.840.1.113883.19.5', value: `MRN-${id}` }],
    name: [{ family: '王', given: ['小明'] }],
    birthDate: o.birthDate ?? '1970-05-01',
    telecom: o.telecom ?? [{ system: 'phone', use: 'mobile', value: '+8613800000000', rank: 1 }],
    communication: [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: o.lang ?? 'zh-CN' }] }, preferred: true }],
    ...(o.extension ? { extension: o.extension } : {}),
  };
}

export function permitConsent(patientId: string): Consent {
  return {
    resourceType: 'Consent',
    id: `consent-${patientId}`,
    status: 'active',
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
    patient: { reference: `Patient/${patientId}` },
    dateTime: '2026-01-01T00:00:00Z',
    provision: { type: 'permit' },
  };
}

export function encounter(id: string, patientId: string, status: Encounter['status'], end?: string): Encounter {
  return {
    resourceType: 'Encounter',
    id,
    status,
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'IMP' },
    subject: { reference: `Patient/${patientId}` },
    period: { start: '2026-02-25T01:00:00Z', ...(end ? { end } : {}) },
  };
}

export function procedure(id: string, encounterId: string, patientId: string): Procedure {
  return {
    resourceType: 'Procedure',
    id,
    status: 'completed',
    code: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '47562' }], text: 'Laparoscopic cholecystectomy' },
    subject: { reference: `Patient/${patientId}` },
    encounter: { reference: `Encounter/${encounterId}` },
  };
}

/** Writes resources as the HL7 mapping would (source hl7v2), one transaction. */
export async function writeAsHl7(store: FhirStore, ...resources: Resource[]): Promise<void> {
  await store.inTransaction(async (s) => {
    for (const r of resources) await s.update(r, { source: { kind: 'hl7v2', controlId: 'test' } });
  });
}
