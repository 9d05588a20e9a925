import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CarebridgeError } from '../../errors/index.js';
import { decodeBytes, readMsh18 } from './charset.js';
import { parseMessage } from './parse-message.js';

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../../../fixtures/hl7/${name}`, import.meta.url)));
const latin1Bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

describe('charsets (MSH-18)', () => {
  it('reads MSH-18 from the raw bytes before decoding', () => {
    expect(readMsh18(fixture('adt-a01-gb18030.hl7'))).toBe('GB 18030');
    expect(readMsh18(fixture('adt-a01-big5.hl7'))).toBe('BIG-5');
    expect(readMsh18(latin1Bytes('\u00ef\u00bb\u00bfMSH|^~\\&|A|B|C|D|2026||ADT^A01|X1|P|2.5||||||UNICODE UTF-8~GB 18030|\r'))).toBe('UNICODE UTF-8');
    expect(readMsh18(latin1Bytes('MSH|^~\\&|A|B|C|D|2026||ADT^A01|X1|P|2.5\r'))).toBe('');
  });

  it('decodes a GB 18030 message so Chinese names arrive intact', () => {
    const m = parseMessage(fixture('adt-a01-gb18030.hl7'));
    expect(m.header.charset).toBe('GB 18030');
    expect(m.get('PID-5.1')).toBe('王');
    expect(m.get('PID-5.2')).toBe('秀英');
    expect(m.get('PID-11.1')).toBe('朝阳区建国路88号');
    expect(m.get('PID-11.3')).toBe('北京');
  });

  it('decodes UTF-8, Big5 and ISO 8859-1 messages', () => {
    expect(parseMessage(fixture('adt-a01-utf8-cjk.hl7')).get('PID-5.2')).toBe('秀英');
    const big5 = parseMessage(fixture('adt-a01-big5.hl7'));
    expect(big5.get('PID-5.1')).toBe('陳');
    expect(big5.get('PID-11.1')).toBe('台北市信義路5段7號');
    const latin = parseMessage(fixture('adt-a01-latin1.hl7'));
    expect(latin.get('PID-5.1')).toBe('Müller');
    expect(latin.get('PID-5.2')).toBe('José');
    expect(latin.get('PID-11.1')).toBe('Königstraße 5');
  });

  it('maps table 0211 names to decoders (8859/15 euro sign, ASCII, spelling variants)', () => {
    expect(decodeBytes(new Uint8Array([0x31, 0x30, 0xa4]), '8859/15', 'UNICODE UTF-8')).toBe('10€');
    expect(decodeBytes(new Uint8Array([0x31, 0x30, 0xa4]), '8859/1', 'UNICODE UTF-8')).toBe('10¤');
    expect(decodeBytes(new Uint8Array([0x41, 0x42]), 'ASCII', 'UNICODE UTF-8')).toBe('AB');
    expect(decodeBytes(new Uint8Array(Buffer.from('é', 'utf8')), 'utf-8', '8859/1')).toBe('é');
    expect(decodeBytes(new Uint8Array(Buffer.from('é', 'utf8')), ' unicode utf-8 ', '8859/1')).toBe('é');
  });

  it('lets a per-sender override win over MSH-18', () => {
    // A sender that claims UTF-8 but really sends GB 18030.
    const bytes = fixture('adt-a01-gb18030.hl7');
    const text = Buffer.from(bytes).toString('latin1').replace('GB 18030', 'UNICODE UTF-8');
    const lying = latin1Bytes(text);
    expect(() => parseMessage(lying)).toThrow(CarebridgeError);
    expect(parseMessage(lying, { charset: 'GB 18030' }).get('PID-5.2')).toBe('秀英');
  });

  it('uses the default charset when MSH-18 is empty, and 8859/1 for invalid undeclared UTF-8', () => {
    const gb = Buffer.from(fixture('adt-a01-gb18030.hl7')).toString('latin1').replace('|GB 18030', '|');
    expect(parseMessage(latin1Bytes(gb), { defaultCharset: 'GB 18030' }).get('PID-5.2')).toBe('秀英');
    const latin = Buffer.from(fixture('adt-a01-latin1.hl7')).toString('latin1').replace('|8859/1', '|');
    expect(parseMessage(latin1Bytes(latin)).get('PID-5.1')).toBe('Müller');
    expect(decodeBytes(new Uint8Array(Buffer.from('Grüße', 'utf8')), undefined, 'UNICODE UTF-8')).toBe('Grüße');
  });

  it('strips a UTF-8 BOM and treats it as UTF-8', () => {
    const bytes = new Uint8Array(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('MSH|^~\\&|A|B|C|D|2026||ADT^A01|X1|P|2.5\rPID|1||ID1||Zoë\r', 'utf8')]));
    const m = parseMessage(bytes, { defaultCharset: '8859/1' });
    expect(m.get('PID-5')).toBe('Zoë');
    expect(m.toString().startsWith('MSH|')).toBe(true);
  });

  it('ignores a UTF-8 BOM in front of a message declared in another charset', () => {
    const bytes = new Uint8Array(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(fixture('adt-a01-gb18030.hl7'))]));
    expect(parseMessage(bytes).get('PID-5.2')).toBe('秀英');
    const latin = new Uint8Array(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(fixture('adt-a01-latin1.hl7'))]));
    expect(parseMessage(latin).get('PID-5.1')).toBe('Müller');
  });

  it('refuses an unknown charset only when there are non-ASCII bytes to garble', () => {
    const ascii = latin1Bytes('MSH|^~\\&|A|B|C|D|2026||ADT^A01|X1|P|2.5||||||ISO IR 999\rPID|1||ID1||Doe\r');
    expect(parseMessage(ascii).get('PID-5')).toBe('Doe');
    const nonAscii = latin1Bytes('MSH|^~\\&|A|B|C|D|2026||ADT^A01|X1|P|2.5||||||ISO IR 999\rPID|1||ID1||D\u00f6e\r');
    try {
      parseMessage(nonAscii);
      expect.unreachable();
    } catch (e) {
      expect((e as CarebridgeError).code).toBe('CB_ERR_HL7_CHARSET');
      expect((e as CarebridgeError).details[0]?.location).toBe('MSH^1^18');
    }
  });

  it('decodes \\Xhh\\ in the message charset', () => {
    const m = parseMessage('MSH|^~\\&|A|B|C|D|2026||ADT^A01|X1|P|2.5||||||UNICODE UTF-8\rPID|1||ID1||\\XE78E8B\\^A\\X0D0A\\B\r');
    expect(m.get('PID-5.1')).toBe('王');
    expect(m.get('PID-5.2')).toBe('A\r\nB');
    const l = parseMessage('MSH|^~\\&|A|B|C|D|2026||ADT^A01|X1|P|2.5||||||8859/1\rPID|1||ID1||M\\XFC\\ller\r');
    expect(l.get('PID-5.1')).toBe('Müller');
  });
});
