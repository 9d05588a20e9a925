import type { Bundle, CarePlan, PlanDefinition } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { encounter, patient, permitConsent, procedure } from './harness.js';

const FHIR = { 'content-type': 'application/fhir+json' };

describe('care plans in the running server (pglite)', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer('pglite', { CAREBRIDGE_AUTH: 'off-i-understand-this-exposes-patient-data', WORKERS: 'on' });
  });
  afterAll(() => s?.stop());

  const put = async (r: { resourceType: string; id?: string }) => {
    const res = await fetch(`${s.httpUrl}/fhir/${r.resourceType}/${r.id}`, { method: 'PUT', headers: FHIR, body: JSON.stringify(r) });
    expect(res.status, await res.clone().text()).toBeLessThan(300);
  };

  it('publishes each plan file as a PlanDefinition', async () => {
    const res = await fetch(`${s.httpUrl}/fhir/PlanDefinition/post-op-follow-up`);
    expect(res.status).toBe(200);
    const pd = (await res.json()) as PlanDefinition;
    expect(pd.url).toBe('http://carebridge.example/fhir/PlanDefinition/post-op-follow-up');
    expect(pd.action?.[0]?.trigger?.[0]?.data?.[0]?.type).toBe('Encounter');
    expect(pd.action?.slice(1).map((a) => [a.id, a.relatedAction?.[0]?.offsetDuration?.value])).toEqual([
      ['day-3', 3 * 1440],
      ['day-7', 7 * 1440],
      ['day-30', 30 * 1440],
    ]);
  });

  it('the background planner turns a REST-written surgical discharge into a CarePlan', async () => {
    await put(patient('srv1'));
    await put(permitConsent('srv1'));
    await put(encounter('srv-e1', 'srv1', 'in-progress'));
    await put(procedure('srv-pr1', 'srv-e1', 'srv1'));
    await put(encounter('srv-e1', 'srv1', 'finished', '2026-03-01T02:00:00Z'));
    await vi.waitFor(
      async () => {
        const b = (await (await fetch(`${s.httpUrl}/fhir/CarePlan?subject=Patient/srv1`)).json()) as Bundle;
        expect((b.entry ?? []).map((e) => (e.resource as CarePlan).title).sort()).toEqual(['Discharge satisfaction survey', 'Post-operative follow-up']);
      },
      { timeout: 15_000, interval: 200 },
    );
  });

  it('PlanDefinition/$apply enrols a patient by hand (201, then 200 for the same request)', async () => {
    await put(patient('srv2'));
    const body = { resourceType: 'Parameters', parameter: [{ name: 'subject', valueReference: { reference: 'Patient/srv2' } }, { name: 'anchor', valueDateTime: '2026-04-01T01:00:00Z' }] };
    const first = await fetch(`${s.httpUrl}/fhir/PlanDefinition/diabetes-enrolment/$apply`, { method: 'POST', headers: FHIR, body: JSON.stringify(body) });
    expect(first.status).toBe(201);
    const cp = (await first.json()) as CarePlan;
    expect(cp.instantiatesCanonical).toEqual(['http://carebridge.example/fhir/PlanDefinition/diabetes-enrolment|1.0.0']);
    expect(cp.activity).toHaveLength(3);
    const again = await fetch(`${s.httpUrl}/fhir/PlanDefinition/diabetes-enrolment/$apply`, { method: 'POST', headers: FHIR, body: JSON.stringify(body) });
    expect(again.status).toBe(200);
    expect(((await again.json()) as CarePlan).id).toBe(cp.id);
  });

  it('$apply answers 400 without a subject and 404 for an unknown plan', async () => {
    const bad = await fetch(`${s.httpUrl}/fhir/PlanDefinition/diabetes-enrolment/$apply`, { method: 'POST', headers: FHIR, body: JSON.stringify({ resourceType: 'Parameters' }) });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain('Parameters.parameter.subject');
    const unknown = await fetch(`${s.httpUrl}/fhir/PlanDefinition/nope/$apply?subject=Patient/srv2`, { method: 'POST' });
    expect(unknown.status).toBe(404);
  });

  it('the dashboard summary and /metrics count care-plan work (counts only)', async () => {
    const summary = (await (await fetch(`${s.httpUrl}/admin/api/care/summary`)).json()) as Record<string, unknown>;
    expect(summary.activeCarePlans).toBe(3); // post-op + survey for srv1, diabetes for srv2
    expect(summary.urgentRepliesWaiting).toBe(0);
    expect(typeof summary.dueActivities).toBe('number');
    const metrics = await (await fetch(`${s.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/carebridge_careplan_activities\{status="pending"\} \d+/);
  });

  it('logs no patient names', () => {
    expect(JSON.stringify(s.logs)).not.toContain('小明');
  });
});
