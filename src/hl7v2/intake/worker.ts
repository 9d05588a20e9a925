/**
 * @module The processing worker: claims received rows with FOR UPDATE SKIP LOCKED under a lease,
 * keeping per-patient order (a row is claimable only when no earlier row of the same patient key is
 * still received), processes different patients in parallel, and sweeps dedup keys and raw bodies
 * past their windows. Safe with several processes on one database.
 */
import { sql } from 'kysely';
import type { AnyDb } from '../../db/index.js';
import type { Logger } from '../../logging/index.js';
import { processRow, type InboxRow, type ProcessingDeps } from './processing.js';

export interface WorkerOptions extends ProcessingDeps {
  /** Rows claimed per round (default 32). */
  readonly batchSize?: number;
  /**
   * Rows processed at once (default 4). Each holds a pooled connection for its whole transaction,
   * so this stays well under the pool size: intake's group commit must always find a connection,
   * or ACKs wait behind mapping work (measured: 32 at once on a pool of 10 cut the ACK rate to
   * ~140 msg/s while a backlog was being mapped).
   */
  readonly concurrency?: number;
  /** Idle poll interval (default 250 ms); `wake()` starts a round at once. */
  readonly pollMs?: number;
  /**
   * How long a claim lasts before another worker may take the row (default 15 s). A message maps
   * in milliseconds; a long lease only delays a patient's queue after a crash or a database outage
   * (the result is fenced by attempt number, so a late finisher cannot overwrite a newer claim).
   */
  readonly leaseMs?: number;
  readonly dedupWindowDays: number;
  /** 0 keeps raw bodies forever. */
  readonly rawRetentionDays: number;
  /** Sweep interval (default 60 s). */
  readonly sweepMs?: number;
}

export interface InboxWorker {
  /** Start a round now (new rows arrived). */
  wake(): void;
  /** One claim-and-process round; resolves with rows handled (tests, CLI). */
  runOnce(): Promise<number>;
  /** One sweep of dedup keys and raw bodies; resolves with rows touched. */
  sweep(): Promise<{ dedupExpired: number; rawPurged: number }>;
  start(): void;
  /** Stops claiming and waits for rows in process. */
  stop(): Promise<void>;
}

export function claimRows(db: AnyDb, limit: number, leaseMs: number): Promise<InboxRow[]> {
  return sql<InboxRow>`
    update hl7_inbox set lease_until = now() + make_interval(secs => ${leaseMs / 1000}), attempts = attempts + 1
    where id in (
      select m.id from hl7_inbox m
      where m.status = 'received' and m.next_attempt_at <= now() and (m.lease_until is null or m.lease_until < now())
        and not exists (
          select 1 from hl7_inbox e
          where e.patient_key = m.patient_key and e.status = 'received' and e.id < m.id
        )
      order by m.next_attempt_at, m.id
      limit ${limit}
      for update skip locked
    )
    returning *`
    .execute(db)
    .then((r) => r.rows.map((row) => ({ ...row, id: Number(row.id) })));
}

export function createInboxWorker(options: WorkerOptions): InboxWorker {
  const { db, logger } = options;
  const batchSize = options.batchSize ?? 32;
  const leaseMs = options.leaseMs ?? 15_000;
  let running = false;
  let round: Promise<number> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let sweepTimer: NodeJS.Timeout | undefined;
  let again = false;

  const concurrency = Math.max(1, options.concurrency ?? 4);
  const runOnce = async (): Promise<number> => {
    const rows = await claimRows(db, batchSize, leaseMs);
    let next = 0;
    const lane = async () => {
      for (let i = next++; i < rows.length; i = next++) await processRow(options, rows[i]!);
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, rows.length) }, lane));
    return rows.length;
  };

  const schedule = (ms: number) => {
    if (!running) return;
    clearTimeout(timer);
    timer = setTimeout(() => void loop(), ms);
  };

  const loop = async (): Promise<void> => {
    if (!running || round) {
      again = true;
      return;
    }
    again = false;
    let handled = 0;
    round = runOnce().catch((err: unknown) => {
      logger.warn({ err: { message: (err as Error).message, code: (err as { code?: string }).code } }, 'inbox worker round failed; retrying');
      return -1;
    });
    try {
      handled = await round;
    } finally {
      round = undefined;
    }
    schedule(handled === batchSize || again ? 0 : handled < 0 ? 1000 : (options.pollMs ?? 250));
  };

  const sweep = async () => {
    const dedup = await sql`
      update hl7_inbox set dedup_key = null
      where dedup_key is not null and received_at < now() - make_interval(days => ${options.dedupWindowDays})`.execute(db);
    let rawPurged = 0;
    if (options.rawRetentionDays > 0) {
      const raw = await sql`
        update hl7_inbox set raw = null, raw_purged_at = now()
        where raw is not null and status <> 'received' and received_at < now() - make_interval(days => ${options.rawRetentionDays})`.execute(db);
      rawPurged = Number(raw.numAffectedRows ?? 0);
    }
    const result = { dedupExpired: Number(dedup.numAffectedRows ?? 0), rawPurged };
    if (result.dedupExpired || result.rawPurged) logger.info(result, 'inbox sweep');
    return result;
  };

  return {
    wake() {
      if (running) schedule(0);
    },
    runOnce,
    sweep,
    start() {
      if (running) return;
      running = true;
      schedule(0);
      const doSweep = () =>
        sweep().catch((err: unknown) => logger.warn({ err: { message: (err as Error).message } }, 'inbox sweep failed'));
      void doSweep();
      sweepTimer = setInterval(doSweep, options.sweepMs ?? 60_000);
      sweepTimer.unref();
    },
    async stop() {
      running = false;
      clearTimeout(timer);
      clearInterval(sweepTimer);
      if (round) await round;
    },
  };
}
