import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../helpers/db.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe.each(testDatabaseKinds())('server on %s', (kind) => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer(kind);
  });
  afterAll(async () => s?.stop());

  it('answers /healthz and /readyz', async () => {
    expect((await fetch(`${s.httpUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${s.httpUrl}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { checks: Record<string, { ok: boolean; detail?: string }> };
    expect(body.checks.migrations?.ok).toBe(true);
    expect(body.checks.mappings?.ok).toBe(true);
    expect(body.checks.mappings?.detail).toMatch(/\d+ message maps/);
  });

  it('answers an unknown route with a 404 OperationOutcome', async () => {
    const res = await fetch(`${s.httpUrl}/no/such/route`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/fhir+json');
    const body = (await res.json()) as { resourceType: string };
    expect(body.resourceType).toBe('OperationOutcome');
  });

  it('logs method, route, status and duration for each request', async () => {
    await fetch(`${s.httpUrl}/healthz`);
    const line = s.logs.find((l) => l.msg === 'request' && l.route === '/healthz');
    expect(line).toMatchObject({ method: 'GET', status: 200 });
    expect(typeof line?.durationMs).toBe('number');
  });
});

describe('readiness without mappings', () => {
  it('answers /readyz 503 naming the mappings check when no mapping set could be loaded', async () => {
    const s = await startTestServer('pglite', { MAPPINGS_DIR: '/nonexistent/carebridge-mappings' });
    try {
      const res = await fetch(`${s.httpUrl}/readyz`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as { checks: Record<string, { ok: boolean; detail?: string }> };
      expect(body.checks.mappings).toMatchObject({ ok: false });
      expect(body.checks.database?.ok).toBe(true);
      expect((await fetch(`${s.httpUrl}/healthz`)).status).toBe(200);
    } finally {
      await s.stop();
    }
  });
});
