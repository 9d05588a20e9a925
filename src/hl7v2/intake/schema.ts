/**
 * @module The durable inbox table (migration range 0300) and its kysely types.
 *
 * Row format log:
 * - 0300 (2026-11-23): first version. `dedup_key` (sender + MSH-10) is unique while set; the sweeper
 *   clears it once the row is older than DEDUP_WINDOW_DAYS, so an old control id may be reused.
 */
import { sql, type Generated, type ColumnType, type Kysely } from 'kysely';
import type { AnyDb, Migration } from '../../db/index.js';

export const INBOX_STATUSES = ['received', 'processed', 'failed', 'duplicate', 'unmapped'] as const;
export type InboxStatus = (typeof INBOX_STATUSES)[number];

/** Whether the ACK waits for the commit only ('store', default) or for processing too ('process'). */
export type AckMode = 'store' | 'process';

export type Hl7InboxTable = {
  id: Generated<number>;
  received_at: ColumnType<Date, Date | undefined, Date>;
  transport: string;
  peer: string | null;
  sender: string;
  sending_application: string;
  sending_facility: string;
  receiving_application: string;
  receiving_facility: string;
  message_type: string;
  trigger_event: string;
  control_id: string;
  version: string;
  message_datetime: string;
  patient_key: string | null;
  status: InboxStatus;
  ack_mode: AckMode;
  /** MSH-15 / MSH-16 as sent ('' = original acknowledgment mode). */
  accept_ack_type: string;
  app_ack_type: string;
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: ColumnType<Date, Date | undefined, Date>;
  lease_until: Date | null;
  ack_code: string | null;
  ack: string | null;
  app_ack: string | null;
  error_code: string | null;
  error: string | null;
  duplicates: ColumnType<number, number | undefined, number>;
  last_duplicate_at: Date | null;
  dedup_key: string | null;
  raw: Uint8Array | null;
  raw_bytes: number;
  raw_purged_at: Date | null;
  processed_at: Date | null;
  /** ProcessOutcome details: resources written, or the unmapped reason. */
  outcome: unknown;
};

export type InboxTables = {
  hl7_inbox: Hl7InboxTable;
};

export type InboxDb = Kysely<InboxTables>;

export function inboxDb(db: AnyDb): InboxDb {
  return db.withTables<InboxTables>();
}

export const hl7v2Migrations: Migration[] = [
  {
    name: '0300_hl7v2_inbox',
    async up(db) {
      await sql`
        create table hl7_inbox (
          id bigserial primary key,
          received_at timestamptz not null default now(),
          transport text not null,
          peer text,
          sender text not null,
          sending_application text not null default '',
          sending_facility text not null default '',
          receiving_application text not null default '',
          receiving_facility text not null default '',
          message_type text not null default '',
          trigger_event text not null default '',
          control_id text not null default '',
          version text not null default '',
          message_datetime text not null default '',
          patient_key text,
          status text not null check (status in ('received','processed','failed','duplicate','unmapped')),
          ack_mode text not null default 'store' check (ack_mode in ('store','process')),
          accept_ack_type text not null default '',
          app_ack_type text not null default '',
          attempts int not null default 0,
          next_attempt_at timestamptz not null default now(),
          lease_until timestamptz,
          ack_code text,
          ack text,
          app_ack text,
          error_code text,
          error text,
          duplicates int not null default 0,
          last_duplicate_at timestamptz,
          dedup_key text unique,
          raw bytea,
          raw_bytes int not null default 0,
          raw_purged_at timestamptz,
          processed_at timestamptz,
          outcome jsonb
        );
        create index hl7_inbox_pending on hl7_inbox (next_attempt_at, id) where status = 'received';
        create index hl7_inbox_patient_pending on hl7_inbox (patient_key, id) where status = 'received';
        create index hl7_inbox_control_id on hl7_inbox (control_id);
        create index hl7_inbox_received_at on hl7_inbox (received_at);
        create index hl7_inbox_patient on hl7_inbox (patient_key);
        create index hl7_inbox_dedup_age on hl7_inbox (received_at) where dedup_key is not null;
      `.execute(db);
    },
  },
];
