import type { CarePlan, Communication, CommunicationRequest, Task } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../helpers/db.js';
import { encounter, openHarness, patient, permitConsent, procedure, writeAsHl7, type Harness } from './harness.js';

const DISCHARGE = '2026-03-01T02:00:00Z'; // 10:00 in Shanghai
const DAY = 86_400_000;
const at = (ms: number) => new Date(new Date(DISCHARGE).getTime() + ms).toISOString();

describe.each(testDatabaseKinds())('post-operative follow-up on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(kind, DISCHARGE);
  });
  afterAll(() => h?.close());

  const communications = async (patientId: string) =>
    ((await h.store.search('Communication', new URLSearchParams({ subject: `Patient/${patientId}` }))).entry ?? []).map((e) => e.resource as Communication);
  const careplanFor = async (patientId: string) =>
    ((await h.store.search('CarePlan', new URLSearchParams({ subject: `Patient/${patientId}` }))).entry ?? []).map((e) => e.resource as CarePlan);

  it('a discharge without a procedure starts only the survey, not the follow-up', async () => {
    await writeAsHl7(h.store, patient('p0'), permitConsent('p0'), encounter('e0', 'p0', 'finished', DISCHARGE));
    await h.plan();
    const plans = await careplanFor('p0');
    expect(plans.map((p) => p.instantiatesCanonical?.[0])).toEqual(['http://carebridge.example/fhir/PlanDefinition/discharge-satisfaction-survey|1.0.0']);
  });

  it('discharge of a surgical inpatient → one CarePlan with follow-ups at +3/+7/+30 days, once', async () => {
    await writeAsHl7(h.store, patient('p1'), permitConsent('p1'), encounter('e1', 'p1', 'in-progress'), procedure('pr1', 'e1', 'p1'));
    await h.plan();
    expect(await careplanFor('p1')).toEqual([]);

    await writeAsHl7(h.store, encounter('e1', 'p1', 'finished', DISCHARGE));
    await h.plan();
    // The same discharge delivered again (a re-sent A03) plans nothing new.
    await writeAsHl7(h.store, encounter('e1', 'p1', 'finished', DISCHARGE));
    await h.plan();

    const plans = (await careplanFor('p1')).filter((p) => p.title === 'Post-operative follow-up');
    expect(plans).toHaveLength(1);
    const cp = plans[0]!;
    expect(cp.status).toBe('active');
    expect(cp.meta?.versionId).toBe('1');
    expect(cp.subject.reference).toBe('Patient/p1');
    expect(cp.period).toEqual({ start: new Date(DISCHARGE).toISOString(), end: at(30 * DAY) });
    const rows = await h.rows(cp.id);
    expect(rows.map((r) => [r.activity_key, r.due_at.toISOString(), r.status])).toEqual([
      ['day-3', at(3 * DAY), 'pending'],
      ['day-7', at(7 * DAY), 'pending'],
      ['day-30', at(30 * DAY), 'pending'],
    ]);
    const cr = await h.store.read<CommunicationRequest>('CommunicationRequest', rows[0]!.id);
    expect(cr.occurrenceDateTime).toBe(at(3 * DAY));
    const task = await h.store.read<Task>('Task', rows[2]!.id);
    expect(task.executionPeriod?.start).toBe(at(30 * DAY));
  });

  it('advancing the clock sends each follow-up at its time, exactly once', async () => {
    h.clock.set(at(3 * DAY - 60_000));
    await h.sweep();
    const early = await communications('p1');
    // The satisfaction survey (+1d) went out; no follow-up yet.
    expect(early.map((c) => c.extension?.[0]?.valueString)).toEqual(['survey']);

    h.clock.set(at(3 * DAY));
    await h.sweep();
    await h.sweep();
    let comms = await communications('p1');
    const day3 = comms.filter((c) => c.extension?.some((e) => e.valueString === 'day-3'));
    expect(day3).toHaveLength(1);
    expect(day3[0]!.status).toBe('in-progress');
    expect(day3[0]!.language).toBe('zh-CN');
    expect(day3[0]!.payload?.[0]?.contentString).toMatch(/^王小明您好，您已出院3天/);
    expect(day3[0]!.sent).toBe(at(3 * DAY));

    h.clock.set(at(7 * DAY + 5 * 60_000));
    const r7 = await h.sweep();
    expect(r7.sent).toBe(1);
    comms = await communications('p1');
    expect(comms.map((c) => c.extension?.[0]?.valueString).sort()).toEqual(['day-3', 'day-7', 'survey']);

    h.clock.set(at(30 * DAY));
    const r30 = await h.sweep();
    expect(r30.tasks).toBeGreaterThanOrEqual(1);
    const rows = (await h.rows()).filter((r) => r.patient_ref === 'Patient/p1' && r.activity_key.startsWith('day-'));
    expect(rows.map((r) => r.status)).toEqual(['sent', 'sent', 'task-created']);
    const call = await h.store.read<Task>('Task', rows[2]!.id);
    expect(call.status).toBe('ready');
  });

  it('an A13 (cancel discharge) before day 3 revokes every pending follow-up, and says why', async () => {
    h.clock.set(DISCHARGE);
    await writeAsHl7(h.store, patient('p2'), permitConsent('p2'), encounter('e2', 'p2', 'finished', DISCHARGE), procedure('pr2', 'e2', 'p2'));
    await h.plan();
    h.clock.set(at(1 * DAY));
    await writeAsHl7(h.store, encounter('e2', 'p2', 'in-progress'));
    await h.plan();

    const cp = (await careplanFor('p2')).find((p) => p.title === 'Post-operative follow-up')!;
    expect(cp.status).toBe('revoked');
    expect(cp.note?.at(-1)?.text).toMatch(/Encounter\/e2 is no longer finished \(discharge cancelled, e\.g\. ADT\^A13\)/);
    expect(cp.extension?.some((e) => e.url.endsWith('careplan-status-reason'))).toBe(true);
    const rows = await h.rows(cp.id);
    expect(rows.map((r) => r.status)).toEqual(['revoked', 'revoked', 'revoked']);
    expect((await h.store.read<CommunicationRequest>('CommunicationRequest', rows[0]!.id)).status).toBe('revoked');

    h.clock.set(at(31 * DAY));
    await h.sweep();
    expect((await communications('p2')).filter((c) => c.extension?.some((e) => e.valueString?.startsWith('day-')))).toEqual([]);
  });

  it('a corrected discharge time moves pending activities but never re-sends done ones', async () => {
    h.clock.set(DISCHARGE);
    await writeAsHl7(h.store, patient('p3'), permitConsent('p3'), encounter('e3', 'p3', 'finished', DISCHARGE), procedure('pr3', 'e3', 'p3'));
    await h.plan();
    h.clock.set(at(3 * DAY));
    await h.sweep();
    const corrected = at(2 * DAY); // discharge time corrected to two days later
    await writeAsHl7(h.store, encounter('e3', 'p3', 'finished', corrected));
    await h.plan();
    const cp = (await careplanFor('p3')).find((p) => p.title === 'Post-operative follow-up')!;
    const rows = await h.rows(cp.id);
    const plus = (ms: number) => new Date(new Date(corrected).getTime() + ms).toISOString();
    expect(rows.map((r) => [r.activity_key, r.status, r.due_at.toISOString()])).toEqual([
      ['day-3', 'sent', at(3 * DAY)],
      ['day-7', 'pending', plus(7 * DAY)],
      ['day-30', 'pending', plus(30 * DAY)],
    ]);
    expect(cp.note?.at(-1)?.text).toMatch(/Re-planned: Encounter\/e3 moved the anchor/);
    h.clock.set(plus(3 * DAY) );
    const r = await h.sweep();
    expect(r.sent).toBe(0);
    expect((await communications('p3')).filter((c) => c.extension?.some((e) => e.valueString === 'day-3'))).toHaveLength(1);
  });
});
