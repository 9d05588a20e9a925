/**
 * @module The batched audit writer: `record()` only appends to a buffer (the request path never
 * waits for the database); a timer flushes every ~200 ms, a full buffer flushes at once, and
 * `close()` flushes everything before the database closes. Events go into the FHIR store as
 * AuditEvent resources in one transaction per flush, directly through the store — not through the REST
 * API — so writing audit events is never itself audited.
 */
import type { AuditEvent, Bundle } from 'fhir/r4.js';
import { normalizeError } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import { toAuditEvent } from './audit-event.js';
import type { AccessEvent, AuthStore } from './types.js';

export type AuditSink = (events: AuditEvent[]) => Promise<void>;

export interface AuditWriter {
  record(event: AccessEvent): void;
  /** Writes everything buffered so far. */
  flush(): Promise<void>;
  /** Flushes and stops the timer; later records are written at once. */
  close(): Promise<void>;
  /** Events waiting to be written (for metrics and tests). */
  readonly pending: number;
}

export interface AuditWriterOptions {
  readonly sink: AuditSink;
  readonly logger: Logger;
  readonly flushIntervalMs?: number;
  readonly maxBatch?: number;
  /** Beyond this many unwritten events (database down) the oldest are dropped, loudly. */
  readonly maxBuffered?: number;
}

/**
 * Sink writing AuditEvents through the store: all of a flush created in one transaction
 * (`createMany`: the rows of a transaction bundle of POSTs, without building and answering a
 * bundle; several times faster than a `batch`, which isolates every entry), without change-feed
 * rows: no feed consumer acts on an AuditEvent, and a Subscription must not be offered the audit
 * trail (only admins may read it). If that is refused,
 * the same events go as a `batch` so one malformed event cannot block the others; entries the
 * store rejects even then are dropped with an error log (retrying them could never succeed).
 */
export function storeAuditSink(store: Pick<AuthStore, 'transaction' | 'createMany'>, logger?: Logger): AuditSink {
  const bundle = (type: 'transaction' | 'batch', events: AuditEvent[]): Bundle => ({
    resourceType: 'Bundle',
    type,
    entry: events.map((resource) => ({ resource, request: { method: 'POST', url: 'AuditEvent' } })),
  });
  return async (events) => {
    try {
      await store.createMany(events, { source: { kind: 'system' }, changeFeed: false });
      return;
    } catch (err) {
      if (isUnavailable(err)) throw err; // database down: keep the events and retry later
    }
    const result = await store.transaction(bundle('batch', events), { source: { kind: 'system' } });
    const failed = (result.entry ?? []).filter((e) => e.response && !/^2/.test(e.response.status)).length;
    if (failed) logger?.error({ failed, of: events.length }, 'audit events rejected by the store were dropped');
  };
}

function isUnavailable(err: unknown): boolean {
  const e = normalizeError(err);
  return e.kind.retryable && e.kind.http >= 500;
}

export function createAuditWriter({ sink, logger, flushIntervalMs = 200, maxBatch = 500, maxBuffered = 100_000 }: AuditWriterOptions): AuditWriter {
  let buffer: AuditEvent[] = [];
  let chain: Promise<void> = Promise.resolve();
  let closed = false;

  const writeOnce = async (): Promise<void> => {
    while (buffer.length) {
      const batch = buffer.slice(0, maxBatch);
      try {
        await sink(batch);
        buffer = buffer.slice(batch.length);
      } catch (err) {
        logger.error({ err: { message: (err as Error).message }, pending: buffer.length }, 'audit write failed; will retry');
        if (buffer.length > maxBuffered) {
          const dropped = buffer.length - maxBuffered;
          buffer = buffer.slice(dropped);
          logger.error({ dropped }, 'audit buffer full; oldest audit events dropped');
        }
        return;
      }
    }
  };
  const flush = (): Promise<void> => (chain = chain.then(writeOnce));

  const timer = setInterval(() => {
    if (buffer.length) void flush();
  }, flushIntervalMs);
  timer.unref();

  return {
    record(event) {
      buffer.push(toAuditEvent(event));
      if (closed || buffer.length >= maxBatch) void flush();
    },
    flush,
    async close() {
      closed = true;
      clearInterval(timer);
      await flush();
      if (buffer.length) await flush(); // one retry on a clean shutdown
      if (buffer.length) logger.error({ lost: buffer.length }, 'audit events could not be written at shutdown');
    },
    get pending() {
      return buffer.length;
    },
  };
}
