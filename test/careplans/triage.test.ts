import type { CarePlan, Communication, Flag, QuestionnaireResponse, Task } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../helpers/db.js';
import { encounter, openHarness, patient, permitConsent, procedure, writeAsHl7, type Harness } from './harness.js';

const DISCHARGE = '2026-03-01T02:00:00Z';
const DAY = 86_400_000;
const plus = (ms: number) => new Date(new Date(DISCHARGE).getTime() + ms).toISOString();

describe.each(testDatabaseKinds())('reply triage on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(kind, DISCHARGE);
  });
  afterAll(() => h?.close());

  /** Discharges a surgical patient and sends the day-3 follow-up; returns its Communication id and CarePlan id. */
  async function followUpSent(pid: string): Promise<{ commId: string; careplanId: string }> {
    h.clock.set(DISCHARGE);
    await writeAsHl7(h.store, patient(pid), permitConsent(pid), encounter(`e-${pid}`, pid, 'finished', DISCHARGE), procedure(`pr-${pid}`, `e-${pid}`, pid));
    await h.plan();
    h.clock.set(plus(3 * DAY));
    await h.sweep();
    const row = (await h.rows()).find((r) => r.patient_ref === `Patient/${pid}` && r.activity_key === 'day-3')!;
    return { commId: row.result_ref!.split('/')[1]!, careplanId: row.careplan_id };
  }

  async function reply(pid: string, commId: string, text: string, id: string): Promise<void> {
    const r: Communication = {
      resourceType: 'Communication', id, status: 'completed',
      inResponseTo: [{ reference: `Communication/${commId}` }],
      subject: { reference: `Patient/${pid}` }, sender: { reference: `Patient/${pid}` },
      payload: [{ contentString: text }],
    };
    await h.store.update(r, { source: { kind: 'rest', clientId: 'crm' } });
    await h.plan();
  }

  it('"伤口疼痛加重" → an urgent Task for the care team and a Flag on the patient', async () => {
    const { commId, careplanId } = await followUpSent('t1');
    await reply('t1', commId, '伤口疼痛加重，晚上睡不着', 'reply-t1');
    const tasks = ((await h.store.search('Task', new URLSearchParams({ patient: 'Patient/t1' }))).entry ?? []).map((e) => e.resource as Task);
    const urgent = tasks.filter((t) => t.priority === 'urgent');
    expect(urgent).toHaveLength(1);
    expect(urgent[0]!.focus?.reference).toBe('Communication/reply-t1');
    const flags = ((await h.store.search('Flag', new URLSearchParams({ patient: 'Patient/t1' }))).entry ?? []).map((e) => e.resource as Flag);
    expect(flags.map((f) => f.status)).toEqual(['active']);
    const cp = await h.store.read<CarePlan>('CarePlan', careplanId);
    expect(cp.note?.at(-1)?.text).toMatch(/Reply Communication\/reply-t1 triaged urgent \(rule worsening-symptoms\)/);
    expect((await h.rows(careplanId)).find((r) => r.activity_key === 'day-7')!.status).toBe('pending');
  });

  it('"recovered well" → the next follow-up marked skipIfRecovered is skipped, later ones stay', async () => {
    const { commId, careplanId } = await followUpSent('t2');
    await reply('t2', commId, 'Recovered well, thanks!', 'reply-t2');
    const rows = await h.rows(careplanId);
    expect(rows.map((r) => [r.activity_key, r.status])).toEqual([
      ['day-3', 'sent'],
      ['day-7', 'skipped'],
      ['day-30', 'pending'],
    ]);
    h.clock.set(plus(8 * DAY));
    await h.sweep();
    expect(((await h.store.search('Communication', new URLSearchParams({ subject: 'Patient/t2' }))).entry ?? []).filter((e) => (e.resource as Communication).extension?.[0]?.valueString === 'day-7')).toEqual([]);
  });

  it('a routine reply changes nothing but is noted', async () => {
    const { commId, careplanId } = await followUpSent('t3');
    await reply('t3', commId, 'ok', 'reply-t3');
    expect((await h.rows(careplanId)).map((r) => r.status)).toEqual(['sent', 'pending', 'pending']);
    expect((await h.store.read<CarePlan>('CarePlan', careplanId)).note?.at(-1)?.text).toBe('Reply Communication/reply-t3 triaged routine.');
  });

  it('a QuestionnaireResponse with pain score 8 is urgent', async () => {
    const { careplanId } = await followUpSent('t4');
    const qr: QuestionnaireResponse = {
      resourceType: 'QuestionnaireResponse', id: 'qr-t4', status: 'completed',
      basedOn: [{ reference: `CarePlan/${careplanId}` }], subject: { reference: 'Patient/t4' },
      item: [{ linkId: 'pain-score', answer: [{ valueInteger: 8 }] }],
    };
    await h.store.update(qr, { source: { kind: 'rest' } });
    await h.plan();
    expect((await h.store.read<CarePlan>('CarePlan', careplanId)).note?.at(-1)?.text).toMatch(/triaged urgent \(rule high-pain-score\)/);
  });
});
