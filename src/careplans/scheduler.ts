/**
 * @module The sweep: claims due activities with FOR UPDATE SKIP LOCKED (any number of processes
 * share the work), decides each outside any transaction (consent is asked through the store, and
 * PGlite has one connection), then writes the outcome and closes the row in one transaction that
 * re-checks the claim — so an activity is sent exactly once even if a claim expired meanwhile.
 */
import type { CommunicationRequest, Patient } from 'fhir/r4.js';
import { randomUUID } from 'node:crypto';
import { sql, type AnyDb } from '../db/index.js';
import type { Logger } from '../logging/index.js';
import type { Clock } from './clock.js';
import { decideDispatch, type DispatchDecision } from './dispatch.js';
import type { PlanRegistry } from './plan-registry.js';
import { careplanTables, type ActivityState, type CareplanActivityRow } from './schedule-table.js';
import { CAREPLAN_SOURCE, type CareplanStore, type ContactDecision, type MayContact } from './store-port.js';

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
  /** Write transactions run in parallel per batch (default 4; keep below the pool size). */
  readonly writers?: number;
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
  const writers = deps.writers ?? 4;
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

  type Decided = { row: CareplanActivityRow; decision: Exclude<DispatchDecision, { kind: 'defer' }>; now: Date };

  const stateOf = (d: Decided): ActivityState => (d.decision.kind === 'task' ? 'task-created' : d.decision.status);
  const resultRefOf = (d: Decided) => (d.decision.kind === 'task' ? `Task/${d.decision.task.id}` : `Communication/${d.decision.communication.id}`);

  /**
   * Closes the rows first (one statement, re-checking our claim): that locks them, so a revoke or a
   * lease takeover either waits for us or has already won — then we write nothing for that row.
   * Returns the ids we still owned.
   */
  async function closeRows(trx: AnyDb, chunk: readonly Decided[]): Promise<Set<string>> {
    const values = chunk.map((d) => sql`(${d.row.id}, ${stateOf(d)}, ${resultRefOf(d)}, ${d.decision.reason ?? null}::text, ${d.now}::timestamptz)`);
    const { rows } = await sql<{ id: string }>`
      update careplan_activity a
         set status = v.status, result_ref = v.result_ref, reason = v.reason, done_at = v.done_at,
             claimed_by = null, claim_expires_at = null, updated_at = v.done_at
        from (values ${sql.join(values)}) as v(id, status, result_ref, reason, done_at)
       where a.id = v.id and a.status = 'claimed' and a.claimed_by = ${instanceId}
      returning a.id`.execute(trx);
    return new Set(rows.map((r) => r.id));
  }

  async function writeOutcome(store: CareplanStore, d: Decided): Promise<void> {
    if (d.decision.kind === 'task') await store.update(d.decision.task, write);
    else await store.update(d.decision.communication, write);
    if (d.row.kind !== 'call' && d.row.request_type === 'CommunicationRequest') {
      const request = await store.readOrUndefined<CommunicationRequest>('CommunicationRequest', d.row.request_id);
      if (request?.status === 'active') await store.update({ ...request, status: 'completed' }, write);
    }
  }

  /** Writes one chunk in ONE transaction; if that fails, each activity alone (one bad one cannot hold back the rest). */
  async function finishChunk(chunk: Decided[], done: Map<string, boolean>): Promise<void> {
    const inTrx = (part: Decided[]) =>
      deps.store.inTransaction(async (store, trx) => {
        const owned = await closeRows(trx, part);
        for (const d of part) if (owned.has(d.row.id)) await writeOutcome(store, d);
        return owned;
      });
    try {
      const owned = await inTrx(chunk);
      for (const d of chunk) done.set(d.row.id, owned.has(d.row.id));
      return;
    } catch (err) {
      deps.logger.warn({ err: { message: (err as Error).message }, activities: chunk.length }, 'care-plan batch write failed; writing one by one');
    }
    for (const d of chunk) {
      try {
        done.set(d.row.id, (await inTrx([d])).has(d.row.id));
      } catch (err) {
        deps.logger.error({ activity: d.row.id, err }, 'care-plan activity failed; retried when its claim expires');
      }
    }
  }

  /** A batch's outcomes, written by up to `writers` transactions in parallel (one commit per chunk). */
  async function finishAll(decided: Decided[]): Promise<Map<string, boolean>> {
    const done = new Map<string, boolean>();
    const chunks = Math.max(1, Math.min(writers, Math.ceil(decided.length / 25)));
    const size = Math.ceil(decided.length / chunks);
    await Promise.all(Array.from({ length: chunks }, (_v, i) => finishChunk(decided.slice(i * size, (i + 1) * size), done)));
    return done;
  }

  type Cache = { patients: Map<string, Promise<Patient | undefined>>; consent: Map<string, Promise<ContactDecision>> };

  async function decide(row: CareplanActivityRow, cache: Cache): Promise<Decided | Outcome> {
    const now = deps.clock.now();
    const plan = deps.registry.plan(row.plan_id);
    const activity = plan?.activities.find((a) => a.id === row.activity_key);
    if (!plan || !activity) {
      // The definition was removed on purpose (a broken file keeps its last good version).
      await release(row, new Date(now.getTime() + 3_600_000), `plan definition ${row.plan_id}/${row.activity_key} is not loaded; retrying hourly`);
      return 'deferred';
    }
    let patient = cache.patients.get(row.patient_ref);
    if (!patient) {
      patient = deps.store.readOrUndefined<Patient>('Patient', row.patient_ref.split('/')[1]!).catch(() => undefined);
      cache.patients.set(row.patient_ref, patient);
    }
    const decision = await decideDispatch({
      row, plan, activity, patient: await patient, now,
      consent: (channel) => {
        // One consent lookup per patient, purpose and channel per batch (the batch shares one moment).
        const key = `${row.patient_ref}|${activity.purpose}|${channel}`;
        let c = cache.consent.get(key);
        if (!c) {
          c = deps.mayContact(row.patient_ref, activity.purpose, channel, now);
          cache.consent.set(key, c);
        }
        return c;
      },
    });
    if (decision.kind === 'defer') return (await release(row, decision.until, decision.reason)) ? 'deferred' : 'lost';
    return { row, decision, now };
  }

  /** One batch: claim, decide (concurrently), write (one transaction). Returns the per-outcome counts. */
  async function sweepBatch(): Promise<SweepReport> {
    const t0 = performance.now();
    const rows = await claimDue(deps.db, instanceId, deps.clock.now(), batchSize, leaseMs);
    const t1 = performance.now();
    const counts: Record<Outcome, number> = { sent: 0, notDone: 0, tasks: 0, deferred: 0, lost: 0, failed: 0 };
    const cache: Cache = { patients: new Map(), consent: new Map() };
    const decided: Decided[] = [];
    let next = 0;
    const worker = async () => {
      while (next < rows.length) {
        const row = rows[next++]!;
        try {
          const d = await decide(row, cache);
          if (typeof d === 'string') counts[d]++;
          else decided.push(d);
        } catch (err) {
          counts.failed++;
          deps.logger.error({ activity: row.id, err }, 'care-plan activity failed; retried when its claim expires');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, rows.length) }, worker));
    const t2 = performance.now();
    const written = await finishAll(decided);
    const t3 = performance.now();
    deps.logger.debug({ claimed: rows.length, claimMs: Math.round(t1 - t0), decideMs: Math.round(t2 - t1), writeMs: Math.round(t3 - t2) }, 'care-plan sweep batch');
    for (const d of decided) {
      const ok = written.get(d.row.id);
      if (ok === undefined) counts.failed++;
      else if (!ok) counts.lost++;
      else {
        deps.observeLag?.(Math.max(0, (d.now.getTime() - d.row.due_at.getTime()) / 1000));
        counts[d.decision.kind === 'task' ? 'tasks' : d.decision.status === 'sent' ? 'sent' : 'notDone']++;
      }
    }
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
