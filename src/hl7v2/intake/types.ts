/** @module The intake ↔ mapping contract (CONTRACTS §5). */
import type { AnyDb } from '../../db/index.js';
import type { Hl7Message } from '../er7/index.js';

export interface InboxMessage {
  readonly id: string;
  readonly receivedAt: Date;
  /** 'APP|FACILITY' */
  readonly sender: string;
  readonly controlId: string;
  readonly messageType: string;
  readonly triggerEvent: string;
  readonly version: string;
  readonly peer?: string;
  readonly patientKey?: string;
}

export type ProcessOutcome =
  | { readonly status: 'processed'; readonly resources: ReadonlyArray<{ readonly resourceType: string; readonly id: string; readonly versionId?: string }> }
  | { readonly status: 'unmapped'; readonly reason: string };

/**
 * Where a processor writes: the database transaction that also records the message as processed,
 * so a crash can never leave a message's effects committed while the inbox still says `received`
 * (which would make it run twice). On PGlite this is the only connection: use it, not another handle.
 */
export interface ProcessContext {
  readonly db: AnyDb;
}

/** Turns one inbox message into FHIR writes. Throw a CarebridgeError to fail it (retried when its code is retryable). */
export interface MessageProcessor {
  process(message: Hl7Message, inbox: InboxMessage, context: ProcessContext): Promise<ProcessOutcome>;
}

/** Until the mapping room's processor is wired in, every message is marked unmapped. */
export const unmappedProcessor: MessageProcessor = {
  async process(message) {
    return { status: 'unmapped', reason: `no mapping configured for ${message.header.messageType}^${message.header.triggerEvent}` };
  },
};
