/**
 * @module The care-plan room as one service for the composition root: loads the definitions
 * (hot reload), publishes them as PlanDefinition resources, runs the workers when asked, and
 * applies a plan on demand (`PlanDefinition/$apply`).
 */
import type { CarePlan, PlanDefinition } from 'fhir/r4.js';
import type { AnyDb } from '../db/index.js';
import { CarebridgeError } from '../errors/index.js';
import { consumeChangeFeed, createFhirStore, type FhirStore } from '../fhir/index.js';
import type { Logger } from '../logging/index.js';
import type { Metrics } from '../metrics/index.js';
import { systemClock, type Clock } from './clock.js';
import { careSummary, type CareSummary } from './care-summary.js';
import { careplanId } from './ids.js';
import { applyPlan } from './plan-apply.js';
import { isCurrent, toPlanDefinition } from './plan-definition-resource.js';
import { loadPlanRegistry, type PlanRegistry } from './plan-registry.js';
import { careplanTables } from './schedule-table.js';
import { CAREPLAN_SOURCE, type CareplanStore, type ConsumeChangeFeed, type MayContact, type MayContactMany } from './store-port.js';
import { startCareplanWorkers, type CareplanWorkers } from './workers.js';

export interface CareplanServiceOptions {
  readonly db: AnyDb;
  readonly store: FhirStore;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** mappings/careplans */
  readonly plansDir: string;
  readonly defaultTimeZone: string;
  readonly cron: string;
  readonly mayContact: MayContact;
  /** Batch consent (the consent service's mayContactMany): one search per sweep batch instead of one per patient. */
  readonly mayContactMany?: MayContactMany;
  readonly clock?: Clock;
  readonly watch?: boolean;
}

export interface CareplanService {
  readonly registry: PlanRegistry;
  /** Starts the planner and the scheduler in this process (config.workers). */
  startWorkers(): CareplanWorkers;
  /** Dashboard counts (GET /admin/api/care/summary). */
  summary(): Promise<CareSummary>;
  /** Creates (or returns) the CarePlan of a plan for a patient, anchored at `anchor`. */
  apply(planId: string, subject: string, anchor: Date): Promise<{ careplan: CarePlan; created: boolean }>;
  close(): Promise<void>;
}

export async function createCareplanService(o: CareplanServiceOptions): Promise<CareplanService> {
  const clock = o.clock ?? systemClock;
  const store = o.store as unknown as CareplanStore;
  const registry = await loadPlanRegistry(o.plansDir, { logger: o.logger, defaultTimeZone: o.defaultTimeZone, watch: o.watch });
  let workers: CareplanWorkers | undefined;

  const publish = async () => {
    for (const plan of registry.plans()) {
      try {
        const stored = await o.store.readOrUndefined<PlanDefinition>('PlanDefinition', plan.id);
        if (!isCurrent(stored, plan)) await o.store.update(toPlanDefinition(plan), { source: CAREPLAN_SOURCE });
      } catch (err) {
        o.logger.error({ plan: plan.id, err }, 'PlanDefinition could not be stored');
      }
    }
  };
  await publish();
  registry.onChange(() => void publish());
  o.metrics?.gauge('carebridge_careplan_activities', 'Care-plan activities by state (pending includes not yet due)', ['status'], async (set) => {
    const rows = await careplanTables(o.db).selectFrom('careplan_activity').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('status').execute();
    for (const r of rows) set({ status: r.status }, Number(r.n));
  });

  return {
    registry,
    startWorkers() {
      workers ??= startCareplanWorkers({
        db: o.db,
        store,
        storeFor: (trx) => createFhirStore({ db: trx, logger: o.logger, metrics: o.metrics }) as unknown as CareplanStore,
        consumeChangeFeed: consumeChangeFeed as unknown as ConsumeChangeFeed,
        mayContact: o.mayContact,
        mayContactMany: o.mayContactMany,
        registry,
        logger: o.logger,
        clock,
        cron: o.cron,
        observeLag: o.metrics ? (s) => o.metrics!.schedulerLag.observe(s) : undefined,
      });
      return workers;
    },
    summary: () => careSummary(o.db, store, clock.now()),
    async apply(planId, subject, anchor) {
      const plan = registry.plan(planId);
      if (!plan) throw new CarebridgeError('CB_ERR_NOT_FOUND', `No care-plan definition "${planId}" is loaded`);
      if (!/^Patient\/[A-Za-z0-9\-.]{1,64}$/.test(subject)) throw new CarebridgeError('CB_ERR_BAD_REQUEST', 'subject must be a Patient reference (Patient/<id>)', { details: [{ expression: 'Parameters.parameter.subject', diagnostics: 'expected Patient/<id>' }] });
      const key = `${subject}@${anchor.toISOString()}`;
      const id = careplanId(plan.id, key);
      await o.store.read('Patient', subject.slice('Patient/'.length));
      const outcome = await o.store.inTransaction(async (s, trx) =>
        applyPlan(s as unknown as CareplanStore, trx, { plan, careplanId: id, key, subject, trigger: subject, anchor, now: clock.now() }),
      );
      return { careplan: await o.store.read<CarePlan>('CarePlan', id), created: outcome === 'created' };
    },
    async close() {
      await workers?.stop();
      workers = undefined;
      registry.close();
    },
  };
}
