/**
 * @module Subscription `$status` and `$events` (Backport IG operations), as routes more specific
 * than the FHIR plugin's `/:type/:id/$op` wildcard. Access: the caller must be allowed to read Subscription.
 */
import type { Bundle, Subscription } from 'fhir/r4.js';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { sql, type AnyDb } from '../../db/index.js';
import { CarebridgeError } from '../../errors/index.js';
import type { AccessPolicy, FhirStore } from '../../fhir/index.js';
import { notificationBundle, subscriptionStatus, type NotificationEvent } from './notification.js';
import { readSubscription } from './subscription-model.js';
import { readSubscriptionState } from './subscription-tables.js';
import { SUBSCRIPTION_DESTINATION_PREFIX } from './subscription-service.js';

export interface SubscriptionRoutesOptions {
  readonly db: AnyDb;
  readonly store: FhirStore;
  readonly baseUrl: string;
  readonly policyFor: (request: FastifyRequest) => AccessPolicy;
}

export const subscriptionRoutes: FastifyPluginAsync<SubscriptionRoutesOptions> = async (app, o) => {
  const load = async (req: FastifyRequest, id: string) => {
    if (!o.policyFor(req).can('read', 'Subscription')) throw new CarebridgeError('CB_ERR_AUTH_FORBIDDEN', 'not allowed to read Subscription');
    const sub = await o.store.read<Subscription>('Subscription', id);
    const spec = readSubscription(sub);
    if (!spec) throw new CarebridgeError('CB_ERR_FHIR_UNPROCESSABLE', `Subscription/${id} is not a rest-hook subscription this server delivers`);
    return { sub, spec };
  };

  app.get<{ Params: { id: string } }>('/fhir/Subscription/:id/$status', async (req, reply) => {
    const { sub, spec } = await load(req, req.params.id);
    const state = await readSubscriptionState(o.db, spec.id);
    const status = subscriptionStatus(spec, o.baseUrl, 'query-status', state.eventsSinceStart, sub.status, [], sub.status === 'error' ? state.lastError : undefined);
    const bundle: Bundle = { resourceType: 'Bundle', type: 'searchset', total: 1, entry: [{ resource: status, search: { mode: 'match' } }] };
    return reply.type('application/fhir+json').send(bundle);
  });

  app.get<{ Params: { id: string }; Querystring: { eventsSinceNumber?: string; eventsUntilNumber?: string; content?: string } }>('/fhir/Subscription/:id/$events', async (req, reply) => {
    const { sub, spec } = await load(req, req.params.id);
    const state = await readSubscriptionState(o.db, spec.id);
    const since = Math.max(1, Number(req.query.eventsSinceNumber ?? 1) || 1);
    const until = Math.min(state.eventsSinceStart, Number(req.query.eventsUntilNumber ?? state.eventsSinceStart) || state.eventsSinceStart);
    if (until - since >= 1000) throw new CarebridgeError('CB_ERR_SEARCH_TOO_COSTLY', 'ask for at most 1000 events at a time (eventsSinceNumber / eventsUntilNumber)');
    const { rows } = await sql<{ idempotency_key: string; resource_type: string | null; resource_id: string | null; created_at: Date }>`
      select idempotency_key, resource_type, resource_id, created_at from outbound_message
       where destination = ${SUBSCRIPTION_DESTINATION_PREFIX + spec.id} and idempotency_key like ${`subscription:${spec.id}:event:%`}
       order by id`.execute(o.db);
    const events: NotificationEvent[] = [];
    for (const r of rows) {
      const n = Number(r.idempotency_key.split(':').pop());
      if (n < since || n > until || !r.resource_type || !r.resource_id) continue;
      const resource = spec.payload === 'full-resource' || req.query.content === 'full-resource' ? await o.store.readOrUndefined(r.resource_type, r.resource_id) : undefined;
      events.push({ number: n, timestamp: new Date(r.created_at).toISOString(), focus: `${r.resource_type}/${r.resource_id}`, operation: 'update', resource });
    }
    const bundle = notificationBundle({ ...spec, payload: spec.payload === 'empty' ? 'id-only' : spec.payload }, o.baseUrl, 'query-event', state.eventsSinceStart, sub.status, events);
    return reply.type('application/fhir+json').send(bundle);
  });
};
