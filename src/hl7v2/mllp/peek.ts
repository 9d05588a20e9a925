/**
 * @module Reads one field of one segment straight from ER7 text, without a full parse — enough for
 * the MLLP client to pair an ACK (MSA-2) with the message it answers (MSH-10). It scans to the
 * segment it needs and splits nothing else: the client calls it for every message and every ACK.
 */

/** Raw (still escaped) value of `segment`-`field` (HL7 numbering; MSH-1 is the separator). */
export function peekField(er7: string, segment: string, field: number): string | undefined {
  const msh = er7.indexOf('MSH');
  if (msh < 0) return undefined;
  const separator = er7[msh + 3];
  if (!separator) return undefined;
  const prefix = segment + separator;
  let start = 0;
  while (start < er7.length) {
    const end = lineEnd(er7, start);
    if (start + prefix.length <= end && er7.startsWith(prefix, start)) {
      if (segment === 'MSH' && field === 1) return separator;
      // MSH-1 is the separator itself, so MSH field n is the (n-1)-th piece after the name.
      const value = nthPiece(er7, start, end, separator, segment === 'MSH' ? field - 1 : field);
      if (value === undefined) return undefined;
      const component = er7[msh + 4];
      if (!component) return value;
      const cut = value.indexOf(component);
      return cut < 0 ? value : value.slice(0, cut);
    }
    start = end + 1;
  }
  return undefined;
}

function lineEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 13 || c === 10) return i;
  }
  return text.length;
}

/** Piece `index` (0 = segment name) of text[start, end) split by `separator`. */
function nthPiece(text: string, start: number, end: number, separator: string, index: number): string | undefined {
  let from = start;
  for (let k = 0; k < index; k++) {
    const next = text.indexOf(separator, from);
    if (next < 0 || next >= end) return undefined;
    from = next + 1;
  }
  const next = text.indexOf(separator, from);
  return text.slice(from, next < 0 || next >= end ? end : next);
}
