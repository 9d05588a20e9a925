/**
 * @module Bytes → text. MSH-18 (HL7 table 0211) names the character set; it must be read from the
 * raw bytes before decoding, which works because MSH up to MSH-18 is ASCII in every set we accept.
 * A per-sender override wins over MSH-18; a default applies when MSH-18 is empty.
 */
import { CarebridgeError } from '../../errors/index.js';

/** Table 0211 names (and common variants) → WHATWG TextDecoder labels; 'latin1' = exact ISO-8859-1. */
const CHARSETS: Record<string, string> = {
  'ASCII': 'latin1',
  'US-ASCII': 'latin1',
  '8859/1': 'latin1',
  'ISO-8859-1': 'latin1',
  'LATIN1': 'latin1',
  '8859/2': 'iso-8859-2',
  '8859/3': 'iso-8859-3',
  '8859/4': 'iso-8859-4',
  '8859/5': 'iso-8859-5',
  '8859/6': 'iso-8859-6',
  '8859/7': 'iso-8859-7',
  '8859/8': 'iso-8859-8',
  '8859/9': 'windows-1254',
  '8859/15': 'iso-8859-15',
  'ISO-8859-15': 'iso-8859-15',
  'UNICODE UTF-8': 'utf-8',
  'UNICODE': 'utf-8',
  'UTF-8': 'utf-8',
  'UTF8': 'utf-8',
  'GB 18030': 'gb18030',
  'GB18030': 'gb18030',
  'GB 18030-2000': 'gb18030',
  'GB2312': 'gb18030',
  'BIG-5': 'big5',
  'BIG5': 'big5',
  'CNS 11643-1992': 'big5',
  'KS X 1001': 'euc-kr',
  'ISO IR87': 'iso-2022-jp',
  'ISO IR159': 'iso-2022-jp',
  'ISO IR14': 'shift_jis',
  'SHIFT_JIS': 'shift_jis',
  'WINDOWS-1252': 'windows-1252',
  'CP1252': 'windows-1252',
};

/** The TextDecoder label for an MSH-18 value, or undefined when we do not know the name. */
export function charsetLabel(name: string): string | undefined {
  const key = name.trim().toUpperCase();
  if (key === '') return undefined;
  return CHARSETS[key];
}

const decoders = new Map<string, TextDecoder>();
function decoder(label: string, fatal: boolean): TextDecoder {
  const key = `${label}|${fatal ? 1 : 0}`;
  let d = decoders.get(key);
  if (!d) {
    d = new TextDecoder(label, { fatal, ignoreBOM: false });
    decoders.set(key, d);
  }
  return d;
}

function charsetError(diagnostics: string): CarebridgeError {
  return new CarebridgeError('CB_ERR_HL7_CHARSET', diagnostics, { details: [{ location: 'MSH^1^18', diagnostics }] });
}

function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return false;
  return true;
}

function hasUtf8Bom(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

/**
 * Decodes message bytes. `charsetFromMsh18` (or an override) names the set; `fallback` is used when
 * it is empty. A UTF-8 BOM means UTF-8 unless an explicit charset says otherwise. An unknown charset
 * name is accepted only for pure-ASCII content (nothing can be garbled); otherwise, and for bytes that
 * are invalid in a declared UTF-8, it throws CB_ERR_HL7_CHARSET. An undeclared (fallback) UTF-8 that
 * turns out invalid is read as ISO-8859-1, the most common real-world cause.
 */
export function decodeBytes(bytes: Uint8Array, charsetFromMsh18: string | undefined, fallback: string): string {
  const declared = charsetFromMsh18?.trim() ?? '';
  const name = declared !== '' ? declared : hasUtf8Bom(bytes) ? 'UNICODE UTF-8' : fallback;
  const label = charsetLabel(name);
  if (label === undefined) {
    if (isAscii(bytes)) return latin1(bytes);
    throw charsetError(`Unknown character set '${name}' (HL7 table 0211) for a message with non-ASCII bytes`);
  }
  if (label === 'latin1') return latin1(bytes);
  if (label === 'utf-8') {
    try {
      return decoder('utf-8', true).decode(bytes);
    } catch {
      if (declared !== '') throw charsetError(`Message declares ${declared} but its bytes are not valid UTF-8`);
      return latin1(bytes);
    }
  }
  // A UTF-8 BOM in front of a message declared in another charset is framing, not text.
  return decoder(label, false).decode(hasUtf8Bom(bytes) ? bytes.subarray(3) : bytes);
}

function latin1(bytes: Uint8Array): string {
  const s = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  return s.charCodeAt(0) === 0xef && s.startsWith('\u00ef\u00bb\u00bf') ? s.slice(3) : s;
}

/**
 * MSH-18 (first repetition) read straight from the bytes of the first MSH segment, '' when absent.
 * Works on ASCII-compatible encodings only (all of table 0211 except UTF-16/32).
 */
export function readMsh18(bytes: Uint8Array): string {
  const start = findMsh(bytes);
  if (start < 0 || start + 3 >= bytes.length) return '';
  const fs = bytes[start + 3]!;
  let field = 2; // just after "MSH" + field separator: MSH-2
  let i = start + 4;
  let from = -1;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b === 13 || b === 10) break;
    if (b === fs) {
      field++;
      if (field === 18) from = i + 1;
      else if (field === 19) break;
    }
    i++;
  }
  if (from < 0) return '';
  let value = '';
  const enc = bytes[start + 5]; // repetition separator (MSH-2.2)
  for (let k = from; k < i; k++) {
    const b = bytes[k]!;
    if (b === enc) break;
    value += String.fromCharCode(b);
  }
  return value.trim();
}

/** Offset of 'MSH' at the start of the bytes (after a BOM or framing/whitespace bytes) or of a line. */
export function findMsh(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 0x4d && bytes[i + 1] === 0x53 && bytes[i + 2] === 0x48) {
      const prev = i === 0 ? 13 : bytes[i - 1]!;
      if (prev < 0x20 || prev === 0xbf /* BOM end */ || prev === 0x20) return i;
    }
  }
  return -1;
}
