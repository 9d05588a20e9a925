import type { Bundle, Observation, Patient } from 'fhir/r4.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { createClientRepository } from '../../src/auth/index.js';
import type { TestServer } from '../helpers/server.js';

/** Scopes hold for resources pulled in indirectly: _include, _revinclude, $everything, transactions. */
export function scopeEnforcementSuite(server: () => TestServer): void {
  describe('scopes on indirect access', () => {
    let s: TestServer;
    let patientId: string;
    const keys: Record<string, string> = {};
    const get = async (path: string, key: string) => {
      const res = await fetch(`${s.httpUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });
      return { status: res.status, bundle: (await res.json()) as Bundle };
    };
    /** Data entries (a searchset may also carry an OperationOutcome with search.mode 'outcome'). */
    const data = (b: Bundle) => (b.entry ?? []).filter((e) => e.search?.mode !== 'outcome' && e.resource?.resourceType !== 'OperationOutcome');
    const types = (b: Bundle) => [...new Set(data(b).map((e) => e.resource?.resourceType))].sort();

    beforeAll(async () => {
      s = server();
      const store = s.runtime.store;
      patientId = (await store.create<Patient>({ resourceType: 'Patient', identifier: [{ system: 'scope-test', value: 'S-1' }] })).resource.id!;
      const subject = { reference: `Patient/${patientId}` };
      const cat = (code: string) => [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code }] }];
      await store.create<Observation>({ resourceType: 'Observation', status: 'final', code: { text: 'lab' }, category: cat('laboratory'), subject });
      await store.create<Observation>({ resourceType: 'Observation', status: 'final', code: { text: 'vitals' }, category: cat('vital-signs'), subject });
      const repo = createClientRepository(s.runtime.database.db);
      for (const [name, scopes] of Object.entries({
        obs: 'system/Observation.rs',
        pat: 'system/Patient.rs',
        lab: 'system/Patient.rs system/Observation.rs?category=laboratory',
        patWrite: 'system/Patient.cu',
      })) keys[name] = (await repo.create({ scopes, apiKey: true })).apiKey!;
    });

    it('_include and _revinclude never add resource types the token may not read', async () => {
      const inc = await get(`/fhir/Observation?subject=Patient/${patientId}&_include=Observation:subject`, keys.obs!);
      expect(inc.status).toBe(200);
      expect(types(inc.bundle)).toEqual(['Observation']);
      const rev = await get(`/fhir/Patient?_id=${patientId}&_revinclude=Observation:subject`, keys.pat!);
      expect(rev.status).toBe(200);
      expect(types(rev.bundle)).toEqual(['Patient']);
    });

    it('$everything returns only what the scopes allow, granular restrictions included', async () => {
      const pat = await get(`/fhir/Patient/${patientId}/$everything`, keys.pat!);
      expect(pat.status).toBe(200);
      expect(types(pat.bundle)).toEqual(['Patient']);
      const lab = await get(`/fhir/Patient/${patientId}/$everything`, keys.lab!);
      const observations = data(lab.bundle).map((e) => e.resource).filter((r): r is Observation => r?.resourceType === 'Observation');
      expect(observations.map((o) => o.code.text)).toEqual(['lab']);
    });

    it('a granular scope filters search results', async () => {
      const res = await get(`/fhir/Observation?subject=Patient/${patientId}`, keys.lab!);
      expect(res.status).toBe(200);
      expect(data(res.bundle).map((e) => (e.resource as Observation).code.text)).toEqual(['lab']);
    });

    it('a transaction with an entry outside the scopes is refused as a whole', async () => {
      const bundle: Bundle = {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { resource: { resourceType: 'Patient', identifier: [{ system: 'scope-test', value: 'S-2' }] }, request: { method: 'POST', url: 'Patient' } },
          { resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' } }, request: { method: 'POST', url: 'Observation' } },
        ],
      };
      const res = await fetch(`${s.httpUrl}/fhir`, { method: 'POST', headers: { authorization: `Bearer ${keys.patWrite}`, 'content-type': 'application/fhir+json' }, body: JSON.stringify(bundle) });
      expect(res.status).toBe(403);
      const found = await s.runtime.store.search('Patient', new URLSearchParams({ identifier: 'scope-test|S-2' }));
      expect(found.entry ?? []).toEqual([]);
    });
  });
}
