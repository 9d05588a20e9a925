/**
 * @module Writing ER7 from values (our own messages: ACKs, outbound). Every leaf is escaped, so
 * serializing a parsed message's `fields` and parsing the result gives the same structure back.
 */
import { DEFAULT_DELIMITERS, encodingCharacters } from './delimiters.js';
import { encodeEscapes } from './escape.js';
import { isHeaderSegment } from './segment.js';
import type { Delimiters, Hl7Field } from './types.js';

/**
 * A field to write: a plain string (one value), or the parsed shape (repetitions → components →
 * sub-components). `undefined`/'' leave the field empty; trailing `undefined` fields are not written.
 */
export type FieldValue = string | undefined | Hl7Field;

function encodeField(value: FieldValue, d: Delimiters): string {
  if (value === undefined || value === '') return '';
  if (typeof value === 'string') return encodeEscapes(value, d);
  return value
    .map((rep) => rep.map((comp) => comp.map((sub) => encodeEscapes(sub, d)).join(d.subcomponent)).join(d.component))
    .join(d.repetition);
}

/**
 * One segment. `fields[n]` is field n (HL7 numbering; index 0 is ignored). For MSH/FHS/BHS,
 * fields 1 and 2 are always written from the delimiters.
 */
export function serializeSegment(name: string, fields: readonly FieldValue[], d: Delimiters = DEFAULT_DELIMITERS): string {
  const header = isHeaderSegment(name);
  let out = header ? name + d.field + encodingCharacters(d) : name;
  let last = fields.length - 1;
  // Only undefined tail fields are dropped: explicit empties are kept, so parsed fields round-trip.
  while (last > (header ? 2 : 0) && fields[last] === undefined) last--;
  for (let n = header ? 3 : 1; n <= last; n++) out += d.field + encodeField(fields[n], d);
  return out;
}

/** Segments joined by CR, with a trailing CR. */
export function serializeMessage(segments: ReadonlyArray<{ readonly name: string; readonly fields: readonly FieldValue[] }>, d: Delimiters = DEFAULT_DELIMITERS): string {
  let out = '';
  for (const s of segments) out += serializeSegment(s.name, s.fields, d) + '\r';
  return out;
}
