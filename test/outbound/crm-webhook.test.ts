/**
 * The shipped CRM webhook rule, enabled by CRM_WEBHOOK_URL + CRM_WEBHOOK_SECRET alone, end to end
 * through a real server: store writes → change feed → outbox → signed CloudEvents at a real
 * receiver; loop prevention; 4xx dead letter and replay through the admin API.
 */
import type { Appointment, Encounter, Flag, PaymentNotice } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { MllpClient } from '../../src/hl7v2/index.js';
import { verifySignature } from '../../src/outbound/index.js';
import { startTestServer, TEST_ADMIN_TOKEN, type TestServer } from '../helpers/server.js';
import { startHttpReceiver, type HttpReceiver } from './helpers/http-receiver.js';

const SECRET = 'crm-secret-0123456789';

interface CloudEvent { id: string; type: string; subject: string; specversion: string; data: { resourceType: string; status?: string } }

describe('CRM webhook (environment-enabled rule)', () => {
  let server: TestServer;
  let receiver: HttpReceiver;
  const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' };

  beforeAll(async () => {
    receiver = await startHttpReceiver();
    server = await startTestServer('pglite', { CRM_WEBHOOK_URL: `${receiver.url}/crm/events`, CRM_WEBHOOK_SECRET: SECRET });
  });
  afterAll(async () => {
    if (process.env.OUTBOUND_DEBUG) for (const l of server?.logs ?? []) if ((l.level as number) >= 40) process.stderr.write(`${JSON.stringify(l)}\n`);
    await server?.stop();
    await receiver?.close();
  });

  const events = () => receiver.accepted.map((r) => JSON.parse(r.body) as CloudEvent);
  const store = () => server.runtime.store;
  /** Polls until `fn` holds (20 s bound): events for other writes may still be on their way. */
  async function until(fn: () => boolean | Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (!(await fn())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  /** Nothing for the CRM left in the outbox (the change-feed consumer enqueues a commit's changes together). */
  const outboxDrained = async () => {
    const crm = (await server.runtime.outbound.status()).find((d) => d.name === 'crm-webhook');
    return crm !== undefined && crm.pending === 0 && crm.inFlight === 0;
  };

  it('POSTs a posted payment as a signed CloudEvent with an idempotency key', async () => {
    const notice: PaymentNotice = {
      resourceType: 'PaymentNotice', status: 'active', created: '2026-11-23T10:00:00Z',
      payment: { display: 'cashier' }, recipient: { display: 'hospital' }, amount: { value: 120.5, currency: 'EUR' },
    };
    const { resource } = await store().create(notice, { source: { kind: 'hl7v2', sender: 'HIS|HOSP', controlId: 'C1' } });
    await receiver.waitFor(1);
    const req = receiver.accepted[0]!;
    expect(req.url).toBe('/crm/events');
    expect(req.headers['content-type']).toBe('application/cloudevents+json');
    expect(verifySignature(SECRET, req.body, req.headers['x-carebridge-signature'] as string, Math.floor(Date.now() / 1000))).toBe(true);
    const ev = JSON.parse(req.body) as CloudEvent;
    expect(ev).toMatchObject({ specversion: '1.0', type: 'org.carebridge.payment.posted', subject: `PaymentNotice/${resource.id}` });
    expect(ev.data.resourceType).toBe('PaymentNotice');
    expect(req.headers['idempotency-key']).toBe(`payment-posted:PaymentNotice/${resource.id}/_history/1`);
    expect(ev.id).toBe(req.headers['idempotency-key']);
  });

  it('a payment posted by a DFT^P03 over MLLP reaches the CRM, signed', async () => {
    const start = receiver.accepted.length;
    const dft = readFileSync(new URL('../../fixtures/hl7/dft-p03.hl7', import.meta.url), 'utf8').replace('P03-0001', 'P03-CRM-1');
    const client = new MllpClient({ host: '127.0.0.1', port: server.mllpPort!, timeoutMs: 10_000 });
    try {
      expect((await client.send(dft)).code).toBe('AA');
    } finally {
      await client.close();
    }
    const payment = () => events().slice(start).find((e) => e.type === 'org.carebridge.payment.posted');
    await until(() => payment() !== undefined, 'the payment event');
    expect(payment()?.data.resourceType).toBe('PaymentNotice');
    const req = receiver.accepted.slice(start).find((r) => (JSON.parse(r.body) as CloudEvent).type === 'org.carebridge.payment.posted')!;
    expect(verifySignature(SECRET, req.body, req.headers['x-carebridge-signature'] as string, Math.floor(Date.now() / 1000))).toBe(true);
    // The DFT's other resources (its Encounter: an admission event, ordered by patient, not with the
    // payment) are committed with the payment; let their events out before the next tests count.
    await until(outboxDrained, 'the DFT events to be delivered');
  });

  it('sends admission and discharge in order, and nothing for an update that changes no status', async () => {
    const start = receiver.accepted.length;
    const enc: Encounter = { resourceType: 'Encounter', status: 'in-progress', class: { code: 'IMP' }, subject: { reference: 'Patient/p-enc' } };
    const { resource } = await store().create(enc);
    await store().update({ ...resource, serviceType: { text: 'surgery' } });
    await store().update({ ...resource, status: 'finished', serviceType: { text: 'surgery' } });
    // Events go out in order per patient: once the discharge is in, an event for the middle update
    // would be in too.
    const mine = () => events().slice(start).filter((e) => e.subject === `Encounter/${resource.id}`);
    await until(() => mine().some((e) => e.type === 'org.carebridge.encounter.discharged'), 'the discharge event');
    expect(mine().map((e) => e.type)).toEqual(['org.carebridge.encounter.admitted', 'org.carebridge.encounter.discharged']);
  });

  it('does not echo a change the CRM made itself', async () => {
    const start = receiver.accepted.length;
    const appt = (status: Appointment['status']): Appointment => ({ resourceType: 'Appointment', status, participant: [{ actor: { reference: 'Patient/p-appt' }, status: 'accepted' }] });
    const { resource: own } = await store().create(appt('booked'), { source: { kind: 'rest', clientId: 'crm' } });
    const { resource: other } = await store().create(appt('booked'), { source: { kind: 'rest', clientId: 'portal' } });
    // Same patient, so an echo of the CRM's own write would arrive before the portal's event.
    const mine = () => events().slice(start).map((e) => e.subject).filter((s) => s === `Appointment/${own.id}` || s === `Appointment/${other.id}`);
    await until(() => mine().includes(`Appointment/${other.id}`), "the portal's appointment event");
    expect(mine()).toEqual([`Appointment/${other.id}`]);
  });

  it('dead-letters a 4xx answer and delivers it after a replay through the admin API', async () => {
    // Only this test's event may meet the 400s (dead-letter count and replay below are exact).
    await until(outboxDrained, 'earlier events to be delivered');
    receiver.mode = { kind: 'status', status: 400, body: '{"error":"bad payload"}' };
    const flag: Flag = { resourceType: 'Flag', status: 'active', code: { text: 'fall risk' }, subject: { reference: 'Patient/p-flag' } };
    const { resource } = await store().create(flag);
    let dead: Array<{ id: number; lastStatus?: number; resource?: string }> = [];
    await until(async () => {
      const res = await server.app.inject({ method: 'GET', url: '/admin/api/outbound/dead-letters?destination=crm-webhook', headers: admin });
      expect(res.statusCode).toBe(200);
      dead = (res.json() as { messages: typeof dead }).messages;
      return dead.length > 0;
    }, 'the dead letter');
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ lastStatus: 400, resource: `Flag/${resource.id}` });
    const status = await server.app.inject({ method: 'GET', url: '/admin/api/outbound/destinations', headers: admin });
    const crm = (status.json() as { destinations: Array<{ name: string; deadLettered: number; enabled: boolean }> }).destinations.find((d) => d.name === 'crm-webhook');
    expect(crm).toMatchObject({ enabled: true, deadLettered: 1 });
    receiver.mode = { kind: 'ok' };
    const before = receiver.accepted.length;
    const replay = await server.app.inject({ method: 'POST', url: '/admin/api/outbound/destinations/crm-webhook/replay', headers: admin, payload: {} });
    expect(replay.json()).toMatchObject({ replayed: 1 });
    await receiver.waitFor(before + 1);
    expect(events().at(-1)).toMatchObject({ type: 'org.carebridge.flag.raised', subject: `Flag/${resource.id}` });
  });

  it('refuses the admin API without the admin token', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/admin/api/outbound/destinations' });
    expect(res.statusCode).toBe(401);
  });
});
