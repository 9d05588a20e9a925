/**
 * @module FHIR Subscriptions delivered through the outbox: a change-feed handler turns matching
 * changes into notification rows (one per event, ordered per subscription, numbered in the same
 * transaction), each subscription is a destination of its own (its endpoint down blocks only
 * it, and it gets everything once back), delivery results drive Subscription.status
 * (requested → active after the handshake; → error after repeated failures; → active again on
 * the next success), and heartbeats are enqueued on their period.
 */
import type { Resource, Subscription } from 'fhir/r4.js';
import { sql, type AnyDb } from '../../db/index.js';
import type { FhirStore } from '../../fhir/index.js';
import type { Logger } from '../../logging/index.js';
import type { Destination } from '../channel.js';
import type { OutboundClock } from '../clock.js';
import type { ChangeHandler } from '../consumer.js';
import { loadChange } from '../consumer.js';
import { defineDestination, type DestinationSettings } from '../destinations.js';
import { enqueueOutbound } from '../outbox.js';
import type { OutboundChange } from '../payload/payload-context.js';
import type { DeliveryOutcome, OutboxInsert, OutboxMessage } from '../types.js';
import { createWebhookChannel } from '../webhook/webhook-channel.js';
import { notificationBundle, type NotificationEvent, type NotificationType } from './notification.js';
import { readSubscription, type SubscriptionSpec } from './subscription-model.js';
import { nextEventNumbers, recordSubscriptionAttempt } from './subscription-tables.js';
import { SUBSCRIPTION_TOPICS, topicFires } from './topics.js';

export const SUBSCRIPTION_DESTINATION_PREFIX = 'subscription-';

export interface SubscriptionServiceOptions {
  readonly db: AnyDb;
  readonly store: FhirStore;
  readonly logger: Logger;
  readonly clock: OutboundClock;
  /** The FHIR base URL notifications refer to. */
  readonly baseUrl: string;
  /** Consecutive failed attempts before Subscription.status becomes `error` (default 3). */
  readonly errorAfter?: number;
  /** Delivery limits for every subscription endpoint (tests shorten the backoff). */
  readonly settings?: DestinationSettings;
  /** Tells the worker there is new work (heartbeats). */
  readonly wake?: () => void;
  /** Filter evaluation for classic criteria and `_criteria` (the search room's matchesQuery). */
  readonly matches: (trx: AnyDb, type: string, query: string) => Promise<string[]>;
}

export interface SubscriptionService {
  readonly handler: ChangeHandler;
  destinations(): readonly Destination[];
  refresh(): Promise<void>;
  onSettled(message: OutboxMessage, outcome: DeliveryOutcome, settlement: 'delivered' | 'retry' | 'dead'): Promise<void>;
  /** Enqueue due heartbeats (called on a timer). */
  heartbeat(): Promise<number>;
  find(id: string): SubscriptionSpec | undefined;
}

const LIVE = new Set(['requested', 'active', 'error']);

export function subscriptionKey(id: string, kind: 'event' | 'handshake' | 'heartbeat', n: number | string): string {
  return `subscription:${id}:${kind}:${n}`;
}

