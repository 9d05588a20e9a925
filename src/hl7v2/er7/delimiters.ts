/** @module Reading the delimiters a message declares in MSH-1/MSH-2 (HL7 v2 ch. 2.5.4). */
import { CarebridgeError } from '../../errors/index.js';
import type { Delimiters } from './types.js';

export const DEFAULT_DELIMITERS: Delimiters = Object.freeze({ field: '|', component: '^', repetition: '~', escape: '\\', subcomponent: '&' });

function isDelimiterChar(c: string): boolean {
  const code = c.charCodeAt(0);
  // Letters, digits, whitespace and control characters can never be delimiters.
  if (code <= 0x20 || code === 0x7f) return false;
  if ((code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a)) return false;
  return true;
}

function parseError(diagnostics: string, location: string): CarebridgeError {
  return new CarebridgeError('CB_ERR_HL7_PARSE', diagnostics, { details: [{ location, diagnostics }] });
}

/**
 * Delimiters of the header segment (MSH, FHS or BHS) starting at `start` in `text`.
 * MSH-2 holds 4 encoding characters (component, repetition, escape, subcomponent), 5 from v2.7
 * (truncation). Throws CB_ERR_HL7_PARSE with an ERR-2 location when they are missing or unusable.
 */
export function readDelimiters(text: string, start = 0, segmentName = 'MSH'): Delimiters {
  // Nearly every sender uses the defaults: skip the checks (and the allocation) for them.
  if (text.startsWith('|^~\\&|', start + 3)) return DEFAULT_DELIMITERS;
  const field = text.charAt(start + 3);
  if (field === '' || !isDelimiterChar(field)) {
    return throwIt(parseError(`${segmentName}-1 (field separator) is missing or not a valid delimiter`, `${segmentName}^1^1`));
  }
  let end = start + 4;
  const max = Math.min(text.length, start + 10);
  while (end < max) {
    const c = text.charCodeAt(end);
    if (text[end] === field || c === 13 || c === 10) break;
    end++;
  }
  const enc = text.slice(start + 4, end);
  if (enc.length < 4 || enc.length > 5) {
    return throwIt(parseError(`${segmentName}-2 (encoding characters) must hold 4 or 5 characters, found ${enc.length}`, `${segmentName}^1^2`));
  }
  const seen = new Set<string>([field]);
  for (const c of enc) {
    if (!isDelimiterChar(c) || seen.has(c)) {
      return throwIt(parseError(`${segmentName}-2 (encoding characters) holds an invalid or repeated delimiter`, `${segmentName}^1^2`));
    }
    seen.add(c);
  }
  const d: Delimiters = { field, component: enc[0]!, repetition: enc[1]!, escape: enc[2]!, subcomponent: enc[3]! };
  return enc.length === 5 ? { ...d, truncation: enc[4]! } : d;
}

function throwIt(e: CarebridgeError): never {
  throw e;
}

/** MSH-2 as written from delimiters. */
export function encodingCharacters(d: Delimiters): string {
  return d.component + d.repetition + d.escape + d.subcomponent + (d.truncation ?? '');
}
