/** The one load client the intake benchmark uses against every server: MllpClient lanes. */
import { MllpClient } from '../../../src/hl7v2/index.js';

export interface LoadResult {
  readonly messages: number;
  readonly seconds: number;
  readonly latenciesMs: number[];
  readonly notAA: number;
}

export function benchMessage(id: string, i: number): string {
  return [
    `MSH|^~\\&|BENCH|NWH|CAREBRIDGE|CB|20240115083000||ADT^A01^ADT_A01|${id}|P|2.5.1`,
    'EVN|A01|20240115083000',
    `PID|1||MRN${i % 5000}^^^NWH^MR||Doe^Jane^Q||19800101|F|||1 Main St^^Springfield^IL^62701||555-0100`,
    'PV1|1|I|W1^101^1||||1234^Smith^John|||MED||||1|||1234^Smith^John|IN||||||||||||||||||||||||20240115083000',
  ].join('\r') + '\r';
}

/**
 * Sends `total` messages over `connections` lanes, each lane one message in flight. With
 * `ratePerSec`, sends are paced (open loop per lane) to measure latency at a fixed load.
 */
export async function runLoad(port: number, o: { total: number; connections: number; ratePerSec?: number; prefix: string }): Promise<LoadResult> {
  const clients = Array.from({ length: o.connections }, () => new MllpClient({ host: '127.0.0.1', port, timeoutMs: 30_000 }));
  const latencies: number[] = [];
  let notAA = 0;
  let next = 0;
  const started = performance.now();
  const interval = o.ratePerSec ? 1000 / o.ratePerSec : 0;
  await Promise.all(
    clients.map(async (client) => {
      for (;;) {
        const i = next++;
        if (i >= o.total) break;
        if (interval) {
          const due = started + i * interval;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        const t0 = performance.now();
        const res = await client.send(benchMessage(`${o.prefix}${i}`, i));
        latencies.push(performance.now() - t0);
        if (res.code !== 'AA') notAA++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(clients.map((c) => c.close()));
  return { messages: o.total, seconds, latenciesMs: latencies, notAA };
}