export function createSubscriptionService(o: SubscriptionServiceOptions): SubscriptionService {
  let specs = new Map<string, SubscriptionSpec>();
  const built = new Map<string, { endpoint: string; headers: string; destination: Destination }>();
  const errorAfter = o.errorAfter ?? 3;
  const settings: DestinationSettings = { concurrency: 1, maxAttempts: 1000, backoff: { baseMs: 1_000, maxMs: 60_000 }, circuit: { failureThreshold: 3, openMs: 10_000 }, ...o.settings };

  async function loadSpecs(db: AnyDb): Promise<Map<string, SubscriptionSpec>> {
    const { rows } = await sql<{ content: Subscription }>`select content from fhir_resource where resource_type = 'Subscription' and not deleted`.execute(db);
    const next = new Map<string, SubscriptionSpec>();
    for (const r of rows) {
      const spec = readSubscription(r.content);
      if (spec && LIVE.has(spec.status)) next.set(spec.id, spec);
    }
    return next;
  }

  function destinationFor(spec: SubscriptionSpec): Destination {
    const headers = JSON.stringify(spec.headers);
    const old = built.get(spec.id);
    if (old && old.endpoint === spec.endpoint && old.headers === headers) return old.destination;
    const destination = defineDestination(`${SUBSCRIPTION_DESTINATION_PREFIX}${spec.id}`, createWebhookChannel({ url: spec.endpoint, headers: spec.headers }), settings);
    built.set(spec.id, { endpoint: spec.endpoint, headers, destination });
    return destination;
  }

  function notificationRow(spec: SubscriptionSpec, key: string, type: NotificationType, eventsSinceStart: number, events: NotificationEvent[], status: string): OutboxInsert {
    const ordering = `Subscription/${spec.id}`;
    const destination = `${SUBSCRIPTION_DESTINATION_PREFIX}${spec.id}`;
    const e = events[0];
    if (spec.style === 'classic') {
      // R4 rest-hook: no payload → empty POST; payload → PUT [endpoint]/[type]/[id] with the resource.
      const payload = spec.payload === 'empty' || !e?.resource
        ? { kind: 'http' as const, method: 'POST' as const, contentType: spec.contentType, body: '' }
        : { kind: 'http' as const, method: 'PUT' as const, path: e.focus, contentType: spec.contentType, body: JSON.stringify(e.resource) };
      return { destination, orderingKey: ordering, idempotencyKey: key, payload, rule: `subscription:${type}`, resourceType: e?.focus.split('/')[0], resourceId: e?.focus.split('/')[1] };
    }
    const bundle = notificationBundle(spec, o.baseUrl, type, eventsSinceStart, status, events);
    return {
      destination, orderingKey: ordering, idempotencyKey: key, rule: `subscription:${type}`,
      payload: { kind: 'http', method: 'POST', contentType: 'application/fhir+json', body: JSON.stringify(bundle) },
      resourceType: e?.focus.split('/')[0], resourceId: e?.focus.split('/')[1],
    };
  }

  async function matchesSpec(trx: AnyDb, spec: SubscriptionSpec, change: OutboundChange): Promise<boolean> {
    if (change.resourceType === 'Subscription') return false;
    if (spec.style === 'classic') {
      if (spec.criteria!.type !== change.resourceType) return false;
      if (change.operation === 'delete') return false;
      return filterHolds(trx, change, spec.criteria!.query);
    }
    const topic = SUBSCRIPTION_TOPICS.find((t) => t.url === spec.topic);
    if (!topic || !topicFires(topic, change)) return false;
    for (const f of spec.filters) {
      if (f.type !== change.resourceType) continue;
      if (change.operation === 'delete' || !(await filterHolds(trx, change, f.query))) return false;
    }
    return true;
  }

  async function filterHolds(trx: AnyDb, change: OutboundChange, query: string): Promise<boolean> {
    const q = query ? `${query}&_id=${encodeURIComponent(change.id)}` : `_id=${encodeURIComponent(change.id)}`;
    try {
      return (await o.matches(trx, change.resourceType, q)).includes(change.id);
    } catch (err) {
      o.logger.warn({ error: (err as Error).message, resource: `${change.resourceType}/${change.id}` }, 'subscription filter could not be evaluated');
      return false;
    }
  }

  const handler: ChangeHandler = async (entries, trx, read) => {
    const live = await loadSpecs(trx);
    const rows: OutboxInsert[] = [];
    for (const entry of entries) {
      if (entry.resourceType === 'Subscription') {
        const spec = live.get(entry.id);
        // A new topic-based subscription gets its handshake; status turns active once it is delivered.
        if (spec?.style === 'topic' && spec.status === 'requested' && entry.operation !== 'delete') {
          rows.push(notificationRow(spec, subscriptionKey(spec.id, 'handshake', entry.versionId), 'handshake', 0, [], 'requested'));
        }
        continue;
      }
      if (live.size === 0) continue;
      let change: OutboundChange | undefined;
      for (const spec of live.values()) {
        if (spec.status === 'requested' && spec.style === 'classic') continue;
        change ??= await loadChange(entry, read);
        if (!change || !(await matchesSpec(trx, spec, change))) continue;
        const n = await nextEventNumbers(trx, spec.id, 1);
        const event: NotificationEvent = { number: n, timestamp: entry.changedAt.toISOString(), focus: `${entry.resourceType}/${entry.id}`, operation: entry.operation, resource: change.resource as Resource };
        rows.push({ ...notificationRow(spec, subscriptionKey(spec.id, 'event', n), 'event-notification', n, [event], spec.status), versionId: entry.versionId, changeSeq: entry.seq, committedAt: entry.changedAt });
      }
    }
    if (entries.some((e) => e.resourceType === 'Subscription')) specs = live;
    return rows;
  };

  async function setStatus(id: string, status: Subscription['status'], error?: string): Promise<void> {
    const current = await o.store.readOrUndefined<Subscription>('Subscription', id);
    if (!current || current.status === status || current.status === 'off') return;
    const next: Subscription = { ...current, status, ...(error ? { error } : {}) };
    if (!error) delete next.error;
    await o.store.update(next, { source: { kind: 'subscription', destination: `${SUBSCRIPTION_DESTINATION_PREFIX}${id}` } });
    o.logger.info({ subscription: id, status }, 'subscription status changed');
    await refresh();
  }

  async function refresh(): Promise<void> {
    specs = await loadSpecs(o.db);
  }

  return {
    handler,
    refresh,
    find: (id) => specs.get(id),
    destinations: () => [...specs.values()].map(destinationFor),
    async onSettled(message, outcome, settlement) {
      if (!message.destination.startsWith(SUBSCRIPTION_DESTINATION_PREFIX)) return;
      const id = message.destination.slice(SUBSCRIPTION_DESTINATION_PREFIX.length);
      const ok = settlement === 'delivered';
      const failures = await recordSubscriptionAttempt(o.db, id, ok, outcome.kind === 'delivered' ? undefined : outcome.error);
      const status = specs.get(id)?.status;
      if (ok && (status === 'error' || status === 'requested')) await setStatus(id, 'active');
      else if (!ok && failures >= errorAfter && status !== 'error') await setStatus(id, 'error', `endpoint failing: ${outcome.kind === 'delivered' ? '' : outcome.error}`);
    },
    async heartbeat() {
      await refresh();
      // Classic R4 subscriptions have no handshake: the server activates them.
      for (const spec of specs.values()) if (spec.style === 'classic' && spec.status === 'requested') await setStatus(spec.id, 'active');
      const now = o.clock.now().getTime();
      const rows: OutboxInsert[] = [];
      for (const spec of specs.values()) {
        if (spec.style !== 'topic' || !spec.heartbeatSeconds || spec.status !== 'active') continue;
        const bucket = Math.floor(now / (spec.heartbeatSeconds * 1000));
        const { rows: st } = await sql<{ n: number }>`select events_since_start as n from outbound_subscription where id = ${spec.id}`.execute(o.db);
        // The bucket in the key makes two processes' heartbeats for one period the same row.
        rows.push(notificationRow(spec, subscriptionKey(spec.id, 'heartbeat', bucket), 'heartbeat', st[0]?.n ?? 0, [], spec.status));
      }
      const added = rows.length ? await enqueueOutbound(o.db, rows) : 0;
      if (added) o.wake?.();
      return added;
    },
  };
}
