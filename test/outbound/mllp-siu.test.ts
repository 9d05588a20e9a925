/**
 * Appointments created through the FHIR API go to a real MLLP receiver (node-hl7-server 2.5) as
 * SIU^S12 / S15; our client handles its AA, AE (retried) and AR (dead letter). node-hl7-server
 * mis-ACKs after the first message on a connection, so the destination uses one connection per
 * message (`connectionPerMessage: true`, see /work/shared/research/hl7-libs.md).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Appointment, Patient } from 'fhir/r4.js';
import { Server } from 'node-hl7-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMessage } from '../../src/hl7v2/index.js';
import { listOutboxMessages } from '../../src/outbound/index.js';
import { freePort } from '../helpers/ports.js';
import { startTestServer, TEST_ADMIN_TOKEN, type TestServer } from '../helpers/server.js';

type Answer = 'AA' | 'AE' | 'AR';

describe('SIU over MLLP to node-hl7-server', () => {
  let server: TestServer;
  let inbound: { close(): Promise<boolean> };
  let mappingsDir: string;
  const received: string[] = [];
  let answer: Answer = 'AA';
  const headers = { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/fhir+json' };

  beforeAll(async () => {
    const port = await freePort();
    inbound = new Server({ bindAddress: '127.0.0.1' }).createInbound({ port }, async (req, res) => {
      received.push(req.getMessage().toString());
      await res.sendResponse(answer);
    });
    // Only the SIU rule file (fast retries, pointed at the receiver) in a mappings folder of its own.
    mappingsDir = await mkdtemp(join(tmpdir(), 'cb-siu-'));
    await mkdir(join(mappingsDir, 'outbound'));
    await writeFile(join(mappingsDir, 'outbound', 'his-siu.yaml'), siuRule(port));
    server = await startTestServer('pglite', { MAPPINGS_DIR: mappingsDir });
  });
  afterAll(async () => {
    await server?.stop();
    await inbound?.close();
    await rm(mappingsDir, { recursive: true, force: true });
  });

  async function post<T>(resource: T): Promise<T & { id: string }> {
    const res = await server.app.inject({ method: 'POST', url: '/fhir/' + (resource as { resourceType: string }).resourceType, headers, payload: JSON.stringify(resource) });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as T & { id: string };
  }
  async function waitFor(n: number) {
    const deadline = Date.now() + 20_000; // by the clock, not 400 polls
    while (received.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(received.length).toBeGreaterThanOrEqual(n);
  }

  it('sends SIU^S12 for a booking and SIU^S15 for its cancellation, with the patient in PID', async () => {
    const patient = await post<Patient>({ resourceType: 'Patient', identifier: [{ system: 'urn:mrn', value: 'MRN-77', type: { coding: [{ code: 'MR' }] } }], name: [{ family: 'Doe', given: ['Jane'] }], birthDate: '1980-02-03', gender: 'female' });
    const appt = await post<Appointment>({
      resourceType: 'Appointment', status: 'booked', start: '2026-12-01T09:00:00Z', end: '2026-12-01T09:30:00Z',
      participant: [{ actor: { reference: `Patient/${patient.id}` }, status: 'accepted' }], description: 'Follow-up',
    });
    await waitFor(1);
    const s12 = parseMessage(received[0]!);
    expect(s12.get('MSH-9.1')).toBe('SIU');
    expect(s12.get('MSH-9.2')).toBe('S12');
    expect(s12.get('SCH-2')).toBe(appt.id);
    expect(s12.get('SCH-11.4')).toBe('20261201090000+0000');
    expect(s12.get('SCH-25')).toBe('Booked');
    expect(s12.get('PID-3')).toBe('MRN-77');
    expect(s12.get('PID-5.1')).toBe('Doe');
    const res = await server.app.inject({ method: 'PUT', url: `/fhir/Appointment/${appt.id}`, headers, payload: JSON.stringify({ ...appt, status: 'cancelled' }) });
    expect(res.statusCode, res.body).toBe(200);
    await waitFor(2);
    const s15 = parseMessage(received[1]!);
    expect(s15.get('MSH-9.2')).toBe('S15');
    expect(s15.get('SCH-25')).toBe('Cancelled');
    expect(s15.get('MSH-10')).not.toBe(s12.get('MSH-10'));
  });

  it('retries an AE until the receiver accepts, with the same control id', async () => {
    answer = 'AE';
    const start = received.length;
    const appt = await post<Appointment>({ resourceType: 'Appointment', status: 'booked', start: '2026-12-02T09:00:00Z', participant: [{ actor: { reference: 'Patient/x' }, status: 'accepted' }] });
    await waitFor(start + 2);
    answer = 'AA';
    await waitFor(start + 3);
    const ids = received.slice(start).map((m) => parseMessage(m).get('MSH-10'));
    expect(new Set(ids).size).toBe(1);
    // The row settles after the receiver's AA is read back (and a retry that met the AE just before
    // the switch still waits out its backoff): wait for that, not a fixed time.
    let row: Awaited<ReturnType<typeof listOutboxMessages>>[number] | undefined;
    const deadline = Date.now() + 20_000;
    for (;;) {
      row = (await listOutboxMessages(server.runtime.database.db, { destination: 'his-siu' })).find((m) => m.resource === `Appointment/${appt.id}`);
      if (row?.status === 'delivered' || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(row).toMatchObject({ status: 'delivered' });
    expect(row!.attempts).toBeGreaterThanOrEqual(3);
    const open = await listOutboxMessages(server.runtime.database.db, { destination: 'his-siu', status: 'pending' });
    expect(open).toEqual([]);
  });

  it('dead-letters an AR', async () => {
    answer = 'AR';
    const start = received.length;
    const appt = await post<Appointment>({ resourceType: 'Appointment', status: 'booked', start: '2026-12-03T09:00:00Z', participant: [{ actor: { reference: 'Patient/y' }, status: 'accepted' }] });
    await waitFor(start + 1);
    let dead: Awaited<ReturnType<typeof listOutboxMessages>> = [];
    for (const deadline = Date.now() + 20_000; dead.length === 0 && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 25));
      dead = await listOutboxMessages(server.runtime.database.db, { destination: 'his-siu', status: 'dead' });
    }
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ resource: `Appointment/${appt.id}`, lastError: 'ACK AR', attempts: 1 });
    answer = 'AA';
  });
});

function siuRule(port: number): string {
  return `destination:
  name: his-siu
  channel: mllp
  host: 127.0.0.1
  port: ${port}
  onApplicationError: retry
  connectionPerMessage: true
  settings: { concurrency: 1, timeoutMs: 3000, backoff: { baseMs: 20, maxMs: 100 }, circuit: { failureThreshold: 100, openMs: 10 } }
rules:
  - id: appointment-siu
    resourceType: Appointment
    operations: [create, update, delete]
    sources: [{ kind: rest }]
    changed: status | start | end
    event: appointment.siu
    payload: { format: hl7v2-siu }
`;
}
