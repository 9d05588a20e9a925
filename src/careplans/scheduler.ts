/**
 * @module The sweep: claims due activities with FOR UPDATE SKIP LOCKED (any number of processes
 * share the work), decides them outside any transaction (consent is asked through the store, and
 * PGlite has one connection), then writes the outcomes and closes the rows in one transaction that
 * re-checks the claim — so an activity is sent exactly once even if a claim expired meanwhile.
 *
 * Everything is done per batch, not per activity: one claim statement, one Patient read and one
 * consent question for the batch, one release statement for the deferred rows, and per write chunk
 * one transaction: the statement that locks the rows still ours, the outcomes created together and
 * the requests completed together (the store writes each group with one statement per table), and
 * the statement that closes the rows with their result refs.
 */
import type { Bundle, BundleEntry, CommunicationRequest, FhirResource, Patient, Resource, Task } from 'fhir/r4.js';
import { randomUUID } from 'node:crypto';
import { sql, type AnyDb } from '../db/index.js';
import { CarebridgeError } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import type { Clock } from './clock.js';
import { dispatchStep, type DispatchDecision, type DispatchStep } from './dispatch.js';
import type { PlanRegistry } from './plan-registry.js';
import type { ActivityState, CareplanActivityRow } from './schedule-table.js';
import { CAREPLAN_SOURCE, type CareplanStore, type ContactDecision, type ContactQuery, type MayContact, type MayContactMany } from './store-port.js';

