/**
 * @module The sweep: claims due activities with FOR UPDATE SKIP LOCKED (any number of processes
 * share the work), decides each outside any transaction (consent is asked through the store, and
 * PGlite has one connection), then writes the outcome and closes the row in one transaction that
 * re-checks the claim — so an activity is sent exactly once even if a claim expired meanwhile.
 */
import type { CommunicationRequest, Patient, Task } from 'fhir/r4.js';
import { randomUUID } from 'node:crypto';
import { sql, type AnyDb } from '../db/index.js';
import type { Logger } from '../logging/index.js';
import type { Clock } from './clock.js';
import { decideDispatch, type DispatchDecision } from './dispatch.js';
import type { PlanRegistry } from './plan-registry.js';
import { careplanTables, type ActivityState, type CareplanActivityRow } from './schedule-table.js';
import { CAREPLAN_SOURCE, type CareplanStore, type MayContact } from './store-port.js';

export interface SchedulerDeps {
  readonly db: AnyDb;
  readonly store: CareplanStore;
  readonly registry: PlanRegistry;
  readonly mayContact: MayContact;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Identifies this process in claims (default: a random id per scheduler). */
  readonly instanceId?: string;
  readonly batchSize?: number;
  /** Activities decided at once within a batch. */
  readonly concurrency?: number;
  /** How long a claim holds before another process may take the row (ms). */
  readonly leaseMs?: number;
  /** Due time → sent, in seconds (metrics.schedulerLag). */
  readonly observeLag?: (seconds: number) => void;
}

export interface SweepReport {
  readonly claimed: number;
  readonly sent: number;
  readonly notDone: number;
  readonly tasks: number;
  readonly deferred: number;
  readonly lost: number;
  readonly failed: number;
}

const write = { source: CAREPLAN_SOURCE };

/** Claims up to `limit` due rows (or rows whose claim expired) for this instance. */
export async function claimDue(db: AnyDb, instanceId: string, now: Date, limit: number, leaseMs: number): Promise<CareplanActivityRow[]> {
  const expires = new Date(now.getTime() + leaseMs);
  const result = await sql<CareplanActivityRow>`
    with due as (
      select id from careplan_activity
      where (status = 'pending' and run_at <= ${now}) or (status = 'claimed' and claim_expires_at < ${now})
      order by run_at
      limit ${limit}
      for update skip locked
    )
    update careplan_activity a
       set status = 'claimed', claimed_by = ${instanceId}, claim_expires_at = ${expires}, attempts = a.attempts + 1, updated_at = ${now}
      from due where a.id = due.id
    returning a.*`.execute(db);
  return result.rows;
}

type Outcome = 'sent' | 'notDone' | 'tasks' | 'deferred' | 'lost' | 'failed';

