/**
 * @module Splits an upload (HTTP body or file) into the raw bytes of each message: a single
 * message, several concatenated messages, or a batch/file envelope (FHS/BHS … BTS/FTS, HL7 v2
 * ch. 2.10.3). Envelope segments are dropped; each message keeps its bytes exactly as received.
 */

export interface SplitUpload {
  readonly messages: Buffer[];
  /** True when the upload had an FHS/BHS envelope (answered with a batch ACK). */
  readonly batch: boolean;
}

const ENVELOPE = new Set(['FHS', 'BHS', 'BTS', 'FTS']);

export function splitUpload(body: Buffer): SplitUpload {
  // latin1 maps each byte to one char, so offsets in the text are offsets in the bytes.
  const text = body.toString('latin1');
  const messages: Buffer[] = [];
  let batch = false;
  let start = -1;
  let pos = 0;
  const close = (end: number) => {
    if (start >= 0) messages.push(body.subarray(start, end));
    start = -1;
  };
  // The next CR and LF are remembered and searched again only once passed (-1: none left), so an
  // upload with one kind of line end only is read once, not once per line.
  let nextCr = text.indexOf('\r');
  let nextLf = text.indexOf('\n');
  while (pos < text.length) {
    if (nextCr >= 0 && nextCr < pos) nextCr = text.indexOf('\r', pos);
    if (nextLf >= 0 && nextLf < pos) nextLf = text.indexOf('\n', pos);
    const end = nextCr < 0 ? nextLf : nextLf < 0 ? nextCr : Math.min(nextCr, nextLf);
    const lineEnd = end < 0 ? text.length : end;
    const name = text.slice(pos, pos + 3);
    if (name === 'MSH') {
      close(pos);
      start = pos;
    } else if (ENVELOPE.has(name) && (text.length === pos + 3 || !/[A-Za-z0-9]/.test(text.charAt(pos + 3)))) {
      batch = true;
      close(pos);
    } else if (start < 0 && text.slice(pos, lineEnd).trim() !== '') {
      // Text outside any message (no MSH before it): kept as its own message so it gets an answer.
      start = pos;
    }
    pos = lineEnd + 1;
  }
  close(text.length);
  return { messages: messages.map(trimTrailingBlank), batch };
}

function trimTrailingBlank(b: Buffer): Buffer {
  let end = b.length;
  while (end > 0 && (b[end - 1] === 0x0d || b[end - 1] === 0x0a || b[end - 1] === 0x20)) end--;
  // Keep one segment terminator: a message is segments each ended by CR.
  return end < b.length && b[end] === 0x0d ? b.subarray(0, end + 1) : b.subarray(0, end);
}
