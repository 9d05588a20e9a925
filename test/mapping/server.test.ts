/**
 * The mapping room inside the real server: POST /admin/map/preview (admin only, nothing written)
 * and GET /admin/api/mappings; an HL7 message posted to the intake ends up as FHIR resources.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle } from 'fhir/r4.js';
import { startTestServer, TEST_ADMIN_TOKEN, type TestServer } from '../helpers/server.js';

const root = new URL('../../', import.meta.url).pathname;
const a01 = readFileSync(`${root}fixtures/hl7/adt-a01.hl7`, 'utf8');

describe('mapping in the server (pglite)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer('pglite');
  });
  afterAll(async () => {
    await server?.stop();
  });
  const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' };

  it('previews a message as bundle + explain + unmapped without writing it', async () => {
    const res = await fetch(`${server.httpUrl}/admin/map/preview`, { method: 'POST', headers: admin, body: JSON.stringify({ message: a01 }) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { bundle: Bundle; explain: Array<{ resource: string; path: string; rule: string }>; unmapped: Array<{ path: string }>; mappingId: string };
    expect(body.mappingId).toBe('adt-a01');
    expect(body.bundle.entry?.some((e) => e.request?.url === 'Patient?identifier=urn:carebridge:assigning-authority:GENHOSP|MRN12345')).toBe(true);
    expect(body.explain).toContainEqual(expect.objectContaining({ resource: 'Patient', path: 'gender', rule: expect.stringMatching(/^segments\/pid-patient\.yaml:\d+$/) }));
    expect(body.unmapped.map((u) => u.path)).toContain('ZPI');
    const patients = await fetch(`${server.httpUrl}/fhir/Patient?identifier=MRN12345`, { headers: admin });
    expect(((await patients.json()) as Bundle).entry ?? []).toHaveLength(0);
  });

  it('answers 422 with an OperationOutcome for a message type without a map, 401 without a token', async () => {
    const mfn = readFileSync(`${root}fixtures/hl7/mfn-m02.hl7`, 'utf8');
    const res = await fetch(`${server.httpUrl}/admin/map/preview`, { method: 'POST', headers: admin, body: JSON.stringify({ message: mfn }) });
    expect(res.status).toBe(422);
    expect(JSON.stringify(await res.json())).toContain('CB_ERR_MAP_NOT_FOUND');
    const anon = await fetch(`${server.httpUrl}/admin/map/preview`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: a01 }) });
    expect(anon.status).toBe(401);
  });

  it('lists the loaded message maps', async () => {
    const res = await fetch(`${server.httpUrl}/admin/api/mappings`, { headers: admin });
    const status = (await res.json()) as { ok: boolean; messageMaps: Array<{ id: string }> };
    expect(status.ok).toBe(true);
    expect(status.messageMaps.map((m) => m.id)).toEqual(expect.arrayContaining(['adt-a01', 'adt-a03', 'siu', 'oru-r01', 'dft-p03']));
  });
});
