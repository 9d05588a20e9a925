/**
 * @module Writes received messages to the inbox in groups: one multi-row INSERT … ON CONFLICT per
 * flush, so many connections share one commit. A re-sent message (same dedup key) does not insert:
 * the original row's duplicate count goes up and its stored ACK comes back to be sent again.
 */
import { sql } from 'kysely';
import type { AnyDb } from '../../db/index.js';
import { GroupCommitter } from './group-commit.js';
import { inboxDb, type AckMode, type InboxStatus } from './schema.js';

export interface NewInboxRow {
  readonly transport: string;
  readonly peer: string | null;
  readonly sender: string;
  readonly sendingApplication: string;
  readonly sendingFacility: string;
  readonly receivingApplication: string;
  readonly receivingFacility: string;
  readonly messageType: string;
  readonly triggerEvent: string;
  readonly controlId: string;
  readonly version: string;
  readonly messageDateTime: string;
  readonly patientKey: string | null;
  readonly status: InboxStatus;
  readonly ackMode: AckMode;
  readonly acceptAckType: string;
  readonly appAckType: string;
  readonly ackCode: string | null;
  readonly ack: string | null;
  readonly errorCode: string | null;
  readonly error: string | null;
  readonly dedupKey: string | null;
  readonly raw: Uint8Array;
  /** Row is being processed inline by this intake (ACK after processing): keep workers off it. */
  readonly leaseMs: number;
}

export interface StoredRow {
  readonly id: number;
  /** False when the dedup key already existed: this is a re-send of `id`. */
  readonly inserted: boolean;
  readonly ack: string | null;
  readonly ackCode: string | null;
  readonly status: InboxStatus;
}

/**
 * PostgreSQL text cannot hold U+0000, and one such byte in a header field would fail the whole
 * group-commit batch (every sender in it would get AR). The raw bytes keep the original.
 */
function pgText<T extends string | null | undefined>(value: T): T {
  return (typeof value === 'string' && value.includes('\u0000') ? value.replace(/\u0000/g, '\uFFFD') : value) as T;
}

/** The dedup key for sender + MSH-10 (unit separator: cannot occur in HL7 text). */
export function dedupKeyOf(sendingApplication: string, sendingFacility: string, controlId: string): string {
  return `${sendingApplication}\u001f${sendingFacility}\u001f${controlId}`;
}

export function createInboxWriter(db: AnyDb, options: { maxBatch?: number; maxInFlight?: number } = {}): GroupCommitter<NewInboxRow, StoredRow> {
  const idb = inboxDb(db);
  return new GroupCommitter<NewInboxRow, StoredRow>(
    async (rows) => {
      const result = await idb
        .insertInto('hl7_inbox')
        .values(
          rows.map((r) => ({
            transport: pgText(r.transport),
            peer: pgText(r.peer),
            sender: pgText(r.sender),
            sending_application: pgText(r.sendingApplication),
            sending_facility: pgText(r.sendingFacility),
            receiving_application: pgText(r.receivingApplication),
            receiving_facility: pgText(r.receivingFacility),
            message_type: pgText(r.messageType),
            trigger_event: pgText(r.triggerEvent),
            control_id: pgText(r.controlId),
            version: pgText(r.version),
            message_datetime: pgText(r.messageDateTime),
            patient_key: pgText(r.patientKey),
            status: r.status,
            ack_mode: pgText(r.ackMode),
            accept_ack_type: pgText(r.acceptAckType),
            app_ack_type: pgText(r.appAckType),
            ack_code: pgText(r.ackCode),
            ack: pgText(r.ack),
            error_code: pgText(r.errorCode),
            error: pgText(r.error),
            dedup_key: pgText(r.dedupKey),
            raw: r.raw,
            raw_bytes: r.raw.byteLength,
            lease_until: r.leaseMs > 0 ? sql<Date>`now() + make_interval(secs => ${r.leaseMs / 1000})` : null,
            attempts: r.leaseMs > 0 ? 1 : 0,
            outcome: null,
          })),
        )
        .onConflict((oc) =>
          oc.column('dedup_key').doUpdateSet({
            duplicates: sql<number>`hl7_inbox.duplicates + 1`,
            last_duplicate_at: sql<Date>`now()`,
          }),
        )
        .returning(['id', 'dedup_key', 'ack', 'ack_code', 'status', sql<boolean>`(xmax = 0)`.as('inserted')])
        .execute();
      // INSERT … RETURNING yields rows in VALUES order; the dedup key check guards that assumption.
      return result.map((row, i) => {
        if (row.dedup_key !== rows[i]!.dedupKey) throw new Error('inbox insert returned rows out of order');
        return { id: Number(row.id), inserted: row.inserted, ack: row.ack, ackCode: row.ack_code, status: row.status };
      });
    },
    { maxBatch: options.maxBatch ?? 500, maxInFlight: options.maxInFlight ?? 3, keyOf: (r) => r.dedupKey ?? undefined },
  );
}
