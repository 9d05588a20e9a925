/**
 * @module The outbox tables (migration range 0600).
 *
 * Version log of the stored row format:
 * - 0600 (2026-11-23): outbound_message + outbound_destination.
 * - 0610 (2026-11-23): outbound_subscription (event counter, endpoint health).
 */
import { sql, type Migration } from '../db/index.js';
import { subscriptionMigrations } from './subscriptions/subscription-tables.js';

const outboxMigrations: Migration[] = [
  {
    name: '0600_outbound_outbox',
    async up(db) {
      await sql`
        create table outbound_message (
          id bigserial primary key,
          destination text not null,
          ordering_key text not null,
          idempotency_key text not null,
          rule text,
          resource_type text,
          resource_id text,
          version_id int,
          change_seq bigint,
          payload jsonb not null,
          status text not null default 'pending',
          attempts int not null default 0,
          next_attempt_at timestamptz not null default now(),
          locked_by text,
          locked_until timestamptz,
          last_error text,
          last_status int,
          last_response text,
          created_at timestamptz not null default now(),
          committed_at timestamptz,
          delivered_at timestamptz,
          constraint outbound_message_status_check check (status in ('pending', 'in_flight', 'delivered', 'dead')),
          constraint outbound_message_idempotency unique (destination, idempotency_key)
        )`.execute(db);
      // Open rows only: the head-of-line check and the claim scan stay small however much history accumulates.
      await sql`create index outbound_message_open on outbound_message (destination, ordering_key, id) where status in ('pending', 'in_flight')`.execute(db);
      await sql`create index outbound_message_due on outbound_message (destination, next_attempt_at) where status in ('pending', 'in_flight')`.execute(db);
      await sql`create index outbound_message_dead on outbound_message (destination, id) where status = 'dead'`.execute(db);
      await sql`
        create table outbound_destination (
          name text primary key,
          paused boolean not null default false,
          paused_reason text,
          consecutive_failures int not null default 0,
          circuit_open_until timestamptz,
          last_error text,
          last_error_at timestamptz,
          last_success_at timestamptz
        )`.execute(db);
    },
  },
];

/** Outbox (0600) then Subscription state (0610). */
export const outboundMigrations: Migration[] = [...outboxMigrations, ...subscriptionMigrations];
