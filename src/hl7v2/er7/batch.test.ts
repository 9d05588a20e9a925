import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseBatch } from './batch.js';

const msh = (id: string, extra = ''): string => `MSH|^~\\&|A|B|C|D|20260101||ADT^A01^ADT_A01|${id}|P|2.5${extra}\rEVN|A01\rPID|1||${id}-MRN\r`;

describe('parseBatch', () => {
  it('reads FHS/BHS/BTS/FTS envelopes with several batches', () => {
    const text = `FHS|^~\\&|A|B\rBHS|^~\\&|A|B\r${msh('M1')}${msh('M2')}BTS|2\rBHS|^~\\&|A|B\r${msh('M3')}BTS|1\rFTS|2\r`;
    const r = parseBatch(text);
    expect(r.errors).toEqual([]);
    expect(r.messages.map((m) => m.header.controlId)).toEqual(['M1', 'M2', 'M3']);
    expect(r.messages[2]!.get('PID-3')).toBe('M3-MRN');
    expect(r.envelope.fhs?.get('3')).toBe('A');
    expect(r.envelope.bhs).toHaveLength(2);
    expect(r.envelope.bts.map((s) => s.get('1'))).toEqual(['2', '1']);
    expect(r.envelope.fts?.get('1')).toBe('2');
  });

  it('reads a plain stream of messages (LF separated)', () => {
    const r = parseBatch(`${msh('S1')}${msh('S2')}${msh('S3')}`.replace(/\r/g, '\n'));
    expect(r.errors).toEqual([]);
    expect(r.messages.map((m) => m.header.controlId)).toEqual(['S1', 'S2', 'S3']);
  });

  it('returns one error per bad message and keeps the others, with each raw message', () => {
    const text = `BHS|^~\\&|A|B\r${msh('G1')}MSH|^~\rMSH|^~\\&|A|B|C|D|2026||ADT^A01||P|2.5\r${msh('G4')}BTS|4\r`;
    const r = parseBatch(text);
    expect(r.messages.map((m) => m.header.controlId)).toEqual(['G1', 'G4']);
    expect(r.errors.map((e) => e.code)).toEqual(['CB_ERR_HL7_PARSE', 'CB_ERR_HL7_REQUIRED_FIELD']);
    expect(r.errors[0]!.message).toMatch(/^Message 2 of the batch/);
    expect(r.errors[1]!.details[0]?.location).toBe('MSH^1^10');
    expect(r.items.map((i) => i.index)).toEqual([1, 2, 3, 4]);
    expect(r.items[1]!.raw).toBe('MSH|^~\r');
  });

  it('reports BTS-1 / FTS-1 counts that do not match', () => {
    const r = parseBatch(`FHS|^~\\&\rBHS|^~\\&\r${msh('C1')}${msh('C2')}BTS|3\rFTS|2\r`);
    expect(r.messages).toHaveLength(2);
    expect(r.errors.map((e) => e.details[0]?.location)).toEqual(['BTS^1^1', 'FTS^1^1']);
  });

  it('decodes each message of a byte batch by its own MSH-18', () => {
    const gb = readFileSync(new URL('../../../fixtures/hl7/adt-a01-gb18030.hl7', import.meta.url));
    const latin = readFileSync(new URL('../../../fixtures/hl7/adt-a01-latin1.hl7', import.meta.url));
    const bytes = new Uint8Array(Buffer.concat([Buffer.from('BHS|^~\\&|A\r'), gb, latin, Buffer.from('BTS|2\r')]));
    const r = parseBatch(bytes);
    expect(r.errors).toEqual([]);
    expect(r.messages.map((m) => m.get('PID-5.2'))).toEqual(['秀英', 'José']);
    expect(r.items[0]!.raw).toBeInstanceOf(Uint8Array);
  });

  it('splits a large stream in linear time (CR-only and LF-only)', () => {
    const one = msh('L');
    for (const sep of ['\r', '\n']) {
      const big = one.replace(/\r/g, sep).repeat(20_000);
      const r = parseBatch(big);
      expect(r.messages).toHaveLength(20_000);
      expect(r.errors).toEqual([]);
    }
  });

  it('reports input with no message at all', () => {
    expect(parseBatch('').errors[0]?.code).toBe('CB_ERR_HL7_NO_MSH');
    expect(parseBatch('\x00garbage\r').errors[0]?.code).toBe('CB_ERR_HL7_NO_MSH');
    const lead = parseBatch(`junk line\r${msh('J1')}`);
    expect(lead.messages).toHaveLength(1);
    expect(lead.errors[0]?.code).toBe('CB_ERR_HL7_NO_MSH');
  });
});
