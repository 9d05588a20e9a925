/**
 * @module Splitting ER7 text into segment strings. Segment terminators may be CR (the standard),
 * LF, CRLF or a mix; empty lines are dropped; a line that does not start with a segment id is
 * text that belonged to the previous segment (an unescaped line break inside a field) and is
 * re-attached with its original line break, so nothing the sender wrote is lost; control-only
 * lines (MLLP framing bytes, NULs) are dropped.
 */

export interface SplitResult {
  /** Raw segment strings, no terminators. */
  readonly segments: string[];
  /** Whether the text ended with a segment terminator (kept for byte-exact output). */
  readonly trailingTerminator: boolean;
}

/** 'ABC' + field separator or end of line; letters are matched case-insensitively (vendor quirk). */
export function looksLikeSegment(line: string, fieldSep: string): boolean {
  if (line.length < 3) return false;
  if (line.length > 3 && line[3] !== fieldSep) return false;
  return isAlpha(line.charCodeAt(0)) && isAlnum(line.charCodeAt(1)) && isAlnum(line.charCodeAt(2));
}

function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function isAlnum(c: number): boolean {
  return isAlpha(c) || (c >= 0x30 && c <= 0x39);
}

/** True when the line holds only whitespace and control characters. */
function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c > 0x20 && c !== 0x7f && c !== 0xfeff) return false;
  }
  return true;
}

export function splitSegments(text: string, fieldSep: string): SplitResult {
  const last = text.charCodeAt(text.length - 1);
  const trailingTerminator = last === 13 || last === 10;
  const segments: string[] = [];
  // indexOf is much faster than a regex split; both terminators are tracked so CR, LF, CRLF and
  // mixed input take the same path.
  let pos = 0;
  let cr = text.indexOf('\r');
  let lf = text.indexOf('\n');
  let precedingBreak = '\r';
  while (pos <= text.length) {
    if (cr >= 0 && cr < pos) cr = text.indexOf('\r', pos);
    if (lf >= 0 && lf < pos) lf = text.indexOf('\n', pos);
    const end = cr < 0 ? (lf < 0 ? text.length : lf) : lf < 0 ? cr : Math.min(cr, lf);
    if (end > pos) addLine(segments, text.slice(pos, end), precedingBreak, fieldSep);
    if (end >= text.length) break;
    const breakLen = text.charCodeAt(end) === 13 && text.charCodeAt(end + 1) === 10 ? 2 : 1;
    precedingBreak = breakLen === 2 ? '\r\n' : text[end]!;
    pos = end + breakLen;
  }
  return { segments, trailingTerminator };
}

function addLine(segments: string[], line: string, precedingBreak: string, fieldSep: string): void {
  if (looksLikeSegment(line, fieldSep)) {
    segments.push(line);
    return;
  }
  if (isBlank(line) || segments.length === 0) return;
  segments[segments.length - 1] += precedingBreak + line;
}
