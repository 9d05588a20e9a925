import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mutate, prng } from '../er7/fuzz-mutator.js';
import { salvageHeader, sniffSender } from './message-facts.js';

const FIXTURES = new URL('../../../fixtures/hl7/', import.meta.url).pathname;

function fixtureMessages(): Uint8Array[] {
  const out: Uint8Array[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (/\.(hl7|er7|txt)$/i.test(e.name)) out.push(new Uint8Array(readFileSync(join(dir, e.name))));
    }
  };
  walk(FIXTURES);
  return out;
}

/** What intake used to compute for the sender policy, before sniffSender. */
function viaSalvage(raw: Uint8Array) {
  const h = salvageHeader(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).subarray(0, 4096).toString('latin1'));
  return { sendingApplication: h.sendingApplication ?? '', sendingFacility: h.sendingFacility ?? '' };
}

describe('sniffSender reads MSH-3.1/MSH-4.1 exactly as salvageHeader does', () => {
  const messages = fixtureMessages();

  it('on the fixtures', () => {
    expect(messages.length).toBeGreaterThan(3);
    for (const m of messages) expect(sniffSender(m)).toEqual(viaSalvage(m));
  });

  it('on hand-made edge cases', () => {
    const cases = [
      'MSH|^~\\&|LAB^1.2^ISO|NWH&X|R|F|2024||ADT^A01|1|P|2.5\r',
      'junk\rMSH#^~\\&#APP#FAC#\r',
      'MSH|^~\\&||FAC\r',
      'MSH|^~\\&|APP\nPID|1|',
      'MSH1^~\\&|APP|FAC\r',
      'MSH ^~\\&|APP|FAC\r',
      'MSH',
      'MS',
      '',
      'MSH|^~\\&|' + 'A'.repeat(300) + '|F\r',
      'MSH|^~\\&|caf\u00e9|\u00fcber\r',
      'x'.repeat(4094) + 'MSH|^~\\&|LATE|F\r',
    ];
    for (const c of cases) {
      const raw = new Uint8Array(Buffer.from(c, 'latin1'));
      expect(sniffSender(raw), JSON.stringify(c)).toEqual(viaSalvage(raw));
    }
  });

  it('on 20,000 mutated fixtures', () => {
    const rnd = prng(42);
    for (let i = 0; i < 20_000; i++) {
      const m = mutate(messages[i % messages.length]!, rnd);
      expect(sniffSender(m)).toEqual(viaSalvage(m));
    }
  });
});
