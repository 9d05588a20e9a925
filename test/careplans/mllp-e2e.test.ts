/**
 * The end-to-end story over the real wire: an ADT^A03 for a surgical inpatient arrives over
 * MLLP → mapped into the store → the planner makes a CarePlan with follow-ups at +3/+7/+30 days →
 * the clock moves → Communications appear at the right times; an A13 before day 3 revokes them all.
 * The server's own cron is set to never fire; a scheduler with a manual clock sweeps its database.
 */
import { readFileSync } from 'node:fs';
import type { Bundle, CarePlan, Communication, Patient } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createConsentService } from '../../src/auth/index.js';
import { ManualClock, careplanTables, createScheduler, type CareplanStore, type Scheduler } from '../../src/careplans/index.js';
import { MllpClient } from '../../src/hl7v2/index.js';
import { testDatabaseKinds } from '../helpers/db.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { permitConsent } from './harness.js';

const A03 = readFileSync(new URL('../../fixtures/hl7/adt-a03.hl7', import.meta.url), 'utf8');
const A13 = readFileSync(new URL('../../fixtures/hl7/adt-a13.hl7', import.meta.url), 'utf8');
const DISCHARGE = '2026-11-05T12:30:00.000Z'; // PV1-45 20261105133000+0100
const DAY = 86_400_000;
const plus = (ms: number) => new Date(new Date(DISCHARGE).getTime() + ms).toISOString();

/** The fixture for another patient / visit / control id, with a mobile number in PID-13. */
const variant = (msg: string, n: string) => msg.replace('||19700315|F', '||19700315|F|||||13800000000^PRS^CP').replaceAll('MRN12345', `MRN${n}`).replaceAll('V0001', `V${n}`).replace(/\|(A0\d|A1\d)-0001\|/, (_m, e: string) => `|${e}-${n}|`);

describe.each(testDatabaseKinds())('ADT over MLLP → care plan → Communications on %s', (kind) => {
  let s: TestServer;
  let mllp: MllpClient;
  let clock: ManualClock;
  let scheduler: Scheduler;

  beforeAll(async () => {
    s = await startTestServer(kind, { CAREBRIDGE_AUTH: 'off-i-understand-this-exposes-patient-data', WORKERS: 'on', SCHEDULER_CRON: '0 0 1 1 *' });
    mllp = new MllpClient({ host: '127.0.0.1', port: s.mllpPort!, timeoutMs: 20_000 });
    clock = new ManualClock(DISCHARGE);
    const store = s.runtime.store;
    const consent = createConsentService({ store });
    scheduler = createScheduler({
      db: s.runtime.database.db, store: store as unknown as CareplanStore, registry: s.runtime.careplans.registry, logger: s.logger, clock,
      mayContact: (p, purpose, ch, at) => consent.mayContact(p, purpose, ch, at),
    });
  });
  afterAll(async () => {
    await mllp?.close();
    await s?.stop();
  });

  const get = async <T>(path: string): Promise<T> => (await (await fetch(`${s.httpUrl}/fhir/${path}`)).json()) as T;
  const patientId = async (mrn: string) => {
    const b = await get<Bundle>(`Patient?identifier=${encodeURIComponent(mrn)}`);
    return (b.entry?.[0]?.resource as Patient | undefined)?.id;
  };
  const postOpPlan = async (pid: string) => {
    const b = await get<Bundle>(`CarePlan?subject=Patient/${pid}`);
    return (b.entry ?? []).map((e) => e.resource as CarePlan).find((c) => c.title === 'Post-operative follow-up');
  };
  const followUps = async (pid: string) =>
    ((await get<Bundle>(`Communication?subject=Patient/${pid}`)).entry ?? [])
      .map((e) => e.resource as Communication)
      .filter((c) => c.extension?.some((x) => x.valueString?.startsWith('day-')));

  async function discharge(n: string): Promise<{ pid: string; careplan: CarePlan }> {
    const ack = await mllp.send(variant(A03, n));
    expect(ack.code).toBe('AA');
    let pid: string | undefined;
    let careplan: CarePlan | undefined;
    await vi.waitFor(async () => {
      pid = await patientId(`MRN${n}`);
      expect(pid).toBeDefined();
      careplan = await postOpPlan(pid!);
      expect(careplan).toBeDefined();
    }, { timeout: 20_000, interval: 200 });
    const res = await fetch(`${s.httpUrl}/fhir/Consent/consent-${pid}`, { method: 'PUT', headers: { 'content-type': 'application/fhir+json' }, body: JSON.stringify(permitConsent(pid!)) });
    expect(res.status).toBeLessThan(300);
    return { pid: pid!, careplan: careplan! };
  }

  it('A03 → CarePlan with +3/+7/+30 days; Communications appear as the clock reaches each', async () => {
    const { pid, careplan } = await discharge('77001');
    expect(careplan.status).toBe('active');
    const rows = await careplanTables(s.runtime.database.db).selectFrom('careplan_activity').selectAll().where('careplan_id', '=', careplan.id!).orderBy('due_at').execute();
    expect(rows.map((r) => [r.activity_key, r.due_at.toISOString()])).toEqual([
      ['day-3', plus(3 * DAY)],
      ['day-7', plus(7 * DAY)],
      ['day-30', plus(30 * DAY)],
    ]);

    clock.set(plus(3 * DAY - 60_000));
    await scheduler.sweep();
    expect(await followUps(pid)).toEqual([]);
    clock.set(plus(3 * DAY));
    await scheduler.sweep();
    expect((await followUps(pid)).map((c) => [c.extension?.[0]?.valueString, c.status, c.sent])).toEqual([['day-3', 'in-progress', plus(3 * DAY)]]);
    clock.set(plus(7 * DAY));
    await scheduler.sweep();
    expect((await followUps(pid)).map((c) => c.extension?.[0]?.valueString).sort()).toEqual(['day-3', 'day-7']);
    clock.set(plus(30 * DAY));
    await scheduler.sweep();
    const done = await careplanTables(s.runtime.database.db).selectFrom('careplan_activity').select(['activity_key', 'status']).where('careplan_id', '=', careplan.id!).orderBy('due_at').execute();
    expect(done.map((r) => r.status)).toEqual(['sent', 'sent', 'task-created']);
  });

  it('an A13 before day 3 revokes every follow-up; nothing is sent', async () => {
    clock.set(DISCHARGE);
    const { pid, careplan } = await discharge('77002');
    const ack = await mllp.send(variant(A13, '77002'));
    expect(ack.code).toBe('AA');
    await vi.waitFor(async () => expect((await postOpPlan(pid))?.status).toBe('revoked'), { timeout: 20_000, interval: 200 });
    const revoked = (await postOpPlan(pid))!;
    expect(revoked.note?.at(-1)?.text).toMatch(/no longer finished \(discharge cancelled, e\.g\. ADT\^A13\).*3 pending activities revoked/);
    clock.set(plus(31 * DAY));
    await scheduler.sweep();
    expect(await followUps(pid)).toEqual([]);
    const rows = await careplanTables(s.runtime.database.db).selectFrom('careplan_activity').select('status').where('careplan_id', '=', careplan.id!).execute();
    expect(rows.map((r) => r.status)).toEqual(['revoked', 'revoked', 'revoked']);
  });
});
