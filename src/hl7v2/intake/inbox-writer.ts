/**
 * @module Writes received messages to the inbox in groups: one INSERT … ON CONFLICT per flush (one
 * call of `hl7_inbox_insert_batch`), so many connections share one commit. A re-sent message (same
 * dedup key) does not insert: the original row's duplicate count goes up and its stored ACK comes
 * back to be sent again.
 */
import { CompiledQuery } from 'kysely';
import { PREPARED, type AnyDb } from '../../db/index.js';
import { GroupCommitter } from './group-commit.js';
import type { AckMode, InboxStatus } from './schema.js';

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
 * group-commit batch (every sender in it would get AR). The raw bytes keep the original. A lone
 * surrogate would fail the JSON → text conversion the same way; pg's UTF-8 encoding used to turn it
 * into U+FFFD, and so does this.
 */
const SURROGATE = /[\uD800-\uDFFF]/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function pgText<T extends string | null | undefined>(value: T): T {
  if (typeof value !== 'string') return value;
  let text: string = value;
  if (text.includes('\u0000')) text = text.replace(/\u0000/g, '\uFFFD');
  if (SURROGATE.test(text)) text = text.replace(LONE_SURROGATE, '\uFFFD');
  return text as T;
}

/** The dedup key for sender + MSH-10 (unit separator: cannot occur in HL7 text). */
export function dedupKeyOf(sendingApplication: string, sendingFacility: string, controlId: string): string {
  return `${sendingApplication}\u001f${sendingFacility}\u001f${controlId}`;
}

/**
 * One short statement for every batch size: the rows travel as one JSON parameter (JSON.stringify is
 * native; the raw bytes as base64) to `hl7_inbox_insert_batch` (migration 0301), whose INSERT plan
 * PostgreSQL keeps per session. No query builder runs per flush. The call itself is a named prepared
 * statement: parsing and planning it on every flush cost ~9 % of the flush's PostgreSQL CPU (8-row
 * batches, backend CPU via /proc, 5 interleaved rounds).
 */
const INSERT_BATCH = CompiledQuery.raw(
  `${PREPARED}select r_id as id, r_dedup_key as dedup_key, r_inserted as inserted, r_ack as ack, r_ack_code as ack_code, r_status as status from hl7_inbox_insert_batch($1::json)`,
);

interface InsertedRow {
  id: number | string;
  dedup_key: string | null;
  inserted: boolean;
  ack: string | null;
  ack_code: string | null;
  status: InboxStatus;
}

function jsonRow(r: NewInboxRow) {
  return {
    transport: pgText(r.transport),
    peer: pgText(r.peer),
    sender: pgText(r.sender),
    sa: pgText(r.sendingApplication),
    sf: pgText(r.sendingFacility),
    ra: pgText(r.receivingApplication),
    rf: pgText(r.receivingFacility),
    mt: pgText(r.messageType),
    te: pgText(r.triggerEvent),
    cid: pgText(r.controlId),
    v: pgText(r.version),
    dt: pgText(r.messageDateTime),
    pk: pgText(r.patientKey),
    status: r.status,
    am: pgText(r.ackMode),
    aat: pgText(r.acceptAckType),
    pat: pgText(r.appAckType),
    ac: pgText(r.ackCode),
    ack: pgText(r.ack),
    ec: pgText(r.errorCode),
    err: pgText(r.error),
    dk: pgText(r.dedupKey),
    raw: Buffer.from(r.raw.buffer, r.raw.byteOffset, r.raw.byteLength).toString('base64'),
    rb: r.raw.byteLength,
    lease: r.leaseMs,
  };
}

export function createInboxWriter(db: AnyDb, options: { maxBatch?: number; maxInFlight?: number; lingerMs?: number } = {}): GroupCommitter<NewInboxRow, StoredRow> {
  return new GroupCommitter<NewInboxRow, StoredRow>(
    async (rows) => {
      const result = await db.executeQuery<InsertedRow>({ ...INSERT_BATCH, parameters: [JSON.stringify(rows.map(jsonRow))] });
      // The function's INSERT … SELECT … RETURNING yields rows in input order; the dedup key check guards that assumption.
      return result.rows.map((row, i) => {
        if (row.dedup_key !== pgText(rows[i]!.dedupKey)) throw new Error('inbox insert returned rows out of order');
        return { id: Number(row.id), inserted: row.inserted, ack: row.ack, ackCode: row.ack_code, status: row.status };
      });
    },
    {
      maxBatch: options.maxBatch ?? 500,
      // One flush at a time, with the linger (group-commit.ts). Two flushes, each carrying one cohort
      // of connections (6aafbe2, reverted as unused), looked 1.6-1.8x faster on a machine at load
      // 11-29, where commits were slow; on the quiet machine they lost: 8 connections, the bench's run() alternated, 2 rounds each: one flush 6,101 and
      // 6,024 msg/s (6.9 rows per commit, server 0.07-0.09 + PostgreSQL 0.055-0.063 ms CPU per
      // message) against two flushes 4,310 and 4,043 (3.6-4.0 rows per commit, 0.13-0.15 + 0.10).
      maxInFlight: options.maxInFlight ?? 1,
      keyOf: (r) => r.dedupKey ?? undefined,
      // A connection (address:port) that sends its next message right after its ACK is waited for.
      sourceOf: (r) => r.peer ?? undefined,
      lingerMs: options.lingerMs ?? 1,
    },
  );
}
