/**
 * End-to-end mapping benchmark (issue #5): MLLP in → ACK after commit → mapped by the shipped maps →
 * FHIR resources committed, with carebridge in its own process (all workers on, as in production)
 * on real PostgreSQL. 8 connections send a mix of ADT^A01 (new patient + encounter), ADT^A08
 * (update), ORU^R01 (report + 3 observations) and SIU^S12 (appointment); the clock stops when the
 * last inbox row is processed. Reports ACK throughput, end-to-end throughput and the lag from
 * receipt to processed (p50/p99).
 */
import pg from 'pg';
import { MllpClient } from '../../src/hl7v2/index.js';
import { freePort, spawnReady, stopChild } from './support/processes.js';
import { percentile, type BenchOptions, type BenchResult } from './types.js';

const TS = '20240115083000';

/** Message i of the mix: patients are reused in groups of four so A08/ORU/SIU find an existing patient. */
export function e2eMessage(i: number): string {
  const patient = Math.floor(i / 4);
  const mrn = `E2E${patient}`;
  const pid = `PID|1||${mrn}^^^NWH^MR||Doe${patient}^Jane^Q||19800101|F|||1 Main St^^Springfield^IL^62701||555-0100`;
  const msh = (type: string) => `MSH|^~\\&|BENCH|NWH|CAREBRIDGE|CB|${TS}||${type}|E2E-${i}|P|2.5.1`;
  switch (i % 4) {
    case 0:
      return [msh('ADT^A01^ADT_A01'), `EVN|A01|${TS}`, pid, `PV1|1|I|W1^101^1||||1234^Smith^John|||MED||||1|||1234^Smith^John|IN|V${patient}|||||||||||||||||||||||${TS}`].join('\r') + '\r';
    case 1:
      return [msh('ADT^A08^ADT_A01'), `EVN|A08|${TS}`, pid.replace('555-0100', '555-0199'), `PV1|1|I|W1^102^1||||1234^Smith^John|||MED||||1|||1234^Smith^John|IN|V${patient}|||||||||||||||||||||||${TS}`].join('\r') + '\r';
    case 2:
      return [
        msh('ORU^R01^ORU_R01'), pid, `OBR|1|ORD${patient}|FIL${patient}|24331-1^Lipid panel^LN|||${TS}|||||||||||||||${TS}||CH|F`,
        `OBX|1|NM|2093-3^Cholesterol^LN||182|mg/dL|<200||||F|||${TS}`,
        `OBX|2|NM|2571-8^Triglyceride^LN||140|mg/dL|<150||||F|||${TS}`,
        `OBX|3|NM|4548-4^Hemoglobin A1c^LN||6.1|%|<5.7|H|||F|||${TS}`,
      ].join('\r') + '\r';
    default:
      return [
        msh('SIU^S12^SIU_S12'), `SCH|PL${patient}|FL${patient}|||||Follow-up^Follow-up visit|FOLLOWUP|30|min|^^30^20240220090000^20240220093000|||||1234^Smith^John||||||||||Booked`,
        pid, 'RGS|1', 'AIS|1||FOLLOWUP^Follow-up visit', 'AIP|1||1234^Smith^John|ATTENDING',
      ].join('\r') + '\r';
  }
}

export async function run(opts: BenchOptions): Promise<BenchResult[]> {
  const total = opts.quick ? 1_000 : 5_000;
  const connections = 8;
  const mllpPort = await freePort();
  const child = await spawnReady({
    args: ['src/main.ts'],
    ready: /carebridge ready/,
    env: {
      DATABASE_URL: opts.databaseUrl, MLLP_PORT: String(mllpPort), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info',
      WORKERS: 'on', CAREBRIDGE_ADMIN_TOKEN: 'bench-admin-token-0123456789',
    },
  });
  const db = new pg.Client({ connectionString: opts.databaseUrl });
  await db.connect();
  try {
    const clients = Array.from({ length: connections }, () => new MllpClient({ host: '127.0.0.1', port: mllpPort, timeoutMs: 60_000 }));
    let next = 0;
    let notAA = 0;
    const started = performance.now();
    await Promise.all(
      clients.map(async (client) => {
        for (let i = next++; i < total; i = next++) {
          if ((await client.send(e2eMessage(i))).code !== 'AA') notAA++;
        }
      }),
    );
    const ackSeconds = (performance.now() - started) / 1000;
    await Promise.all(clients.map((c) => c.close()));
    if (notAA) throw new Error(`${notAA} messages were not answered AA`);

    const deadline = Date.now() + 30 * 60_000;
    for (;;) {
      const r = await db.query<{ pending: string; failed: string }>(
        "select count(*) filter (where status = 'received') as pending, count(*) filter (where status = 'failed') as failed from hl7_inbox where control_id like 'E2E-%'",
      );
      if (Number(r.rows[0]!.failed) > 0) throw new Error(`${r.rows[0]!.failed} messages failed to map`);
      if (Number(r.rows[0]!.pending) === 0) break;
      if (Date.now() > deadline) throw new Error('end-to-end benchmark did not finish in 30 minutes');
      await new Promise((r2) => setTimeout(r2, 100));
    }
    const endSeconds = (performance.now() - started) / 1000;
    const lags = await db.query<{ ms: number }>(
      "select extract(epoch from (processed_at - received_at)) * 1000 as ms from hl7_inbox where control_id like 'E2E-%' and status = 'processed'",
    );
    const lagMs = lags.rows.map((r) => Number(r.ms));
    if (lagMs.length !== total) throw new Error(`expected ${total} processed rows, found ${lagMs.length}`);
    const resources = await db.query<{ n: string }>("select count(*) as n from fhir_change_feed");
    return [
      { name: `end to end: MLLP → ACK → mapped → committed, ${connections} connections (${total.toLocaleString('en')} ADT/ORU/SIU)`, value: total / endSeconds, unit: 'msg/s' },
      { name: `end to end: ACK rate while mapping runs, ${connections} connections`, value: total / ackSeconds, unit: 'msg/s' },
      { name: 'end to end: receipt → processed lag p50 (backlog)', value: percentile(lagMs, 50), unit: 'ms' },
      { name: 'end to end: receipt → processed lag p99 (backlog)', value: percentile(lagMs, 99), unit: 'ms' },
      { name: 'end to end: FHIR writes (change-feed rows) per message', value: Number(resources.rows[0]!.n) / total, unit: 'writes' },
    ];
  } finally {
    await db.end();
    await stopChild(child);
  }
}
