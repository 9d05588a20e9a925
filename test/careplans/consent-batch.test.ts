/**
 * The sweep asks consent for a whole batch with `mayContactMany` (one Consent search for many
 * patients). Its answers must be exactly what `mayContact` says patient by patient.
 */
import type { Consent } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConsentService } from '../../src/auth/index.js';
import { testDatabaseKinds } from '../helpers/db.js';
import { openHarness, patient, writeAsHl7, type Harness } from './harness.js';

const sms = [{ coding: [{ system: 'http://hl7.org/fhir/contact-point-system', code: 'sms' }] }];
function consent(id: string, patientId: string, provision: Consent['provision'], dateTime = '2026-01-01T00:00:00Z'): Consent {
  return {
    resourceType: 'Consent', id, status: 'active',
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
    patient: { reference: `Patient/${patientId}` }, dateTime, provision,
  };
}

describe.each(testDatabaseKinds())('batch consent on %s', (kind) => {
  let h: Harness;
  beforeAll(async () => {
    h = await openHarness(kind);
    await writeAsHl7(h.store,
      patient('cb1'), consent('cb1-a', 'cb1', { type: 'permit', purpose: [{ code: 'post-op-follow-up' }], code: sms }),
      patient('cb2'), consent('cb2-a', 'cb2', { type: 'deny' }),
      patient('cb3'),
      // Two Consents: the newer one (a deny with an sms exception) wins.
      patient('cb4'), consent('cb4-a', 'cb4', { type: 'permit' }, '2025-06-01T00:00:00Z'),
      consent('cb4-b', 'cb4', { type: 'deny', provision: [{ type: 'permit', code: sms }] }),
      patient('cb5'), consent('cb5-a', 'cb5', { type: 'permit', period: { start: '2025-01-01', end: '2026-02-01' } }));
  });
  afterAll(() => h?.close());

  it('mayContactMany answers every question as mayContact does, in order', async () => {
    const service = createConsentService({ store: h.store });
    const at = new Date('2026-03-01T00:00:00Z');
    const queries = ['cb1', 'cb2', 'cb3', 'cb4', 'cb5', 'Patient/cb1', 'cb-unknown'].flatMap((p) =>
      ['sms', 'email'].flatMap((channel) => ['post-op-follow-up', 'marketing'].map((purpose) => ({ patientRef: p.includes('/') ? p : `Patient/${p}`, purpose, channel }))));
    const many = await service.mayContactMany(queries, at);
    const one = await Promise.all(queries.map((q) => service.mayContact(q.patientRef, q.purpose, q.channel, at)));
    expect(many).toEqual(one);
    // The cases differ (the comparison is not trivially all-deny).
    expect(new Set(many.map((d) => `${d.allowed}|${d.reason}|${d.consentId ?? ''}`)).size).toBeGreaterThanOrEqual(4);
    expect(many[0]).toMatchObject({ allowed: true, reason: 'permit', consentId: 'cb1-a' });
    expect(many.find((_d, i) => queries[i]!.patientRef === 'Patient/cb4' && queries[i]!.channel === 'email')).toMatchObject({ allowed: false, reason: 'deny', consentId: 'cb4-b' });
    expect(await service.mayContactMany([], at)).toEqual([]);
  });
});
