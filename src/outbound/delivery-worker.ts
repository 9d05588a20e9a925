/**
 * @module The delivery worker: claims due head rows per destination (SKIP LOCKED, so any number
 * of processes share the work), sends them through the destination's channel within its
 * concurrency and rate limits, and settles each row: delivered, retry later (exponential backoff
 * with jitter), or dead letter. Failures feed the destination's circuit breaker.
 *
 * ```ts
 * const worker = createDeliveryWorker({ db, logger, destinations: () => registry.list() });
 * worker.start();  …  await worker.stop();   // waits for in-flight sends
 * ```
 */
import { randomUUID } from 'node:crypto';
import type { AnyDb } from '../db/index.js';
import type { Logger } from '../logging/index.js';
import type { Metrics } from '../metrics/index.js';
import { backoffDelay } from './backoff.js';
import type { Destination } from './channel.js';
import { systemClock, type OutboundClock } from './clock.js';
import { admission, ensureDestinations, readDestinationStates, recordFailure, recordSuccess, type DestinationState } from './destination-state.js';
import { claimOutboxMessages, markDead, markDelivered, markRetry } from './outbox.js';
import { TokenBucket } from './rate-limiter.js';
import type { DeliveryOutcome, OutboxMessage } from './types.js';

/** How a row ended up after one attempt. */
export type Settlement = 'delivered' | 'retry' | 'dead';

export interface DeliveryWorkerOptions {
  readonly db: AnyDb;
  readonly logger: Logger;
  /** The current destinations (rules reload and subscriptions come and go, so this is read each tick). */
  readonly destinations: () => readonly Destination[];
  readonly metrics?: Metrics;
  readonly clock?: OutboundClock;
  readonly workerId?: string;
  /** Idle poll interval; `wake()` cuts it short when this process enqueues. */
  readonly pollMs?: number;
  /** Called after each settled attempt (subscriptions track their endpoint's health with it). */
  readonly onSettled?: (message: OutboxMessage, outcome: DeliveryOutcome, settlement: Settlement, at: Date) => void | Promise<void>;
}

export interface DeliveryWorker {
  readonly workerId: string;
  start(): void;
  /** Stops claiming, waits for in-flight sends to settle. */
  stop(): Promise<void>;
  /** Claim now instead of at the next poll. */
  wake(): void;
  /** One claim round (tests and the CLI drive the worker by hand with it); returns rows claimed. */
  tick(): Promise<number>;
  /** Resolves when nothing is in flight in this process. */
  idle(): Promise<void>;
}

