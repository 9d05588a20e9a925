/** `carebridge outbound` against a real database: list dead letters, replay with a progress bar and --wait. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/index.js';
import {
  createDeliveryWorker, createWebhookChannel, defineDestination, enqueueOutbound, listOutboxMessages, outboundCommand, outboundMigrations, progressBar,
} from '../../src/outbound/index.js';
import { openTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startHttpReceiver, type HttpReceiver } from './helpers/http-receiver.js';

describe('carebridge outbound CLI', () => {
  let t: TestDatabase;
  let receiver: HttpReceiver;
  let out = '';
  const cli = () => outboundCommand({ open: async () => ({ db: t.db, close: async () => undefined }), write: (s) => void (out += s), pollMs: 20 });

  beforeAll(async () => {
    t = await openTestDatabase('pglite', outboundMigrations);
    receiver = await startHttpReceiver();
  });
  afterAll(async () => {
    await receiver.close();
    await t.close();
  });

  it('draws a progress bar', () => {
    expect(progressBar(0, 4, 8)).toBe('[--------] 0/4   0%');
    expect(progressBar(2, 4, 8)).toBe('[####----] 2/4  50%');
    expect(progressBar(4, 4, 8)).toBe('[########] 4/4 100%');
  });

  it('lists dead letters and replays them until delivered', async () => {
    receiver.mode = { kind: 'status', status: 404 };
    const dest = defineDestination('cli-hook', createWebhookChannel({ url: receiver.url }), { backoff: { baseMs: 5, maxMs: 20 } });
    const worker = createDeliveryWorker({ db: t.db, logger: createLogger({ level: 'silent' }), destinations: () => [dest], pollMs: 10 });
    worker.start();
    try {
      await enqueueOutbound(t.db, Array.from({ length: 5 }, (_, i) => ({ destination: 'cli-hook', orderingKey: `Patient/${i}`, idempotencyKey: `cli-${i}`, payload: { kind: 'http' as const, contentType: 'application/json', body: '{}' } })));
      // Each row is dead once the worker has settled the 404, a moment after the receiver saw it.
      const deadline = Date.now() + 20_000;
      while ((await listOutboxMessages(t.db, { destination: 'cli-hook', status: 'dead' })).length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      out = '';
      expect(await cli().run(['dead-letters', '--destination', 'cli-hook'])).toBe(0);
      expect(out).toContain('5 dead letter(s)');
      expect(out).toMatch(/cli-hook .* attempts=1 {2}404 HTTP 404 {2}key=cli-0/);
      receiver.mode = { kind: 'ok' };
      out = '';
      expect(await cli().run(['replay', '--destination', 'cli-hook', '--wait', '--timeout', '20'])).toBe(0);
      expect(out).toContain('5 dead letter(s) requeued');
      expect(out).toContain('[##############################] 5/5 100%');
      expect(receiver.accepted.map((r) => r.headers['idempotency-key']).sort()).toEqual(['cli-0', 'cli-1', 'cli-2', 'cli-3', 'cli-4']);
      out = '';
      expect(await cli().run(['status'])).toBe(0);
      expect(out).toMatch(/cli-hook\s+0\s+0\s+0\s+0\s+ok/);
    } finally {
      await worker.stop();
    }
  });

  it('refuses replay without a target', async () => {
    out = '';
    expect(await cli().run(['replay'])).toBe(2);
    expect(out).toContain('give --destination NAME or --ids');
  });
});
