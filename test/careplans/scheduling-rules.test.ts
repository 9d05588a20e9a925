import type { Appointment, CarePlan, Communication, Observation, Patient, Task } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../helpers/db.js';
import { encounter, openHarness, patient, permitConsent, procedure, writeAsHl7, type Harness } from './harness.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const plus = (iso: string, ms: number) => new Date(new Date(iso).getTime() + ms).toISOString();

function appointment(id: string, patientId: string, start: string, status: Appointment['status'] = 'booked'): Appointment {
  return {
    resourceType: 'Appointment',
    id,
    status,
    start,
    end: plus(start, 30 * 60_000),
    participant: [{ actor: { reference: `Patient/${patientId}` }, status: 'accepted' }],
  };
}

describe.each(testDatabaseKinds())('scheduling rules on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(kind, '2026-03-01T00:00:00Z');
  });
  afterAll(() => h?.close());

  const comms = async (patientId: string) =>
    ((await h.store.search('Communication', new URLSearchParams({ subject: `Patient/${patientId}` }))).entry ?? []).map((e) => e.resource as Communication);
  const plansOf = async (patientId: string) =>
    ((await h.store.search('CarePlan', new URLSearchParams({ subject: `Patient/${patientId}` }))).entry ?? []).map((e) => e.resource as CarePlan);

  it('quiet hours in the patient time zone: a 22:30 due time waits until 08:00 local', async () => {
    const discharge = '2026-03-01T14:30:00Z'; // 22:30 Shanghai
    h.clock.set(discharge);
    await writeAsHl7(h.store, patient('q1'), permitConsent('q1'), encounter('eq1', 'q1', 'finished', discharge), procedure('prq1', 'eq1', 'q1'));
    await h.plan();
    h.clock.set(plus(discharge, 3 * DAY));
    const r = await h.sweep();
    expect(r.deferred).toBeGreaterThanOrEqual(1);
    const row = (await h.rows()).find((x) => x.patient_ref === 'Patient/q1' && x.activity_key === 'day-3')!;
    expect(row.status).toBe('pending');
    expect(row.run_at.toISOString()).toBe('2026-03-05T00:00:00.000Z'); // 08:00 +08:00
    expect(row.reason).toBe('quiet hours in Asia/Shanghai');
    h.clock.set('2026-03-05T00:00:00Z');
    await h.sweep();
    expect((await comms('q1')).filter((c) => c.extension?.[0]?.valueString === 'day-3').map((c) => c.status)).toEqual(['in-progress']);
  });

  it('a patient in New York is reached at 08:00 New York time, in English', async () => {
    const discharge = '2026-03-02T03:00:00Z'; // 22:00 EST (11:00 in Shanghai, which would be allowed)
    h.clock.set(discharge);
    await writeAsHl7(
      h.store,
      patient('q2', { lang: 'en', extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/timezone', valueCode: 'America/New_York' }] }),
      permitConsent('q2'),
      encounter('eq2', 'q2', 'finished', discharge),
      procedure('prq2', 'eq2', 'q2'),
    );
    await h.plan();
    h.clock.set(plus(discharge, 3 * DAY));
    await h.sweep();
    expect((await comms('q2')).filter((x) => x.extension?.[0]?.valueString === 'day-3')).toEqual([]);
    h.clock.set('2026-03-05T13:00:00Z'); // 08:00 EST
    await h.sweep();
    const c = (await comms('q2')).find((x) => x.extension?.[0]?.valueString === 'day-3')!;
    expect(c.sent).toBe('2026-03-05T13:00:00.000Z');
    expect(c.language).toBe('en');
    expect(c.payload?.[0]?.contentString).toMatch(/^Hello 小明 王, it has been 3 days/);
  });

  it('no consent → a not-done Communication with the reason; nothing goes out', async () => {
    const discharge = '2026-03-01T02:00:00Z';
    h.clock.set(discharge);
    await writeAsHl7(h.store, patient('c1'), encounter('ec1', 'c1', 'finished', discharge), procedure('prc1', 'ec1', 'c1'));
    await h.plan();
    h.clock.set(plus(discharge, 3 * DAY));
    await h.sweep();
    const c = (await comms('c1')).find((x) => x.extension?.[0]?.valueString === 'day-3')!;
    expect(c.status).toBe('not-done');
    expect(c.statusReason?.coding?.[0]?.code).toBe('consent-denied');
    expect(c.statusReason?.text).toBe('contact not permitted: no-consent');
    expect((await h.rows()).find((x) => x.patient_ref === 'Patient/c1' && x.activity_key === 'day-3')!.status).toBe('not-done');
  });

  it('an elderly patient who prefers the phone gets a staff call Task instead of an SMS', async () => {
    const discharge = '2026-03-01T02:00:00Z';
    h.clock.set(discharge);
    await writeAsHl7(
      h.store,
      patient('o1', { birthDate: '1940-01-01', telecom: [{ system: 'phone', use: 'home', value: '+862100000000', rank: 1 }, { system: 'phone', use: 'mobile', value: '+8613900000000', rank: 2 }] }),
      permitConsent('o1'),
      encounter('eo1', 'o1', 'finished', discharge),
      procedure('pro1', 'eo1', 'o1'),
    );
    await h.plan();
    h.clock.set(plus(discharge, 3 * DAY));
    await h.sweep();
    const row = (await h.rows()).find((x) => x.patient_ref === 'Patient/o1' && x.activity_key === 'day-3')!;
    expect(row.status).toBe('task-created');
    const task = await h.store.read<Task>('Task', row.result_ref!.split('/')[1]!);
    expect(task.status).toBe('ready');
    expect(task.description).toMatch(/patient prefers a phone call/);
    expect((await comms('o1')).filter((x) => x.extension?.[0]?.valueString === 'day-3')).toEqual([]);
  });

  it('appointment reminders at −48h and −2h; a reschedule (S13) moves them, a cancel (S15) revokes them', async () => {
    h.clock.set('2026-03-01T00:00:00Z');
    await writeAsHl7(h.store, patient('a1'), permitConsent('a1'), appointment('ap1', 'a1', '2026-03-10T02:00:00Z'));
    await h.plan();
    const [cp] = await plansOf('a1');
    let rows = await h.rows(cp!.id);
    expect(rows.map((r) => r.due_at.toISOString())).toEqual(['2026-03-08T02:00:00.000Z', '2026-03-10T00:00:00.000Z']);

    await writeAsHl7(h.store, appointment('ap1', 'a1', '2026-03-12T06:00:00Z'));
    await h.plan();
    rows = await h.rows(cp!.id);
    expect(rows.map((r) => r.due_at.toISOString())).toEqual(['2026-03-10T06:00:00.000Z', '2026-03-12T04:00:00.000Z']);
    h.clock.set('2026-03-10T06:00:00Z');
    await h.sweep();
    const sent = (await comms('a1')).find((c) => c.extension?.[0]?.valueString === 'remind-48h')!;
    expect(sent.payload?.[0]?.contentString).toContain('2026-03-12 14:00');

    await writeAsHl7(h.store, appointment('ap1', 'a1', '2026-03-12T06:00:00Z', 'cancelled'));
    await h.plan();
    rows = await h.rows(cp!.id);
    expect(rows.map((r) => r.status)).toEqual(['sent', 'revoked']);
    const after = (await plansOf('a1'))[0]!;
    expect(after.status).toBe('revoked');
    expect(after.note?.at(-1)?.text).toMatch(/Appointment\/ap1 was cancelled \(e\.g\. SIU\^S15\)/);
  });

  it('HbA1c above 8 % enrols once per patient; 7.5 % does not', async () => {
    h.clock.set('2026-03-01T00:00:00Z');
    const obs = (id: string, value: number, code = '4548-4'): Observation => ({
      resourceType: 'Observation', id, status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code }] },
      subject: { reference: 'Patient/d1' },
      effectiveDateTime: '2026-02-28T08:00:00Z',
      valueQuantity: { value, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
    });
    await writeAsHl7(h.store, patient('d1'), permitConsent('d1'), obs('o-low', 7.5));
    await h.plan();
    expect(await plansOf('d1')).toEqual([]);
    await writeAsHl7(h.store, obs('o-high', 9.1, '17856-6'));
    await h.plan();
    await writeAsHl7(h.store, obs('o-high2', 10.2));
    await h.plan();
    const plans = await plansOf('d1');
    expect(plans.map((p) => p.title)).toEqual(['Diabetes programme enrolment']);
    expect(plans[0]!.supportingInfo?.[0]?.reference).toBe('Observation/o-high');
  });

  it('a patient merge (A40) moves pending activities to the surviving patient', async () => {
    const discharge = '2026-03-01T02:00:00Z';
    h.clock.set(discharge);
    await writeAsHl7(h.store, patient('m-old'), patient('m-new'), permitConsent('m-new'), encounter('em1', 'm-old', 'finished', discharge), procedure('prm1', 'em1', 'm-old'));
    await h.plan();
    const merged: Patient = { ...patient('m-old'), active: false, link: [{ type: 'replaced-by', other: { reference: 'Patient/m-new' } }] };
    await writeAsHl7(h.store, merged);
    await h.plan();
    const moved = (await h.rows()).filter((r) => r.patient_ref === 'Patient/m-new');
    expect(moved.map((r) => r.activity_key).sort()).toEqual(['day-3', 'day-30', 'day-7', 'survey']);
    const cp = (await plansOf('m-new')).find((p) => p.title === 'Post-operative follow-up')!;
    expect(cp.note?.at(-1)?.text).toMatch(/Patient\/m-old was merged into Patient\/m-new/);
    h.clock.set(plus(discharge, 3 * DAY));
    await h.sweep();
    expect((await comms('m-new')).find((c) => c.extension?.[0]?.valueString === 'day-3')?.status).toBe('in-progress');
  });
});
