/**
 * @module outbound — the room's door: the transactional outbox, delivery workers, channels
 * (webhook, FHIR REST, CRM, MLLP), outbound rules and FHIR Subscriptions.
 */
export { outboundMigrations } from './migrations.js';
export type { OutboxInsert, OutboxMessage, OutboundPayload, DeliveryOutcome, OutboxStatus, OutboxRowSummary } from './types.js';
export { enqueueOutbound, claimOutboxMessages, listOutboxMessages, replayDeadLetters, countByDestination, type DestinationCounts } from './outbox.js';
export { createDeliveryWorker, type DeliveryWorker, type DeliveryWorkerOptions, type Settlement } from './delivery-worker.js';
export type { Channel, Destination } from './channel.js';
export { defineDestination, DESTINATION_DEFAULTS, type DestinationSettings } from './destinations.js';
export { readDestinationStates, setPaused, type DestinationState, type CircuitPolicy } from './destination-state.js';
export { backoffDelay, type BackoffPolicy } from './backoff.js';
export { systemClock, type OutboundClock } from './clock.js';
export { createWebhookChannel, type WebhookChannelOptions } from './webhook/webhook-channel.js';
export { signPayload, verifySignature, SIGNATURE_HEADER, IDEMPOTENCY_HEADER } from './webhook/signature.js';
export { createFhirRestChannel, type FhirRestChannelOptions } from './fhir-rest/fhir-rest-channel.js';
export { createCrmChannel, CRM_MAX_SUBREQUESTS, type CrmChannelOptions } from './crm/crm-channel.js';
export { createMllpChannel, ackOutcome, type MllpChannelOptions } from './mllp/mllp-channel.js';
export { destinationFromSpec } from './channel-factory.js';
export { loadOutboundRules, compileFile, type RuleVariables } from './rules/rule-loader.js';
export { createRuleRegistry, type RuleRegistry } from './rules/rule-registry.js';
export type { OutboundRule, OutboundRuleSet, DestinationSpec, PayloadSpec } from './rules/rule-types.js';
export { consumeOutboundBatch, loadChange, type ChangeHandler, type VersionReader, type ConsumeChangeFeed } from './consumer.js';
export type { OutboundChange, PayloadContext } from './payload/payload-context.js';
export { crmSubrequests } from './payload/crm-payload.js';
export { siuPayload, siuTrigger } from './payload/siu-payload.js';
export { conditionalUrl } from './payload/fhir-rest-payload.js';
export { createOutboundService, type OutboundService, type OutboundServiceOptions, type DestinationStatus } from './outbound-service.js';
export { outboundAdminRoutes, type OutboundAdminOptions } from './admin-routes.js';
export { outboundCommand, progressBar, type OutboundCliDeps } from './cli.js';
export { subscriptionRoutes, type SubscriptionRoutesOptions } from './subscriptions/subscription-routes.js';
export { SUBSCRIPTION_TOPICS, TOPIC_BASE, type SubscriptionTopicDef } from './subscriptions/topics.js';
export { readSubscription, type SubscriptionSpec } from './subscriptions/subscription-model.js';
export type { SubscriptionService } from './subscriptions/subscription-service.js';
export { purgePatientOutbox, type OutboxErasureSubject } from './erasure.js';