export interface SchedulerDeps {
  readonly db: AnyDb;
  readonly store: CareplanStore;
  readonly registry: PlanRegistry;
  readonly mayContact: MayContact;
  /** Consent for a whole batch with few searches (the consent service's `mayContactMany`); without it, `mayContact` per patient. */
  readonly mayContactMany?: MayContactMany;
  readonly logger: Logger;
  readonly clock: Clock;
  /** Identifies this process in claims (default: a random id per scheduler). */
  readonly instanceId?: string;
  readonly batchSize?: number;
  /** Consent questions asked at once when only `mayContact` is given. */
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

/**
 * Claims up to `limit` due rows (or rows whose claim expired) for this instance, earliest run time
 * first. Pending and expired rows are picked by two index scans (careplan_activity_due,
 * careplan_activity_claimed) that stop after `limit` rows: one scan with an OR of both cannot use
 * either index in order, and sorted the whole backlog on every claim (a 100,000-row backlog: 0.7 s
 * per claim of 400, quadratic in the backlog). Bitmap scans are off for the claim because without
 * statistics (right after a bulk load, or with autovacuum off) the planner expects a handful of due
 * rows and chooses bitmap + sort, which again reads and sorts the whole backlog each time.
 */
export async function claimDue(db: AnyDb, instanceId: string, now: Date, limit: number, leaseMs: number): Promise<CareplanActivityRow[]> {
  const expires = new Date(now.getTime() + leaseMs);
  const claim = async (trx: AnyDb) => {
    await sql`set local enable_bitmapscan = off`.execute(trx);
    const result = await sql<CareplanActivityRow>`
    with pending as (
      select id, run_at from careplan_activity
      where status = 'pending' and run_at <= ${now}
      order by run_at
      limit ${limit}
      for update skip locked
    ), expired as (
      select id, run_at from careplan_activity
      where status = 'claimed' and claim_expires_at < ${now}
      order by claim_expires_at
      limit ${limit}
      for update skip locked
    ), due as (
      select id from (select id, run_at from pending union all select id, run_at from expired) as d
      order by run_at
      limit ${limit}
    )
    update careplan_activity a
       set status = 'claimed', claimed_by = ${instanceId}, claim_expires_at = ${expires}, attempts = a.attempts + 1, updated_at = ${now}
      from due where a.id = due.id
    returning a.*`.execute(trx);
    return result.rows;
  };
  return db.isTransaction ? claim(db) : db.transaction().execute((trx) => claim(trx));
}

type Outcome = 'sent' | 'notDone' | 'tasks' | 'deferred' | 'lost' | 'failed';
type Decided = { row: CareplanActivityRow; decision: Exclude<DispatchDecision, { kind: 'defer' }>; now: Date };
type Release = { row: CareplanActivityRow; until: Date; reason: string };

const stateOf = (d: Decided): ActivityState => (d.decision.kind === 'task' ? 'task-created' : d.decision.status);

/** A planned call Task already exists (the planner made it): its outcome is an update of it. */
const updatesPlannedTask = (d: Decided): boolean => d.decision.kind === 'task' && d.row.kind === 'call';

const taskOf = (d: Decided): Task => (d.decision as Extract<Decided['decision'], { kind: 'task' }>).task;

/** A new outcome resource, created under a server id (the id dispatch suggests is not kept, as a POST would not). */
function newResource(d: Decided): FhirResource {
  const { id: _suggested, ...fresh } = d.decision.kind === 'task' ? d.decision.task : d.decision.communication;
  return fresh as FhirResource;
}

/** `Type/id` of a transaction-response entry (`location` is `Type/id/_history/n`). */
function writtenRef(entry: BundleEntry | undefined): string | null {
  const location = entry?.response?.location;
  if (!location) return null;
  const [type, id] = location.split('/');
  return type && id ? `${type}/${id}` : null;
}

/**
 * A batch's resources of one type by id, one primary-key read (not a `_id` search: right after a
 * bulk load, before statistics exist, PostgreSQL walks every resource of the type for the search's
 * sort — seconds per chunk at 100,000 CommunicationRequests).
 */
async function readMany<T extends Resource>(store: CareplanStore, type: string, ids: readonly string[]): Promise<Map<string, T>> {
  const out = new Map<string, T>();
  for (const r of await store.readMany<T>(type, ids)) if (r.id) out.set(r.id, r);
  return out;
}

export function createScheduler(deps: SchedulerDeps) {
  const instanceId = deps.instanceId ?? `sched-${randomUUID()}`;
  const batchSize = deps.batchSize ?? 200;
  const concurrency = deps.concurrency ?? 8;
  const leaseMs = deps.leaseMs ?? 5 * 60_000;
  const writers = deps.writers ?? 4;
  /**
   * The row is still claimed by us. Written as IS NOT DISTINCT FROM so that it does not match the
   * partial index on claimed rows: without statistics the planner takes that index for a handful of
   * rows and joins every claimed row with the batch (1,600 x 100 comparisons, ~0.2 s per chunk)
   * instead of looking each id up by primary key (~1 ms).
   */
  const stillOurs = sql`(a.status, a.claimed_by) is not distinct from ('claimed', ${instanceId}::text)`;

  /** Returns claims to the pool at a later run time (quiet hours, plan not loaded); one statement. Returns the ids still ours. */
  async function release(items: readonly Release[], now: Date): Promise<Set<string>> {
    if (!items.length) return new Set();
    const values = items.map((r) => sql`(${r.row.id}, ${r.until}::timestamptz, ${r.reason}::text)`);
    const { rows } = await sql<{ id: string }>`
      update careplan_activity a
         set status = 'pending', run_at = v.run_at, claimed_by = null, claim_expires_at = null, reason = v.reason, updated_at = ${now}
        from (values ${sql.join(values)}) as v(id, run_at, reason)
       where a.id = v.id and ${stillOurs}
      returning a.id`.execute(deps.db);
    return new Set(rows.map((r) => r.id));
  }

  /**
   * Locks the chunk's rows that are still ours (one statement) before anything is written: a revoke
   * or a lease takeover either waits for our commit or has already won — then we write nothing for
   * that row. Returns the ids we still own.
   */
  async function lockOwned(trx: AnyDb, chunk: readonly Decided[]): Promise<Set<string>> {
    const { rows } = await sql<{ id: string }>`
      select a.id from careplan_activity a
       where a.id = any(cast(${chunk.map((d) => d.row.id)} as text[])) and ${stillOurs}
       for update`.execute(trx);
    return new Set(rows.map((r) => r.id));
  }

  /**
   * Closes the locked rows with their outcome and result ref in one statement (one new row version
   * each; closing before the write and recording the ref after it made two). The rows arrive as
   * arrays, so the statement text is the same for every chunk.
   */
  async function closeRows(trx: AnyDb, mine: readonly Decided[], refs: ReadonlyArray<string | null>): Promise<void> {
    const { rows } = await sql<{ n: number }>`
      with closed as (
        update careplan_activity a
           set status = v.status, reason = v.reason, done_at = v.done_at, result_ref = v.result_ref,
               claimed_by = null, claim_expires_at = null, updated_at = v.done_at
          from unnest(cast(${mine.map((d) => d.row.id)} as text[]), cast(${mine.map(stateOf)} as text[]), cast(${mine.map((d) => d.decision.reason ?? null)} as text[]),
                      cast(${mine.map((d) => d.now.toISOString())} as timestamptz[]), cast(${refs} as text[])) as v(id, status, reason, done_at, result_ref)
         where a.id = v.id and ${stillOurs}
        returning 1)
      select count(*)::int as n from closed`.execute(trx);
    // The rows are locked by this transaction: anything else is a broken invariant, and rolls back.
    if (rows[0]?.n !== mine.length) throw new CarebridgeError('CB_ERR_INTERNAL', `closed ${rows[0]?.n} of ${mine.length} locked care-plan activities`);
  }

  /**
   * The outcomes of the rows we still own and their requests marked completed, in the chunk's
   * transaction: new Communications and Tasks with one createMany, planned call Tasks (which exist)
   * as one Bundle of PUTs, the requests with one updateMany (each read once, under its lock); then
   * the rows closed with their result refs.
   */
  async function writeOutcomes(store: CareplanStore, trx: AnyDb, mine: readonly Decided[]): Promise<void> {
    const refs = new Map<Decided, string>();
    const fresh = mine.filter((d) => !updatesPlannedTask(d));
    const created = await store.createMany(fresh.map(newResource), write);
    fresh.forEach((d, i) => refs.set(d, `${created[i]!.resourceType}/${created[i]!.id}`));
    const planned = mine.filter(updatesPlannedTask);
    if (planned.length) {
      const bundle: Bundle = { resourceType: 'Bundle', type: 'transaction', entry: planned.map((d) => ({ resource: taskOf(d), request: { method: 'PUT', url: `Task/${taskOf(d).id}` } })) };
      const response = await store.transaction(bundle, write);
      planned.forEach((d, i) => {
        const ref = writtenRef(response.entry?.[i]);
        if (ref) refs.set(d, ref);
      });
    }
    const requestIds = mine.filter((d) => d.row.kind !== 'call' && d.row.request_type === 'CommunicationRequest').map((d) => d.row.request_id);
    await store.updateMany<CommunicationRequest>('CommunicationRequest', requestIds, (r) => (r.status === 'active' ? { ...r, status: 'completed' } : undefined), write);
    await closeRows(trx, mine, mine.map((d) => refs.get(d) ?? null));
  }

  /** Writes one chunk in ONE transaction; if that fails, each activity alone (one bad one cannot hold back the rest). */
  async function finishChunk(chunk: Decided[], done: Map<string, boolean>): Promise<void> {
    const inTrx = (part: Decided[]) =>
      deps.store.inTransaction(async (store, trx) => {
        const owned = await lockOwned(trx, part);
        const mine = part.filter((d) => owned.has(d.row.id));
        if (mine.length) await writeOutcomes(store, trx, mine);
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
    if (!decided.length) return done;
    const chunks = Math.max(1, Math.min(writers, Math.ceil(decided.length / 25)));
    const size = Math.ceil(decided.length / chunks);
    await Promise.all(Array.from({ length: chunks }, (_v, i) => finishChunk(decided.slice(i * size, (i + 1) * size), done)));
    return done;
  }

  /** The batch's Patients in one read; if that fails, one by one (an unreadable Patient is "not found"). */
  async function loadPatients(refs: readonly string[]): Promise<Map<string, Patient>> {
    const ids = [...new Set(refs.filter((r) => r.startsWith('Patient/')).map((r) => r.slice('Patient/'.length)))];
    try {
      return await readMany<Patient>(deps.store, 'Patient', ids);
    } catch (err) {
      deps.logger.warn({ err: { message: (err as Error).message }, patients: ids.length }, 'care-plan patient batch read failed; reading one by one');
      const out = new Map<string, Patient>();
      for (const id of ids) {
        const p = await deps.store.readOrUndefined<Patient>('Patient', id).catch(() => undefined);
        if (p) out.set(id, p);
      }
      return out;
    }
  }

  /** One answer per question (undefined when it could not be asked: that activity fails and is retried after its lease). */
  async function askConsent(queries: readonly ContactQuery[], now: Date): Promise<Array<ContactDecision | undefined>> {
    const keyOf = (q: ContactQuery) => `${q.patientRef}|${q.purpose}|${q.channel}`;
    const unique = [...new Map(queries.map((q) => [keyOf(q), q])).values()];
    const answers = new Map<string, ContactDecision | undefined>();
    let asked = false;
    if (deps.mayContactMany && unique.length) {
      try {
        const out = await deps.mayContactMany(unique, now);
        unique.forEach((q, i) => answers.set(keyOf(q), out[i]));
        asked = true;
      } catch (err) {
        deps.logger.warn({ err: { message: (err as Error).message }, questions: unique.length }, 'care-plan batch consent check failed; asking one by one');
      }
    }
    if (!asked) {
      let next = 0;
      const worker = async () => {
        while (next < unique.length) {
          const q = unique[next++]!;
          try {
            answers.set(keyOf(q), await deps.mayContact(q.patientRef, q.purpose, q.channel, now));
          } catch (err) {
            deps.logger.error({ patient: q.patientRef, err }, 'care-plan consent check failed');
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, unique.length) }, worker));
    }
    return queries.map((q) => answers.get(keyOf(q)));
  }

  type Prepared = { claimed: number; counts: Record<Outcome, number>; decided: Decided[]; claimMs: number; decideMs: number };

  /** Claims a batch and decides it (patients and consent read for the whole batch); deferred rows are released here. */
  async function prepareBatch(): Promise<Prepared> {
    const t0 = performance.now();
    const rows = await claimDue(deps.db, instanceId, deps.clock.now(), batchSize, leaseMs);
    const t1 = performance.now();
    const counts: Record<Outcome, number> = { sent: 0, notDone: 0, tasks: 0, deferred: 0, lost: 0, failed: 0 };
    const decided: Decided[] = [];
    if (!rows.length) return { claimed: 0, counts, decided, claimMs: t1 - t0, decideMs: 0 };
    const now = deps.clock.now();
    const releases: Release[] = [];
    const asking: Array<{ row: CareplanActivityRow; purpose: string; step: Extract<DispatchStep, { kind: 'ask-consent' }> }> = [];
    const patients = await loadPatients(rows.map((r) => r.patient_ref));
    for (const row of rows) {
      const plan = deps.registry.plan(row.plan_id);
      const activity = plan?.activities.find((a) => a.id === row.activity_key);
      if (!plan || !activity) {
        // The definition was removed on purpose (a broken file keeps its last good version).
        releases.push({ row, until: new Date(now.getTime() + 3_600_000), reason: `plan definition ${row.plan_id}/${row.activity_key} is not loaded; retrying hourly` });
        continue;
      }
      try {
        const patient = row.patient_ref.startsWith('Patient/') ? patients.get(row.patient_ref.slice('Patient/'.length)) : undefined;
        const step = dispatchStep({ row, plan, activity, patient, now });
        if (step.kind === 'ask-consent') asking.push({ row, purpose: activity.purpose, step });
        else if (step.kind === 'defer') releases.push({ row, until: step.until, reason: step.reason });
        else decided.push({ row, decision: step, now });
      } catch (err) {
        counts.failed++;
        deps.logger.error({ activity: row.id, err }, 'care-plan activity failed; retried when its claim expires');
      }
    }
    const answers = await askConsent(asking.map((a) => ({ patientRef: a.row.patient_ref, purpose: a.purpose, channel: a.step.channel })), now);
    asking.forEach((a, i) => {
      const answer = answers[i];
      if (answer) decided.push({ row: a.row, decision: a.step.finish(answer) as Decided['decision'], now });
      else counts.failed++;
    });
    const released = await release(releases, now);
    counts.deferred += released.size;
    counts.lost += releases.length - released.size;
    return { claimed: rows.length, counts, decided, claimMs: t1 - t0, decideMs: performance.now() - t1 };
  }

  /** Writes a prepared batch's outcomes. Returns the per-outcome counts. */
  async function finishBatch(p: Prepared): Promise<SweepReport> {
    const { counts, decided } = p;
    const t2 = performance.now();
    const written = await finishAll(decided);
    const writeMs = performance.now() - t2;
    if (p.claimed) deps.logger.debug({ claimed: p.claimed, claimMs: Math.round(p.claimMs), decideMs: Math.round(p.decideMs), writeMs: Math.round(writeMs) }, 'care-plan sweep batch');
    for (const d of decided) {
      const ok = written.get(d.row.id);
      if (ok === undefined) counts.failed++;
      else if (!ok) counts.lost++;
      else {
        deps.observeLag?.(Math.max(0, (d.now.getTime() - d.row.due_at.getTime()) / 1000));
        counts[d.decision.kind === 'task' ? 'tasks' : d.decision.status === 'sent' ? 'sent' : 'notDone']++;
      }
    }
    return { claimed: p.claimed, ...counts };
  }

  /** One batch: claim, decide, write. */
  async function sweepBatch(): Promise<SweepReport> {
    return finishBatch(await prepareBatch());
  }

  /**
   * Sweeps until nothing is due (or only failures remain). Batches overlap: the next batch is
   * claimed and decided while the previous one's outcomes are being written, so the reads of one
   * and the writes of the other share the time (at most two batches are claimed at once).
   */
  async function sweep(): Promise<SweepReport> {
    const total = { claimed: 0, sent: 0, notDone: 0, tasks: 0, deferred: 0, lost: 0, failed: 0 };
    const add = (r: SweepReport) => {
      for (const k of Object.keys(total) as Array<keyof SweepReport>) total[k] += r[k];
      return r;
    };
    const allFailed = (r: SweepReport) => r.claimed > 0 && r.failed === r.claimed;
    let writing: Promise<SweepReport> | undefined;
    try {
      for (;;) {
        const next = await prepareBatch();
        if (writing) {
          const r = add(await writing);
          writing = undefined;
          // Everything failed: stop claiming (the rows come back after their lease); this batch still writes.
          if (allFailed(r)) {
            add(await finishBatch(next));
            break;
          }
        }
        if (next.claimed === 0) break;
        writing = finishBatch(next);
        if (next.claimed < batchSize) break;
      }
      if (writing) add(await writing);
    } finally {
      // A failed claim/decide must not leave a write unobserved.
      if (writing) await writing.catch(() => undefined);
    }
    if (total.claimed) deps.logger.info({ instance: instanceId, ...total }, 'care-plan sweep');
    return total;
  }

  return { instanceId, sweep, sweepBatch };
}

export type Scheduler = ReturnType<typeof createScheduler>;
