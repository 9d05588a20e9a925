import type { Communication } from 'fhir/r4.js';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsentService } from '../../src/auth/index.js';
import { claimDue, createScheduler, tickBookkeeping, type CareplanStore } from '../../src/careplans/index.js';
import { testDatabaseKinds } from '../helpers/db.js';
import { encounter, logger, openHarness, patient, permitConsent, procedure, writeAsHl7, type Harness } from './harness.js';

const DISCHARGE = '2026-03-01T02:00:00Z';
const DAY = 86_400_000;
const plus = (ms: number) => new Date(new Date(DISCHARGE).getTime() + ms);

describe.each(testDatabaseKinds())('scheduler claims on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(kind, DISCHARGE);
  });
  afterAll(() => h?.close());

  const schedulerB = () => {
    const consent = createConsentService({ store: h.store });
    return createScheduler({ db: h.t.db, store: h.store as unknown as CareplanStore, registry: h.registry, logger, clock: h.clock, instanceId: 'B', leaseMs: 60_000, mayContact: (p, u, c, a) => consent.mayContact(p, u, c, a) });
  };
  const day3Comms = async (pid: string) =>
    ((await h.store.search('Communication', new URLSearchParams({ subject: `Patient/${pid}` }))).entry ?? []).filter((e) => (e.resource as Communication).extension?.[0]?.valueString === 'day-3');

  it('a claim left by a crashed process is taken over after its lease, and sent once', async () => {
    h.clock.set(DISCHARGE);
    await writeAsHl7(h.store, patient('k1'), permitConsent('k1'), encounter('ek1', 'k1', 'finished', DISCHARGE), procedure('prk1', 'ek1', 'k1'));
    await h.plan();
    h.clock.set(plus(3 * DAY));
    // Process A claims everything due and dies before writing anything.
    const claimedByA = await claimDue(h.t.db, 'A', h.clock.now(), 1000, 60_000);
    expect(claimedByA.map((r) => r.activity_key).sort()).toEqual(['day-3', 'survey']);
    const b = schedulerB();
    expect((await b.sweep()).claimed).toBe(0); // A's lease still holds
    h.clock.set(new Date(plus(3 * DAY).getTime() + 61_000));
    const r = await b.sweep();
    expect(r.sent).toBe(2);
    expect(await day3Comms('k1')).toHaveLength(1);
    const row = (await h.rows()).find((x) => x.patient_ref === 'Patient/k1' && x.activity_key === 'day-3')!;
    expect(row.status).toBe('sent');
    expect((await b.sweep()).claimed).toBe(0);
  });

  it('a revoke reaches rows that are claimed in flight: nothing is sent after an A13', async () => {
    h.clock.set(DISCHARGE);
    await writeAsHl7(h.store, patient('k2'), permitConsent('k2'), encounter('ek2', 'k2', 'finished', DISCHARGE), procedure('prk2', 'ek2', 'k2'));
    await h.plan();
    h.clock.set(plus(3 * DAY));
    await claimDue(h.t.db, 'A', h.clock.now(), 1000, 60_000);
    await writeAsHl7(h.store, encounter('ek2', 'k2', 'in-progress'));
    await h.plan();
    h.clock.set(new Date(plus(3 * DAY).getTime() + 61_000));
    await schedulerB().sweep();
    expect(await day3Comms('k2')).toEqual([]);
    expect((await h.rows()).filter((x) => x.patient_ref === 'Patient/k2' && x.activity_key.startsWith('day-')).map((x) => x.status)).toEqual(['revoked', 'revoked', 'revoked']);
  });

  it('a claim takes the earliest run times first, pending and expired claims alike, up to its limit', async () => {
    // Long before the other tests' activities, so only these rows are due.
    const at = (m: number) => new Date(Date.UTC(1990, 0, 1, 0, m));
    const row = (id: string, status: string, runAt: Date, expires: Date | null) => sql`
      insert into careplan_activity (id, careplan_id, plan_id, activity_key, kind, patient_ref, request_type, request_id, due_at, run_at, status, claimed_by, claim_expires_at)
      values (${id}, 'cp-order', 'no-plan', 'a', 'message', 'Patient/x', 'CommunicationRequest', ${id}, ${runAt}, ${runAt}, ${status}, ${expires ? 'A' : null}, ${expires})`.execute(h.t.db);
    await row('ord-pending-1', 'pending', at(1), null);
    await row('ord-expired-2', 'claimed', at(2), at(5));
    await row('ord-pending-3', 'pending', at(3), null);
    await row('ord-held-0', 'claimed', at(0), at(30)); // another process's claim, still valid
    await row('ord-later', 'pending', at(20), null); // not due yet
    try {
      const now = at(10);
      const first = await claimDue(h.t.db, 'C', now, 2, 60_000);
      expect(first.map((r) => r.id)).toEqual(['ord-pending-1', 'ord-expired-2']);
      expect(first.every((r) => r.status === 'claimed' && r.claimed_by === 'C')).toBe(true);
      expect(first.find((r) => r.id === 'ord-expired-2')!.attempts).toBe(1);
      expect((await claimDue(h.t.db, 'D', now, 10, 60_000)).map((r) => r.id)).toEqual(['ord-pending-3']);
      expect(await claimDue(h.t.db, 'D', now, 10, 60_000)).toEqual([]);
    } finally {
      await sql`delete from careplan_activity where careplan_id = 'cp-order'`.execute(h.t.db);
    }
  });

  it('the advisory lock elects one process per tick for the bookkeeping, which hands back expired claims', async () => {
    const now = new Date('2026-06-01T00:00:00Z');
    const both = await Promise.all([tickBookkeeping(h.t.db, now), tickBookkeeping(h.t.db, now)]);
    expect(both.filter((x) => x.leader)).toHaveLength(1);
    expect((await tickBookkeeping(h.t.db, new Date(now.getTime() + 10_000))).leader).toBe(false);
    expect((await tickBookkeeping(h.t.db, new Date(now.getTime() + 60_000))).leader).toBe(true);
  });
});
