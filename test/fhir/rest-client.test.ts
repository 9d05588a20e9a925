/** The happy paths through a real FHIR client library (fhir-kit-client) over real HTTP. */
import type { Bundle, CapabilityStatement, Observation, Patient } from 'fhir/r4.js';
import { Client, type FhirResource } from 'fhir-kit-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../helpers/db.js';
import { startTestServer, TEST_ADMIN_TOKEN, type TestServer } from '../helpers/server.js';

describe.each(testDatabaseKinds())('FHIR REST with fhir-kit-client on %s', (kind) => {
  let server: TestServer;
  let client: Client;
  beforeAll(async () => {
    // The full server with auth on (the default), as the CRM would talk to it.
    server = await startTestServer(kind);
    client = new Client({ baseUrl: `${server.httpUrl}/fhir`, bearerToken: TEST_ADMIN_TOKEN });
  });
  afterAll(() => server.stop());

  it('answers 401 with an OperationOutcome without a token', async () => {
    const anonymous = new Client({ baseUrl: `${server.httpUrl}/fhir` });
    await expect(anonymous.search({ resourceType: 'Patient', searchParams: {} })).rejects.toMatchObject({ response: { status: 401, data: { resourceType: 'OperationOutcome' } } });
  });

  it('reads the CapabilityStatement', async () => {
    const cs = (await client.capabilityStatement()) as unknown as CapabilityStatement;
    expect(cs.fhirVersion).toBe('4.0.1');
    const patient = cs.rest![0]!.resource!.find((r) => r.type === 'Patient')!;
    expect(patient.interaction!.map((i) => i.code)).toContain('create');
    expect(patient.searchParam!.map((p) => p.name)).toEqual(expect.arrayContaining(['identifier', 'name', 'birthdate']));
  });

  it('creates, reads, updates, vreads, searches and deletes a Patient', async () => {
    const created = (await client.create({
      resourceType: 'Patient',
      body: { resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: 'kit-1' }], name: [{ family: 'Kitson', given: ['Ada'] }], birthDate: '1970-01-02' },
    })) as Patient;
    expect(created.meta?.versionId).toBe('1');
    const read = (await client.read({ resourceType: 'Patient', id: created.id! })) as Patient;
    expect(read.name?.[0]?.family).toBe('Kitson');
    const updated = (await client.update({ resourceType: 'Patient', id: created.id!, body: { ...read, gender: 'female' } })) as Patient;
    expect(updated.meta?.versionId).toBe('2');
    const v1 = (await client.vread({ resourceType: 'Patient', id: created.id!, version: '1' })) as Patient;
    expect(v1.gender).toBeUndefined();
    const found = (await client.search({ resourceType: 'Patient', searchParams: { identifier: 'urn:mrn|kit-1' } })) as unknown as Bundle;
    expect(found.entry?.map((e) => e.resource?.id)).toEqual([created.id]);
    const history = (await client.history({ resourceType: 'Patient', id: created.id! })) as unknown as Bundle;
    expect(history.entry).toHaveLength(2);
    // Request logs carry the resource id, never names or bodies.
    expect(server.logs.some((l) => Array.isArray(l.ids) && (l.ids as string[]).includes(`Patient/${created.id}`))).toBe(true);
    expect(JSON.stringify(server.logs)).not.toContain('Kitson');
    await client.delete({ resourceType: 'Patient', id: created.id! });
    await expect(client.read({ resourceType: 'Patient', id: created.id! })).rejects.toMatchObject({ response: { status: 410 } });
  });

  it('runs a transaction with urn:uuid references', async () => {
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          fullUrl: 'urn:uuid:0b8a6a8e-8a5f-4a51-9c3f-1f1e1e1e1e01',
          resource: { resourceType: 'Observation', status: 'final', code: { text: 'HbA1c' }, subject: { reference: 'urn:uuid:0b8a6a8e-8a5f-4a51-9c3f-1f1e1e1e1e02' } },
          request: { method: 'POST', url: 'Observation' },
        },
        {
          fullUrl: 'urn:uuid:0b8a6a8e-8a5f-4a51-9c3f-1f1e1e1e1e02',
          resource: { resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: 'kit-tx' }] },
          request: { method: 'PUT', url: 'Patient?identifier=urn:mrn|kit-tx' },
        },
      ],
    };
    const response = (await client.transaction({ body: bundle as unknown as FhirResource })) as unknown as Bundle;
    expect(response.type).toBe('transaction-response');
    expect(response.entry!.map((e) => e.response?.status)).toEqual(['201 Created', '201 Created']);
    const patientId = (response.entry![1]!.resource as Patient).id;
    const obs = response.entry![0]!.resource as Observation;
    expect(obs.subject?.reference).toBe(`Patient/${patientId}`);
    // The same bundle again: the conditional PUT matches, the Patient keeps its id.
    const again = (await client.transaction({ body: bundle as unknown as FhirResource })) as unknown as Bundle;
    expect((again.entry![1]!.resource as Patient).id).toBe(patientId);
  });
});
