/**
 * @module The `careplan_activity` schedule table (migration 0500): one row per planned activity,
 * claimed by the scheduler with FOR UPDATE SKIP LOCKED.
 *
 * Row format log: v1 (2026-11) — first shape.
 */
import { sql, type AnyDb, type Migration } from '../db/index.js';

export const ACTIVITY_STATES = ['pending', 'claimed', 'sent', 'task-created', 'not-done', 'revoked', 'skipped'] as const;
export type ActivityState = (typeof ACTIVITY_STATES)[number];
/** States an activity never leaves: done work is never re-sent. */
export const FINAL_STATES: readonly ActivityState[] = ['sent', 'task-created', 'not-done', 'revoked', 'skipped'];

export type CareplanActivityRow = {
  /** Deterministic: `<careplan id>.<activity id>`. */
  id: string;
  careplan_id: string;
  plan_id: string;
  activity_key: string;
  kind: string;
  patient_ref: string;
  /** CommunicationRequest or Task id that carries the due time in the store. */
  request_type: string;
  request_id: string;
  /** When the plan says it is due (moves with the anchor). */
  due_at: Date;
  /** When it may run (later than due_at when quiet hours deferred it). */
  run_at: Date;
  status: ActivityState;
  claimed_by: string | null;
  claim_expires_at: Date | null;
  attempts: number;
  /** Communication/Task written for it, `Type/id`. */
  result_ref: string | null;
  reason: string | null;
  done_at: Date | null;
  updated_at: Date;
};

export type CareplanSweepStateRow = {
  name: string;
  last_tick: Date | null;
};

export type CareplanTables = {
  careplan_activity: CareplanActivityRow;
  careplan_sweep_state: CareplanSweepStateRow;
};

export const careplanTables = (db: AnyDb) => db.withTables<CareplanTables>();

export const careplanMigrations: Migration[] = [
  {
    name: '0500_careplans_activity',
    async up(db) {
      await sql`
        create table careplan_activity (
          id text primary key,
          careplan_id text not null,
          plan_id text not null,
          activity_key text not null,
          kind text not null,
          patient_ref text not null,
          request_type text not null,
          request_id text not null,
          due_at timestamptz not null,
          run_at timestamptz not null,
          status text not null default 'pending',
          claimed_by text,
          claim_expires_at timestamptz,
          attempts int not null default 0,
          result_ref text,
          reason text,
          done_at timestamptz,
          updated_at timestamptz not null default now(),
          constraint careplan_activity_status check (status in ('pending','claimed','sent','task-created','not-done','revoked','skipped'))
        )`.execute(db);
      // The sweep's hot path: due pending rows in run order.
      await sql`create index careplan_activity_due on careplan_activity (run_at) where status = 'pending'`.execute(db);
      await sql`create index careplan_activity_claimed on careplan_activity (claim_expires_at) where status = 'claimed'`.execute(db);
      await sql`create index careplan_activity_careplan on careplan_activity (careplan_id)`.execute(db);
      await sql`create index careplan_activity_patient on careplan_activity (patient_ref) where status in ('pending','claimed')`.execute(db);
      await sql`create table careplan_sweep_state (name text primary key, last_tick timestamptz)`.execute(db);
    },
  },
];
