/**
 * @module The composition root: opens the database, runs every room's migrations, and builds the
 * services the rooms share. Services are passed down explicitly; nothing is an ambient singleton.
 */
import { join } from 'node:path';
import { openDatabase, runMigrations, type Database, type Migration } from '../db/index.js';
import type { Logger } from '../logging/index.js';
import { createMetrics, type Metrics } from '../metrics/index.js';
import { authMigrations, createConsentService, type ErasurePurger } from '../auth/index.js';
import { createFhirStore, fhirMigrations, registerChangeFeedGauge, searchMigrations, type FhirStore } from '../fhir/index.js';
import { careplanMigrations, createCareplanService, type CareplanService } from '../careplans/index.js';
import { createHl7v2Service, hl7v2Migrations, purgePatientInbox, type Hl7v2Service } from '../hl7v2/index.js';
import { createOutboundService, outboundMigrations, purgePatientOutbox, type OutboundService } from '../outbound/index.js';
import { createMappingProcessor, loadMappings, type MappingRegistry } from '../mapping/index.js';
import type { Config } from './config.js';

export interface Runtime {
  readonly config: Config;
  readonly database: Database;
  readonly logger: Logger;
  /** Prometheus metrics for this runtime (served at /metrics). */
  readonly metrics: Metrics;
  /** Every room's migrations, in one list (for /readyz and `carebridge migrate`). */
  readonly migrations: readonly Migration[];
  /** Background work started by `startWorkers`, stopped in reverse order at shutdown. */
  readonly stoppers: Array<() => Promise<void>>;
  /** The one FHIR store every room writes through. */
  readonly store: FhirStore;
  /** Care-plan definitions, planner + scheduler workers (started by startServer), $apply. */
  readonly careplans: CareplanService;
  /** HL7 v2 intake: MLLP listener, inbox, worker, routes (started by startServer). */
  readonly hl7v2: Hl7v2Service;
  /** Outbound rules, change-feed consumer, outbox delivery workers (started by startServer when config.workers). */
  readonly outbound: OutboundService;
  /** v2 → FHIR mappings (mappings/), hot-reloaded; its processor is the intake's. */
  readonly mappings: MappingRegistry;
}

/** All rooms' migrations. Each room owns its number range (see src/db/migrations.ts). */
export function allMigrations(): Migration[] {
  return [...fhirMigrations, ...searchMigrations, ...authMigrations, ...hl7v2Migrations, ...careplanMigrations, ...outboundMigrations];
}

export interface CreateRuntimeOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** Use an already-open database (tests); otherwise one is opened from config. */
  readonly database?: Database;
}

export async function createRuntime({ config, logger, database }: CreateRuntimeOptions): Promise<Runtime> {
  const db =
    database ??
    (await openDatabase({
      url: config.database.url,
      dataDir: config.database.url ? undefined : config.database.dataDir,
      poolSize: config.database.poolSize,
      statementTimeoutMs: config.database.statementTimeoutMs || undefined,
    }));
  const migrations = allMigrations();
  try {
    const report = await runMigrations(db.db, migrations);
    if (report.applied.length) logger.info({ applied: report.applied }, 'migrations applied');
  } catch (err) {
    if (!database) await db.close();
    throw err;
  }
  const metrics = createMetrics();
  const store = createFhirStore({ db: db.db, logger, metrics });
  registerChangeFeedGauge(db.db, metrics);
  const hl7v2 = createHl7v2Service({ db: db.db, logger, metrics, mllp: config.mllp, intake: config.intake });
  const mappings = await loadMappings(config.mappingsDir, logger, { watch: true });
  hl7v2.setProcessor(createMappingProcessor({ store, registry: mappings, logger, metrics }));
  const consent = createConsentService({ store });
  const careplans = await createCareplanService({
    db: db.db, store, logger, metrics,
    plansDir: join(config.mappingsDir, 'careplans'),
    defaultTimeZone: config.scheduler.defaultTimeZone,
    cron: config.scheduler.cron,
    mayContact: (patientRef, purpose, channel, at) => consent.mayContact(patientRef, purpose, channel, at),
    mayContactMany: (queries, at) => consent.mayContactMany(queries, at),
  });
  const outbound = await createOutboundService({
    db: db.db, store, logger, metrics,
    rulesDir: join(config.mappingsDir, 'outbound'),
    fhirBaseUrl: config.http.publicBaseUrl ? `${config.http.publicBaseUrl.replace(/\/+$/, '')}/fhir` : undefined,
    // Rule files may name any variable (${HEALTH_CLOUD_URL}); the CRM webhook pair comes validated from config.
    vars: { ...process.env, CRM_WEBHOOK_URL: config.crmWebhook?.url, CRM_WEBHOOK_SECRET: config.crmWebhook?.secret },
  });
  return { config, database: db, logger, metrics, migrations, stoppers: [async () => mappings.close(), () => careplans.close(), () => outbound.stop()], store, hl7v2, careplans, outbound, mappings };
}

export async function closeRuntime(runtime: Runtime): Promise<void> {
  for (const stop of [...runtime.stoppers].reverse()) await stop();
  runtime.stoppers.length = 0;
  await runtime.database.close();
}

/**
 * What patient erasure must also remove outside the FHIR store: the patient's raw HL7 messages
 * (by identifier key, and by the resources their processing produced) and outbound messages about them.
 */
export function erasureHooks(runtime: Runtime): { purgePatientMessages: (key: string) => Promise<number>; erasurePurgers: ErasurePurger[] } {
  const db = runtime.database.db;
  return {
    purgePatientMessages: (key) => purgePatientInbox(db, { patientKeys: [key] }),
    erasurePurgers: [
      { name: 'hl7v2-inbox (by outcome)', purge: (s) => purgePatientInbox(db, { patientId: s.patientId, patientKeys: [] }) },
      { name: 'outbox', purge: (s) => purgePatientOutbox(db, s) },
    ],
  };
}
