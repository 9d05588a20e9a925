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
