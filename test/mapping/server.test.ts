/**
 * The mapping room inside the real server: POST /admin/map/preview (admin only, nothing written)
 * and GET /admin/api/mappings; an HL7 message posted to the intake ends up as FHIR resources.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle } from 'fhir/r4.js';
import { startTestServer, TEST_ADMIN_TOKEN, type TestServer } from '../helpers/server.js';
import { waitFor } from '../hl7v2/support.js';
import { createMappingSet, loadMappingDir, replayDiff, unmappedReport } from '../../src/mapping/index.js';

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

  it('maps what the intake receives; unmapped report and replay-diff read the inbox', async () => {
    const post = (body: string) =>
      fetch(`${server.httpUrl}/hl7v2`, { method: 'POST', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'x-application/hl7-v2+er7' }, body });
    expect((await post(a01)).status).toBe(200);
    // The worker maps it after the ACK: wait up to 20 s by the clock (40 polls of 250 ms was ~10 s).
    const found = await waitFor(async () => {
      const b = (await (await fetch(`${server.httpUrl}/fhir/Patient?identifier=MRN12345`, { headers: admin })).json()) as Bundle;
      return b.entry?.length ? b : undefined;
    }, 20_000, 'the mapped Patient');
    expect(found.entry?.length).toBe(1);

    const loaded = await loadMappingDir(`${root}mappings`);
    if (!loaded.ok) throw new Error('mappings failed to load');
    const set = createMappingSet(loaded.mappings);
    const report = await unmappedReport(server.runtime.database.db, set);
    expect(report.bySender['HIS|GENHOSP']).toMatchObject({ ZPI: 1 });

    // A candidate directory where F maps to 'other': replay-diff shows exactly that change.
    const dir = mkdtempSync(join(tmpdir(), 'cb-candidate-'));
    try {
      cpSync(`${root}mappings`, dir, { recursive: true });
      const gender = join(dir, 'codemaps/v2-0001-administrative-gender.yaml');
      writeFileSync(gender, readFileSync(gender, 'utf8').replace('  F: female', '  F: other'));
      const cand = await loadMappingDir(dir);
      if (!cand.ok) throw new Error('candidate failed to load');
      const diffs = await replayDiff(server.runtime.database.db, set, createMappingSet(cand.mappings));
      const changes = diffs.flatMap((d) => d.changes);
      expect(changes).toEqual([expect.objectContaining({ request: 'PUT Patient?identifier=urn:carebridge:assigning-authority:GENHOSP|MRN12345', path: 'gender', before: 'female', after: 'other' })]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
