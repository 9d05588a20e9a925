/** Search through the real server over HTTP: wiring of handling, links and the cohort query. */
import type { Bundle, BundleEntry, Resource } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../../helpers/db.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import { allResources } from './fixtures.js';

const AUTH_OFF = { CAREBRIDGE_AUTH: 'off-i-understand-this-exposes-patient-data' };

// One database kind is enough here (the search module itself runs on both in the other files):
// PostgreSQL when available, else PGlite — a server start costs more than the checks.
describe.each(testDatabaseKinds().slice(-1))('search over HTTP on %s', (kind) => {
  let s: TestServer;
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(path.startsWith('http') ? path : `${s.httpUrl}/fhir/${path}`, { headers: { accept: 'application/fhir+json', ...headers } });
    return { status: res.status, body: (await res.json()) as Bundle & { issue?: unknown[] } };
  };

  beforeAll(async () => {
    s = await startTestServer(kind, AUTH_OFF);
    // PUT keeps the fixture ids, so references between fixtures hold.
    const entry: BundleEntry[] = allResources
      .filter((r) => r.resourceType !== 'Patient' || (r as { identifier?: unknown[] }).identifier)
      .map((r: Resource) => ({ resource: r as never, request: { method: 'PUT', url: `${r.resourceType}/${r.id}` } }));
    const res = await fetch(`${s.httpUrl}/fhir`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry }),
    });
    expect(res.status).toBe(200);
  }, 60_000);
  afterAll(() => s?.stop());

  it('answers the cohort query in one request', async () => {
    const query = 'birthdate=lt1976&_has:Condition:patient:code=http://snomed.info/sct|44054006&_has:Observation:patient:code-value-quantity=http://loinc.org|4548-4$gt8';
    const { status, body } = await get(`Patient?${query.replace(/\|/g, '%7C').replace(/\$/g, '%24')}`);
    expect(status).toBe(200);
    expect((body.entry ?? []).map((e) => e.resource?.id).sort()).toEqual(['p1', 'p3']);
  });

  it('Prefer: handling=strict turns an unknown parameter into 400', async () => {
    const strict = await get('Patient?frobnicate=1', { prefer: 'handling=strict' });
    expect(strict.status).toBe(400);
    expect(strict.body.resourceType).toBe('OperationOutcome');
    const lenient = await get('Patient?frobnicate=1');
    expect(lenient.status).toBe(200);
    expect(lenient.body.entry?.some((e) => e.search?.mode === 'outcome')).toBe(true);
  });

  it('next links are absolute URLs on this server that page through everything', async () => {
    let page = (await get('Observation?_count=4')).body;
    const ids = (page.entry ?? []).map((e) => e.resource?.id);
    for (let next = page.link?.find((l) => l.relation === 'next')?.url; next; next = page.link?.find((l) => l.relation === 'next')?.url) {
      expect(next.startsWith(s.httpUrl)).toBe(true);
      page = (await get(next)).body;
      ids.push(...(page.entry ?? []).map((e) => e.resource?.id));
    }
    expect(ids.sort()).toEqual(['o1', 'o2', 'o3', 'o4', 'o5', 'o6']);
  });
});
