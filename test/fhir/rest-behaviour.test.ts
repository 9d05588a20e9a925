/** Each REST behaviour of issue 2 over real HTTP: headers, Prefer, conditional ops, errors. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../helpers/db.js';
import { startFhirApp, type FhirApp } from './fhir-app.js';
import { http, pat, type HttpResult } from './rest-http.js';

const issue = (r: HttpResult) => r.body?.issue?.[0];

describe.each(testDatabaseKinds())('FHIR REST behaviour on %s', (kind) => {
  let server: FhirApp;
  let call: ReturnType<typeof http>;
  beforeAll(async () => {
    server = await startFhirApp(kind);
    call = http(server.httpUrl);
  });
  afterAll(() => server.stop());

  it('create answers 201 with Location, ETag and Last-Modified', async () => {
    const r = await call('POST', 'Patient', pat('h1'));
    expect(r.status).toBe(201);
    expect(r.headers.get('location')).toBe(`${server.httpUrl}/fhir/Patient/${r.body.id}/_history/1`);
    expect(r.headers.get('etag')).toBe('W/"1"');
    expect(new Date(r.headers.get('last-modified')!).getTime()).not.toBeNaN();
    expect(r.headers.get('content-type')).toContain('application/fhir+json');
    const read = await call('GET', `Patient/${r.body.id}`, undefined, { accept: 'application/json' });
    expect(read.headers.get('content-type')).toContain('application/json');
    expect(read.headers.get('etag')).toBe('W/"1"');
  });

  it('accepts application/json bodies and honours Prefer: return=minimal and OperationOutcome', async () => {
    const minimal = await call('POST', 'Patient', JSON.stringify(pat('h2')), { 'content-type': 'application/json', prefer: 'return=minimal' });
    expect(minimal.status).toBe(201);
    expect(minimal.body).toBeUndefined();
    expect(minimal.headers.get('location')).toMatch(/\/fhir\/Patient\/[^/]+\/_history\/1$/);
    const oo = await call('POST', 'Patient', pat('h3'), { prefer: 'return=OperationOutcome' });
    expect(oo.body.resourceType).toBe('OperationOutcome');
    const versioned = await call('POST', 'Patient', JSON.stringify(pat('h2b')), { 'content-type': 'application/fhir+json; fhirVersion=4.0; charset=utf-8' });
    expect(versioned.status).toBe(201);
    const rep = await call('POST', 'Patient', pat('h4'), { prefer: 'return=representation' });
    expect(rep.body.resourceType).toBe('Patient');
  });

  it('update-as-create with a client id answers 201, then 200 with a new version', async () => {
    const a = await call('PUT', 'Patient/client-id-1', { ...pat('h5'), id: 'client-id-1' });
    expect(a.status).toBe(201);
    const b = await call('PUT', 'Patient/client-id-1', { ...pat('h5'), id: 'client-id-1', gender: 'male' });
    expect(b.status).toBe(200);
    expect(b.headers.get('etag')).toBe('W/"2"');
    const mismatch = await call('PUT', 'Patient/client-id-1', { ...pat('h5'), id: 'other' });
    expect(mismatch.status).toBe(400);
    expect(issue(mismatch).expression).toEqual(['Patient.id']);
  });

  it('If-Match: 412 on a stale version, 200 on the current one', async () => {
    const c = await call('POST', 'Patient', pat('h6'));
    const stale = await call('PUT', `Patient/${c.body.id}`, { ...c.body, gender: 'male' }, { 'if-match': 'W/"9"' });
    expect(stale.status).toBe(412);
    expect(stale.body.resourceType).toBe('OperationOutcome');
    const ok = await call('PUT', `Patient/${c.body.id}`, { ...c.body, gender: 'male' }, { 'if-match': 'W/"1"' });
    expect(ok.status).toBe(200);
  });

  it('If-None-Exist: 201 then 200 with the same resource', async () => {
    const h = { 'if-none-exist': 'identifier=urn:mrn|h7' };
    const a = await call('POST', 'Patient', pat('h7'), h);
    const b = await call('POST', 'Patient', pat('h7'), h);
    expect([a.status, b.status]).toEqual([201, 200]);
    expect(b.body.id).toBe(a.body.id);
  });

  it('conditional update and conditional delete by URL criteria', async () => {
    const a = await call('PUT', 'Patient?identifier=urn:mrn|h8', pat('h8'));
    expect(a.status).toBe(201);
    const b = await call('PUT', 'Patient?identifier=urn:mrn|h8', pat('h8', { gender: 'female' }));
    expect(b.status).toBe(200);
    expect(b.body.id).toBe(a.body.id);
    const d = await call('DELETE', 'Patient?identifier=urn:mrn|h8');
    expect(d.status).toBe(204);
    expect((await call('GET', `Patient/${a.body.id}`)).status).toBe(410);
  });

  it('answers every error as an OperationOutcome with the right status and no stack trace', async () => {
    const notFound = await call('GET', 'Patient/does-not-exist');
    expect(notFound.status).toBe(404);
    expect(notFound.body.resourceType).toBe('OperationOutcome');
    expect((await call('GET', 'NotAType/1')).status).toBe(404);
    expect((await call('PATCH', 'Patient/1', [])).status).toBe(405);
    const invalid = await call('POST', 'Patient', pat('h9', { birthDate: 'yesterday' }));
    expect(invalid.status).toBe(400);
    expect(issue(invalid).expression).toEqual(['Patient.birthDate']);
    const unknownElement = await call('POST', 'Patient', pat('h9', { favouriteColour: 'blue' }));
    expect(unknownElement.status).toBe(400);
    expect(issue(unknownElement).expression).toEqual(['Patient.favouriteColour']);
    const profile = await call('POST', 'Patient', { resourceType: 'Patient', name: [{ family: 'NoId' }] });
    expect(profile.status).toBe(422);
    expect(issue(profile).expression).toEqual(['Patient.identifier']);
    const wrongType = await call('POST', 'Patient', { resourceType: 'Observation' });
    expect(wrongType.status).toBe(400);
    const badJson = await call('POST', 'Patient', '{"resourceType":', { 'content-type': 'application/fhir+json' });
    expect(badJson.status).toBe(400);
    expect(badJson.body.resourceType).toBe('OperationOutcome');
    expect(JSON.stringify(badJson.body)).not.toMatch(/at .*\.(js|ts):\d+/);
    const conflict = await call('POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [
      { resource: pat('dupA'), request: { method: 'POST', url: 'Patient' }, fullUrl: 'urn:uuid:1' },
      { resource: pat('dupB'), request: { method: 'POST', url: 'Patient' }, fullUrl: 'urn:uuid:1' },
    ] });
    expect(conflict.status).toBe(400);
    expect((await call('GET', 'Patient/x', undefined, { accept: 'application/fhir+xml' })).status).toBe(406);
  });

  it('refuses __proto__ and constructor keys in a body, spelled out or escaped, and accepts such words in values', async () => {
    const json = { 'content-type': 'application/fhir+json' };
    const body = (extra: string) => `{"resourceType":"Patient","identifier":[{"system":"urn:t","value":"proto-1"}]${extra}}`;
    for (const extra of [',"__proto__":{"active":true}', ',"name":[{"constructor":"x"}]', ',"\\u005f_proto__":{}', ',"construc\\u0074or":1']) {
      const r = await call('POST', 'Patient', body(extra), json);
      expect(r.status).toBe(400);
      expect(r.body.issue[0].diagnostics).toMatch(/Forbidden JSON key (__proto__|constructor)/);
    }
    const fine = await call('POST', 'Patient', body(',"name":[{"family":"Protocol","given":["Constructor"],"text":"caf\\u00e9"}]'), json);
    expect(fine.status).toBe(201);
    expect(fine.body.name[0]).toEqual({ family: 'Protocol', given: ['Constructor'], text: 'café' });
  });

  it('two matches for conditional criteria answer 412', async () => {
    await call('POST', 'Patient', pat('twin'));
    await call('POST', 'Patient', pat('twin'));
    const r = await call('PUT', 'Patient?identifier=urn:mrn|twin', pat('twin'));
    expect(r.status).toBe(412);
    expect(issue(r).code).toBe('multiple-matches');
  });

  it('history: instance, type and system with _count paging and _since', async () => {
    const c = await call('POST', 'Practitioner', { resourceType: 'Practitioner', name: [{ family: 'Hist' }] });
    for (let i = 0; i < 4; i++) await call('PUT', `Practitioner/${c.body.id}`, { ...c.body, active: i % 2 === 0 });
    const page1 = await call('GET', `Practitioner/${c.body.id}/_history?_count=2`);
    expect(page1.body.type).toBe('history');
    expect(page1.body.total).toBe(5);
    expect(page1.body.entry.map((e: { response: { etag: string } }) => e.response.etag)).toEqual(['W/"5"', 'W/"4"']);
    const next = page1.body.link.find((l: { relation: string }) => l.relation === 'next').url as string;
    const page2 = await call('GET', next.slice(next.indexOf('/fhir/') + 6));
    expect(page2.body.entry.map((e: { response: { etag: string } }) => e.response.etag)).toEqual(['W/"3"', 'W/"2"']);
    const since = new Date(Date.now() + 60_000).toISOString();
    expect((await call('GET', `Practitioner/_history?_since=${since}`)).body.entry).toEqual([]);
    const type = await call('GET', 'Practitioner/_history?_count=50');
    expect(type.body.entry.length).toBe(5);
    const system = await call('GET', '_history?_count=3');
    expect(system.body.entry.length).toBe(3);
    expect((await call('GET', '_history?_since=not-a-date')).status).toBe(400);
  });

  it('search by GET and by POST _search (form body)', async () => {
    await call('POST', 'Patient', pat('srch-1', { name: [{ family: 'Searchable' }] }));
    const get = await call('GET', 'Patient?family=Searchable');
    expect(get.body.type).toBe('searchset');
    expect(get.body.entry).toHaveLength(1);
    const post = await call('POST', 'Patient/_search', 'family=Searchable', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(post.body.entry).toHaveLength(1);
  });

  it('Prefer: handling=strict rejects an unknown search parameter, lenient ignores it', async () => {
    const strict = await call('GET', 'Patient?not-a-param=1', undefined, { prefer: 'handling=strict' });
    expect(strict.status).toBe(400);
    expect(strict.body.resourceType).toBe('OperationOutcome');
    const lenient = await call('GET', 'Patient?not-a-param=1', undefined, { prefer: 'handling=lenient' });
    expect(lenient.status).toBe(200);
    expect(lenient.body.type).toBe('searchset');
  });

  it('$validate on type and instance names the element', async () => {
    const bad = await call('POST', 'Patient/$validate', pat('v1', { birthDate: '1990-02-31x' }));
    expect(bad.status).toBe(200);
    expect(issue(bad).severity).toBe('error');
    expect(issue(bad).expression).toEqual(['Patient.birthDate']);
    const good = await call('POST', 'Patient/$validate', { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: pat('v2') }] });
    expect(issue(good).severity).toBe('information');
    const c = await call('POST', 'Patient', pat('v3'));
    const instance = await call('POST', `Patient/${c.body.id}/$validate`);
    expect(issue(instance).severity).toBe('information');
  });
});
