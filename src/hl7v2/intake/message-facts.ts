/**
 * @module The facts intake stores beside the raw bytes: MSH header fields (HL7 v2 ch. 2.14.9), the
 * patient key from PID-3, and — when the message cannot be parsed — whatever of MSH can still be
 * read, so the ACK mirrors the sender and the row can be found.
 */
import type { Hl7Message, MshHeader } from '../er7/index.js';

/** `authority|id` from PID-3 (first repetition: CX.1 and CX.4), for per-patient ordering and search. */
export function patientKeyOf(message: Hl7Message): string | undefined {
  const id = message.get('PID-3[1].1');
  if (!id) return undefined;
  const authority = message.get('PID-3[1].4.1') ?? message.get('PID-3[1].4.2') ?? '';
  return `${authority}|${id}`;
}

/** 'APP|FACILITY' — the sender as the contracts name it. */
export function senderOf(header: Partial<MshHeader>): string {
  return `${header.sendingApplication ?? ''}|${header.sendingFacility ?? ''}`;
}

/** Best-effort MSH facts from a message that failed to parse. */
export function salvageHeader(text: string): Partial<MshHeader> {
  const at = text.indexOf('MSH');
  if (at < 0) return {};
  const line = text.slice(at).split(/\r\n|\r|\n/)[0]!;
  const sep = line.charAt(3);
  if (!sep || /[A-Za-z0-9\s]/.test(sep)) return {};
  const f = line.split(sep);
  const first = (v: string | undefined) => (v ?? '').split(/[\^~&\\]/)[0]!.slice(0, 200);
  return {
    sendingApplication: first(f[2]),
    sendingFacility: first(f[3]),
    receivingApplication: first(f[4]),
    receivingFacility: first(f[5]),
    dateTime: first(f[6]),
    messageType: first(f[8]),
    triggerEvent: first((f[8] ?? '').split('^')[1]),
    controlId: (f[9] ?? '').slice(0, 200),
    processingId: first(f[10]),
    version: first(f[11]),
    acceptAckType: first(f[14]),
    applicationAckType: first(f[15]),
  };
}
