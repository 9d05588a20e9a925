/**
 * @module The care-plan background workers of one server process: the planner (polls the change
 * feed) and the node-cron scheduler (sweeps due activities every tick).
 *
 * Ticks across processes: every process sweeps on every tick and they split the due rows with
 * SKIP LOCKED. A transaction-scoped pg advisory lock elects one process per tick to do the tick's
 * bookkeeping (record the tick in careplan_sweep_state, hand expired claims back), so that work
 * happens once per tick however many processes run; within a process a tick never overlaps the
 * previous sweep (node-cron noOverlap).
 */
import cron, { type ScheduledTask } from 'node-cron';
import { sql, type AnyDb } from '../db/index.js';
import type { Logger } from '../logging/index.js';
import type { Clock } from './clock.js';
import { planChanges } from './planner.js';
import type { PlanRegistry } from './plan-registry.js';
import { careplanTables } from './schedule-table.js';
import { createScheduler, type SchedulerDeps, type SweepReport } from './scheduler.js';
import type { CareplanStore, ConsumeChangeFeed } from './store-port.js';

/** Advisory-lock key of the per-tick bookkeeping (`carebridge.careplans.tick`). */
const TICK_LOCK_KEY = 0x0ca2e500;

export interface CareplanWorkerDeps extends Omit<SchedulerDeps, 'db'> {
  readonly db: AnyDb;
  readonly consumeChangeFeed: ConsumeChangeFeed;
  /** A store whose calls run inside the given transaction (the change-feed batch's). */
  readonly storeFor: (trx: AnyDb) => CareplanStore;
  /** node-cron expression (SCHEDULER_CRON). */
  readonly cron: string;
  /** How often the planner polls the change feed when idle (ms). */
  readonly pollMs?: number;
  readonly batchSize?: number;
}

export const PLANNER_CONSUMER = 'careplans';

/** Drains the change feed once (tests call this instead of waiting for the poller). */
export async function runPlanner(deps: Pick<CareplanWorkerDeps, 'db' | 'consumeChangeFeed' | 'storeFor' | 'registry' | 'logger' | 'clock'>, limit = 100): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await deps.consumeChangeFeed(deps.db, PLANNER_CONSUMER, limit, (entries, trx) => planChanges(deps, entries, deps.storeFor(trx), trx));
    total += n;
    if (n < limit) return total;
  }
}

/** The tick's bookkeeping, done by whichever process wins the advisory lock for this tick. */
export async function tickBookkeeping(db: AnyDb, now: Date): Promise<{ leader: boolean; released: number }> {
  return db.transaction().execute(async (trx) => {
    const got = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(${TICK_LOCK_KEY}) as ok`.execute(trx);
    if (!got.rows[0]?.ok) return { leader: false, released: 0 };
    const t = careplanTables(trx);
    const state = await t.selectFrom('careplan_sweep_state').select('last_tick').where('name', '=', 'scheduler').executeTakeFirst();
    // Another process already did this minute's bookkeeping.
    if (state?.last_tick && now.getTime() - state.last_tick.getTime() < 30_000) return { leader: false, released: 0 };
    await t.insertInto('careplan_sweep_state').values({ name: 'scheduler', last_tick: now }).onConflict((oc) => oc.column('name').doUpdateSet({ last_tick: now })).execute();
    const released = await t
      .updateTable('careplan_activity')
      .set({ status: 'pending', claimed_by: null, claim_expires_at: null, updated_at: now })
      .where('status', '=', 'claimed').where('claim_expires_at', '<', now)
      .executeTakeFirst();
    return { leader: true, released: Number(released.numUpdatedRows) };
  });
}

export interface CareplanWorkers {
  /** One sweep now (also what each cron tick runs). */
  tick(): Promise<SweepReport>;
  stop(): Promise<void>;
}

export function startCareplanWorkers(deps: CareplanWorkerDeps): CareplanWorkers {
  const { logger } = deps;
  const scheduler = createScheduler(deps);
  let stopped = false;
  let planning: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;

  const pollLoop = async () => {
    while (!stopped) {
      try {
        const n = await runPlanner(deps, deps.batchSize ?? 100);
        if (n > 0) continue;
      } catch (err) {
        logger.error({ err }, 'care-plan planner batch failed; retrying');
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        timer = setTimeout(resolve, deps.pollMs ?? 500);
      });
    }
  };
  planning = pollLoop();

  const tick = async (): Promise<SweepReport> => {
    const now = deps.clock.now();
    const book = await tickBookkeeping(deps.db, now);
    if (book.released) logger.warn({ released: book.released }, 'expired care-plan claims handed back');
    return scheduler.sweep();
  };
  const task: ScheduledTask = cron.schedule(
    deps.cron,
    async () => {
      if (stopped) return;
      try {
        await tick();
      } catch (err) {
        logger.error({ err }, 'care-plan sweep failed');
      }
    },
    { noOverlap: true, name: `careplans-${scheduler.instanceId}` },
  );

  return {
    tick,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      await task.destroy();
      await planning;
      planning = undefined;
    },
  };
}
