/**
 * @module Backport notification Bundles (type history; entry 0 = SubscriptionStatus Parameters):
 * https://hl7.org/fhir/uv/subscriptions-backport/STU1.1/notifications.html
 */
import type { Bundle, BundleEntry, Parameters, ParametersParameter, Resource } from 'fhir/r4.js';
import type { SubscriptionSpec } from './subscription-model.js';

export type NotificationType = 'handshake' | 'heartbeat' | 'event-notification' | 'query-status' | 'query-event';

export interface NotificationEvent {
  readonly number: number;
  readonly timestamp: string;
  readonly focus: string;
  readonly operation: 'create' | 'update' | 'delete';
  readonly resource?: Resource;
}

export function subscriptionStatus(spec: SubscriptionSpec, baseUrl: string, type: NotificationType, eventsSinceStart: number, status: string, events: readonly NotificationEvent[], error?: string): Parameters {
  const parameter: ParametersParameter[] = [
    { name: 'subscription', valueReference: { reference: `${baseUrl}/Subscription/${spec.id}` } },
    { name: 'topic', valueCanonical: spec.topic ?? spec.criteria?.type },
    { name: 'status', valueCode: status },
    { name: 'type', valueCode: type },
    { name: 'events-since-subscription-start', valueString: String(eventsSinceStart) },
    ...events.map((e): ParametersParameter => ({
      name: 'notification-event',
      part: [
        { name: 'event-number', valueString: String(e.number) },
        { name: 'timestamp', valueInstant: e.timestamp },
        ...(spec.payload === 'empty' ? [] : [{ name: 'focus', valueReference: { reference: `${baseUrl}/${e.focus}` } }]),
      ],
    })),
    ...(error ? [{ name: 'error', valueCodeableConcept: { text: error } }] : []),
  ];
  return { resourceType: 'Parameters', meta: { profile: ['http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/backport-subscription-status-r4'] }, parameter };
}

export function notificationBundle(spec: SubscriptionSpec, baseUrl: string, type: NotificationType, eventsSinceStart: number, status: string, events: readonly NotificationEvent[]): Bundle {
  const entries: BundleEntry[] = [{ fullUrl: `urn:uuid:status-${spec.id}-${eventsSinceStart}-${type}`, resource: subscriptionStatus(spec, baseUrl, type, eventsSinceStart, status, events) }];
  if (spec.payload !== 'empty') {
    for (const e of events) {
      const method = e.operation === 'create' ? 'POST' : e.operation === 'delete' ? 'DELETE' : 'PUT';
      entries.push({
        fullUrl: `${baseUrl}/${e.focus}`,
        ...(spec.payload === 'full-resource' && e.resource && e.operation !== 'delete' ? { resource: e.resource as BundleEntry['resource'] } : {}),
        request: { method, url: method === 'POST' ? e.focus.split('/')[0]! : e.focus },
        response: { status: e.operation === 'create' ? '201' : '200' },
      });
    }
  }
  return { resourceType: 'Bundle', type: 'history', timestamp: new Date().toISOString(), entry: entries };
}