export function createDeliveryWorker(o: DeliveryWorkerOptions): DeliveryWorker {
  const clock = o.clock ?? systemClock;
  const workerId = o.workerId ?? `w-${randomUUID().slice(0, 8)}`;
  const pollMs = o.pollMs ?? 200;
  const inFlight = new Map<string, number>();
  const running = new Set<Promise<void>>();
  const buckets = new Map<string, TokenBucket>();
  const known = new Set<string>();
  let wakeController = new AbortController();
  let stopped = true;
  let states: Map<string, DestinationState> | undefined;
  let statesAt = 0;
  let loop: Promise<void> | undefined;

  const wake = () => wakeController.abort();
  /** Forget cached pause/circuit state (after a settle that changed it). */
  const refreshStates = () => (statesAt = 0);

  async function tick(): Promise<number> {
    const destinations = o.destinations();
    const missing = destinations.map((d) => d.name).filter((n) => !known.has(n));
    if (missing.length) {
      await ensureDestinations(o.db, missing);
      missing.forEach((n) => known.add(n));
    }
    // Pause and circuit state change rarely; re-read at most every 100 ms, not on every wake.
    const nowMs = clock.now().getTime();
    if (!states || nowMs - statesAt >= 100) {
      states = await readDestinationStates(o.db);
      statesAt = nowMs;
    }
    let claimed = 0;
    for (const d of destinations) {
      if (stopped && loop) break;
      claimed += await claimFor(d, states.get(d.name));
    }
    return claimed;
  }

  async function claimFor(d: Destination, state: DestinationState | undefined): Promise<number> {
    const now = clock.now();
    const mode = admission(state, d.circuit, now);
    if (mode === 'paused' || mode === 'open') return 0;
    const busy = inFlight.get(d.name) ?? 0;
    let requests = mode === 'probe' ? (busy > 0 ? 0 : 1) : d.concurrency - busy;
    // Claim in groups: refilling one slot at a time costs a head scan per message.
    if (requests <= 0 || (busy > 0 && requests < Math.ceil(d.concurrency / 2))) return 0;
    let bucket = buckets.get(d.name);
    if (!bucket) buckets.set(d.name, (bucket = new TokenBucket(d.ratePerSecond, Math.max(1, Math.ceil(d.ratePerSecond)), now.getTime())));
    const batch = d.channel.sendBatch && d.batchSize > 1 ? d.batchSize : 1;
    requests = bucket.take(requests, now.getTime());
    if (requests <= 0) return 0;
    const leaseUntil = new Date(now.getTime() + d.timeoutMs * 2 + 30_000);
    const rows = await claimOutboxMessages(o.db, { destination: d.name, limit: requests * batch, workerId, now, leaseUntil });
    for (let i = 0; i < rows.length; i += batch) track(d, rows.slice(i, i + batch));
    return rows.length;
  }

  function track(d: Destination, rows: OutboxMessage[]): void {
    inFlight.set(d.name, (inFlight.get(d.name) ?? 0) + 1);
    const p = deliver(d, rows)
      .catch((err: unknown) => o.logger.error({ err, destination: d.name, ids: rows.map((r) => r.id) }, 'outbound settle failed'))
      .finally(() => {
        inFlight.set(d.name, (inFlight.get(d.name) ?? 1) - 1);
        running.delete(p);
        wake();
      });
    running.add(p);
  }

  async function deliver(d: Destination, rows: OutboxMessage[]): Promise<void> {
    const signal = AbortSignal.timeout(d.timeoutMs);
    let outcomes: DeliveryOutcome[];
    try {
      outcomes = rows.length > 1 && d.channel.sendBatch ? await d.channel.sendBatch(rows, signal) : [await d.channel.send(rows[0]!, signal)];
    } catch (err) {
      // A channel bug must not lose the row: treat it as a transient failure.
      outcomes = rows.map(() => ({ kind: 'retry', error: `channel error: ${(err as Error).message}` }));
    }
    const at = clock.now();
    let failed = false;
    let succeeded = false;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const outcome = outcomes[i] ?? { kind: 'retry', error: 'no outcome from channel' };
      const settlement = await settle(d, row, outcome, at);
      if (outcome.kind === 'delivered') succeeded = true;
      if (outcome.kind === 'retry') failed = true;
      o.metrics?.outboundAttempts.inc({ destination: d.name, result: settlement });
      if (o.onSettled) await o.onSettled(row, outcome, settlement, at);
    }
    if (failed) {
      await recordFailure(o.db, d.name, at, errorOf(outcomes), d.circuit);
      refreshStates();
    }
    else if (succeeded) await recordSuccess(o.db, d.name, at);
  }

  async function settle(d: Destination, row: OutboxMessage, outcome: DeliveryOutcome, at: Date): Promise<Settlement> {
    const log = { destination: d.name, outboxId: row.id, attempt: row.attempt, idempotencyKey: row.idempotencyKey };
    if (outcome.kind === 'delivered') {
      const mine = await markDelivered(o.db, row.id, workerId, at, outcome.status);
      if (!mine) o.logger.warn(log, 'outbound claim lost before settling (lease expired); receiver may see the idempotency key twice');
      return 'delivered';
    }
    if (outcome.kind === 'reject' || row.attempt >= d.maxAttempts) {
      const reason = outcome.kind === 'reject' ? outcome.error : `gave up after ${row.attempt} attempts: ${outcome.error}`;
      await markDead(o.db, row.id, workerId, reason, outcome.status, outcome.response);
      o.logger.warn({ ...log, status: outcome.status, error: reason }, 'outbound message dead-lettered');
      return 'dead';
    }
    const delay = backoffDelay(d.backoff, row.attempt, clock.random, outcome.retryAfterMs);
    await markRetry(o.db, row.id, workerId, new Date(at.getTime() + delay), outcome.error, outcome.status, outcome.response);
    o.logger.debug({ ...log, status: outcome.status, error: outcome.error, retryInMs: delay }, 'outbound attempt failed');
    return 'retry';
  }

  async function run(): Promise<void> {
    while (!stopped) {
      let claimed = 0;
      try {
        claimed = await tick();
      } catch (err) {
        o.logger.error({ err }, 'outbound claim failed');
      }
      if (stopped) break;
      if (claimed === 0) {
        const signal = wakeController.signal;
        await clock.sleep(pollMs, signal);
        if (signal.aborted) wakeController = new AbortController();
      }
    }
  }

  return {
    workerId,
    start() {
      if (!stopped) return;
      stopped = false;
      loop = run();
    },
    async stop() {
      stopped = true;
      wake();
      await loop;
      loop = undefined;
      await Promise.allSettled([...running]);
    },
    wake,
    tick,
    async idle() {
      while (running.size) await Promise.allSettled([...running]);
    },
  };
}

function errorOf(outcomes: readonly DeliveryOutcome[]): string {
  for (const x of outcomes) if (x.kind === 'retry') return x.error;
  return 'failed';
}
