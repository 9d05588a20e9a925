import { Message } from 'node-hl7-client';
import { describe, expect, it } from 'vitest';
import { CarebridgeError } from '../../errors/index.js';
import { parseMessage, peekHeader } from '../er7/parse-message.js';
import { ackCodeFor, buildAck } from './build-ack.js';
import { parseAck } from './parse-ack.js';

const ORIGINAL = 'MSH|^~\\&|EPIC^1.2.3^ISO|MAIN|CAREBRIDGE|CB|20260419101500||ADT^A01^ADT_A01|MSG00001|P|2.5.1|||AL|NE\rPID|1||M1\r';
const NOW = new Date(Date.UTC(2026, 10, 23, 12, 0, 0));

function errorOf(input: string): CarebridgeError {
  try {
    parseMessage(input);
  } catch (e) {
    return e as CarebridgeError;
  }
  throw new Error('expected a parse error');
}

describe('buildAck', () => {
  it('mirrors sender and receiver, keeps the version, pairs MSA-2 with MSH-10', () => {
    const ack = buildAck(parseMessage(ORIGINAL), 'AA', { controlId: 'ACK1', now: NOW });
    expect(ack).toBe('MSH|^~\\&|CAREBRIDGE|CB|EPIC^1.2.3^ISO|MAIN|20261123120000+0000||ACK^A01^ACK|ACK1|P|2.5.1\rMSA|AA|MSG00001\r');
    const independent = new Message({ text: ack });
    expect(independent.get('MSA.2').toString()).toBe('MSG00001');
    expect(independent.get('MSH.5.2').toString()).toBe('1.2.3');
  });

  it('gives every ACK a fresh control id', () => {
    const m = parseMessage(ORIGINAL);
    const ids = new Set(Array.from({ length: 1000 }, () => parseMessage(buildAck(m, 'AA')).header.controlId));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id.length).toBeLessThanOrEqual(20);
  });

  it('adds ERR-2 location, ERR-3 table 0357 code, ERR-4 severity and ERR-8 text for AE/AR (v2.5+)', () => {
    const err = errorOf('MSH|^~\\&|A|B|C|D|2026||ADT^A01||P|2.5\r');
    const original = peekHeader('MSH|^~\\&|A|B|C|D|2026||ADT^A01||P|2.5\r').header;
    const ack = buildAck(original, ackCodeFor(err), { error: err, now: NOW });
    const m = parseMessage(ack);
    expect(m.get('MSA-1')).toBe('AE');
    expect(m.get('MSH-3')).toBe('C');
    expect(m.get('MSH-5')).toBe('A');
    expect(m.get('ERR-2.1')).toBe('MSH');
    expect(m.get('ERR-2.3')).toBe('10');
    expect(m.get('ERR-3.1')).toBe('101');
    expect(m.get('ERR-3.2')).toBe('Required field missing');
    expect(m.get('ERR-3.3')).toBe('HL70357');
    expect(m.get('ERR-4')).toBe('E');
    expect(m.get('ERR-8')).toBe('MSH-10 (message control id) is empty');
    expect(m.get('ERR-1.3')).toBe('10');
    expect(m.get('ERR-1.4.1')).toBe('101');
    expect(new Message({ text: ack }).get('ERR.3.1').toString()).toBe('101');
  });

  it('uses the ERR-1 layout for v2.3/v2.4 messages', () => {
    const err = new CarebridgeError('CB_ERR_HL7_UNSUPPORTED_EVENT', 'Event A99 is not supported', { details: [{ location: 'MSH^1^9', diagnostics: 'Event A99 is not supported' }] });
    const m = parseMessage(buildAck(parseMessage(ORIGINAL.replace('2.5.1', '2.3').replace('ADT^A01^ADT_A01', 'ADT^A99')), 'AR', { error: err }));
    expect(m.get('MSH-9')).toBe('ACK');
    expect(m.get('MSH-9.2')).toBe('A99');
    expect(m.get('MSH-9.3')).toBeUndefined();
    expect(m.get('MSH-12')).toBe('2.3');
    expect(m.get('MSA-3')).toBe('Event A99 is not supported');
    expect(m.get('ERR-1.1')).toBe('MSH');
    expect(m.get('ERR-1.3')).toBe('9');
    expect(m.get('ERR-1.4.1')).toBe('201');
    expect(m.get('ERR-1.4.3')).toBe('HL70357');
    expect(m.get('ERR-3')).toBeUndefined();
  });

  it('answers commit-level errors in enhanced mode (CE/CR) with an ERR too', () => {
    const err = new CarebridgeError('CB_ERR_DB_UNAVAILABLE');
    expect(ackCodeFor(err, 'enhanced')).toBe('CR');
    expect(ackCodeFor(new CarebridgeError('CB_ERR_HL7_REQUIRED_FIELD'), 'enhanced')).toBe('CE');
    const m = parseMessage(buildAck(parseMessage(ORIGINAL), 'CR', { error: err }));
    expect(m.get('MSA-1')).toBe('CR');
    expect(m.get('ERR-3.1')).toBe('207');
    expect(m.get('ERR-8')).toBe('Database unavailable');
    const v27 = parseMessage(buildAck(parseMessage(ORIGINAL.replace('2.5.1', '2.7')), 'AE', { error: err }));
    expect(v27.get('ERR-1')).toBeUndefined();
    expect(v27.get('MSA-3')).toBeUndefined();
    expect(v27.get('ERR-3.1')).toBe('207');
  });

  it('escapes delimiters in texts and writes with the sender\'s delimiters', () => {
    const custom = 'MSH@!#$%@A@B@C@D@2026@@ADT!A04@X1@P@2.5\r';
    const ack = buildAck(parseMessage(custom), 'AE', { text: 'bad value a|b^c', error: new CarebridgeError('CB_ERR_HL7_DATA_TYPE') });
    expect(ack.startsWith('MSH@!#$%@C@D@A@B@')).toBe(true);
    const m = parseMessage(ack);
    expect(m.get('ERR-8')).toBe('bad value a|b^c');
    expect(m.get('MSA-2')).toBe('X1');
  });

  it('builds an AR for input that did not parse at all', () => {
    const garbage = '\x00\x01 not hl7';
    const err = errorOf(garbage);
    const m = parseMessage(buildAck(peekHeader(garbage).header, 'AR', { error: err }));
    expect(m.get('MSA-1')).toBe('AR');
    expect(m.get('MSA-2')).toBeUndefined();
    expect(m.get('ERR-3.1')).toBe('100');
  });
});

