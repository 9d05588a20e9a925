/**
 * Two processes' worth of care-plan schedulers and outbound workers (separate pools) on one
 * PostgreSQL database: every due activity becomes one Communication and the CRM receiver gets each
 * exactly once. The outbound rule here is this test's own (the shipped CRM rule notifies on
 * completed/not-done; see NOTES-careplans for the hand-off rule requested from outbound).
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openDatabase, type Database } from '../../src/db/index.js';
import { createFhirStore } from '../../src/fhir/index.js';
import { createOutboundService, outboundMigrations, type OutboundService } from '../../src/outbound/index.js';
import { BENCH_PLAN, careplanBenchMigrations, seedDueActivities, sweepAll } from '../../scripts/bench/careplans.js';
import { openTestDatabase, postgresOnly, type TestDatabase } from '../helpers/db.js';
import { logger } from './harness.js';

const N = 1_000;
const RULE = `description: hand follow-up messages to the CRM (test)
destination:
  name: crm-handoff
  channel: webhook
  url: \${HANDOFF_URL}
  secret: \${HANDOFF_SECRET}
  settings: { concurrency: 16 }
rules:
  - id: follow-up-send
    resourceType: Communication
    operations: [create]
    when: status = 'in-progress'
    event: follow-up.send
    payload: { format: cloudevents, source: urn:carebridge }
`;

// Two pools on one database: PostgreSQL only (PGlite is a single connection); skipped without DATABASE_URL.
describe.skipIf(postgresOnly().length === 0).each(['postgres'] as const)('care-plan → outbound hand-off on %s', (kind) => {
  let t: TestDatabase;
  let receiver: Server;
  const received: string[] = [];
  const pools: Database[] = [];
  const outbound: OutboundService[] = [];
  let dir: string;

  beforeAll(async () => {
    t = await openTestDatabase(kind, [...careplanBenchMigrations(), ...outboundMigrations], { poolSize: 4 });
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push((JSON.parse(body) as { data: { id: string } }).data.id);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    dir = mkdtempSync(join(tmpdir(), 'cb-handoff-'));
    mkdirSync(join(dir, 'careplans'));
    mkdirSync(join(dir, 'outbound'));
    writeFileSync(join(dir, 'careplans', 'bench.yaml'), BENCH_PLAN);
    writeFileSync(join(dir, 'outbound', 'handoff.yaml'), RULE);
    const vars = { HANDOFF_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events`, HANDOFF_SECRET: 'test-secret-123' };
    await seedDueActivities(t.db, createFhirStore({ db: t.db, logger }), N, { patients: 50, dueAt: new Date(Date.now() - 60_000) });
    for (let i = 0; i < 2; i++) {
      const pool = await openDatabase({ url: t.url, poolSize: 6 });
      pools.push(pool);
      const svc = await createOutboundService({ db: pool.db, store: createFhirStore({ db: pool.db, logger }), logger, rulesDir: join(dir, 'outbound'), vars, watchRules: false });
      svc.start();
      outbound.push(svc);
    }
  }, 120_000);
  afterAll(async () => {
    for (const o of outbound) await o.stop();
    for (const p of pools) await p.close();
    await new Promise<void>((r) => receiver?.close(() => r()));
    await t?.close();
  });

  it(`${N.toLocaleString('en')} activities: one Communication each, and the receiver got each exactly once`, async () => {
    const [a, b] = await Promise.all([sweepAll(t.url!, join(dir, 'careplans'), undefined, 6), sweepAll(t.url!, join(dir, 'careplans'), undefined, 6)]);
    expect(a.handled + b.handled).toBe(N);
    await vi.waitFor(() => expect(received.length).toBeGreaterThanOrEqual(N), { timeout: 120_000, interval: 250 });
    // A little longer: a duplicate would arrive right after.
    await new Promise((r) => setTimeout(r, 500));
    expect(received).toHaveLength(N);
    expect(new Set(received).size).toBe(N);
  }, 240_000);
});
