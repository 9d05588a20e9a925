/**
 * @module Inbox flow over the last N minutes for the dashboard (`GET /admin/api/flow`): totals,
 * ACK codes, messages per minute, per sender and type, processing latency p50/p99.
 */
import { sql } from 'kysely';
import type { AnyDb } from '../../db/index.js';

export interface InboxFlow {
  readonly minutes: number;
  readonly total: number;
  readonly ackCodes: Record<string, number>;
  readonly statuses: Record<string, number>;
  readonly perMinute: Array<{ minute: string; count: number }>;
  readonly bySenderType: Array<{ sender: string; type: string; count: number }>;
  readonly latency: { p50Ms: number | null; p99Ms: number | null };
}

export async function inboxFlow(db: AnyDb, minutes: number): Promise<InboxFlow> {
  const since = sql`now() - make_interval(mins => ${minutes})`;
  const [codes, statuses, perMinute, bySenderType, latency] = await Promise.all([
    sql<{ k: string | null; n: number }>`select ack_code as k, count(*)::int as n from hl7_inbox where received_at >= ${since} group by 1`.execute(db),
    sql<{ k: string; n: number }>`select status as k, count(*)::int as n from hl7_inbox where received_at >= ${since} group by 1`.execute(db),
    sql<{ minute: Date; count: number }>`select date_trunc('minute', received_at) as minute, count(*)::int as count from hl7_inbox where received_at >= ${since} group by 1 order by 1`.execute(db),
    sql<{ sender: string; type: string; count: number }>`select sender, message_type || '^' || trigger_event as type, count(*)::int as count from hl7_inbox where received_at >= ${since} group by 1, 2 order by 3 desc limit 50`.execute(db),
    sql<{ p50: number | null; p99: number | null }>`
      select percentile_cont(0.5) within group (order by extract(epoch from processed_at - received_at) * 1000) as p50,
             percentile_cont(0.99) within group (order by extract(epoch from processed_at - received_at) * 1000) as p99
      from hl7_inbox where received_at >= ${since} and processed_at is not null`.execute(db),
  ]);
  const tally = (rows: Array<{ k: string | null; n: number }>) => Object.fromEntries(rows.filter((r) => r.k !== null).map((r) => [r.k!, Number(r.n)]));
  const round = (v: number | null | undefined) => (v === null || v === undefined ? null : Math.round(Number(v) * 10) / 10);
  return {
    minutes,
    total: statuses.rows.reduce((s, r) => s + Number(r.n), 0),
    ackCodes: tally(codes.rows),
    statuses: tally(statuses.rows),
    perMinute: perMinute.rows.map((r) => ({ minute: new Date(r.minute).toISOString(), count: Number(r.count) })),
    bySenderType: bySenderType.rows.map((r) => ({ sender: r.sender, type: r.type, count: Number(r.count) })),
    latency: { p50Ms: round(latency.rows[0]?.p50), p99Ms: round(latency.rows[0]?.p99) },
  };
}
