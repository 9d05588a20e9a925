import type { Communication } from 'fhir/r4.js';
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

  it('the advisory lock elects one process per tick for the bookkeeping, which hands back expired claims', async () => {
    const now = new Date('2026-06-01T00:00:00Z');
    const both = await Promise.all([tickBookkeeping(h.t.db, now), tickBookkeeping(h.t.db, now)]);
    expect(both.filter((x) => x.leader)).toHaveLength(1);
    expect((await tickBookkeeping(h.t.db, new Date(now.getTime() + 10_000))).leader).toBe(false);
    expect((await tickBookkeeping(h.t.db, new Date(now.getTime() + 60_000))).leader).toBe(true);
  });
});
