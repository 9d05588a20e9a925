/**
 * @module Processing one inbox row: parse the stored bytes, call the MessageProcessor, record the
 * outcome. Failures are retried with backoff while their error is retryable and attempts remain;
 * then the row is marked failed with its reason (which unblocks the patient's later messages).
 */
import { sql } from 'kysely';
import type { AnyDb } from '../../db/index.js';
import { CarebridgeError, normalizeError } from '../../errors/index.js';
import type { Logger } from '../../logging/index.js';
import type { Metrics } from '../../metrics/index.js';
import { parseMessage } from '../er7/index.js';
import { buildIntakeAck, headerOf } from './ack.js';
import { inboxDb, type Hl7InboxTable } from './schema.js';
import type { InboxMessage, MessageProcessor, ProcessOutcome } from './types.js';
import type { Selectable } from 'kysely';

export type InboxRow = Selectable<Hl7InboxTable>;

export interface ProcessingDeps {
  readonly db: AnyDb;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  readonly processor: MessageProcessor;
  /** Tries before a retryable failure becomes final (default 5). */
  readonly maxAttempts: number;
  /** Backoff base in ms: base · 4^(attempt-1), capped at 10 min (default 1000). */
  readonly backoffMs: number;
  readonly charsetFor?: (row: InboxRow) => string | undefined;
}

export interface ProcessResult {
  readonly status: 'processed' | 'unmapped' | 'failed' | 'retry' | 'lost-lease';
  /** For ACK-after-processing rows: the ACK now stored on the row. */
  readonly ack?: string;
  /** For enhanced-mode rows that asked for an application ACK. */
  readonly appAck?: string;
}

export function inboxMessageOf(row: InboxRow): InboxMessage {
  return {
    id: String(row.id),
    receivedAt: row.received_at,
    sender: row.sender,
    controlId: row.control_id,
    messageType: row.message_type,
    triggerEvent: row.trigger_event,
    version: row.version,
    peer: row.peer ?? undefined,
    patientKey: row.patient_key ?? undefined,
  };
}

function wantsAppAck(appAckType: string, ok: boolean): boolean {
  return appAckType === 'AL' || (appAckType === 'ER' && !ok) || (appAckType === 'SU' && ok);
}

/**
 * Processes a row this caller holds the lease of (claimed at `attempts`). `final` forces a failure
 * to be final (inline ACK-after-processing: the sender is waiting for a verdict now).
 */
export async function processRow(deps: ProcessingDeps, row: InboxRow, options: { final?: boolean } = {}): Promise<ProcessResult> {
  let outcome: ProcessOutcome | undefined;
  let error: CarebridgeError | undefined;
  let ack: string | undefined;
  let appAck: string | undefined;
  try {
    if (!row.raw) throw new CarebridgeError('CB_ERR_NOT_FOUND', 'raw body purged by retention; cannot process');
    const message = parseMessage(row.raw, { charset: deps.charsetFor?.(row) });
    // The processor's writes and the "processed" mark commit together: a crash in between can
    // never leave effects committed with the row still `received` (which would run it twice).
    ({ outcome, ack, appAck } = await deps.db.transaction().execute(async (trx) => {
      const result = await deps.processor.process(message, inboxMessageOf(row), { db: trx as unknown as AnyDb });
      const recorded = await recordResult(trx as unknown as AnyDb, row, { outcome: result, retry: false });
      if (!recorded.updated) throw new LostClaim();
      return { outcome: result, ack: recorded.ack, appAck: recorded.appAck };
    }));
  } catch (err) {
    if (err instanceof LostClaim) return lostClaim(deps, row);
    error = normalizeError(err);
  }
  const retry = error !== undefined && !options.final && error.kind.retryable && row.attempts < deps.maxAttempts;
  const delayMs = Math.min(deps.backoffMs * 4 ** Math.max(0, row.attempts - 1), 600_000);
  if (error) {
    const recorded = await recordResult(deps.db, row, { error, retry, delayMs });
    if (!recorded.updated) return lostClaim(deps, row);
    ({ ack, appAck } = recorded);
  }
  const labels = { sender: row.sending_application, type: `${row.message_type}^${row.trigger_event}` };
  if (error) {
    const log = { inboxId: row.id, controlId: row.control_id, code: error.code, attempt: row.attempts };
    if (retry) deps.logger.warn({ ...log, retryInMs: delayMs }, 'message processing failed; will retry');
    else deps.logger.error(log, 'message processing failed');
    if (!retry) deps.metrics?.messagesProcessed.inc({ ...labels, status: 'failed' });
    return { status: retry ? 'retry' : 'failed', ack, appAck };
  }
  deps.metrics?.messagesProcessed.inc({ ...labels, status: outcome!.status });
  return { status: outcome!.status, ack, appAck };
}

class LostClaim extends Error {}

function lostClaim(deps: ProcessingDeps, row: InboxRow): ProcessResult {
  deps.logger.warn({ inboxId: row.id, controlId: row.control_id }, 'processing result dropped: the claim was lost (lease expired or replayed)');
  return { status: 'lost-lease' };
}

interface ResultToRecord {
  readonly outcome?: ProcessOutcome;
  readonly error?: CarebridgeError;
  readonly retry: boolean;
  readonly delayMs?: number;
}

/** Writes the verdict on the row, fenced so only the holder of this claim (same attempt) may. */
async function recordResult(db: AnyDb, row: InboxRow, r: ResultToRecord): Promise<{ updated: boolean; ack?: string; appAck?: string }> {
  const { outcome, error, retry } = r;
  const status = outcome?.status ?? (retry ? 'received' : 'failed');
  const ok = outcome !== undefined;
  const enhanced = row.accept_ack_type !== '' || row.app_ack_type !== '';
  const header = headerOf({ sendingApplication: row.sending_application, sendingFacility: row.sending_facility, receivingApplication: row.receiving_application, receivingFacility: row.receiving_facility, triggerEvent: row.trigger_event, controlId: row.control_id, version: row.version });
  const ackCode = ok ? 'AA' : error!.kind.ack;
  const ack = !enhanced && row.ack_mode === 'process' && !retry ? buildIntakeAck(header, ackCode, { error }) : undefined;
  const appAck = enhanced && !retry && wantsAppAck(row.app_ack_type, ok) ? buildIntakeAck(header, ackCode, { error }) : undefined;
  const updated = await inboxDb(db)
    .updateTable('hl7_inbox')
    .set({
      status,
      lease_until: null,
      error_code: error?.code ?? null,
      error: error ? error.message : null,
      outcome: outcome ? JSON.stringify(outcome.status === 'processed' ? { resources: outcome.resources } : { reason: outcome.reason }) : null,
      processed_at: retry ? null : sql<Date>`now()`,
      next_attempt_at: retry ? sql<Date>`now() + make_interval(secs => ${(r.delayMs ?? 0) / 1000})` : sql<Date>`next_attempt_at`,
      ...(ack ? { ack, ack_code: ackCode } : {}),
      ...(appAck ? { app_ack: appAck } : {}),
    })
    .where('id', '=', row.id)
    .where('attempts', '=', row.attempts)
    .where('status', '=', 'received')
    .executeTakeFirst();
  return { updated: Number(updated.numUpdatedRows) > 0, ack, appAck };
}
