/**
 * @module Per-subscription delivery state (migration 0610): the event counter
 * (eventsSinceSubscriptionStart, incremented in the consumer's transaction) and endpoint health.
 */
import { sql, type AnyDb, type Migration } from '../../db/index.js';

export const subscriptionMigrations: Migration[] = [
  {
    name: '0610_outbound_subscription_state',
    async up(db) {
      await sql`
        create table outbound_subscription (
          id text primary key,
          events_since_start bigint not null default 0,
          consecutive_failures int not null default 0,
          last_error text,
          last_heartbeat_at timestamptz,
          updated_at timestamptz not null default now()
        )`.execute(db);
    },
  },
];

/** Reserves `n` event numbers for a subscription; returns the first. */
export async function nextEventNumbers(trx: AnyDb, id: string, n: number): Promise<number> {
  const { rows } = await sql<{ last: number }>`
    insert into outbound_subscription (id, events_since_start) values (${id}, ${n})
    on conflict (id) do update set events_since_start = outbound_subscription.events_since_start + ${n}, updated_at = now()
    returning events_since_start as last`.execute(trx);
  return rows[0]!.last - n + 1;
}

export interface SubscriptionState {
  readonly eventsSinceStart: number;
  readonly consecutiveFailures: number;
  readonly lastError?: string;
}

export async function readSubscriptionState(db: AnyDb, id: string): Promise<SubscriptionState> {
  const { rows } = await sql<{ events_since_start: number; consecutive_failures: number; last_error: string | null }>`
    select events_since_start, consecutive_failures, last_error from outbound_subscription where id = ${id}`.execute(db);
  const r = rows[0];
  return { eventsSinceStart: r?.events_since_start ?? 0, consecutiveFailures: r?.consecutive_failures ?? 0, lastError: r?.last_error ?? undefined };
}

/** Records an attempt's result; returns the consecutive failure count after it. */
export async function recordSubscriptionAttempt(db: AnyDb, id: string, ok: boolean, error?: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    insert into outbound_subscription (id, consecutive_failures, last_error) values (${id}, ${ok ? 0 : 1}, ${ok ? null : (error ?? 'failed')})
    on conflict (id) do update set consecutive_failures = case when ${ok} then 0 else outbound_subscription.consecutive_failures + 1 end,
      last_error = case when ${ok} then outbound_subscription.last_error else ${error ?? 'failed'} end, updated_at = now()
    returning consecutive_failures as n`.execute(db);
  return rows[0]!.n;
}
