/**
 * Every file of the shared corpus through the parser: parse → toString → parse gives the same
 * structure, and CR-separated files without BOM come back byte for byte; serialising the parsed
 * values gives the same structure. Files that hold several
 * messages go through parseBatch. The corpus lives outside the repo (../shared/corpus).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CarebridgeError } from '../../errors/index.js';
import { parseBatch } from './batch.js';
import type { Er7Message } from './message.js';
import { decodeEscapes } from './escape.js';
import { parseMessage } from './parse-message.js';
import { serializeMessage } from './serialize.js';

const CORPUS = process.env.HL7_CORPUS_DIR ?? new URL('../../../../shared/corpus/hl7v2', import.meta.url).pathname;
const files = existsSync(CORPUS) ? readdirSync(CORPUS).sort() : [];

function structure(m: Er7Message): unknown {
  return m.segments.map((s) => [s.name, s.fields]);
}

/** The obvious split-based reading of a segment, as a reference for the one-pass field parser. */
function referenceFields(m: Er7Message, s: Er7Message['segments'][number]): unknown[] {
  const d = m.delimiters;
  const parts = s.toString().split(d.field);
  if (s.name === 'MSH') parts.splice(1, 0, d.field);
  return parts.map((raw, n) => {
    if (n === 0) return [[[s.name]]];
    if (raw === '') return [];
    if (s.name === 'MSH' && n <= 2) return [[[raw]]];
    return raw.split(d.repetition).map((r) => r.split(d.component).map((c) => c.split(d.subcomponent).map((v) => decodeEscapes(v, d))));
  });
}

function messagesOf(bytes: Uint8Array): Er7Message[] {
  try {
    return [parseMessage(bytes)];
  } catch (e) {
    if (!(e instanceof CarebridgeError)) throw e;
    return parseBatch(bytes).messages as Er7Message[];
  }
}

describe.skipIf(files.length === 0)(`corpus round trip (${CORPUS})`, () => {
  it('parses the bulk of the corpus', () => {
    let messages = 0;
    for (const f of files) messages += messagesOf(new Uint8Array(readFileSync(`${CORPUS}/${f}`))).length;
    // 264 MSH segments in the corpus; a handful of files are deliberately broken.
    expect(messages).toBeGreaterThan(240);
  });

  it.each(files)('%s', (f) => {
    const bytes = new Uint8Array(readFileSync(`${CORPUS}/${f}`));
    for (const m of messagesOf(bytes)) {
      const again = parseMessage(m.toString());
      expect(structure(again)).toEqual(structure(m));
      expect(again.header).toEqual(m.header);
      expect(again.toString()).toBe(m.toString());
      for (const seg of m.segments) expect(seg.fields).toEqual(referenceFields(m, seg));
      // The serialiser (values → escaped ER7) gives the same structure back too.
      const rebuilt = parseMessage(serializeMessage(m.segments, m.delimiters));
      expect(structure(rebuilt)).toEqual(structure(m));
    }
    const text = Buffer.from(bytes).toString('latin1');
    // CR-separated, no BOM, no MLLP framing bytes (those are stripped on purpose).
    const crOnly = !text.includes('\n') && text.startsWith('MSH') && !text.includes('\x1c');
    let single: Er7Message | undefined;
    try {
      single = parseMessage(bytes);
    } catch {
      // Multi-message or deliberately broken file: covered by parseBatch above / the rejection list.
    }
    if (crOnly && single) expect(Buffer.from(single.toString(), 'utf8').equals(Buffer.from(bytes))).toBe(true);
  });
});

if (files.length === 0) {
  describe('corpus round trip', () => {
    it.skip(`skipped: corpus not found at ${CORPUS} (set HL7_CORPUS_DIR)`, () => {});
  });
}
