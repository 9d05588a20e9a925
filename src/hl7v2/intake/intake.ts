/**
 * @module Receiving one message, the promise an ACK makes: parse → store (group commit) → ACK.
 *
 * - AA/CA leaves only after the row is committed; when the database fails the answer is AR/CR.
 * - A malformed message is stored as failed (for inspection) and answered AR/AE with ERR.
 * - A re-send (same sender + MSH-10 within the dedup window) gets the original ACK again.
 * - Senders on "ACK after processing", and enhanced-mode messages asking for an application ACK,
 *   are processed inline before the (application) ACK is sent, on the same connection.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { AnyDb } from '../../db/index.js';
import { CarebridgeError, normalizeError } from '../../errors/index.js';
import type { Logger } from '../../logging/index.js';
import type { Metrics } from '../../metrics/index.js';
import { parseMessage, type Hl7Message, type MshHeader } from '../er7/index.js';
import { ackCodeOf, buildIntakeAck, headerOf, type AckCode } from './ack.js';
import { createInboxWriter, dedupKeyOf, type NewInboxRow, type StoredRow } from './inbox-writer.js';
import { patientKeyOf, salvageHeader, senderOf, sniffSender } from './message-facts.js';
import { processRow, type ProcessingDeps } from './processing.js';
import { inboxDb } from './schema.js';
import type { SenderDirectory } from './senders.js';

export type Transport = 'mllp' | 'http' | 'file';

export interface ReceiveContext {
  readonly transport: Transport;
  /** `address:port` for the record. */
  readonly peer?: string;
  /** IP only, for the allowlist. */
  readonly remoteAddress?: string;
  /** performance.now() when the message arrived (ACK latency metric). */
  readonly startedAt?: number;
}

/** Called with each ACK to send, in order (a commit ACK, then maybe an application ACK). */
export type SendAck = (ack: string) => void;

export interface IntakeDeps extends ProcessingDeps {
  readonly senders: SenderDirectory;
  readonly maxBatch?: number;
  /** How long an inline (ACK-after-processing) claim lasts. */
  readonly inlineLeaseMs?: number;
  /** Called after rows were committed (wakes the worker). */
  readonly onStored?: () => void;
}

export interface ReceiveResult {
  readonly inboxId?: number;
  readonly duplicate: boolean;
  readonly ackCodes: string[];
}

const DB_WAIT_FOR_ACK_MS = 30_000;

export class Intake {
  readonly #deps: IntakeDeps;
  readonly #writer;
  #stopping = false;

  constructor(deps: IntakeDeps) {
    this.#deps = deps;
    this.#writer = createInboxWriter(deps.db, { maxBatch: deps.maxBatch });
  }

  get db(): AnyDb {
    return this.#deps.db;
  }

