/** @module Shapes shared by the outbox, the workers and the channels. */

export const OUTBOX_STATUSES = ['pending', 'in_flight', 'delivered', 'dead'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/** What a channel sends: an HTTP request body or an HL7 v2 message. Stored as jsonb on the row. */
export type OutboundPayload =
  | { readonly kind: 'http'; readonly method?: 'POST' | 'PUT'; readonly path?: string; readonly contentType: string; readonly body: string; readonly headers?: Readonly<Record<string, string>> }
  | { readonly kind: 'hl7v2'; readonly message: string; readonly controlId: string };

/** A row to put in the outbox (see `enqueueOutbound`). */
export interface OutboxInsert {
  readonly destination: string;
  /** Rows with the same key to the same destination are delivered strictly in id order (usually `Patient/<id>`). */
  readonly orderingKey: string;
  /** Stable for the change + rule + destination: a re-run of the consumer cannot add a second row, and receivers dedupe on it. */
  readonly idempotencyKey: string;
  readonly payload: OutboundPayload;
  readonly rule?: string;
  readonly resourceType?: string;
  readonly resourceId?: string;
  readonly versionId?: number;
  readonly changeSeq?: number;
  /** When the change that caused this row was committed (for commit → delivery lag). */
  readonly committedAt?: Date;
  /** Set when the row cannot be sent at all (its payload failed to build): stored dead, visible to the admin. */
  readonly deadReason?: string;
}

/** A claimed row, handed to a channel. */
export interface OutboxMessage {
  readonly id: number;
  readonly destination: string;
  readonly orderingKey: string;
  readonly idempotencyKey: string;
  readonly payload: OutboundPayload;
  readonly rule?: string;
  readonly resourceType?: string;
  readonly resourceId?: string;
  /** 1 on the first try. */
  readonly attempt: number;
  readonly createdAt: Date;
  readonly committedAt?: Date;
}

/** What one delivery attempt came to. */
export type DeliveryOutcome =
  | { readonly kind: 'delivered'; readonly status?: number }
  /** Transient (5xx, 408, 429, network, timeout, AE when configured): retried with backoff. */
  | { readonly kind: 'retry'; readonly error: string; readonly status?: number; readonly response?: string; readonly retryAfterMs?: number }
  /** Permanent (4xx, AR): dead-lettered at once with the response. */
  | { readonly kind: 'reject'; readonly error: string; readonly status?: number; readonly response?: string };

/** One row as the admin API and CLI show it (no payload: it carries patient data). */
export interface OutboxRowSummary {
  readonly id: number;
  readonly destination: string;
  readonly status: OutboxStatus;
  readonly orderingKey: string;
  readonly idempotencyKey: string;
  readonly rule?: string;
  readonly resource?: string;
  readonly attempts: number;
  readonly lastError?: string;
  readonly lastStatus?: number;
  readonly createdAt: string;
  readonly nextAttemptAt: string;
}
