/** @module parseMessage: one ER7 message (string or bytes) → Er7Message, or a CarebridgeError. */
import { CarebridgeError } from '../../errors/index.js';
import { charsetLabel, decodeBytes, readMsh18 } from './charset.js';
import { DEFAULT_DELIMITERS, readDelimiters } from './delimiters.js';
import { Er7Message, readHeader } from './message.js';
import { Er7Segment, type DecodeContext } from './segment.js';
import { splitSegments } from './split-segments.js';
import type { Delimiters, MshHeader, ParseOptions } from './types.js';

type MutableContext = { -readonly [K in keyof DecodeContext]: DecodeContext[K] };

export const DEFAULT_CHARSET = 'UNICODE UTF-8';

/** Bytes → text by MSH-18, the per-sender override (`o.charset`) or the default. */
export function decodeMessageBytes(bytes: Uint8Array, o: ParseOptions = {}): { text: string; label: string } {
  const declared = o.charset ?? readMsh18(bytes);
  const text = decodeBytes(bytes, declared, o.defaultCharset ?? DEFAULT_CHARSET);
  return { text, label: charsetLabel(declared || (o.defaultCharset ?? DEFAULT_CHARSET)) ?? 'utf-8' };
}

/** Offset of the first character after BOM, whitespace and control bytes (e.g. MLLP start block). */
export function skipLeadingJunk(text: string): number {
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c > 0x20 && c !== 0x7f && c !== 0xfeff) break;
    i++;
  }
  return i;
}

function fail(code: 'CB_ERR_HL7_PARSE' | 'CB_ERR_HL7_NO_MSH' | 'CB_ERR_HL7_REQUIRED_FIELD', diagnostics: string, location?: string): never {
  throw new CarebridgeError(code, diagnostics, { details: [{ location, diagnostics }] });
}

/**
 * Parses one message. Throws CarebridgeError: CB_ERR_HL7_NO_MSH (does not start with MSH),
 * CB_ERR_HL7_PARSE (bad delimiters, several messages, batch envelope), CB_ERR_HL7_REQUIRED_FIELD
 * (empty MSH-9 or MSH-10), CB_ERR_HL7_CHARSET (bytes that the charset cannot represent).
 */
export function parseMessage(input: string | Uint8Array, o: ParseOptions = {}): Er7Message {
  if (typeof input === 'string') return parseText(input, o, undefined);
  const { text, label } = decodeMessageBytes(input, o);
  return parseText(text, o, label);
}

function parseText(text: string, o: ParseOptions, hexLabel: string | undefined): Er7Message {
  const start = skipLeadingJunk(text);
  if (!text.startsWith('MSH', start)) {
    const head = text.slice(start, start + 3);
    if (head === 'FHS' || head === 'BHS') fail('CB_ERR_HL7_PARSE', `Input is a batch (${head}); it must be read with parseBatch`, `${head}^1`);
    fail('CB_ERR_HL7_NO_MSH', start >= text.length ? 'Message is empty' : 'Message does not start with an MSH segment', 'MSH^1');
  }
  const delimiters = readDelimiters(text, start);
  const ctx: MutableContext = { delimiters, escapes: o.escapes ?? 'decode', hexCharset: hexLabel ?? 'utf-8' };
  const split = splitSegments(start === 0 ? text : text.slice(start), delimiters.field);
  const segments: Er7Segment[] = new Array(split.segments.length);
  for (let i = 0; i < split.segments.length; i++) {
    const raw = split.segments[i]!;
    let name = raw.slice(0, 3);
    if (raw.charCodeAt(0) > 0x5a || raw.charCodeAt(1) > 0x5a || raw.charCodeAt(2) > 0x5a) name = name.toUpperCase();
    if (name === 'MSH' && i > 0) {
      fail('CB_ERR_HL7_PARSE', `A second MSH segment (segment ${i + 1}): the input holds several messages; read it with parseBatch`, `MSH^2`);
    }
    segments[i] = new Er7Segment(name, raw, ctx);
  }
  const msh = segments[0]!;
  if (hexLabel === undefined) {
    const declared = msh.rawField(18).split(delimiters.repetition)[0] ?? '';
    ctx.hexCharset = charsetLabel(o.charset ?? declared) ?? 'utf-8';
  }
  const header = readHeader(msh);
  if (o.requireHeaderFields === false) return new Er7Message(segments, delimiters, header, split.trailingTerminator);
  if (header.messageType === '') fail('CB_ERR_HL7_REQUIRED_FIELD', 'MSH-9 (message type) is empty', 'MSH^1^9');
  if (header.controlId === '') fail('CB_ERR_HL7_REQUIRED_FIELD', 'MSH-10 (message control id) is empty', 'MSH^1^10');
  return new Er7Message(segments, delimiters, header, split.trailingTerminator);
}

const EMPTY_HEADER: MshHeader = Object.freeze({
  sendingApplication: '', sendingFacility: '', receivingApplication: '', receivingFacility: '', dateTime: '',
  messageType: '', triggerEvent: '', messageStructure: '', controlId: '', processingId: '', version: '',
  acceptAckType: '', applicationAckType: '', charset: '',
});

/**
 * Best-effort MSH header of input that may not parse (to address an AR/AE ACK and to index a
 * rejected message). Never throws; fields it cannot read are ''.
 */
export function peekHeader(input: string | Uint8Array): { header: MshHeader; delimiters: Delimiters } {
  try {
    const text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, Math.min(input.byteLength, 64 * 1024)).toString('latin1');
    const start = text.indexOf('MSH');
    if (start < 0) return { header: EMPTY_HEADER, delimiters: DEFAULT_DELIMITERS };
    let delimiters: Delimiters = DEFAULT_DELIMITERS;
    try {
      delimiters = readDelimiters(text, start);
    } catch {
      delimiters = { ...DEFAULT_DELIMITERS, field: text.charAt(start + 3) || '|' };
    }
    let end = start;
    while (end < text.length && text.charCodeAt(end) !== 13 && text.charCodeAt(end) !== 10) end++;
    const ctx: DecodeContext = { delimiters, escapes: 'decode', hexCharset: 'utf-8' };
    return { header: readHeader(new Er7Segment('MSH', text.slice(start, end), ctx)), delimiters };
  } catch {
    return { header: EMPTY_HEADER, delimiters: DEFAULT_DELIMITERS };
  }
}
