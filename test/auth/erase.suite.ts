import type { Consent, Encounter, Observation, Patient } from 'fhir/r4.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { authServicesOf, erasePatient, type ErasureSubject } from '../../src/auth/index.js';
import { TEST_ADMIN_TOKEN, type TestServer } from '../helpers/server.js';
import { tablesContaining } from './scan.js';
import { waitFor } from '../hl7v2/support.js';

const NAME = 'Quixotefakename';
const GIVEN = 'Zeldafakegiven';
const MRN = 'MRN-ERASE-4711';
const OTHER_MRN = 'MRN-KEEP-0815';

export function eraseSuite(server: () => TestServer): void {
  describe('patient erasure', () => {
  let s: TestServer;
  let patientId: string;
  let otherId: string;

  beforeAll(async () => {
    s = server();
    const store = s.runtime.store;
    const p = await store.create<Patient>({ resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.3', value: MRN }], name: [{ family: NAME, given: [GIVEN] }], telecom: [{ system: 'phone', value: '+41 79 555 01 01' }] });
    patientId = p.resource.id!;
    // A second version in history still holds the name.
    await store.update<Patient>({ ...p.resource, birthDate: '1970-01-01' });
    const ref = { reference: `Patient/${patientId}` };
    const enc = await store.create<Encounter>({ resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: ref });
    await store.create<Observation>({ resourceType: 'Observation', status: 'final', code: { text: `note about ${NAME}` }, subject: ref, encounter: { reference: `Encounter/${enc.resource.id}` } });
    await store.create<Consent>({ resourceType: 'Consent', status: 'active', scope: { coding: [{ code: 'patient-privacy' }] }, category: [{ coding: [{ code: '59284-0' }] }], patient: ref, provision: { type: 'permit' } });
    const other = await store.create<Patient>({ resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.3', value: OTHER_MRN }], name: [{ family: 'Keepme' }] });
    otherId = other.resource.id!;
    await store.create<Observation>({ resourceType: 'Observation', status: 'final', code: { text: 'other' }, subject: { reference: `Patient/${otherId}` } });
  });

  it('refuses $erase without the admin scope', async () => {
    expect((await fetch(`${s.httpUrl}/fhir/Patient/${patientId}/$erase`, { method: 'POST' })).status).toBe(401);
  });

  it('erases the patient, their compartment, history and index rows; no table holds their name or identifier', async () => {
    const before = await tablesContaining(s.runtime.database.db, [NAME, MRN]);
    expect(before.length).toBeGreaterThan(0); // the scan can find them
    const res = await fetch(`${s.httpUrl}/fhir/Patient/${patientId}/$erase`, { method: 'POST', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { issue: Array<{ diagnostics: string }> };
    expect(body.issue[0]?.diagnostics).toContain('erased');
    await authServicesOf(s.app)?.audit?.flush();
    expect(await tablesContaining(s.runtime.database.db, [NAME, GIVEN, MRN, '555 01 01'])).toEqual([]);
    expect(await s.runtime.store.readOrUndefined('Patient', patientId)).toBeUndefined();
  });

  it('keeps other patients and leaves an AuditEvent without the erased data', async () => {
    expect((await s.runtime.store.read<Patient>('Patient', otherId)).identifier?.[0]?.value).toBe(OTHER_MRN);
    const audits = await s.runtime.store.search('AuditEvent', new URLSearchParams({ _count: '1000' }));
    const erase = (audits.entry ?? []).map((e) => e.resource).find((r) => JSON.stringify(r).includes('"erase"') && JSON.stringify(r).includes(`Patient/${patientId}`));
    expect(erase).toBeDefined();
    expect(JSON.stringify(erase)).toContain(`Patient/${patientId}`);
    expect(JSON.stringify(erase)).not.toContain(NAME);
  });

  it('hands other rooms the erased references and identifier keys (erasure purgers)', async () => {
    const store = s.runtime.store;
    const p = await store.create<Patient>({ resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.3', value: 'MRN-PURGER-1' }] });
    const obs = await store.create<Observation>({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: `Patient/${p.resource.id}` } });
    let seen: ErasureSubject | undefined;
    const report = await erasePatient(
      { db: s.runtime.database.db, store, purgers: [{ name: 'probe', purge: async (subject) => ((seen = subject), 3) }] },
      p.resource.id!,
    );
    expect(report.other).toEqual({ probe: 3 });
    expect(seen?.references).toEqual(expect.arrayContaining([`Patient/${p.resource.id}`, `Observation/${obs.resource.id}`]));
    expect(seen?.patientKeys).toEqual(expect.arrayContaining(['MRN-PURGER-1', 'urn:oid:1.2.3|MRN-PURGER-1']));
  });

  it("never cuts into another patient's record; linked records of the same person go too", async () => {
    const store = s.runtime.store;
    const mother = (await store.create<Patient>({ resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.3', value: 'MRN-MOTHER' }] })).resource.id!;
    const old = (await store.create<Patient>({ resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.3', value: 'MRN-MOTHER-OLD' }], link: [{ other: { reference: `Patient/${mother}` }, type: 'replaced-by' }] })).resource.id!;
    const oldObs = (await store.create<Observation>({ resourceType: 'Observation', status: 'final', code: { text: 'old record' }, subject: { reference: `Patient/${old}` } })).resource.id!;
    const baby = (await store.create<Patient>({ resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.3', value: 'MRN-BABY' }] })).resource.id!;
    const motherEnc = (await store.create<Encounter>({ resourceType: 'Encounter', status: 'finished', class: { code: 'IMP' }, subject: { reference: `Patient/${mother}` } })).resource.id!;
    const babyEnc = (await store.create<Encounter>({ resourceType: 'Encounter', status: 'finished', class: { code: 'IMP' }, subject: { reference: `Patient/${baby}` }, partOf: { reference: `Encounter/${motherEnc}` } })).resource.id!;
    const report = await erasePatient({ db: s.runtime.database.db, store }, mother);
    expect(report.resources).toMatchObject({ Patient: 2, Encounter: 1, Observation: 1 });
    expect(await store.readOrUndefined('Encounter', motherEnc)).toBeUndefined();
    expect(await store.readOrUndefined('Patient', old)).toBeUndefined();
    expect(await store.readOrUndefined('Observation', oldObs)).toBeUndefined();
    expect(await store.readOrUndefined('Patient', baby)).toBeDefined();
    expect(await store.readOrUndefined('Encounter', babyEnc)).toBeDefined();
  });

  it('erases a patient who arrived over HL7 v2: raw messages in the inbox go too', async () => {
    const family = 'Wolkenfakename';
    const mrn = 'MRN-HL7-ERASE-77';
    const message = [
      'MSH|^~\\&|ERASEHIS|GENHOSP|CAREBRIDGE|CB|20261101083000||ADT^A01^ADT_A01|ERASE-HL7-1|P|2.5.1',
      'EVN|A01|20261101083000',
      `PID|1||${mrn}^^^GENHOSP^MR||${family}^Ilse||19600101|F|||Erasestrasse 9^^Bern`,
      'PV1|1|O|CLINIC1^^^GENHOSP||||||||||||||||EV-1^^^GENHOSP^VN',
    ].join('\r');
    const auth = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
    const ack = await fetch(`${s.httpUrl}/hl7v2`, { method: 'POST', headers: { ...auth, 'content-type': 'x-application/hl7-v2+er7' }, body: message });
    expect(await ack.text()).toContain('MSA|AA|ERASE-HL7-1');
    // The mapper writes the Patient after the ACK (a 20 s bound by the clock, not 100 polls).
    const patient = await waitFor(async () => (await s.runtime.store.search('Patient', new URLSearchParams({ identifier: mrn }))).entry?.[0]?.resource as Patient | undefined, 20_000, 'the HL7 v2 patient');
    expect(await tablesContaining(s.runtime.database.db, [family])).toContain(`hl7_inbox: ${family}`);
    const res = await fetch(`${s.httpUrl}/fhir/Patient/${patient.id}/$erase`, { method: 'POST', headers: auth });
    expect(res.status).toBe(200);
    expect(JSON.stringify(await res.json())).toMatch(/[1-9]\d* raw HL7 message/);
    await authServicesOf(s.app)?.audit?.flush();
    expect(await tablesContaining(s.runtime.database.db, [family, mrn, 'Erasestrasse'])).toEqual([]);
  });

  it('answers 404 for an unknown patient', async () => {
    const res = await fetch(`${s.httpUrl}/fhir/Patient/nope-404/$erase`, { method: 'POST', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect(res.status).toBe(404);
  });
});
}