describe('parseAck', () => {
  it('reads code, control id and text from our own ACKs (round trip)', () => {
    const err = errorOf('MSH|^~\\&|A|B|C|D|2026|||X9|P|2.5\r');
    const ack = parseAck(buildAck(peekHeader('MSH|^~\\&|A|B|C|D|2026|||X9|P|2.5\r').header, 'AE', { error: err }));
    expect(ack).toEqual({
      code: 'AE', controlId: 'X9', text: 'MSH-9 (message type) is empty',
      errors: [{ location: 'MSH^1^9', code: '101', severity: 'E', text: 'MSH-9 (message type) is empty' }],
    });
    expect(parseAck(buildAck(parseMessage(ORIGINAL), 'AA'))).toEqual({ code: 'AA', controlId: 'MSG00001', text: undefined, errors: [] });
  });

  it('reads v2.3 style ERR-1 and MSA-3, and an ACK without MSH-10', () => {
    const ack = parseAck('MSH|^~\\&|B|B|A|A|2026||ACK|||2.3\rMSA|AR|C1|Unknown patient\rERR|PID^1^3^204&Unknown key identifier&HL70357\r');
    expect(ack.code).toBe('AR');
    expect(ack.controlId).toBe('C1');
    expect(ack.text).toBe('Unknown patient');
    expect(ack.errors[0]).toEqual({ location: 'PID^1^3', code: '204', severity: undefined, text: 'Unknown key identifier' });
  });

  it('reads ACKs as another library writes them (output of @medplum/core 4.5 Hl7Message.buildAck)', () => {
    expect(parseAck('MSH|^~\\&|CB|HUB|EPIC|MAIN|20261123125351.240||ACK^A01^ACK|1795438431240|P|2.5.1\rMSA|AA|MSG1|OK')).toEqual({
      code: 'AA', controlId: 'MSG1', text: 'OK', errors: [],
    });
    const ae = parseAck(new Uint8Array(Buffer.from('MSH|^~\\&|CB|HUB|EPIC|MAIN|20261123125351.249||ACK^A01^ACK|1795438431249|P|2.5.1\rMSA|AE|MSG1|Application Error')));
    expect([ae.code, ae.controlId, ae.text]).toEqual(['AE', 'MSG1', 'Application Error']);
  });

  it('rejects something that is not an ACK', () => {
    expect(() => parseAck(ORIGINAL)).toThrow(/no MSA/);
    expect(() => parseAck('MSH|^~\\&|B|B|A|A|2026||ACK|1|P|2.5\rMSA|XX|C1\r')).toThrow(/not an acknowledgment code/);
    expect(() => parseAck('garbage')).toThrow(CarebridgeError);
  });
});
