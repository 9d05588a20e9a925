/**
 * The route sweep: every route the real server registers (collected by auth's onRoute hook) is
 * called without a token (401 unless on the public list) and with a token lacking the scope (403).
 * A route added later by any room is in the list automatically; if it is not protected, this fails.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { authServicesOf, createClientRepository, type RegisteredRoute } from '../../src/auth/index.js';
import type { TestServer } from '../helpers/server.js';

/**
 * The documented public list (README "Security and privacy"), written out here on purpose: the
 * sweep must not trust the server's own list, or widening that list would pass unnoticed.
 */
const DOCUMENTED_PUBLIC = ['/fhir/metadata', '/.well-known/smart-configuration', '/auth/token', '/healthz', '/readyz', '/metrics', '/admin', '/admin/assets/:file'];

/** Concrete URLs for a route pattern (wildcards get representative FHIR paths). */
function samplePaths(url: string): string[] {
  const filled = url.replace(/:type\b/g, 'Patient').replace(/:id\b/g, 'sweep-1').replace(/:[A-Za-z_]+/g, 'sweep');
  if (!filled.endsWith('*')) return [filled];
  const base = filled.slice(0, -1);
  return ['Patient', 'Patient/sweep-1', 'Patient/sweep-1/_history', 'Patient/sweep-1/_history/1', 'Patient/sweep-1/$everything', 'Observation/_search', '_history', 'Patient/$validate', 'AuditEvent', 'x/y/z/w/v'].map((p) => `${base}${p}`);
}

export function routeSweepSuite(server: () => TestServer): void {
  describe('route sweep', () => {
  let s: TestServer;
  let routes: RegisteredRoute[];
  const publicPaths: ReadonlySet<string> = new Set(DOCUMENTED_PUBLIC);
  let intakeOnlyKey: string;
  let resourceOnlyKey: string;

  beforeAll(async () => {
    s = server();
    const services = authServicesOf(s.app)!;
    routes = services.routes.filter((r) => r.method !== 'OPTIONS');
    expect([...services.publicPaths].sort()).toEqual([...DOCUMENTED_PUBLIC].sort());
    const repo = createClientRepository(s.runtime.database.db);
    intakeOnlyKey = (await repo.create({ scopes: 'carebridge/hl7v2', apiKey: true })).apiKey!;
    resourceOnlyKey = (await repo.create({ scopes: 'system/Device.cruds', apiKey: true })).apiKey!;
  });

  it('sees the routes of every room', () => {
    const urls = new Set(routes.map((r) => r.url));
    for (const expected of ['/fhir/*', '/healthz', '/auth/token', '/.well-known/smart-configuration', '/fhir/Patient/:id/$erase']) expect(urls, expected).toContain(expected);
  });

  it('answers 401 without a token on every non-public route', async () => {
    const open: string[] = [];
    for (const r of routes) {
      if (publicPaths.has(r.url)) continue;
      for (const path of samplePaths(r.url)) {
        const res = await fetch(`${s.httpUrl}${path}`, { method: r.method, ...(r.method === 'GET' || r.method === 'HEAD' ? {} : { body: '{}', headers: { 'content-type': 'application/json' } }) });
        if (res.status !== 401 || !res.headers.get('www-authenticate')?.startsWith('Bearer')) open.push(`${r.method} ${path} → ${res.status}`);
      }
    }
    expect(open).toEqual([]);
  });

  it('answers 403 with a token that lacks the scope', async () => {
    const open: string[] = [];
    for (const r of routes) {
      if (publicPaths.has(r.url)) continue;
      // Intake clients hold carebridge/hl7v2, so /hl7v2 is tested with a token that lacks it.
      const key = r.url.startsWith('/hl7v2') ? resourceOnlyKey : intakeOnlyKey;
      for (const path of samplePaths(r.url)) {
        if (path.endsWith('/metadata')) continue;
        const res = await fetch(`${s.httpUrl}${path}`, {
          method: r.method,
          headers: { authorization: `Bearer ${key}`, ...(r.method === 'GET' || r.method === 'HEAD' ? {} : { 'content-type': 'application/json' }) },
          ...(r.method === 'GET' || r.method === 'HEAD' ? {} : { body: '{}' }),
        });
        if (res.status !== 403) open.push(`${r.method} ${path} → ${res.status}`);
      }
    }
    expect(open).toEqual([]);
  });

  it('percent-encoded paths get the same answer as plain ones', async () => {
    const repo = createClientRepository(s.runtime.database.db);
    const patientRw = (await repo.create({ scopes: 'system/Patient.cruds', apiKey: true })).apiKey!;
    const erase = await fetch(`${s.httpUrl}/fhir/Patient/sweep-1/%24erase`, { method: 'POST', headers: { authorization: `Bearer ${patientRw}` } });
    expect(erase.status).toBe(403);
    const read = await fetch(`${s.httpUrl}/fhir/%50atient/sweep-1`, { headers: { authorization: `Bearer ${resourceOnlyKey}` } });
    expect(read.status).toBe(403);
  });

  it('public routes answer without a token', async () => {
    for (const p of ['/fhir/metadata', '/.well-known/smart-configuration', '/healthz', '/readyz', '/metrics']) {
      const res = await fetch(`${s.httpUrl}${p}`);
      expect(res.status, p).toBe(200);
    }
    // Variants of the public FHIR path are not public.
    expect((await fetch(`${s.httpUrl}/fhir/%6detadata`)).status).toBe(401);
  });
});
}
