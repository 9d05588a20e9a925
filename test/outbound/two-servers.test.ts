/**
 * Two carebridge servers on one PostgreSQL database (PostgreSQL only: PGlite is one connection):
 * both run the outbound consumer and delivery workers; every change reaches the CRM receiver
 * exactly once, and per-patient order holds.
 */
import type { PaymentNotice } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/index.js';
import { loadConfig, startServer, type RunningServer } from '../../src/server/index.js';
import { createPostgresDatabase, postgresOnly } from '../helpers/db.js';
import { TEST_ADMIN_TOKEN } from '../helpers/server.js';
import { startHttpReceiver, type HttpReceiver } from './helpers/http-receiver.js';

describe.each(postgresOnly())('two servers on one %s database', () => {
  let receiver: HttpReceiver;
  let db: { url: string; drop: () => Promise<void> };
  const servers: RunningServer[] = [];

  beforeAll(async () => {
    receiver = await startHttpReceiver();
    db = await createPostgresDatabase();
    for (let i = 0; i < 2; i++) {
      const config = loadConfig({
        DATABASE_URL: db.url, PORT: '0', HOST: '127.0.0.1', MLLP_PORT: '0', LOG_LEVEL: 'silent', DATABASE_POOL_SIZE: '6',
        CAREBRIDGE_ADMIN_TOKEN: TEST_ADMIN_TOKEN, MAPPINGS_DIR: new URL('../../mappings', import.meta.url).pathname,
        CRM_WEBHOOK_URL: `${receiver.url}/crm`, CRM_WEBHOOK_SECRET: 'two-servers-secret',
      });
      // One after the other: the first runs the migrations.
      servers.push(await startServer(config, createLogger({ level: 'silent' })));
    }
  });
  afterAll(async () => {
    for (const s of servers) await s.stop();
    await receiver?.close();
    await db?.drop();
  });

  it('sends nothing twice and keeps per-patient order', async () => {
    const patients = 20;
    const perPatient = 10;
    // Writes alternate between the two servers; each patient's payments are numbered in order.
    for (let seq = 0; seq < perPatient; seq++) {
      await Promise.all(Array.from({ length: patients }, (_, p) => {
        const notice: PaymentNotice = {
          resourceType: 'PaymentNotice', status: 'active', created: '2026-11-23T10:00:00Z', request: { reference: `Patient/two-${p}` },
          payment: { display: `seq-${seq}` }, recipient: { reference: `Patient/two-${p}` }, amount: { value: seq, currency: 'EUR' },
        };
        return servers[(p + seq) % 2]!.runtime.store.create(notice);
      }));
    }
    const total = patients * perPatient;
    await receiver.waitFor(total, 60_000);
    await new Promise((r) => setTimeout(r, 500));
    const keys = receiver.accepted.map((r) => r.headers['idempotency-key'] as string);
    expect(keys.length).toBe(total);
    expect(new Set(keys).size).toBe(total);
    const last = new Map<string, number>();
    for (const r of receiver.accepted) {
      const ev = JSON.parse(r.body) as { data: { recipient: { reference: string }; amount: { value: number } } };
      const p = ev.data.recipient.reference;
      expect(ev.data.amount.value).toBe((last.get(p) ?? -1) + 1);
      last.set(p, ev.data.amount.value);
    }
  });
});
