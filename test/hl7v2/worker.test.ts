import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/db/index.js';
import { CarebridgeError } from '../../src/errors/index.js';
import { createLogger } from '../../src/logging/index.js';
import { createHl7v2Service, hl7v2Migrations, type Hl7v2Service, type MessageProcessor } from '../../src/hl7v2/index.js';
import { openTestDatabase, testDatabaseKinds, type TestDatabase } from '../helpers/db.js';
import { adt, inboxRows, waitFor } from './support.js';

const logger = createLogger({ level: 'silent' });

function service(t: TestDatabase, processor: MessageProcessor, maxAttempts = 3): Hl7v2Service {
  return createHl7v2Service({
    db: t.db,
    logger,
    processor,
    mllp: { port: -1, host: '127.0.0.1', maxFrameBytes: 1 << 20, idleTimeoutMs: 0, frameTimeoutMs: 0 },
    intake: { dedupWindowDays: 7, rawRetentionDays: 0, maxAttempts, backoffMs: 20 },
  });
}

async function receive(s: Hl7v2Service, message: string): Promise<string[]> {
  const acks: string[] = [];
  await s.intake.receive(Buffer.from(message), { transport: 'file' }, (a) => acks.push(a));
  return acks;
}

describe.each(testDatabaseKinds())('inbox worker on %s', (kind) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await openTestDatabase(kind, hl7v2Migrations);
  });
  afterAll(() => t?.close());

  it('keeps per-patient order through retries while other patients move on, and fails a hopeless message after N tries without blocking its patient', async () => {
    await sql`truncate hl7_inbox`.execute(t.db);
    const seen: string[] = [];
    const tries = new Map<string, number>();
    const processor: MessageProcessor = {
      async process(message, inbox) {
        const id = inbox.controlId;
        tries.set(id, (tries.get(id) ?? 0) + 1);
        if (id === 'P1-A01' && tries.get(id)! < 3) throw new CarebridgeError('CB_ERR_MAP_FAILED', 'transient store hiccup');
        if (id === 'P3-A01') throw new CarebridgeError('CB_ERR_MAP_FAILED', 'always broken');
        seen.push(id);
        return { status: 'processed', resources: [{ resourceType: 'Patient', id: message.get('PID-3.1')! }] };
      },
    };
    const s = service(t, processor, 3);
    for (const [mrn, event] of [['P1', 'A01'], ['P2', 'A01'], ['P1', 'A08'], ['P3', 'A01'], ['P2', 'A08'], ['P1', 'A03'], ['P3', 'A08']] as const) {
      expect(await receive(s, adt(`${mrn}-${event}`, { mrn, event }))).toHaveLength(1);
    }
    s.startWorker();
    await waitFor(async () => (await inboxRows(t.db)).every((r) => r.status !== 'received'), 20_000, 'all processed');
    await s.stop();
    const order = (p: string) => seen.filter((id) => id.startsWith(p));
    expect(order('P1')).toEqual(['P1-A01', 'P1-A08', 'P1-A03']);
    expect(order('P2')).toEqual(['P2-A01', 'P2-A08']);
    expect(order('P3')).toEqual(['P3-A08']);
    // P2 did not wait for P1's retries.
    expect(seen.indexOf('P2-A08')).toBeLessThan(seen.indexOf('P1-A01'));
    const rows = await inboxRows(t.db);
    const byId = Object.fromEntries(rows.map((r) => [r.control_id, r]));
    expect(byId['P3-A01']).toMatchObject({ status: 'failed', attempts: 3, error_code: 'CB_ERR_MAP_FAILED' });
    expect(byId['P1-A01']).toMatchObject({ status: 'processed', attempts: 3 });
    expect(tries.get('P3-A01')).toBe(3);
  });

  it('fails a non-retryable error at once, and replay puts it back in the queue', async () => {
    await sql`truncate hl7_inbox`.execute(t.db);
    let broken = true;
    const s = service(t, {
      async process() {
        if (broken) throw new CarebridgeError('CB_ERR_MAP_NOT_FOUND', 'no mapping for ADT^A01');
        return { status: 'processed', resources: [] };
      },
    });
    await receive(s, adt('R-1'));
    expect(await s.worker.runOnce()).toBe(1);
    const [row] = await inboxRows(t.db);
    expect(row).toMatchObject({ status: 'failed', attempts: 1, error_code: 'CB_ERR_MAP_NOT_FOUND' });
    broken = false;
    const { replayMessages } = await import('../../src/hl7v2/index.js');
    expect(await replayMessages(t.db, [row!.id])).toEqual([row!.id]);
    expect(await s.worker.runOnce()).toBe(1);
    expect((await inboxRows(t.db))[0]).toMatchObject({ status: 'processed', error_code: null });
  });

  it('two workers on one database process every message exactly once', async () => {
    await sql`truncate hl7_inbox`.execute(t.db);
    const calls = new Map<string, number>();
    const processor: MessageProcessor = {
      async process(_m, inbox) {
        calls.set(inbox.id, (calls.get(inbox.id) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 2));
        return { status: 'unmapped', reason: 'test' };
      },
    };
    const a = service(t, processor);
    const b = service(t, processor);
    for (let i = 0; i < 120; i++) await receive(a, adt(`TW-${i}`, { mrn: `M${i % 15}` }));
    a.startWorker();
    b.startWorker();
    await waitFor(async () => (await inboxRows(t.db)).every((r) => r.status === 'unmapped'), 30_000, 'all unmapped');
    await Promise.all([a.stop(), b.stop()]);
    expect(calls.size).toBe(120);
    expect([...calls.values()].every((n) => n === 1)).toBe(true);
  });

  it('sweeps dedup keys past the window and raw bodies past retention, keeping metadata', async () => {
    await sql`truncate hl7_inbox`.execute(t.db);
    const s = createHl7v2Service({
      db: t.db,
      logger,
      mllp: { port: -1, host: '127.0.0.1', maxFrameBytes: 1 << 20, idleTimeoutMs: 0, frameTimeoutMs: 0 },
      intake: { dedupWindowDays: 7, rawRetentionDays: 30, maxAttempts: 3, backoffMs: 20 },
    });
    await receive(s, adt('OLD-1'));
    await s.worker.runOnce();
    await sql`update hl7_inbox set received_at = now() - interval '40 days'`.execute(t.db);
    expect(await s.worker.sweep()).toEqual({ dedupExpired: 1, rawPurged: 1 });
    const [row] = await inboxRows(t.db);
    expect(row).toMatchObject({ control_id: 'OLD-1', raw: null, status: 'unmapped' });
    // Outside the window the same control id is a new message.
    await receive(s, adt('OLD-1'));
    expect(await inboxRows(t.db, sql`control_id = 'OLD-1'`)).toHaveLength(2);
  });
});
