/** The access policy (CONTRACTS §3) is asked for every interaction and every returned resource; audit once per request. */
import type { Resource } from 'fhir/r4.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ALLOW_ALL, type AccessPolicy, type FhirInteraction } from '../../src/fhir/index.js';
import { testDatabaseKinds } from '../helpers/db.js';
import { startFhirApp, type FhirApp } from './fhir-app.js';
import { http, pat } from './rest-http.js';

/** Allows everything except what `deny` says; records what it was asked. */
function policy(deny: (i: FhirInteraction, type: string, r?: Resource) => boolean): AccessPolicy & { asked: string[] } {
  const asked: string[] = [];
  return { clientId: 'crm', isAdmin: false, asked, can: (i, t, r) => (asked.push(`${i}:${t}`), !deny(i, t, r)) };
}

describe.each(testDatabaseKinds())('FHIR REST access policy on %s', (kind) => {
  let app: FhirApp;
  let call: ReturnType<typeof http>;
  let patientId: string;
  let secretObsId: string;
  beforeAll(async () => {
    app = await startFhirApp(kind);
    call = http(app.httpUrl);
    patientId = (await call('POST', 'Patient', pat('acc-1'))).body.id;
    const subject = { reference: `Patient/${patientId}` };
    await call('POST', 'Observation', { resourceType: 'Observation', status: 'final', code: { text: 'public' }, subject });
    secretObsId = (await call('POST', 'Observation', { resourceType: 'Observation', status: 'final', code: { text: 'secret' }, subject, meta: { security: [{ code: 'R' }] } })).body.id;
  });
  afterAll(() => app.stop());
  beforeEach(() => {
    app.policy = ALLOW_ALL;
    app.events.length = 0;
  });

  const restricted = (_i: FhirInteraction, _t: string, r?: Resource) => Boolean(r?.meta?.security?.some((s) => s.code === 'R'));

  it('403 for a forbidden interaction, with one audit event carrying the status and client', async () => {
    app.policy = policy((i, t) => i === 'create' && t === 'Patient');
    const r = await call('POST', 'Patient', pat('acc-2'));
    expect(r.status).toBe(403);
    expect(r.body.resourceType).toBe('OperationOutcome');
    expect(app.events).toEqual([expect.objectContaining({ interaction: 'create', resourceType: 'Patient', status: 403, clientId: 'crm' })]);
  });

  it('403 when the policy refuses the resource that was read', async () => {
    app.policy = policy(restricted);
    expect((await call('GET', `Observation/${secretObsId}`)).status).toBe(403);
    expect(app.events).toHaveLength(1);
    expect(app.events[0]).toMatchObject({ interaction: 'read', resourceType: 'Observation', id: secretObsId, status: 403 });
  });

  it('search, $everything and history leave out resources the policy refuses', async () => {
    const p = policy(restricted);
    app.policy = p;
    const search = await call('GET', `Observation?subject=Patient/${patientId}`);
    expect(search.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).not.toContain(secretObsId);
    expect(search.body.entry.filter((e: { search?: { mode?: string } }) => e.search?.mode !== 'outcome')).toHaveLength(1);
    const everything = await call('GET', `Patient/${patientId}/$everything`);
    expect(everything.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).not.toContain(secretObsId);
    expect(everything.body.entry).toHaveLength(2);
    const history = await call('GET', `Observation/${secretObsId}/_history`);
    expect(history.body.entry).toHaveLength(0);
    expect(p.asked).toEqual(expect.arrayContaining(['search:Observation', 'operation:Patient', 'history:Observation']));
    expect(app.events.map((e) => e.interaction)).toEqual(['search', 'operation', 'history']);
  });

  it('a transaction with one forbidden entry is refused as a whole', async () => {
    app.policy = policy((i, t) => i === 'delete' && t === 'Observation');
    const r = await call('POST', '', {
      resourceType: 'Bundle', type: 'transaction',
      entry: [
        { resource: pat('acc-tx'), request: { method: 'POST', url: 'Patient' } },
        { request: { method: 'DELETE', url: `Observation/${secretObsId}` } },
      ],
    });
    expect(r.status).toBe(403);
    app.policy = ALLOW_ALL;
    expect((await call('GET', 'Patient?identifier=urn:mrn|acc-tx')).body.entry ?? []).toHaveLength(0);
  });

  it('GET entries of a batch are filtered by the policy too', async () => {
    app.policy = policy(restricted);
    const r = await call('POST', '', { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: `Observation/${secretObsId}` } }] });
    expect(r.body.entry[0].response.status).toBe('403');
  });
});
