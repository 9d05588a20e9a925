/**
 * Privacy at the server level: a whole flow with fixture names (REST writes, searches by name and
 * identifier, reads, $everything, an HL7 v2 message, refused calls, erasure) must leave no name or
 * identifier value in any log line; and search parameters carrying SQL fragments change nothing
 * and leak nothing.
 */
import type { Bundle, Patient } from 'fhir/r4.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { authServicesOf, createClientRepository } from '../../src/auth/index.js';
import { sql } from '../../src/db/index.js';
import { TEST_ADMIN_TOKEN, type TestServer } from '../helpers/server.js';
import { waitFor } from '../hl7v2/support.js';

const FAMILY = 'Hollowbrookfixture';
const GIVEN = 'Ottilievfixture';
const MRN = 'MRN-PRIV-99173';
const PHONE = '+41 44 555 77 88';
const OTHER_FAMILY = 'Secretothername';

const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
const fhirJson = { ...admin, 'content-type': 'application/fhir+json' };

export function privacySuite(server: () => TestServer): void {
  describe('privacy', () => {
  let s: TestServer;
  let patientId: string;
  let otherId: string;

  beforeAll(async () => {
    s = server();
  });

  const post = async (path: string, body: unknown, headers: Record<string, string> = fhirJson) =>
    fetch(`${s.httpUrl}${path}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });

  it('runs a flow with patient data and logs none of it', async () => {
    const created = await post('/fhir/Patient', {
      resourceType: 'Patient',
      identifier: [{ system: 'urn:oid:2.16.756.888', value: MRN }],
      name: [{ family: FAMILY, given: [GIVEN] }],
      telecom: [{ system: 'phone', value: PHONE }],
    });
    expect(created.status).toBe(201);
    patientId = ((await created.json()) as Patient).id!;
    const other = await post('/fhir/Patient', { resourceType: 'Patient', identifier: [{ system: 'urn:oid:2.16.756.888', value: 'MRN-OTHER-1' }], name: [{ family: OTHER_FAMILY }] });
    otherId = ((await other.json()) as Patient).id!;

    const byName = await fetch(`${s.httpUrl}/fhir/Patient?family=${FAMILY}&given=${GIVEN}`, { headers: admin });
    expect(((await byName.json()) as Bundle).entry?.length).toBe(1);
    await fetch(`${s.httpUrl}/fhir/Patient?identifier=urn:oid:2.16.756.888|${MRN}`, { headers: admin });
    await fetch(`${s.httpUrl}/fhir/Patient/${patientId}`, { headers: admin });
    const everything = await fetch(`${s.httpUrl}/fhir/Patient/${patientId}/$everything`, { headers: admin });
    expect(everything.status).toBe(200);
    expect(everything.headers.get('content-disposition')).toContain('attachment');
    // Refused calls carrying patient data in the URL.
    const reader = (await createClientRepository(s.runtime.database.db).create({ scopes: 'system/Observation.rs', apiKey: true })).apiKey!;
    expect((await fetch(`${s.httpUrl}/fhir/Patient?family=${FAMILY}`, { headers: { authorization: `Bearer ${reader}` } })).status).toBe(403);
    expect((await fetch(`${s.httpUrl}/fhir/Patient?family=${FAMILY}`, { headers: { authorization: `Bearer ${FAMILY}-not-a-key` } })).status).toBe(401);
    // An invalid resource whose error could echo data.
    await post('/fhir/Patient', { resourceType: 'Patient', identifier: [{ value: MRN }], name: [{ family: FAMILY }], birthDate: `not-a-date-${GIVEN}` });
    // HL7 v2 over HTTP with the same patient.
    const msh = `MSH|^~\\&|HIS|CLINIC|CAREBRIDGE|CB|20260101120000||ADT^A01^ADT_A01|PRIV-1|P|2.5\rEVN|A01|20260101120000\rPID|1||${MRN}^^^HOSP^MR||${FAMILY}^${GIVEN}||19700101|F|||Main St 1^^Zurich||${PHONE}\rPV1|1|I\r`;
    const hl7 = await post('/hl7v2', msh, { ...admin, 'content-type': 'x-application/hl7-v2+er7' });
    expect(hl7.status).toBe(200);
    // The mapper works after the ACK; wait for it so its Patient is not created in the middle of
    // the next test's before/after count, and so its log lines are part of the scan below.
    await waitFor(async () => {
      const res = await fetch(`${s.httpUrl}/admin/api/messages?controlId=PRIV-1`, { headers: admin });
      const { items } = (await res.json()) as { items: Array<{ status: string }> };
      return items[0]?.status === 'processed';
    }, 20_000, 'PRIV-1 to be processed');
    const erased = await post(`/fhir/Patient/${patientId}/$erase`, '', admin);
    expect(erased.status).toBe(200);
    await authServicesOf(s.app)?.audit?.flush();

    const logText = s.logs.map((l) => JSON.stringify(l)).join('\n');
    expect(s.logs.length).toBeGreaterThan(10); // the check below looks at real output
    for (const needle of [FAMILY, GIVEN, MRN, PHONE, 'Main St', OTHER_FAMILY, TEST_ADMIN_TOKEN, reader]) {
      expect(logText.includes(needle), `log contains ${needle}`).toBe(false);
    }
  });

  it('search parameters with SQL fragments change nothing and leak nothing', async () => {
    const count = async () => (await sql<{ n: number }>`select count(*)::int as n from fhir_resource where resource_type = 'Patient'`.execute(s.runtime.database.db)).rows[0]!.n;
    const before = await count();
    const reader = (await createClientRepository(s.runtime.database.db).create({ scopes: 'system/Patient.rs', apiKey: true })).apiKey!;
    const injections = [
      `family=' OR '1'='1`,
      `family=x'; DROP TABLE fhir_resource; --`,
      `_id=${otherId}' OR 1=1 --`,
      `identifier=x|y') OR ('a'='a`,
      `family=%`,
      `family=_`,
      `name:contains=%25`,
      `_sort=family;DELETE FROM fhir_resource`,
      `_count=1;DROP TABLE auth_client`,
      `family:exact=${encodeURIComponent("x' UNION SELECT content::text FROM fhir_resource --")}`,
      `birthdate=ge1900-01-01' OR 1=1 --`,
      `_include=Patient:organization' OR 1=1 --`,
    ];
    // Control: a plain search does return the other patient, so "not leaked" below means something.
    const control = await fetch(`${s.httpUrl}/fhir/Patient?family=${OTHER_FAMILY}`, { headers: { authorization: `Bearer ${reader}` } });
    expect(await control.text()).toContain(OTHER_FAMILY);
    for (const q of injections) {
      const res = await fetch(`${s.httpUrl}/fhir/Patient?${q}`, { headers: { authorization: `Bearer ${reader}` } });
      expect(res.status, q).toBeLessThan(500);
      const text = await res.text();
      expect(text.includes(OTHER_FAMILY), `${q} leaked another patient`).toBe(false);
      expect(text).not.toMatch(/syntax error|pg_|relation "|SQLSTATE/i);
    }
    expect(await count()).toBe(before);
    expect((await createClientRepository(s.runtime.database.db).list()).length).toBeGreaterThan(0);
  });
});
}
