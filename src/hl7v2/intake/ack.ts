/**
 * @module The ACKs intake sends, built with the parser room's `buildAck` (MSH mirrored, MSA-2 =
 * MSH-10, ERR for every AE/AR/CE/CR). For a message that could not be parsed the ACK mirrors what
 * could be salvaged of its MSH.
 */
import { normalizeError } from '../../errors/index.js';
import { buildAck, type AckCode } from '../ack/index.js';
import type { Hl7Message, MshHeader } from '../er7/index.js';

export type { AckCode } from '../ack/index.js';

/** A complete MshHeader from whatever part of one is known. */
export function headerOf(partial: Partial<MshHeader>): MshHeader {
  return {
    sendingApplication: partial.sendingApplication ?? '',
    sendingFacility: partial.sendingFacility ?? '',
    receivingApplication: partial.receivingApplication ?? '',
    receivingFacility: partial.receivingFacility ?? '',
    dateTime: partial.dateTime ?? '',
    messageType: partial.messageType ?? '',
    triggerEvent: partial.triggerEvent ?? '',
    messageStructure: partial.messageStructure ?? '',
    controlId: partial.controlId ?? '',
    processingId: partial.processingId ?? '',
    version: partial.version ?? '',
    acceptAckType: partial.acceptAckType ?? '',
    applicationAckType: partial.applicationAckType ?? '',
    charset: partial.charset ?? '',
  };
}

export function buildIntakeAck(original: Hl7Message | MshHeader, code: AckCode, options: { error?: unknown } = {}): string {
  return buildAck(original, code, { error: options.error === undefined ? undefined : normalizeError(options.error) });
}

/** MSA-1 of an ACK. */
export function ackCodeOf(ack: string): string {
  return /(?:^|\r)MSA.(\w\w)/.exec(ack)?.[1] ?? '';
}
