/** Transaction and batch bundles, and Patient/$everything, over real HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../helpers/db.js';
import { startFhirApp, type FhirApp } from './fhir-app.js';
import { http, pat } from './rest-http.js';

describe.each(testDatabaseKinds())('FHIR bundles and $everything on %s', (kind) => {
  let server: FhirApp;
  let call: ReturnType<typeof http>;
  beforeAll(async () => {
    server = await startFhirApp(kind);
    call = http(server.httpUrl);
  });
  afterAll(() => server.stop());

  it('a transaction is atomic: one bad entry and nothing is written', async () => {
    const r = await call('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: pat('atomic-1'), request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Observation', code: { text: 'x' } }, request: { method: 'POST', url: 'Observation' } },
      ],
    });
    expect(r.status).toBe(422);
    expect(r.body.issue[0].diagnostics).toContain('Bundle.entry[1]');
    expect((await call('GET', 'Patient?identifier=urn:mrn|atomic-1')).body.entry ?? []).toHaveLength(0);
  });

  it('resolves conditional references, ifNoneExist and ifMatch inside a transaction', async () => {
    const existing = await call('POST', 'Patient', pat('tx-cond'));
    const r = await call('POST', '', {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient?identifier=urn:mrn|tx-cond' } }, request: { method: 'POST', url: 'Encounter' } },
        { resource: pat('tx-cond'), request: { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=urn:mrn|tx-cond' } },
        { resource: { ...existing.body, gender: 'other' }, request: { method: 'PUT', url: `Patient/${existing.body.id}`, ifMatch: 'W/"1"' } },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body.entry[0].resource.subject.reference).toBe(`Patient/${existing.body.id}`);
    expect(r.body.entry[1].response.status).toBe('200 OK');
    expect(r.body.entry[1].resource.id).toBe(existing.body.id);
    expect(r.body.entry[2].response.etag).toBe('W/"2"');
    const stale = await call('POST', '', {
      resourceType: 'Bundle', type: 'transaction',
      entry: [{ resource: { ...existing.body, gender: 'male' }, request: { method: 'PUT', url: `Patient/${existing.body.id}`, ifMatch: 'W/"1"' } }],
    });
    expect(stale.status).toBe(412);
    const unresolved = await call('POST', '', {
      resourceType: 'Bundle', type: 'transaction',
      entry: [{ resource: { resourceType: 'Flag', status: 'active', code: { text: 'x' }, subject: { reference: 'Patient?identifier=urn:mrn|nobody' } }, request: { method: 'POST', url: 'Flag' } }],
    });
    expect(unresolved.status).toBe(400);
  });

  it('a batch runs each entry on its own and reports each status', async () => {
    const r = await call('POST', '', {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { resource: pat('batch-1'), request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
        { request: { method: 'GET', url: 'Patient/nope' } },
        { request: { method: 'GET', url: 'Patient?identifier=urn:mrn|batch-1' } },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body.type).toBe('batch-response');
    expect(r.body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual(['201 Created', '422', '404', '200 OK']);
    expect(r.body.entry[1].response.outcome.resourceType).toBe('OperationOutcome');
    expect(r.body.entry[3].resource.entry).toHaveLength(1);
  });

  it('Patient/$everything returns the patient compartment with _type, _since and paging', async () => {
    const p = (await call('POST', 'Patient', pat('every'))).body;
    const other = (await call('POST', 'Patient', pat('every-other'))).body;
    const subject = { reference: `Patient/${p.id}` };
    for (let i = 0; i < 3; i++) await call('POST', 'Observation', { resourceType: 'Observation', status: 'final', code: { text: `o${i}` }, subject });
    await call('POST', 'Encounter', { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject });
    await call('POST', 'Observation', { resourceType: 'Observation', status: 'final', code: { text: 'not mine' }, subject: { reference: `Patient/${other.id}` } });
    const all = await call('GET', `Patient/${p.id}/$everything?_type=Patient,Observation,Encounter`);
    expect(all.status).toBe(200);
    const types = all.body.entry.map((e: { resource: { resourceType: string } }) => e.resource.resourceType).sort();
    expect(types).toEqual(['Encounter', 'Observation', 'Observation', 'Observation', 'Patient']);
    const onlyObs = await call('GET', `Patient/${p.id}/$everything?_type=Observation`);
    expect(onlyObs.body.entry).toHaveLength(3);
    const later = await call('GET', `Patient/${p.id}/$everything?_since=${new Date(Date.now() + 60_000).toISOString()}`);
    expect(later.body.entry).toHaveLength(0);
    const seen: string[] = [];
    let path: string | undefined = `Patient/${p.id}/$everything?_count=2`;
    while (path) {
      const page = await call('GET', path);
      // The audit trail of this very test (AuditEvent.patient) is in the compartment too.
      seen.push(...page.body.entry.filter((e: { resource: { resourceType: string } }) => e.resource.resourceType !== 'AuditEvent').map((e: { resource: { id: string } }) => e.resource.id));
      const next = page.body.link.find((l: { relation: string }) => l.relation === 'next')?.url as string | undefined;
      path = next ? next.slice(next.indexOf('/fhir/') + 6) : undefined;
    }
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);
    expect((await call('GET', 'Patient/nobody/$everything')).status).toBe(404);
  });
});
