/**
 * Cross-check against an independent parser (node-hl7-client 3.2, a test peer): over the whole
 * corpus, common field reads must agree, except where we decode on purpose and it does not.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { Message } from 'node-hl7-client';
import { describe, expect, it } from 'vitest';
import { parseBatch } from './batch.js';

const CORPUS = process.env.HL7_CORPUS_DIR ?? new URL('../../../../shared/corpus/hl7v2', import.meta.url).pathname;
const files = existsSync(CORPUS) ? readdirSync(CORPUS).sort() : [];
const PATHS = ['MSH.10', 'MSH.9.1', 'MSH.9.2', 'MSH.12.1', 'PID.3.1', 'PID.3.4.2', 'PID.5.1', 'PID.5.2', 'PID.7.1', 'PID.11.1', 'PID.11.3', 'OBX.5.1', 'OBX.3.2', 'PV1.3.1', 'NK1.2.1', 'EVN.2.1', 'OBR.4.2', 'ORC.2.1'];

/** Files where we differ by design (the peer keeps these escapes raw / ignores lowercase ids). */
const KNOWN: Record<string, string> = {
  'cosyte-hl7__decoded-br.hl7': 'we decode \\.br\\ to a line break',
  'cosyte-hl7__formatting-note.hl7': 'we decode \\.br\\ to a line break',
  'cosyte-hl7__escape-formatting.hl7': 'we apply formatting commands (\\.sp\\ → line break, others dropped)',
  'cosyte-hl7__truncation-char-msh2.hl7': 'we decode \\P\\ to the v2.7 truncation character',
  'cosyte-hl7__unknown-escape-sequence.hl7': 'we keep an unknown \\Z99\\ as written; the peer drops it',
  'cosyte-hl7__unknown-escapes.hl7': 'we keep an unknown \\Z99\\ as written; the peer drops it',
  'cosyte-hl7__segment-case.hl7': 'we accept a lowercase segment id (pid → PID)',
};

describe.skipIf(files.length === 0)('agreement with node-hl7-client over the corpus', () => {
  it('reads the same values', () => {
    const unexpected: string[] = [];
    let compared = 0;
    for (const f of files) {
      for (const item of parseBatch(new Uint8Array(readFileSync(`${CORPUS}/${f}`))).items) {
        if (!item.message) continue;
        let peer: Message;
        try {
          peer = new Message({ text: item.message.toString() });
        } catch {
          continue;
        }
        for (const p of PATHS) {
          let theirs: string;
          try {
            theirs = peer.get(p).toString();
          } catch {
            continue;
          }
          const [seg, ...rest] = p.split('.');
          const ours = item.message.get(`${seg}-${rest.join('.')}`) ?? '';
          compared++;
          if (ours !== theirs && !(f in KNOWN)) unexpected.push(`${f} ${p}: ours ${JSON.stringify(ours)} theirs ${JSON.stringify(theirs)}`);
        }
      }
    }
    expect(compared).toBeGreaterThan(4000);
    expect(unexpected).toEqual([]);
  });
});
