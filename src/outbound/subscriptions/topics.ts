/**
 * @module The SubscriptionTopics this server offers (canonical → trigger). A topic fires for a
 * resource type on the given operations when its FHIRPath holds (variables: %previous, %operation).
 */
import { compilePath, isTrue } from '../rules/fhirpath.js';
import type { OutboundChange } from '../payload/payload-context.js';

export interface SubscriptionTopicDef {
  readonly url: string;
  readonly title: string;
  readonly resourceType: string;
  readonly operations: ReadonlyArray<'create' | 'update' | 'delete'>;
  readonly fhirPath?: string;
}

export const TOPIC_BASE = 'http://carebridge.example.org/SubscriptionTopic';

export const SUBSCRIPTION_TOPICS: readonly SubscriptionTopicDef[] = [
  { url: `${TOPIC_BASE}/encounter-start`, title: 'Encounter started (admission)', resourceType: 'Encounter', operations: ['create', 'update'], fhirPath: "status = 'in-progress' and (%previous.status.exists().not() or %previous.status != 'in-progress')" },
  { url: `${TOPIC_BASE}/encounter-end`, title: 'Encounter finished (discharge)', resourceType: 'Encounter', operations: ['create', 'update'], fhirPath: "status = 'finished' and (%previous.status.exists().not() or %previous.status != 'finished')" },
  { url: `${TOPIC_BASE}/appointment-change`, title: 'Appointment booked, changed or cancelled', resourceType: 'Appointment', operations: ['create', 'update', 'delete'] },
  { url: `${TOPIC_BASE}/payment-posted`, title: 'Payment posted', resourceType: 'PaymentNotice', operations: ['create'] },
  { url: `${TOPIC_BASE}/communication-done`, title: 'Follow-up communication completed or not done', resourceType: 'Communication', operations: ['create', 'update'], fhirPath: "status in ('completed' | 'not-done')" },
  { url: `${TOPIC_BASE}/patient-change`, title: 'Patient created or updated', resourceType: 'Patient', operations: ['create', 'update'] },
];

const compiled = new Map(SUBSCRIPTION_TOPICS.filter((t) => t.fhirPath).map((t) => [t.url, compilePath(t.fhirPath!)]));

export function topicFires(topic: SubscriptionTopicDef, change: OutboundChange): boolean {
  if (topic.resourceType !== change.resourceType || !topic.operations.includes(change.operation)) return false;
  const fn = compiled.get(topic.url);
  return !fn || isTrue(fn(change.resource, { previous: change.previous ?? {}, operation: change.operation }));
}
