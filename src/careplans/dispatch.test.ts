import type { Patient } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { chooseContact, preferredChannels } from './contact-choice.js';
import { decideDispatch } from './dispatch.js';
import { compilePlanFile } from './plan-compiler.js';
import type { CareplanActivityRow } from './schedule-table.js';
import { classifyReply, replyContent } from './triage-classify.js';
import { compileTriageFile } from './triage-compiler.js';
import { readFileSync } from 'node:fs';

const dir = new URL('../../mappings/careplans/', import.meta.url);
const plan = compilePlanFile('post-op-follow-up.yaml', readFileSync(new URL('post-op-follow-up.yaml', dir), 'utf8'), { defaultTimeZone: 'UTC' });
const rules = compileTriageFile('triage.yaml', readFileSync(new URL('triage.yaml', dir), 'utf8'));
const at = new Date('2026-03-04T02:00:00Z');

const pt = (o: Partial<Patient>): Patient => ({ resourceType: 'Patient', id: 'x', birthDate: '1980-01-01', ...o });

describe('channel choice', () => {
  it('explicit preference first, then telecom rank; mobile phones take SMS', () => {
    expect(preferredChannels(pt({ telecom: [{ system: 'email', value: 'a@b', rank: 2 }, { system: 'phone', use: 'mobile', value: '1', rank: 1 }] }))).toEqual(['sms', 'email']);
    expect(preferredChannels(pt({
      extension: [{ url: 'http://carebridge.example/fhir/StructureDefinition/contact-preference', valueCode: 'email' }],
      telecom: [{ system: 'phone', use: 'mobile', value: '1', rank: 1 }],
    }))).toEqual(['email', 'sms']);
    expect(preferredChannels(pt({ telecom: [{ system: 'phone', use: 'old', value: '1' }] }))).toEqual([]);
  });
  it('an elderly patient preferring the phone → staff call; a younger one → next allowed channel', () => {
    const telecom: Patient['telecom'] = [{ system: 'phone', use: 'home', value: '1', rank: 1 }, { system: 'email', value: 'a@b', rank: 2 }];
    expect(chooseContact(pt({ birthDate: '1945-06-01', telecom }), plan, at)).toMatchObject({ staffCall: true });
    const young = chooseContact(pt({ telecom }), { ...plan, channels: ['sms', 'email'] }, at);
    expect(young).toMatchObject({ staffCall: false, channel: 'email' });
  });
  it('patient time zone and language win over the plan defaults', () => {
    const c = chooseContact(pt({
      extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/timezone', valueCode: 'Europe/Berlin' }],
      communication: [{ language: { coding: [{ code: 'de' }] } }, { language: { coding: [{ code: 'en' }] }, preferred: true }],
      telecom: [{ system: 'sms', value: '1' }],
    }), plan, at);
    expect(c).toMatchObject({ timeZone: 'Europe/Berlin', language: 'en', channel: 'sms' });
  });
});

describe('dispatch decision', () => {
  const row = { id: 'r1', careplan_id: 'cp1', plan_id: plan.id, activity_key: 'day-3', kind: 'message', patient_ref: 'Patient/x', request_type: 'CommunicationRequest', request_id: 'r1', due_at: at, run_at: at } as CareplanActivityRow;
  const activity = plan.activities[0]!;
  const patient = pt({ name: [{ family: 'Li', given: ['Lei'] }], telecom: [{ system: 'sms', value: '1' }] });
  it('consent permit → in-progress Communication with the rendered zh-CN text', async () => {
    const d = await decideDispatch({ row, plan, activity, patient, now: at, consent: async () => ({ allowed: true, reason: 'permit' }) });
    expect(d.kind).toBe('communication');
    if (d.kind !== 'communication') return;
    expect(d.communication.status).toBe('in-progress');
    expect(d.communication.payload?.[0]?.contentString).toMatch(/^LiLei您好/);
  });
  it('consent deny → not-done with the reason; the consent is asked for the chosen channel', async () => {
    const asked: string[] = [];
    const d = await decideDispatch({ row, plan, activity, patient, now: at, consent: async (ch) => (asked.push(ch), { allowed: false, reason: 'deny' }) });
    expect(asked).toEqual(['sms']);
    expect(d.kind === 'communication' && d.communication.statusReason?.text).toBe('contact not permitted: deny');
  });
  it('local-time placeholders render in the patient zone (computed only when named)', async () => {
    const timed = { ...activity, templates: { en: 'due {{due.time}}, anchor {{anchor.time}}, appt {{appointment.start}}' } };
    const en = pt({ name: [{ family: 'Li', given: ['Lei'] }], telecom: [{ system: 'sms', value: '1' }], communication: [{ language: { coding: [{ code: 'en' }] } }] });
    const d = await decideDispatch({ row, plan, activity: timed, patient: en, now: at, consent: async () => ({ allowed: true, reason: 'permit' }) });
    // at = 02:00Z = 10:00 Shanghai; the anchor is the activity's offset (+3d) earlier.
    expect(d.kind === 'communication' && d.communication.payload?.[0]?.contentString).toBe('due 2026-03-04 10:00, anchor 2026-03-01 10:00, appt 2026-03-01 10:00');
  });
  it('22:00 in Shanghai → wait until 08:00', async () => {
    const late = new Date('2026-03-04T14:00:00Z');
    const d = await decideDispatch({ row, plan, activity, patient, now: late, consent: async () => ({ allowed: true, reason: 'permit' }) });
    expect(d).toMatchObject({ kind: 'defer', until: new Date('2026-03-05T00:00:00Z') });
  });
});

describe('triage classification', () => {
  const text = (s: string) => replyContent({ resourceType: 'Communication', status: 'completed', payload: [{ contentString: s }] });
  it('urgent beats recovered; zh-CN and en keywords; default routine', () => {
    expect(classifyReply(rules, text('恢复良好，但是伤口出血了'))).toEqual({ level: 'urgent', rule: 'worsening-symptoms' });
    expect(classifyReply(rules, text('I have RECOVERED WELL'))).toEqual({ level: 'recovered', rule: 'recovered-well' });
    expect(classifyReply(rules, text('ok'))).toEqual({ level: 'routine' });
  });
  it('scores and codes from a QuestionnaireResponse', () => {
    const qr = (n: number) => replyContent({ resourceType: 'QuestionnaireResponse', status: 'completed', item: [{ linkId: 'pain-score', answer: [{ valueInteger: n }] }] });
    expect(classifyReply(rules, qr(9)).level).toBe('urgent');
    expect(classifyReply(rules, qr(1)).level).toBe('recovered');
    expect(classifyReply(rules, qr(5)).level).toBe('routine');
  });
});
