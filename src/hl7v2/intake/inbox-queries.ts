/**
 * @module Finding inbox messages (admin API, CLI) and putting them back in the queue (replay).
 */
import { sql, type Selectable } from 'kysely';
import type { AnyDb } from '../../db/index.js';
import { CarebridgeError } from '../../errors/index.js';
import { INBOX_STATUSES, inboxDb, type Hl7InboxTable, type InboxStatus } from './schema.js';

export interface MessageFilter {
  readonly controlId?: string;
  /** 'APP' or 'APP|FACILITY' */
  readonly sender?: string;
  /** 'ADT' or 'ADT^A01' */
  readonly type?: string;
  readonly status?: InboxStatus;
  /** 'authority|id', or just the id (any authority). */
  readonly patient?: string;
  readonly since?: Date;
  readonly until?: Date;
  /** Only ids after this one (paging through a replay). */
  readonly afterId?: number;
  readonly limit?: number;
}

export interface MessageSummary {
  readonly id: string;
  readonly controlId: string;
  readonly sender: string;
  readonly type: string;
  readonly status: InboxStatus;
  readonly duplicates: number;
  readonly ackCode: string | null;
  readonly error: string | null;
  readonly receivedAt: string;
}

export interface MessageDetail extends MessageSummary {
  readonly transport: string;
  readonly peer: string | null;
  readonly receiver: string;
  readonly version: string;
  readonly messageDateTime: string;
  readonly patientKey: string | null;
  readonly attempts: number;
  readonly errorCode: string | null;
  readonly ack: string | null;
  readonly appAck: string | null;
  /** Raw ER7 (decoded as UTF-8); null once purged by retention. */
  readonly raw: string | null;
  readonly rawBytes: number;
  readonly rawPurgedAt: string | null;
  readonly processedAt: string | null;
  readonly resources: ReadonlyArray<{ resourceType: string; id: string; versionId?: string }>;
  readonly unmapped: string[];
}

/** Validates query-string values into a filter; a bad value is a 400 naming it. */
export function parseMessageFilter(q: Record<string, string | undefined>): MessageFilter {
  const date = (name: string) => {
    const v = q[name];
    if (!v) return undefined;
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) throw new CarebridgeError('CB_ERR_BAD_REQUEST', `${name} must be an ISO date-time, got '${v}'`);
    return d;
  };
  const status = q.status || undefined;
  if (status && !(INBOX_STATUSES as readonly string[]).includes(status)) {
    throw new CarebridgeError('CB_ERR_BAD_REQUEST', `status must be one of ${INBOX_STATUSES.join(', ')}`);
  }
  const limit = q.limit ? Number(q.limit) : undefined;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 1000)) throw new CarebridgeError('CB_ERR_BAD_REQUEST', 'limit must be an integer 1–1000');
  return { controlId: q.controlId || undefined, sender: q.sender || undefined, type: q.type || undefined, status: status as InboxStatus | undefined, patient: q.patient || undefined, since: date('since'), until: date('until'), limit };
}

function filtered(db: AnyDb, f: MessageFilter) {
  let query = inboxDb(db).selectFrom('hl7_inbox');
  if (f.controlId) query = query.where('control_id', '=', f.controlId);
  if (f.sender) query = f.sender.includes('|') ? query.where('sender', '=', f.sender) : query.where('sending_application', '=', f.sender);
  if (f.type) {
    const [type, event] = f.type.split('^');
    query = query.where('message_type', '=', type!);
    if (event) query = query.where('trigger_event', '=', event);
  }
  // A re-send is not a row of its own (it would cost a second write per re-send): it counts on the
  // original's `duplicates`. So `status=duplicate` finds the messages that were received again.
  if (f.status === 'duplicate') query = query.where('duplicates', '>', 0);
  else if (f.status) query = query.where('status', '=', f.status);
  if (f.patient) query = f.patient.includes('|') ? query.where('patient_key', '=', f.patient) : query.where('patient_key', 'like', `%|${f.patient.replace(/[%_\\]/g, '\\$&')}`);
  if (f.since) query = query.where('received_at', '>=', f.since);
  if (f.until) query = query.where('received_at', '<', f.until);
  if (f.afterId) query = query.where('id', '>', f.afterId);
  return query;
}

