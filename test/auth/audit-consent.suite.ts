import type { AuditEvent, Bundle, Consent, Patient } from 'fhir/r4.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { authServicesOf, createClientRepository, createConsentService, storeAuditSink, toAuditEvent } from '../../src/auth/index.js';
import { TEST_ADMIN_TOKEN, type TestServer } from '../helpers/server.js';

const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

export function auditConsentSuite(server: () => TestServer): void {
  describe('audit trail and consent through the store', () => {
  let s: TestServer;
  let reader: { clientId: string; apiKey: string };

  beforeAll(async () => {
    s = server();
    reader = (await createClientRepository(s.runtime.database.db).create({ scopes: 'system/Patient.cruds', apiKey: true })) as { clientId: string; apiKey: string };
  });

  const auditEvents = async (): Promise<AuditEvent[]> => {
    await authServicesOf(s.app)?.audit?.flush();
    const res = await fetch(`${s.httpUrl}/fhir/AuditEvent?_count=1000`, { headers: admin });
    expect(res.status).toBe(200);
    return ((await res.json()) as Bundle).entry?.map((e) => e.resource as AuditEvent) ?? [];
  };
  const byClient = (events: AuditEvent[], clientId: string) => events.filter((e) => e.agent[0]?.who?.identifier?.value === clientId);

  it('records create, read, search, delete, refusals and login failures with who, what, outcome and address', async () => {
    const h = { authorization: `Bearer ${reader.apiKey}`, 'content-type': 'application/fhir+json' };
    const created = await fetch(`${s.httpUrl}/fhir/Patient`, { method: 'POST', headers: h, body: JSON.stringify({ resourceType: 'Patient', identifier: [{ system: 's', value: 'AUD-1' }] }) });
    const id = ((await created.json()) as Patient).id!;
    await fetch(`${s.httpUrl}/fhir/Patient/${id}`, { headers: h });
    await fetch(`${s.httpUrl}/fhir/Patient?identifier=s|AUD-1`, { headers: h });
    await fetch(`${s.httpUrl}/fhir/Patient/${id}`, { method: 'DELETE', headers: h });
    expect((await fetch(`${s.httpUrl}/fhir/Observation`, { headers: h })).status).toBe(403);
    expect((await fetch(`${s.httpUrl}/fhir/Patient`, { headers: { authorization: 'Bearer wrong-key' } })).status).toBe(401);

    const events = await auditEvents();
    const mine = byClient(events, reader.clientId);
    const actions = mine.map((e) => `${e.subtype?.[0]?.code}:${e.action}:${e.outcome}`);
    expect(actions).toEqual(expect.arrayContaining(['create:C:0', 'read:R:0', 'search:E:0', 'delete:D:0', 'search:E:4']));
    const read = mine.find((e) => e.subtype?.[0]?.code === 'read')!;
    expect(read.entity?.[0]?.what?.reference).toBe(`Patient/${id}`);
    expect(read.agent[0]?.network?.address).toMatch(/127\.0\.0\.1/);
    expect(read.source.observer.display).toBe('carebridge');
    const search = mine.find((e) => e.subtype?.[0]?.code === 'search' && e.outcome === '0')!;
    expect(Buffer.from(search.entity![0]!.query!, 'base64').toString()).not.toContain('AUD-1');
    expect(events.some((e) => e.type.code === '110114' && e.outcome === '4')).toBe(true); // login failure
  });

  it('records a $everything download as an export', async () => {
    const created = await s.runtime.store.create<Patient>({ resourceType: 'Patient', identifier: [{ system: 's', value: 'EXP-1' }] });
    const res = await fetch(`${s.httpUrl}/fhir/Patient/${created.resource.id}/$everything`, { headers: { authorization: `Bearer ${reader.apiKey}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="Patient-${created.resource.id}-everything.json"`);
    const exports = byClient(await auditEvents(), reader.clientId).filter((e) => e.subtype?.some((c) => c.code === 'export'));
    expect(exports.map((e) => e.entity?.[0]?.what?.reference)).toContain(`Patient/${created.resource.id}`);
  });

  it('records admin calls with the route and parameter names, never parameter values', async () => {
    expect((await fetch(`${s.httpUrl}/admin/api/messages?patient=MRN-ADMIN-777`, { headers: admin })).status).toBe(200);
    const events = byClient(await auditEvents(), 'admin-token').filter((e) => e.subtype?.[0]?.code === 'admin');
    const queries = events.map((e) => Buffer.from(e.entity?.[0]?.query ?? '', 'base64').toString());
    expect(queries).toContain('GET /admin/api/messages?patient');
    expect(JSON.stringify(events)).not.toContain('MRN-ADMIN-777');
  });

  it('lets only admins search AuditEvents, and reading them is not a write loop', async () => {
    expect((await fetch(`${s.httpUrl}/fhir/AuditEvent`, { headers: { authorization: `Bearer ${reader.apiKey}` } })).status).toBe(403);
    const first = (await auditEvents()).length;
    const second = (await auditEvents()).length;
    // Each admin search adds exactly its own one event, nothing more.
    expect(second - first).toBe(1);
    const post = await fetch(`${s.httpUrl}/fhir/AuditEvent`, { method: 'POST', headers: { ...admin, 'content-type': 'application/fhir+json' }, body: '{"resourceType":"AuditEvent"}' });
    expect(post.status).toBe(403);
  });

  it('the store sink isolates an event the store rejects and writes the rest', async () => {
    const good = toAuditEvent({ interaction: 'read', resourceType: 'Patient', id: 'sink-good-1', status: 200, clientId: 'sink-test' });
    const bad = { resourceType: 'AuditEvent' } as AuditEvent; // no type, recorded, agent, source
    await storeAuditSink(s.runtime.store)([bad, good]);
    const found = (await auditEvents()).filter((e) => e.entity?.[0]?.what?.reference === 'Patient/sink-good-1');
    expect(found).toHaveLength(1);
  });

  it('mayContact reads Consent resources through the store: permit, deny, expired, absent', async () => {
    const store = s.runtime.store;
    const mk = async (value: string) => (await store.create<Patient>({ resourceType: 'Patient', identifier: [{ system: 's', value }] })).resource.id!;
    const [permitted, denied, expired, absent] = await Promise.all([mk('C-1'), mk('C-2'), mk('C-3'), mk('C-4')]);
    const consent = (patientId: string, provision: Consent['provision']): Consent => ({
      resourceType: 'Consent',
      status: 'active',
      scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
      category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
      patient: { reference: `Patient/${patientId}` },
      dateTime: '2026-01-01T00:00:00Z',
      provision,
    });
    const sms = [{ coding: [{ system: 'http://hl7.org/fhir/contact-point-system', code: 'sms' }] }];
    await store.create(consent(permitted, { type: 'permit', purpose: [{ code: 'appointment-reminder' }], code: sms }));
    await store.create(consent(denied, { type: 'deny' }));
    await store.create(consent(expired, { type: 'permit', period: { start: '2025-01-01', end: '2026-02-01' } }));
    const service = createConsentService({ store });
    const at = new Date('2026-06-01T00:00:00Z');
    expect(await service.mayContact(`Patient/${permitted}`, 'appointment-reminder', 'sms', at)).toMatchObject({ allowed: true, reason: 'permit' });
    expect(await service.mayContact(permitted, 'marketing', 'sms', at)).toMatchObject({ allowed: false, reason: 'no-consent' });
    expect(await service.mayContact(`Patient/${denied}`, 'appointment-reminder', 'sms', at)).toMatchObject({ allowed: false, reason: 'deny' });
    expect(await service.mayContact(`Patient/${expired}`, 'appointment-reminder', 'sms', at)).toMatchObject({ allowed: false, reason: 'no-consent' });
    expect(await service.mayContact(`Patient/${expired}`, 'appointment-reminder', 'sms', new Date('2026-01-15T00:00:00Z'))).toMatchObject({ allowed: true });
    expect(await service.mayContact(`Patient/${absent}`, 'appointment-reminder', 'sms', at)).toEqual({ allowed: false, reason: 'no-consent' });
  });
});
}
