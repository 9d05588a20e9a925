/**
 * @module The batched audit writer: `record()` only appends to a buffer (the request path never
 * waits for the database); a timer flushes every ~200 ms, a full buffer flushes at once, and
 * `close()` flushes everything before the database closes. Events go into the FHIR store as
 * AuditEvent resources in one batch per flush, directly through the store — not through the REST
 * API — so writing audit events is never itself audited.
 */
import type { AuditEvent, Bundle } from 'fhir/r4.js';
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

/** Sink writing AuditEvents as one FHIR batch through the store. */
export function storeAuditSink(store: Pick<AuthStore, 'transaction'>): AuditSink {
  return async (events) => {
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: events.map((resource) => ({ resource, request: { method: 'POST', url: 'AuditEvent' } })),
    };
    const result = await store.transaction(bundle, { source: { kind: 'system' } });
    const failed = (result.entry ?? []).filter((e) => e.response && !/^2/.test(e.response.status)).length;
    if (failed) throw new Error(`${failed} of ${events.length} audit events were rejected by the store`);
  };
}

export function createAuditWriter({ sink, logger, flushIntervalMs = 200, maxBatch = 200, maxBuffered = 50_000 }: AuditWriterOptions): AuditWriter {
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