  /** Refuse new messages (AR/CR "shutting down") and wait for the writes in flight. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#writer.idle();
  }

  async receive(raw: Buffer, context: ReceiveContext, send: SendAck): Promise<ReceiveResult> {
    const { logger, metrics } = this.#deps;
    const startedAt = context.startedAt ?? performance.now();
    const codes: string[] = [];
    const reply = (ack: string, code: string) => {
      codes.push(code);
      send(ack);
      metrics?.ackSent.inc({ code });
      metrics?.ackLatency.observe({ transport: context.transport }, (performance.now() - startedAt) / 1000);
    };

    let message: Hl7Message | undefined;
    let target: MshHeader;
    let error: CarebridgeError | undefined;
    // The sender decides the charset override, so it is read before the real parse (MSH is ASCII).
    const sniffed = sniffSender(raw);
    const policy = this.#deps.senders.policyFor(sniffed.sendingApplication, sniffed.sendingFacility, context.remoteAddress);
    try {
      message = parseMessage(raw, { charset: policy?.charset });
      target = message.header;
    } catch (err) {
      error = normalizeError(err);
      target = headerOf(salvageHeader(raw.subarray(0, 4096).toString('latin1')));
    }
    const ackFor: Hl7Message | MshHeader = message ?? target;
    const enhanced = Boolean(target.acceptAckType || target.applicationAckType);
    const refuse = (code: 'AE' | 'AR', e: CarebridgeError) => {
      const sent: AckCode = enhanced ? (code === 'AE' ? 'CE' : 'CR') : code;
      reply(buildIntakeAck(ackFor, sent, { error: e }), sent);
    };

    if (this.#stopping) {
      refuse('AR', new CarebridgeError('CB_ERR_SHUTTING_DOWN'));
      return { duplicate: false, ackCodes: codes };
    }
    if (!policy) {
      logger.warn({ sender: senderOf(target), peer: context.remoteAddress, controlId: target.controlId }, 'message from a sender outside the allowlist refused');
      refuse('AR', new CarebridgeError('CB_ERR_AUTH_SENDER_NOT_ALLOWED', `Sender ${senderOf(target)} is not allowed from this peer`));
      return { duplicate: false, ackCodes: codes };
    }
    metrics?.messagesReceived.inc({ sender: target.sendingApplication, type: `${target.messageType}^${target.triggerEvent}` });

    const ackMode = policy.ackMode;
    const wantsInlineAppAck = enhanced && ['AL', 'ER', 'SU'].includes(target.applicationAckType);
    const inline = !error && (wantsInlineAppAck || (!enhanced && ackMode === 'process'));
    let commitCode: AckCode | undefined;
    if (error) commitCode = enhanced ? (error.kind.ack === 'AE' ? 'CE' : 'CR') : error.kind.ack;
    else if (enhanced) commitCode = 'CA';
    else if (ackMode === 'store') commitCode = 'AA';
    const commitAck = commitCode ? buildIntakeAck(ackFor, commitCode, { error }) : null;

    const row: NewInboxRow = {
      transport: context.transport,
      peer: context.peer ?? null,
      sender: senderOf(target),
      sendingApplication: target.sendingApplication,
      sendingFacility: target.sendingFacility,
      receivingApplication: target.receivingApplication,
      receivingFacility: target.receivingFacility,
      messageType: target.messageType,
      triggerEvent: target.triggerEvent,
      controlId: target.controlId,
      version: target.version,
      messageDateTime: target.dateTime,
      patientKey: message ? (patientKeyOf(message) ?? null) : null,
      status: error ? 'failed' : 'received',
      ackMode,
      acceptAckType: target.acceptAckType,
      appAckType: target.applicationAckType,
      ackCode: commitCode ?? null,
      ack: commitAck,
      errorCode: error?.code ?? null,
      error: error?.message ?? null,
      // Rejected messages are not deduplicated: a corrected re-send with the same MSH-10 must get in.
      dedupKey: error ? null : dedupKeyOf(target.sendingApplication, target.sendingFacility, target.controlId),
      raw,
      leaseMs: inline ? (this.#deps.inlineLeaseMs ?? 120_000) : 0,
    };

    let stored: StoredRow;
    try {
      stored = await this.#writer.submit(row);
    } catch (err) {
      const e = normalizeError(err);
      logger.error({ controlId: row.controlId, code: e.code, err: { message: (e.cause as Error | undefined)?.message ?? e.message } }, 'message not stored; answered with a reject');
      refuse('AR', e.code === 'CB_ERR_INTERNAL' ? new CarebridgeError('CB_ERR_DB_UNAVAILABLE', 'Message could not be stored; send it again later', { cause: err }) : e);
      return { duplicate: false, ackCodes: codes };
    }

    if (!stored.inserted) {
      const ack = stored.ack ?? (await this.#waitForAck(stored.id));
      logger.info({ inboxId: stored.id, controlId: row.controlId }, 'duplicate message: original ACK sent again');
      if (ack) reply(ack, ackCodeOf(ack));
      else refuse('AR', new CarebridgeError('CB_ERR_TIMEOUT', 'The original of this message is still being processed; send it again later'));
      return { inboxId: stored.id, duplicate: true, ackCodes: codes };
    }
    this.#deps.onStored?.();
    if (error) logger.warn({ inboxId: stored.id, controlId: row.controlId, code: error.code }, 'malformed message stored as failed');

    // A message we could not parse always gets its answer: its MSH-15 cannot be trusted to mean "no ACK".
    if (commitAck && commitCode && (error || shouldSendCommitAck(enhanced, row.acceptAckType, commitCode))) reply(commitAck, commitCode);
    if (inline) {
      try {
        const result = await this.#processInline(stored.id);
        const ack = result.ack ?? result.appAck;
        if (ack) reply(ack, ackCodeOf(ack));
      } catch (err) {
        // Stored but not processed: the lease runs out and a worker takes it; a re-send waits for that.
        logger.error({ inboxId: stored.id, controlId: row.controlId, err: { message: (err as Error).message } }, 'inline processing could not be recorded');
        if (!commitAck) refuse('AR', new CarebridgeError('CB_ERR_DB_UNAVAILABLE', 'Stored, but processing could not complete; send it again later for the verdict'));
      }
    }
    return { inboxId: stored.id, duplicate: false, ackCodes: codes };
  }

  async #processInline(id: number) {
    const row = await inboxDb(this.#deps.db).selectFrom('hl7_inbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    return processRow(this.#deps, { ...row, id: Number(row.id) }, { final: true });
  }

  /** A re-send of a message still processed inline elsewhere: wait for its ACK to be recorded. */
  async #waitForAck(id: number): Promise<string | undefined> {
    const deadline = Date.now() + DB_WAIT_FOR_ACK_MS;
    const idb = inboxDb(this.#deps.db);
    while (Date.now() < deadline) {
      await sleep(100);
      const row = await idb.selectFrom('hl7_inbox').select(['ack', 'app_ack', 'status']).where('id', '=', id).executeTakeFirst();
      if (row?.ack) return row.ack;
      if (row?.app_ack) return row.app_ack;
    }
    return undefined;
  }
}

/** MSH-15: AL (or empty) always, NE never, ER only on error, SU only on success. */
function shouldSendCommitAck(enhanced: boolean, acceptAckType: string, code: AckCode): boolean {
  if (!enhanced) return true;
  const ok = code === 'CA';
  switch (acceptAckType) {
    case 'NE':
      return false;
    case 'ER':
      return !ok;
    case 'SU':
      return ok;
    default:
      return true;
  }
}
