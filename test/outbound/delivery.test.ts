/**
 * The outbox and its delivery worker against a real HTTP receiver on loopback: signing and the
 * idempotency key, an outage during 500 of 2,000 updates, 4xx dead letters and replay, and two
 * workers sharing the table.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/index.js';
import {
  createDeliveryWorker, createWebhookChannel, defineDestination, enqueueOutbound, listOutboxMessages,
  outboundMigrations, replayDeadLetters, verifySignature, countByDestination, type DeliveryWorker, type OutboxInsert,
} from '../../src/outbound/index.js';
import { openTestDatabase, testDatabaseKinds, type TestDatabase } from '../helpers/db.js';
import { startHttpReceiver, type HttpReceiver } from './helpers/http-receiver.js';

const logger = createLogger({ level: 'silent' });
const SECRET = 'test-secret-abcdef';
const fast = { backoff: { baseMs: 5, maxMs: 40 }, circuit: { failureThreshold: 5, openMs: 30 }, timeoutMs: 5_000, maxAttempts: 1000 } as const;

function update(destination: string, patient: number, seq: number): OutboxInsert {
  const body = JSON.stringify({ patient: `Patient/p${patient}`, seq });
  return { destination, orderingKey: `Patient/p${patient}`, idempotencyKey: `u-${patient}-${seq}`, payload: { kind: 'http', contentType: 'application/json', body } };
}

describe.each(testDatabaseKinds())('outbox delivery on %s', (kind) => {
  let t: TestDatabase;
  let receiver: HttpReceiver;
  const workers: DeliveryWorker[] = [];
  beforeAll(async () => {
    t = await openTestDatabase(kind, outboundMigrations);
  });
  afterAll(async () => {
    await t.close();
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.stop();
    await receiver?.close();
  });

  function startWorker(name: string, settings: Parameters<typeof defineDestination>[2] = fast) {
    const dest = defineDestination(name, createWebhookChannel({ url: `${receiver.url}/hook`, secret: SECRET }), settings);
    const w = createDeliveryWorker({ db: t.db, logger, destinations: () => [dest], pollMs: 10 });
    workers.push(w);
    w.start();
    return w;
  }

  it('signs every request and sends the idempotency key', async () => {
    receiver = await startHttpReceiver();
    await enqueueOutbound(t.db, [update('signed', 1, 1), update('signed', 1, 2)]);
    startWorker('signed');
    await receiver.waitFor(2);
    for (const r of receiver.accepted) {
      const header = r.headers['x-carebridge-signature'] as string;
      expect(verifySignature(SECRET, r.body, header, Math.floor(Date.now() / 1000))).toBe(true);
      expect(verifySignature('wrong-secret', r.body, header, Math.floor(Date.now() / 1000))).toBe(false);
      expect(verifySignature(SECRET, `${r.body} `, header, Math.floor(Date.now() / 1000))).toBe(false);
    }
    expect(receiver.accepted.map((r) => r.headers['idempotency-key'])).toEqual(['u-1-1', 'u-1-2']);
  });

  it('delivers 2,000 updates exactly once, in per-patient order, after the receiver was down for the first 500', async () => {
    receiver = await startHttpReceiver();
    let down = true;
    let refused = 0;
    // Down: first 503s, then dropped connections; up once the first 500 updates are in the outbox.
    receiver.decide = () => (down ? (refused++ < 40 ? { kind: 'status', status: 503 } : { kind: 'drop' }) : { kind: 'ok' });
    startWorker('outage', { ...fast, concurrency: 8 });
    const patients = 50;
    const rows = Array.from({ length: 2000 }, (_, i) => update('outage', i % patients, Math.floor(i / patients)));
    for (let i = 0; i < 500; i += 100) await enqueueOutbound(t.db, rows.slice(i, i + 100));
    while (refused < 60) await new Promise((r) => setTimeout(r, 5));
    down = false;
    for (let i = 500; i < 2000; i += 250) await enqueueOutbound(t.db, rows.slice(i, i + 250));
    await receiver.waitFor(2000, 45_000);
    await new Promise((r) => setTimeout(r, 100));
    expect(refused).toBeGreaterThanOrEqual(60);
    const keys = receiver.accepted.map((r) => r.headers['idempotency-key'] as string);
    expect(keys.length).toBe(2000);
    expect(new Set(keys).size).toBe(2000);
    const lastSeq = new Map<string, number>();
    for (const r of receiver.accepted) {
      const { patient, seq } = JSON.parse(r.body) as { patient: string; seq: number };
      expect(seq).toBe((lastSeq.get(patient) ?? -1) + 1);
      lastSeq.set(patient, seq);
    }
    const counts = (await countByDestination(t.db)).get('outage');
    expect(counts ?? { pending: 0, inFlight: 0, deadLettered: 0 }).toMatchObject({ pending: 0, inFlight: 0, deadLettered: 0 });
  });

  it('dead-letters a 4xx with the response, and delivers it after replay', async () => {
    receiver = await startHttpReceiver();
    receiver.mode = { kind: 'status', status: 422, body: '{"error":"unknown field"}' };
    startWorker('strict');
    await enqueueOutbound(t.db, [update('strict', 7, 1)]);
    let dead = await waitForDead(t, 'strict', 1);
    expect(dead[0]).toMatchObject({ status: 'dead', attempts: 1, lastStatus: 422, lastError: 'HTTP 422' });
    expect(receiver.seen.length).toBe(1);
    receiver.mode = { kind: 'ok' };
    const replayed = await replayDeadLetters(t.db, { destination: 'strict', now: new Date() });
    expect(replayed).toEqual([dead[0]!.id]);
    workers[0]!.wake();
    await receiver.waitFor(1);
    expect(receiver.accepted[0]!.headers['idempotency-key']).toBe('u-7-1');
    dead = await listOutboxMessages(t.db, { destination: 'strict', status: 'dead' });
    expect(dead).toEqual([]);
  });

  it('dead-letters after the attempt budget and keeps retrying 408/429', async () => {
    receiver = await startHttpReceiver();
    receiver.mode = { kind: 'status', status: 429 };
    startWorker('budget', { ...fast, maxAttempts: 3, circuit: { failureThreshold: 100, openMs: 10 } });
    await enqueueOutbound(t.db, [update('budget', 8, 1)]);
    const dead = await waitForDead(t, 'budget', 1);
    expect(dead[0]).toMatchObject({ attempts: 3, lastStatus: 429 });
    expect(dead[0]!.lastError).toMatch(/gave up after 3 attempts/);
    expect(receiver.seen.length).toBe(3);
  });

  it('two workers on one table send nothing twice', async () => {
    receiver = await startHttpReceiver();
    startWorker('shared', { ...fast, concurrency: 4 });
    startWorker('shared', { ...fast, concurrency: 4 });
    const rows = Array.from({ length: 300 }, (_, i) => update('shared', i % 30, Math.floor(i / 30)));
    await enqueueOutbound(t.db, rows);
    for (const w of workers) w.wake();
    await receiver.waitFor(300);
    await new Promise((r) => setTimeout(r, 100));
    const keys = receiver.accepted.map((r) => r.headers['idempotency-key'] as string);
    expect(keys.length).toBe(300);
    expect(new Set(keys).size).toBe(300);
  });
});

async function waitForDead(t: TestDatabase, destination: string, n: number) {
  // A time bound like the receiver's waitFor, not 400 polls (about 4 s, tight for three attempts on a loaded machine).
  const deadline = Date.now() + 20_000;
  for (;;) {
    const dead = await listOutboxMessages(t.db, { destination, status: 'dead' });
    if (dead.length >= n) return dead;
    if (Date.now() > deadline) throw new Error(`no dead letter for ${destination}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
