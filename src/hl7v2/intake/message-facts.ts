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

const MAX_SNIFF = 4096;

/**
 * MSH-3.1 and MSH-4.1 as `salvageHeader` reads them (first 4 KiB as latin1, first component cut
 * at any of ^~&\\), straight from the bytes: the per-sender policy is needed before the parse, for
 * every message, and this avoids splitting the whole MSH line.
 */
export function sniffSender(raw: Uint8Array): { sendingApplication: string; sendingFacility: string } {
  const end = Math.min(raw.length, MAX_SNIFF);
  let at = -1;
  for (let i = 0; i + 2 < end; i++) {
    if (raw[i] === 0x4d && raw[i + 1] === 0x53 && raw[i + 2] === 0x48) {
      at = i;
      break;
    }
  }
  if (at < 0 || at + 3 >= end) return { sendingApplication: '', sendingFacility: '' };
  const sep = raw[at + 3]!;
  if (isLineEnd(sep) || !isSeparatorByte(sep)) return { sendingApplication: '', sendingFacility: '' };
  // MSH-1 is the separator at at+3 and MSH-2 starts after it, so MSH-3 follows the next separator.
  const fieldStart = (from: number): number => {
    for (let i = from; i < end; i++) {
      const b = raw[i]!;
      if (isLineEnd(b)) return -1;
      if (b === sep) return i + 1;
    }
    return -1;
  };
  const firstComponent = (start: number): string => {
    if (start < 0) return '';
    let i = start;
    while (i < end && i - start < 200) {
      const b = raw[i]!;
      if (b === sep || isLineEnd(b) || b === 0x5e || b === 0x7e || b === 0x26 || b === 0x5c) break;
      i++;
    }
    return latin1(raw, start, i);
  };
  const f3 = fieldStart(at + 4);
  const f4 = f3 < 0 ? -1 : fieldStart(f3);
  return { sendingApplication: firstComponent(f3), sendingFacility: firstComponent(f4) };
}

function isLineEnd(b: number): boolean {
  return b === 13 || b === 10;
}

/** salvageHeader refuses letters, digits and whitespace as the field separator. */
function isSeparatorByte(b: number): boolean {
  return !((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x20 || (b >= 0x09 && b <= 0x0d) || b === 0xa0);
}

function latin1(raw: Uint8Array, from: number, to: number): string {
  let s = '';
  for (let i = from; i < to; i++) s += String.fromCharCode(raw[i]!);
  return s;
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
