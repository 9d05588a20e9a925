/** @module HL7 v2 escape sequences (ch. 2.7): decoding field text and encoding values for output. */
import type { Delimiters, EscapeMode } from './types.js';

const decoders = new Map<string, TextDecoder>();

/** Bytes of `\Xhhhh\` in the message's charset (TextDecoder label). */
function decodeHex(hex: string, label: string): string | undefined {
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9A-Fa-f]+$/.test(hex)) return undefined;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  let dec = decoders.get(label);
  if (!dec) {
    try {
      dec = new TextDecoder(label);
    } catch {
      dec = new TextDecoder('utf-8');
    }
    decoders.set(label, dec);
  }
  return dec.decode(bytes);
}

/**
 * Unescapes one leaf value (a sub-component). Unknown or unterminated sequences stay as written,
 * so nothing the sender wrote is lost.
 */
export function decodeEscapes(value: string, d: Delimiters, mode: EscapeMode = 'decode', hexCharset = 'utf-8'): string {
  const esc = d.escape;
  let i = value.indexOf(esc);
  if (i < 0) return value;
  let out = '';
  let from = 0;
  while (i >= 0) {
    const j = value.indexOf(esc, i + 1);
    if (j < 0) break;
    const seq = value.slice(i + 1, j);
    const rep = translate(seq, d, mode, hexCharset);
    if (rep === undefined) {
      // Not an escape sequence: keep the escape character literally and look again after it.
      out += value.slice(from, i + 1);
      from = i + 1;
      i = value.indexOf(esc, from);
      continue;
    }
    out += value.slice(from, i) + rep;
    from = j + 1;
    i = value.indexOf(esc, from);
  }
  return out + value.slice(from);
}

function translate(seq: string, d: Delimiters, mode: EscapeMode, hexCharset: string): string | undefined {
  switch (seq) {
    case 'F': return d.field;
    case 'S': return d.component;
    case 'T': return d.subcomponent;
    case 'R': return d.repetition;
    case 'E': return d.escape;
    case 'P': return d.truncation;
    case 'H':
    case 'N':
      return mode === 'decode' ? '' : d.escape + seq + d.escape;
    case '':
      return undefined;
  }
  const first = seq.charCodeAt(0);
  if (first === 0x2e /* '.' formatting command (FT) */) {
    if (mode !== 'decode') return d.escape + seq + d.escape;
    if (seq === '.br') return '\n';
    if (seq.startsWith('.sp')) return '\n';
    return /^\.(fi|nf|in[+-]?\d*|ti[+-]?\d*|sk\d*|ce)$/.test(seq) ? '' : undefined;
  }
  if (first === 0x58 /* X */) return decodeHex(seq.slice(1), hexCharset);
  // \Zxx\ (local), \Cxxyy\ / \Mxxyyzz\ (charset switches): kept verbatim.
  if (first === 0x5a || first === 0x43 || first === 0x4d) return d.escape + seq + d.escape;
  return undefined;
}

/** Escapes a value for writing into a field (our own output: ACKs, built messages). */
export function encodeEscapes(value: string, d: Delimiters): string {
  // Most values (ids, codes, versions) hold nothing to escape: they are returned as they are.
  let out: string | undefined;
  let from = 0;
  for (let i = 0; i < value.length; i++) {
    const code = escapeCodeOf(value[i]!, d);
    if (code === undefined) continue;
    out = `${out ?? ''}${value.slice(from, i)}${d.escape}${code}${d.escape}`;
    from = i + 1;
  }
  return out === undefined ? value : out + value.slice(from);
}

/** The escape sequence's code for a character that may not appear as itself in a field. */
function escapeCodeOf(c: string, d: Delimiters): string | undefined {
  if (c === d.escape) return 'E';
  if (c === d.field) return 'F';
  if (c === d.component) return 'S';
  if (c === d.repetition) return 'R';
  if (c === d.subcomponent) return 'T';
  if (d.truncation !== undefined && c === d.truncation) return 'P';
  if (c === '\n') return '.br';
  if (c === '\r') return 'X0D';
  return undefined;
}