export async function searchMessages(db: AnyDb, f: MessageFilter): Promise<MessageSummary[]> {
  const rows = await filtered(db, f)
    .select(['id', 'control_id', 'sender', 'message_type', 'trigger_event', 'status', 'duplicates', 'ack_code', 'error', 'received_at'])
    .orderBy('id', 'desc')
    .limit(f.limit ?? 100)
    .execute();
  return rows.map(messageSummaryOf);
}

/** The list shape of one inbox row (the admin API's `items`). */
function messageSummaryOf(r: Pick<Selectable<Hl7InboxTable>, 'id' | 'control_id' | 'sender' | 'message_type' | 'trigger_event' | 'status' | 'duplicates' | 'ack_code' | 'error' | 'received_at'>): MessageSummary {
  return {
    id: String(r.id),
    controlId: r.control_id,
    sender: r.sender,
    type: r.trigger_event ? `${r.message_type}^${r.trigger_event}` : r.message_type,
    status: r.status,
    duplicates: r.duplicates,
    ackCode: r.ack_code,
    error: r.error,
    receivedAt: new Date(r.received_at).toISOString(),
  };
}

export async function countMessages(db: AnyDb, f: MessageFilter): Promise<number> {
  const row = await filtered(db, f).select(sql<number>`count(*)::int`.as('n')).executeTakeFirst();
  return Number(row?.n ?? 0);
}

function parseId(id: string): number {
  const n = Number(id);
  if (!Number.isSafeInteger(n) || n <= 0) throw new CarebridgeError('CB_ERR_NOT_FOUND', `No inbox message ${id}`);
  return n;
}

export async function getMessage(db: AnyDb, id: string): Promise<MessageDetail> {
  const r = await inboxDb(db).selectFrom('hl7_inbox').selectAll().where('id', '=', parseId(id)).executeTakeFirst();
  if (!r) throw new CarebridgeError('CB_ERR_NOT_FOUND', `No inbox message ${id}`);
  const outcome = (typeof r.outcome === 'string' ? JSON.parse(r.outcome) : r.outcome) as { resources?: MessageDetail['resources']; reason?: string } | null;
  return {
    ...messageSummaryOf(r),
    transport: r.transport,
    peer: r.peer,
    receiver: `${r.receiving_application}|${r.receiving_facility}`,
    version: r.version,
    messageDateTime: r.message_datetime,
    patientKey: r.patient_key,
    attempts: r.attempts,
    errorCode: r.error_code,
    ack: r.ack,
    appAck: r.app_ack,
    raw: r.raw ? Buffer.from(r.raw).toString('utf8') : null,
    rawBytes: r.raw_bytes,
    rawPurgedAt: r.raw_purged_at ? new Date(r.raw_purged_at).toISOString() : null,
    processedAt: r.processed_at ? new Date(r.processed_at).toISOString() : null,
    resources: outcome?.resources ?? [],
    unmapped: outcome?.reason ? [outcome.reason] : [],
  };
}

/**
 * Puts messages back in the queue (status received, attempts 0). Only messages whose raw body is
 * still kept can be replayed; returns the ids queued.
 */
export async function replayMessages(db: AnyDb, ids: readonly number[]): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await inboxDb(db)
    .updateTable('hl7_inbox')
    .set({ status: 'received', attempts: 0, next_attempt_at: sql<Date>`now()`, lease_until: null, error: null, error_code: null, processed_at: null })
    .where('id', 'in', ids)
    .where('raw', 'is not', null)
    .returning('id')
    .execute();
  return rows.map((r) => Number(r.id));
}

export async function replayOne(db: AnyDb, id: string): Promise<void> {
  const n = parseId(id);
  const done = await replayMessages(db, [n]);
  if (done.length === 0) {
    await getMessage(db, id);
    throw new CarebridgeError('CB_ERR_FHIR_CONFLICT', `Inbox message ${id} cannot be replayed: its raw body was purged`);
  }
}
