/**
 * @module Reads one field of one segment straight from ER7 text, without a full parse — enough for
 * the MLLP client to pair an ACK (MSA-2) with the message it answers (MSH-10).
 */

/** Raw (still escaped) value of `segment`-`field` (HL7 numbering; MSH-1 is the separator). */
export function peekField(er7: string, segment: string, field: number): string | undefined {
  const separator = er7.startsWith('MSH') ? er7[3] : findSeparator(er7);
  if (!separator) return undefined;
  for (const line of er7.split(/\r\n|\r|\n/)) {
    if (!line.startsWith(segment + separator)) continue;
    const parts = line.split(separator);
    // MSH-1 is the separator itself, so MSH field n sits at parts[n - 1].
    const index = segment === 'MSH' ? field - 1 : field;
    if (segment === 'MSH' && field === 1) return separator;
    return firstComponent(parts[index], er7);
  }
  return undefined;
}

function findSeparator(er7: string): string | undefined {
  const at = er7.indexOf('MSH');
  return at >= 0 ? er7[at + 3] : undefined;
}

function firstComponent(value: string | undefined, er7: string): string | undefined {
  if (value === undefined) return undefined;
  const at = er7.indexOf('MSH');
  const component = at >= 0 ? er7[at + 4] : '^';
  return component ? value.split(component)[0] : value;
}
