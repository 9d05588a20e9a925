import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mutate, prng } from '../er7/fuzz-mutator.js';
import { peekField } from './peek.js';

const FIXTURES = new URL('../../../fixtures/hl7/', import.meta.url).pathname;

/** The previous peekField (splits every line), as the reference. */
function referencePeek(er7: string, segment: string, field: number): string | undefined {
  const separator = er7.startsWith('MSH') ? er7[3] : er7.indexOf('MSH') >= 0 ? er7[er7.indexOf('MSH') + 3] : undefined;
  if (!separator) return undefined;
  for (const line of er7.split(/\r\n|\r|\n/)) {
    if (!line.startsWith(segment + separator)) continue;
    const parts = line.split(separator);
    const index = segment === 'MSH' ? field - 1 : field;
    if (segment === 'MSH' && field === 1) return separator;
    const value = parts[index];
    if (value === undefined) return undefined;
    const component = er7[er7.indexOf('MSH') + 4];
    return component ? value.split(component)[0] : value;
  }
  return undefined;
}

const PEEKS: Array<[string, number]> = [['MSH', 1], ['MSH', 2], ['MSH', 9], ['MSH', 10], ['MSH', 40], ['MSA', 1], ['MSA', 2], ['MSA', 3], ['PID', 3], ['PID', 0], ['EVN', 1]];

describe('peekField', () => {
  it('reads MSH-10 and MSA-1/MSA-2', () => {
    const ack = 'MSH|^~\\&|CB|X|A|B|20240101||ACK^A01^ACK|ACK1|P|2.5\rMSA|AA|MSG-1^x\r';
    expect(peekField(ack, 'MSH', 10)).toBe('ACK1');
    expect(peekField(ack, 'MSA', 1)).toBe('AA');
    expect(peekField(ack, 'MSA', 2)).toBe('MSG-1');
    expect(peekField(ack, 'MSH', 1)).toBe('|');
    expect(peekField(ack, 'ERR', 1)).toBeUndefined();
  });

  it('agrees with the splitting reference on fixtures, ACKs and 20,000 mutations of them', () => {
    const texts = readdirSync(FIXTURES).filter((f) => f.endsWith('.hl7')).map((f) => readFileSync(FIXTURES + f, 'latin1'));
    texts.push('MSH|^~\\&|CB|X|A|B|20240101||ACK^A01^ACK|ACK1|P|2.5\r\nMSA|AE|M1|text\r\nERR|||207\r\n', 'xxMSH#^~\\&#A\nMSA#AA#1', 'MSH', 'MSH|', '');
    expect(texts.length).toBeGreaterThan(5);
    const check = (t: string) => {
      for (const [segment, field] of PEEKS) expect(peekField(t, segment, field), `${segment}-${field} of ${JSON.stringify(t.slice(0, 80))}`).toBe(referencePeek(t, segment, field));
    };
    texts.forEach(check);
    const rnd = prng(11);
    for (let i = 0; i < 20_000; i++) check(Buffer.from(mutate(Buffer.from(texts[i % texts.length]!, 'latin1'), rnd)).toString('latin1'));
  });
});
