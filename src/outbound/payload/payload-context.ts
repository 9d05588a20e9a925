/** @module What a payload builder gets: the change, the rule, and a reader for referenced resources. */
import type { Resource } from 'fhir/r4.js';
import type { OutboundRule } from '../rules/rule-types.js';

export interface OutboundChange {
  readonly seq: number;
  readonly resourceType: string;
  readonly id: string;
  readonly versionId: number;
  readonly operation: 'create' | 'update' | 'delete';
  readonly changedAt: Date;
  readonly source?: { kind: string; clientId?: string; sender?: string; destination?: string; controlId?: string };
  /** The version written (for a delete: the last version before it). */
  readonly resource: Resource;
  /** The version before this one, when there is one. */
  readonly previous?: Resource;
}

export interface PayloadContext {
  readonly change: OutboundChange;
  readonly rule: OutboundRule;
  /** Idempotency key of the outbox row (CloudEvents id, MSH-10 seed). */
  readonly key: string;
  /** Reads a referenced resource ('Patient/123') inside the consumer's transaction. */
  resolve(reference: string): Promise<Resource | undefined>;
}
