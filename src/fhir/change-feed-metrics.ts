/** @module Scrape-time gauge of change-feed lag per consumer (entries written but not yet handled, open_txids' included: change-feed.ts). */
import { sql } from 'kysely';
import type { AnyDb } from '../db/index.js';
import type { Metrics } from '../metrics/index.js';

/** Registers `carebridge_change_feed_lag{consumer}`; call once per Metrics registry. */
export function registerChangeFeedGauge(db: AnyDb, metrics: Metrics): void {
  metrics.gauge('carebridge_change_feed_lag', 'FHIR change-feed entries a consumer has not handled yet', ['consumer'], async (set) => {
    const { rows } = await sql<{ consumer: string; lag: number }>`
      select c.consumer,
             (select count(*) from fhir_change_feed f where (f.txid, f.seq) > (c.last_txid, c.last_seq))::int
           + (select count(*) from jsonb_to_recordset(c.open_txids) as o(txid xid8, seq bigint)
                join fhir_change_feed f on f.txid = o.txid and f.seq > o.seq)::int as lag
      from fhir_change_feed_cursor c`.execute(db);
    for (const row of rows) set({ consumer: row.consumer }, row.lag);
  });
}
