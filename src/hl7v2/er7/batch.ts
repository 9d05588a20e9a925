/**
 * @module parseBatch: FHS/BHS…BTS/FTS batch files (HL7 v2 ch. 2.10.3) and plain streams of
 * messages. Each message is parsed (and, for bytes, decoded by its own MSH-18) on its own, so one
 * bad message yields one error and the rest still arrive.
 */
import { CarebridgeError } from '../../errors/index.js';
import { DEFAULT_DELIMITERS, readDelimiters } from './delimiters.js';
import type { Er7Message } from './message.js';
import { parseMessage } from './parse-message.js';
import { Er7Segment } from './segment.js';
import type { Delimiters, Hl7Message, Hl7Segment, ParseOptions } from './types.js';

export interface BatchItem {
  /** 1-based position of the message in the input. */
  readonly index: number;
  /** The message as received (bytes when the input was bytes), for keeping a rejected one. */
  readonly raw: string | Uint8Array;
  readonly message?: Er7Message;
  readonly error?: CarebridgeError;
}

export interface BatchEnvelope {
  readonly fhs?: Hl7Segment;
  readonly bhs: Hl7Segment[];
  readonly bts: Hl7Segment[];
  readonly fts?: Hl7Segment;
}

export interface BatchResult {
  readonly messages: Hl7Message[];
  /** Per-message errors (diagnostics name the message number) and envelope problems. */
  readonly errors: CarebridgeError[];
  readonly items: BatchItem[];
  readonly envelope: BatchEnvelope;
}

const MARKERS = new Set(['MSH', 'FHS', 'BHS', 'BTS', 'FTS']);

interface Marker { readonly pos: number; readonly kind: string }

/** Positions of lines that start with MSH/FHS/BHS/BTS/FTS followed by a non-alphanumeric character. */
function findMarkers(text: string, from: number): Marker[] {
  const out: Marker[] = [];
  let pos = from;
  // Next CR / LF positions, re-searched only once passed: one indexOf per terminator per line would
  // rescan to the end of the input for a file that uses only the other one (quadratic).
  let cr = text.indexOf('\r', pos);
  let lf = text.indexOf('\n', pos);
  while (pos < text.length) {
    let lineStart = pos;
    if (out.length === 0) while (lineStart < text.length && (text.charCodeAt(lineStart) <= 0x20 || text.charCodeAt(lineStart) === 0xfeff)) lineStart++;
    const kind = text.slice(lineStart, lineStart + 3);
    const next = text.charCodeAt(lineStart + 3);
    if (MARKERS.has(kind) && !(next >= 0x30 && next <= 0x39) && !(next >= 0x41 && next <= 0x5a) && !(next >= 0x61 && next <= 0x7a)) {
      out.push({ pos: lineStart, kind });
    }
    if (cr >= 0 && cr < lineStart) cr = text.indexOf('\r', lineStart);
    if (lf >= 0 && lf < lineStart) lf = text.indexOf('\n', lineStart);
    const end = cr < 0 ? lf : lf < 0 ? cr : Math.min(cr, lf);
    if (end < 0) break;
    pos = end + 1;
  }
  return out;
}

function lineEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length && text.charCodeAt(i) !== 13 && text.charCodeAt(i) !== 10) i++;
  return i;
}

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x20 && c !== 0x7f && c !== 0xfeff) return false;
  }
  return true;
}

function batchError(code: 'CB_ERR_HL7_PARSE' | 'CB_ERR_HL7_NO_MSH', diagnostics: string, location: string): CarebridgeError {
  return new CarebridgeError(code, diagnostics, { details: [{ location, diagnostics }] });
}

export function parseBatch(input: string | Uint8Array, o: ParseOptions = {}): BatchResult {
  const isBytes = typeof input !== 'string';
  // latin1 maps byte i to char i, so offsets found in the text are byte offsets too.
  const text = isBytes ? Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('latin1') : input;
  const bom = text.startsWith('\u00ef\u00bb\u00bf') ? 3 : text.startsWith('\ufeff') ? 1 : 0;
  const markers = findMarkers(text, bom);
  const items: BatchItem[] = [];
  const errors: CarebridgeError[] = [];
  const bhs: Hl7Segment[] = [];
  const bts: Hl7Segment[] = [];
  let fhs: Hl7Segment | undefined;
  let fts: Hl7Segment | undefined;
  let envelopeDelims: Delimiters = DEFAULT_DELIMITERS;
  let inBatch = 0;
  const slice = (s: number, e: number): string | Uint8Array => (isBytes ? (input as Uint8Array).subarray(s, e) : text.slice(s, e));

  const head = text.slice(bom, markers[0]?.pos ?? text.length);
  if (!isBlank(head)) errors.push(batchError('CB_ERR_HL7_NO_MSH', markers.length === 0 ? 'Input holds no MSH segment' : 'Input has content before its first MSH/FHS/BHS segment', 'MSH^1'));
  else if (markers.length === 0) errors.push(batchError('CB_ERR_HL7_NO_MSH', 'Input is empty', 'MSH^1'));

  for (let m = 0; m < markers.length; m++) {
    const { pos, kind } = markers[m]!;
    const end = markers[m + 1]?.pos ?? text.length;
    if (kind === 'MSH') {
      const raw = slice(pos, end);
      const index = items.length + 1;
      try {
        items.push({ index, raw, message: parseMessage(raw, o) });
        inBatch++;
      } catch (e) {
        const err = e instanceof CarebridgeError ? e : new CarebridgeError('CB_ERR_HL7_PARSE', 'Message could not be parsed', { cause: e });
        const wrapped = new CarebridgeError(err.code, `Message ${index} of the batch: ${err.message}`, { details: err.details, cause: err });
        items.push({ index, raw, error: wrapped });
        errors.push(wrapped);
        inBatch++;
      }
      continue;
    }
    const le = lineEnd(text, pos);
    const line = isBytes ? Buffer.from(input.buffer, input.byteOffset + pos, le - pos).toString('utf8') : text.slice(pos, le);
    if (!isBlank(text.slice(le, end))) errors.push(batchError('CB_ERR_HL7_PARSE', `Unexpected content after the ${kind} segment`, `${kind}^1`));
    try {
      if (kind === 'FHS' || kind === 'BHS') envelopeDelims = readDelimiters(line, 0, kind);
      const seg = new Er7Segment(kind, line, { delimiters: envelopeDelims, escapes: o.escapes ?? 'decode', hexCharset: 'utf-8' });
      if (kind === 'FHS') fhs = seg;
      else if (kind === 'FTS') fts = seg;
      else if (kind === 'BHS') {
        bhs.push(seg);
        inBatch = 0;
      } else {
        bts.push(seg);
        const declared = seg.get('1');
        if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) !== inBatch) {
          errors.push(batchError('CB_ERR_HL7_PARSE', `BTS-1 declares ${declared} messages but the batch holds ${inBatch}`, `BTS^${bts.length}^1`));
        }
      }
    } catch (e) {
      if (e instanceof CarebridgeError) errors.push(e);
      else throw e;
    }
  }
  if (fts) {
    const declared = fts.get('1');
    if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) !== bhs.length) {
      errors.push(batchError('CB_ERR_HL7_PARSE', `FTS-1 declares ${declared} batches but the file holds ${bhs.length}`, 'FTS^1^1'));
    }
  }
  const messages = items.flatMap((i) => (i.message ? [i.message] : []));
  return { messages, errors, items, envelope: { fhs, bhs, bts, fts } };
}
