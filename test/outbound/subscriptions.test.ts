/**
 * FHIR Subscriptions through the outbox, against real HTTP subscribers on loopback: Backport
 * topic subscriptions (handshake → active, id-only notifications with event numbers, filters),
 * a subscriber that is down (status → error, everything delivered in order once back, status →
 * active), `$status` / `$events`, and a classic R4 rest-hook with a payload.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import type { Appointment, Bundle, Encounter, Parameters, Subscription } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALLOW_ALL, createFhirStore, type FhirStore } from '../../src/fhir/index.js';
import { normalizeError } from '../../src/errors/index.js';
import { createLogger } from '../../src/logging/index.js';
import { createOutboundService, subscriptionRoutes, TOPIC_BASE, type OutboundService } from '../../src/outbound/index.js';
import { allMigrations } from '../../src/server/index.js';
import { openTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startHttpReceiver, type HttpReceiver } from './helpers/http-receiver.js';

const logger = createLogger({ level: 'silent' });
const BACKPORT = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';

function param(p: Parameters, name: string) {
  return p.parameter?.find((x) => x.name === name);
}

describe('FHIR Subscriptions via the outbox', () => {
  let t: TestDatabase;
  let store: FhirStore;
  let outbound: OutboundService;
  let receiver: HttpReceiver;
  let rulesDir: string;

  beforeAll(async () => {
    t = await openTestDatabase('pglite', allMigrations());
    store = createFhirStore({ db: t.db, logger });
    rulesDir = await mkdtemp(join(tmpdir(), 'cb-subs-'));
    receiver = await startHttpReceiver();
    outbound = await createOutboundService({
      db: t.db, store, logger, rulesDir, vars: {}, watchRules: false, pollMs: 20, fhirBaseUrl: 'http://cb.test/fhir',
      subscriptionSettings: { backoff: { baseMs: 20, maxMs: 80 }, circuit: { failureThreshold: 50, openMs: 10 } }, subscriptionErrorAfter: 3,
    });
    outbound.start();
  });
  afterAll(async () => {
    await outbound?.stop();
    await receiver?.close();
    await t?.close();
    await rm(rulesDir, { recursive: true, force: true });
  });

  const bundles = () => receiver.accepted.filter((r) => r.url === '/topic').map((r) => JSON.parse(r.body) as Bundle);
  const status = (b: Bundle) => b.entry![0]!.resource as Parameters;
  const encounter = (patient: string, s: Encounter['status'] = 'in-progress'): Encounter => ({ resourceType: 'Encounter', status: s, class: { code: 'IMP' }, subject: { reference: `Patient/${patient}` } });
  async function until(fn: () => boolean | Promise<boolean>, what: string) {
    for (let i = 0; i < 400; i++) {
      if (await fn()) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  let topicSub: Subscription;

  it('handshakes a topic subscription, then sends id-only notifications matching its filter', async () => {
    const sub: Subscription = {
      resourceType: 'Subscription', status: 'requested', reason: 'admissions of p1', criteria: `${TOPIC_BASE}/encounter-start`,
      _criteria: { extension: [{ url: `${BACKPORT}/backport-filter-criteria`, valueString: 'Encounter?subject=Patient/p1' }] },
      channel: { type: 'rest-hook', endpoint: `${receiver.url}/topic`, payload: 'application/fhir+json', header: ['Authorization: Bearer sub-token'], _payload: { extension: [{ url: `${BACKPORT}/backport-payload-content`, valueCode: 'id-only' }] } },
    } as Subscription;
    topicSub = (await store.create(sub)).resource;
    await until(() => bundles().length >= 1, 'handshake');
    expect(param(status(bundles()[0]!), 'type')?.valueCode).toBe('handshake');
    expect(receiver.accepted[0]!.headers.authorization).toBe('Bearer sub-token');
    await until(async () => (await store.read<Subscription>('Subscription', topicSub.id!)).status === 'active', 'status active');
    const { resource: mine } = await store.create(encounter('p1'));
    await store.create(encounter('p2'));
    await until(() => bundles().length >= 2, 'event notification');
    await new Promise((r) => setTimeout(r, 300));
    expect(bundles()).toHaveLength(2);
    const note = bundles()[1]!;
    expect(note.type).toBe('history');
    expect(param(status(note), 'type')?.valueCode).toBe('event-notification');
    expect(param(status(note), 'events-since-subscription-start')?.valueString).toBe('1');
    const event = param(status(note), 'notification-event')!;
    expect(event.part?.find((p) => p.name === 'event-number')?.valueString).toBe('1');
    expect(event.part?.find((p) => p.name === 'focus')?.valueReference?.reference).toBe(`http://cb.test/fhir/Encounter/${mine.id}`);
    expect(note.entry![1]).toMatchObject({ fullUrl: `http://cb.test/fhir/Encounter/${mine.id}` });
    expect(note.entry![1]!.resource).toBeUndefined();
  });

  it('goes to error while the subscriber is down, delivers everything in order once back, and recovers', async () => {
    receiver.mode = { kind: 'status', status: 503 };
    const start = bundles().length;
    for (let i = 0; i < 3; i++) await store.create(encounter('p1'));
    await until(async () => (await store.read<Subscription>('Subscription', topicSub.id!)).status === 'error', 'status error');
    expect((await store.read<Subscription>('Subscription', topicSub.id!)).error).toMatch(/HTTP 503/);
    receiver.mode = { kind: 'ok' };
    await until(() => bundles().length >= start + 3, 'backlog delivered');
    const numbers = bundles().slice(start).map((b) => param(status(b), 'notification-event')!.part!.find((p) => p.name === 'event-number')!.valueString);
    expect(numbers).toEqual(['2', '3', '4']);
    await until(async () => (await store.read<Subscription>('Subscription', topicSub.id!)).status === 'active', 'status active again');
  });

  it('answers $status and $events', async () => {
    const app = Fastify();
    // The real app maps CarebridgeError codes the same way (src/server/app.ts).
    app.setErrorHandler((err, _req, reply) => reply.status(normalizeError(err).kind.http).send({ code: normalizeError(err).code }));
    await app.register(subscriptionRoutes, { db: t.db, store, baseUrl: 'http://cb.test/fhir', policyFor: () => ALLOW_ALL });
    const st = await app.inject({ method: 'GET', url: `/fhir/Subscription/${topicSub.id}/$status` });
    expect(st.statusCode).toBe(200);
    const p = (st.json() as Bundle).entry![0]!.resource as Parameters;
    expect(param(p, 'type')?.valueCode).toBe('query-status');
    expect(param(p, 'events-since-subscription-start')?.valueString).toBe('4');
    expect(param(p, 'status')?.valueCode).toBe('active');
    const ev = await app.inject({ method: 'GET', url: `/fhir/Subscription/${topicSub.id}/$events?eventsSinceNumber=2&eventsUntilNumber=3` });
    expect(ev.statusCode).toBe(200);
    const events = param(((ev.json() as Bundle).entry![0]!.resource as Parameters), 'notification-event');
    const all = ((ev.json() as Bundle).entry![0]!.resource as Parameters).parameter!.filter((x) => x.name === 'notification-event');
    expect(events).toBeDefined();
    expect(all.map((e) => e.part!.find((x) => x.name === 'event-number')!.valueString)).toEqual(['2', '3']);
    const missing = await app.inject({ method: 'GET', url: '/fhir/Subscription/nope/$status' });
    expect(missing.statusCode).toBe(404);
    await app.close();
  });

  it('delivers a classic R4 rest-hook with payload as PUT [endpoint]/[type]/[id]', async () => {
    const { resource: classic } = await store.create({ resourceType: 'Subscription', status: 'requested', reason: 'booked', criteria: 'Appointment?status=booked', channel: { type: 'rest-hook', endpoint: `${receiver.url}/classic`, payload: 'application/fhir+json' } } as Subscription);
    // Activated by the server (no handshake in classic R4); only then do changes notify it.
    await until(async () => (await store.read<Subscription>('Subscription', classic.id!)).status === 'active', 'classic subscription active');
    const appt: Appointment = { resourceType: 'Appointment', status: 'booked', participant: [{ actor: { reference: 'Patient/p9' }, status: 'accepted' }] };
    const { resource: booked } = await store.create(appt);
    await store.create({ resourceType: 'Appointment', status: 'proposed', participant: [{ actor: { reference: 'Patient/p9' }, status: 'accepted' }] });
    await until(() => receiver.accepted.some((r) => r.url.startsWith('/classic')), 'classic notification');
    await new Promise((r) => setTimeout(r, 300));
    const got = receiver.accepted.filter((r) => r.url.startsWith('/classic'));
    expect(got.map((r) => `${r.method} ${r.url}`)).toEqual([`PUT /classic/Appointment/${booked.id}`]);
    expect(JSON.parse(got[0]!.body)).toMatchObject({ resourceType: 'Appointment', id: booked.id, status: 'booked' });
  });
});
