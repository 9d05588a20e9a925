/**
 * @module The durable inbox table (migration range 0300) and its kysely types.
 *
 * Row format log:
 * - 0300 (2026-11-23): first version. `dedup_key` (sender + MSH-10) is unique while set; the sweeper
 *   clears it once the row is older than DEDUP_WINDOW_DAYS, so an old control id may be reused.
 * - 0301 (2026-11-23): no row change; `hl7_inbox_insert_batch(json)` inserts one group-commit batch.
 *   PL/pgSQL keeps its statement's plan for the session, so a flush no longer pays PostgreSQL's
 *   parse and plan of a 26-column INSERT … SELECT (about a third of its cost at a few rows a flush).
 */
import { sql, type Generated, type ColumnType, type Kysely } from 'kysely';
import type { AnyDb, Migration } from '../../db/index.js';

/**
 * No row is stored with 'duplicate': a re-send increments the original row's `duplicates` (and sets
 * `last_duplicate_at`), and the admin filter `status=duplicate` selects rows with duplicates > 0.
 */
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
  {
    name: '0301_hl7v2_inbox_insert_batch',
    async up(db) {
      // Rows come as a JSON array (raw bytes base64); results come back in input order.
      await sql`
        create function hl7_inbox_insert_batch(batch json)
        returns table (r_id bigint, r_dedup_key text, r_inserted boolean, r_ack text, r_ack_code text, r_status text)
        language plpgsql as $fn$
        begin
          return query
          insert into hl7_inbox (
            transport, peer, sender, sending_application, sending_facility, receiving_application,
            receiving_facility, message_type, trigger_event, control_id, version, message_datetime,
            patient_key, status, ack_mode, accept_ack_type, app_ack_type, ack_code, ack, error_code, error,
            dedup_key, raw, raw_bytes, lease_until, attempts)
          select r.transport, r.peer, r.sender, r.sa, r.sf, r.ra, r.rf, r.mt, r.te, r.cid, r.v, r.dt,
            r.pk, r.status, r.am, r.aat, r.pat, r.ac, r.ack, r.ec, r.err, r.dk, decode(r.raw, 'base64'),
            r.rb, case when r.lease > 0 then now() + make_interval(secs => r.lease / 1000.0) end,
            case when r.lease > 0 then 1 else 0 end
          from json_to_recordset(batch) as r(
            transport text, peer text, sender text, sa text, sf text, ra text, rf text, mt text, te text,
            cid text, v text, dt text, pk text, status text, am text, aat text, pat text, ac text, ack text,
            ec text, err text, dk text, raw text, rb int, lease int)
          on conflict (dedup_key) do update
            set duplicates = hl7_inbox.duplicates + 1, last_duplicate_at = now()
          returning hl7_inbox.id, hl7_inbox.dedup_key, (hl7_inbox.xmax = 0),
            case when hl7_inbox.xmax = 0 then null else hl7_inbox.ack end, hl7_inbox.ack_code, hl7_inbox.status;
        end
        $fn$;
      `.execute(db);
    },
  },
];