export function createScheduler(deps: SchedulerDeps) {
  const instanceId = deps.instanceId ?? `sched-${randomUUID()}`;
  const batchSize = deps.batchSize ?? 200;
  const concurrency = deps.concurrency ?? 8;
  const leaseMs = deps.leaseMs ?? 5 * 60_000;
  const table = careplanTables(deps.db);

  /** Returns the claim to the pool at a later run time (quiet hours). */
  async function release(row: CareplanActivityRow, runAt: Date, reason: string | null): Promise<boolean> {
    const r = await table
      .updateTable('careplan_activity')
      .set({ status: 'pending', run_at: runAt, claimed_by: null, claim_expires_at: null, reason, updated_at: deps.clock.now() })
      .where('id', '=', row.id).where('status', '=', 'claimed').where('claimed_by', '=', instanceId)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async function finish(row: CareplanActivityRow, decision: Exclude<DispatchDecision, { kind: 'defer' }>, now: Date): Promise<boolean> {
    return deps.store.inTransaction(async (store, trx) => {
      const state: ActivityState = decision.kind === 'task' ? 'task-created' : decision.status;
      const resultRef = decision.kind === 'task' ? `Task/${decision.task.id}` : `Communication/${decision.communication.id}`;
      // Closing the row first locks it: a revoke or another claimant waits, or we see we lost it.
      const closed = await careplanTables(trx)
        .updateTable('careplan_activity')
        .set({ status: state, result_ref: resultRef, reason: decision.reason ?? null, done_at: now, claimed_by: null, claim_expires_at: null, updated_at: now })
        .where('id', '=', row.id).where('status', '=', 'claimed').where('claimed_by', '=', instanceId)
        .executeTakeFirst();
      if (Number(closed.numUpdatedRows) !== 1) return false;
      if (decision.kind === 'task') await store.update(decision.task, write);
      else await store.update(decision.communication, write);
      if (row.kind !== 'call') {
        const request = await store.readOrUndefined<CommunicationRequest | Task>(row.request_type, row.request_id);
        if (request?.resourceType === 'CommunicationRequest' && request.status === 'active') await store.update({ ...request, status: 'completed' }, write);
      }
      return true;
    });
  }

  async function handle(row: CareplanActivityRow, patients: Map<string, Promise<Patient | undefined>>): Promise<Outcome> {
    const now = deps.clock.now();
    const plan = deps.registry.plan(row.plan_id);
    const activity = plan?.activities.find((a) => a.id === row.activity_key);
    if (!plan || !activity) {
      // The definition was removed on purpose (a broken file keeps its last good version).
      await release(row, new Date(now.getTime() + 3_600_000), `plan definition ${row.plan_id}/${row.activity_key} is not loaded; retrying hourly`);
      return 'deferred';
    }
    let patient = patients.get(row.patient_ref);
    if (!patient) {
      patient = deps.store.readOrUndefined<Patient>('Patient', row.patient_ref.split('/')[1]!).catch(() => undefined);
      patients.set(row.patient_ref, patient);
    }
    const decision = await decideDispatch({
      row, plan, activity, patient: await patient, now,
      consent: (channel) => deps.mayContact(row.patient_ref, activity.purpose, channel, now),
    });
    if (decision.kind === 'defer') return (await release(row, decision.until, decision.reason)) ? 'deferred' : 'lost';
    if (!(await finish(row, decision, now))) return 'lost';
    deps.observeLag?.(Math.max(0, (now.getTime() - row.due_at.getTime()) / 1000));
    return decision.kind === 'task' ? 'tasks' : decision.status === 'sent' ? 'sent' : 'notDone';
  }

  /** One batch: claim, decide and write. Returns the per-outcome counts. */
  async function sweepBatch(): Promise<SweepReport> {
    const rows = await claimDue(deps.db, instanceId, deps.clock.now(), batchSize, leaseMs);
    const counts: Record<Outcome, number> = { sent: 0, notDone: 0, tasks: 0, deferred: 0, lost: 0, failed: 0 };
    const patients = new Map<string, Promise<Patient | undefined>>();
    let next = 0;
    const worker = async () => {
      while (next < rows.length) {
        const row = rows[next++]!;
        try {
          counts[await handle(row, patients)]++;
        } catch (err) {
          counts.failed++;
          deps.logger.error({ activity: row.id, err }, 'care-plan activity failed; retried when its claim expires');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, rows.length) }, worker));
    return { claimed: rows.length, ...counts };
  }

  /** Sweeps until nothing is due (or only failures remain). */
  async function sweep(): Promise<SweepReport> {
    const total = { claimed: 0, sent: 0, notDone: 0, tasks: 0, deferred: 0, lost: 0, failed: 0 };
    for (;;) {
      const r = await sweepBatch();
      for (const k of Object.keys(total) as Array<keyof SweepReport>) total[k] += r[k];
      if (r.claimed < batchSize || r.failed === r.claimed) break;
    }
    if (total.claimed) deps.logger.info({ instance: instanceId, ...total }, 'care-plan sweep');
    return total;
  }

  return { instanceId, sweep, sweepBatch };
}

export type Scheduler = ReturnType<typeof createScheduler>;
