/**
 * @module The `Channel` interface every transport implements (webhook, FHIR REST, CRM, MLLP), and
 * the destination record the workers run with.
 *
 * ```ts
 * const channel: Channel = createWebhookChannel({ url, secret });
 * const outcome = await channel.send(message, AbortSignal.timeout(10_000));
 * ```
 */
import type { BackoffPolicy } from './backoff.js';
import type { CircuitPolicy } from './destination-state.js';
import type { DeliveryOutcome, OutboxMessage } from './types.js';

export interface Channel {
  /** 'webhook' | 'fhir-rest' | 'crm' | 'mllp' — for logs and the admin API. */
  readonly kind: string;
  /** One attempt for one message. Never throws for a delivery failure: it returns the outcome. */
  send(message: OutboxMessage, signal: AbortSignal): Promise<DeliveryOutcome>;
  /** Several messages in one request (CRM composite batches); outcomes in the same order. */
  sendBatch?(messages: readonly OutboxMessage[], signal: AbortSignal): Promise<DeliveryOutcome[]>;
  /** Frees sockets (MLLP connections). */
  close?(): Promise<void>;
}

export interface Destination {
  readonly name: string;
  readonly channel: Channel;
  /** Messages in flight at once per process. */
  readonly concurrency: number;
  /** Attempts per second per process (0 = unlimited). */
  readonly ratePerSecond: number;
  /** Messages per `sendBatch` call (1 = no batching). */
  readonly batchSize: number;
  /** Attempts before a retryable failure is dead-lettered. */
  readonly maxAttempts: number;
  /** Per-attempt time limit. */
  readonly timeoutMs: number;
  readonly backoff: BackoffPolicy;
  readonly circuit: CircuitPolicy;
}
