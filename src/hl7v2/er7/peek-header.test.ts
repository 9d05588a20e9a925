import { describe, expect, it } from 'vitest';
import { DEFAULT_DELIMITERS } from './delimiters.js';
import { peekHeader } from './parse-message.js';

describe('peekHeader (addressing an ACK for input that does not parse)', () => {
  it('salvages the header of a message with an empty MSH-9', () => {
    const { header } = peekHeader('MSH|^~\\&|LAB|NORTH|CB|HUB|2026|||C77|P|2.4\rPID|1\r');
    expect(header).toMatchObject({ sendingApplication: 'LAB', sendingFacility: 'NORTH', controlId: 'C77', version: '2.4', messageType: '' });
  });

  it('reads bytes with leading framing and custom delimiters', () => {
    const bytes = new Uint8Array(Buffer.from('\x0bMSH#@!$%#APP#FAC#R#RF#2026##ADT@A01#C9#P#2.5\x1c\r', 'latin1'));
    const { header, delimiters } = peekHeader(bytes);
    expect(delimiters.field).toBe('#');
    expect(header.controlId).toBe('C9');
    expect(header.triggerEvent).toBe('A01');
  });

  it('falls back to the default delimiters when MSH-2 is broken, keeping the field separator', () => {
    const { header, delimiters } = peekHeader('MSH|^~|A|B|C|D|2026||ADT^A01|C1|P|2.5');
    expect(delimiters.field).toBe('|');
    expect(header.sendingApplication).toBe('A');
    expect(header.controlId).toBe('C1');
  });

  it('never throws, even for garbage', () => {
    for (const input of ['', 'garbage', 'MSH', '\x00\x00MSH|', new Uint8Array([0xff, 0xfe, 0x00])]) {
      const r = peekHeader(input);
      expect(r.delimiters.field).toBeTruthy();
      expect(typeof r.header.controlId).toBe('string');
    }
    expect(peekHeader('no header here').delimiters).toBe(DEFAULT_DELIMITERS);
  });
});
