import { describe, expect, it } from 'vitest';
import { CarebridgeError } from '../../errors/index.js';
import { parseMessage } from './parse-message.js';

const ADT = [
  'MSH|^~\\&|EPIC^1.2.3^ISO|MAIN|LIS|REF|20260419101500||ADT^A01^ADT_A01|MSG00001|P|2.5.1|||AL|NE||UNICODE UTF-8',
  'EVN|A01|20260419101500',
  'PID|1||MRN12345^^^HOSP&2.16.840.1.113883.3.999.1&ISO^MR~SSN999^^^SSA^SS||Smith\\T\\Jones^Anna^M~王^秀英||19800101|F|||Apt 4\\S\\B^^Springfield^IL',
  'PV1|1|I|W3^301^1',
  'OBX|1|ST|GLU^Glucose||Yellow \\T\\ clear',
  'OBX|2|TX|NOTE^Note||line one\\.br\\line two \\H\\bold\\N\\',
  'ZPI|1|Room preference: quiet \\T\\ window',
].join('\r') + '\r';

function caught(fn: () => unknown): CarebridgeError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CarebridgeError);
    return e as CarebridgeError;
  }
  throw new Error('expected a CarebridgeError');
}

describe('parseMessage: structure and paths', () => {
  const m = parseMessage(ADT);

  it('reads the MSH header with HL7 numbering (MSH-1 = field separator)', () => {
    expect(m.get('MSH-1')).toBe('|');
    expect(m.get('MSH-2')).toBe('^~\\&');
    expect(m.get('MSH-9.2')).toBe('A01');
    expect(m.header).toMatchObject({
      sendingApplication: 'EPIC', sendingFacility: 'MAIN', receivingApplication: 'LIS', receivingFacility: 'REF',
      messageType: 'ADT', triggerEvent: 'A01', messageStructure: 'ADT_A01', controlId: 'MSG00001', processingId: 'P',
      version: '2.5.1', acceptAckType: 'AL', applicationAckType: 'NE', charset: 'UNICODE UTF-8', dateTime: '20260419101500',
    });
  });

  it('walks repetitions, components and sub-components by path', () => {
    expect(m.get('PID-3')).toBe('MRN12345');
    expect(m.get('PID-3[2].1')).toBe('SSN999');
    expect(m.get('PID-3[2].4.1')).toBe('SSA');
    expect(m.get('PID-3.4.2')).toBe('2.16.840.1.113883.3.999.1');
    expect(m.get('PID-3.4.3')).toBe('ISO');
    expect(m.get('PID-3[3]')).toBeUndefined();
    expect(m.get('PID-5[2].2')).toBe('秀英');
    expect(m.getAll('PID-3.1')).toEqual(['MRN12345', 'SSN999']);
    expect(m.get('PID-99')).toBeUndefined();
    expect(m.get('NK1-1')).toBeUndefined();
  });

  it('addresses segment occurrences', () => {
    expect(m.get('OBX-5')).toBe('Yellow & clear');
    expect(m.get('OBX[2]-3.2')).toBe('Note');
    expect(m.getAll('OBX-1')).toEqual(['1', '2']);
    expect(m.segmentsNamed('OBX')).toHaveLength(2);
  });

  it('indexes many occurrences of a segment', () => {
    const obx = Array.from({ length: 2000 }, (_, i) => `OBX|${i + 1}|NM|K^Potassium||${(i % 50) / 10}`);
    const big = parseMessage(['MSH|^~\\&|A|B|C|D|2026||ORU^R01|X1|P|2.5', ...obx].join('\r'));
    expect(big.get('OBX[1500]-1')).toBe('1500');
    expect(big.get('OBX[2001]-1')).toBeUndefined();
    expect(big.getAll('OBX-1')).toHaveLength(2000);
    expect(big.segmentsNamed('OBX')[1999]!.get('1')).toBe('2000');
  });

  it('decodes escapes in leaf values and in the fields structure', () => {
    expect(m.get('PID-5.1')).toBe('Smith&Jones');
    expect(m.get('PID-11.1')).toBe('Apt 4^B');
    expect(m.get('OBX[2]-5')).toBe('line one\nline two bold');
    expect(m.get('ZPI-2')).toBe('Room preference: quiet & window');
    const pid = m.segmentsNamed('PID')[0]!;
    expect(pid.fields[5]).toEqual([[['Smith&Jones'], ['Anna'], ['M']], [['王'], ['秀英']]]);
    expect(pid.fields[3]![0]![3]).toEqual(['HOSP', '2.16.840.1.113883.3.999.1', 'ISO']);
    expect(pid.fields[2]).toEqual([]);
    expect(pid.get('3[2].5')).toBe('SS');
  });

  it('splits fields into repetitions, components and sub-components at every edge', () => {
    const s = parseMessage('MSH|^~\\&|A|B|C|D|2026||ADT^A01|X1|P|2.5\rZZZ|a&b&c^d~e^f&g|^|~|&|\\F\\&x\r').segmentsNamed('ZZZ')[0]!;
    expect(s.fields[1]).toEqual([[['a', 'b', 'c'], ['d']], [['e'], ['f', 'g']]]);
    expect(s.fields[2]).toEqual([[[''], ['']]]);
    expect(s.fields[3]).toEqual([[['']], [['']]]);
    expect(s.fields[4]).toEqual([[['', '']]]);
    expect(s.fields[5]).toEqual([[['|', 'x']]]);
    expect(s.fields).toHaveLength(6);
  });

  it('keeps formatting escapes when asked', () => {
    const k = parseMessage(ADT, { escapes: 'keep-formatting' });
    expect(k.get('OBX[2]-5')).toBe('line one\\.br\\line two \\H\\bold\\N\\');
    expect(k.get('PID-5.1')).toBe('Smith&Jones');
  });

  it('keeps Z-segments and round-trips byte for byte', () => {
    expect(m.segments.map((s) => s.name)).toEqual(['MSH', 'EVN', 'PID', 'PV1', 'OBX', 'OBX', 'ZPI']);
    expect(m.toString()).toBe(ADT);
    const noTrailing = ADT.slice(0, -1);
    expect(parseMessage(noTrailing).toString()).toBe(noTrailing);
  });

  it('rejects malformed paths with CB_ERR_MAP_UNKNOWN_PATH', () => {
    expect(caught(() => m.get('PID3')).code).toBe('CB_ERR_MAP_UNKNOWN_PATH');
    expect(caught(() => m.get('PID-0')).code).toBe('CB_ERR_MAP_UNKNOWN_PATH');
    expect(caught(() => m.get('PID-3[0]')).code).toBe('CB_ERR_MAP_UNKNOWN_PATH');
  });
});

describe('parseMessage: delimiters and separators', () => {
  it('takes delimiters from MSH-1/MSH-2 instead of assuming them', () => {
    const m = parseMessage('MSH@!#$%@A@B@C@D@2026@@ADT!A04@X1@P@2.5\rPID@1@@ID1!!!AUTH%OID#ID2@@Doe!Jane$T$x\r');
    expect(m.delimiters).toEqual({ field: '@', component: '!', repetition: '#', escape: '$', subcomponent: '%' });
    expect(m.get('MSH-9.2')).toBe('A04');
    expect(m.get('PID-3.4.2')).toBe('OID');
    expect(m.get('PID-3[2]')).toBe('ID2');
    expect(m.get('PID-5.2')).toBe('Jane%x');
  });

  it('reads the v2.7 truncation character as a fifth encoding character', () => {
    const m = parseMessage('MSH|^~\\&#|A|B|C|D|2026||ADT^A01|X1|P|2.7\rPID|1||ID1||Lo\\P\\ng#\r');
    expect(m.delimiters.truncation).toBe('#');
    expect(m.get('MSH-2')).toBe('^~\\&#');
    expect(m.get('PID-5')).toBe('Lo#ng#');
  });

  it.each([
    ['CR', '\r'],
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ])('splits %s separated segments', (_, sep) => {
    const text = ['MSH|^~\\&|A|B|C|D|2026||ADT^A01|X1|P|2.5', 'EVN|A01', 'PID|1||ID1', ''].join(sep);
    const m = parseMessage(text);
    expect(m.segments.map((s) => s.name)).toEqual(['MSH', 'EVN', 'PID']);
    expect(m.get('PID-3')).toBe('ID1');
    expect(m.toString()).toBe('MSH|^~\\&|A|B|C|D|2026||ADT^A01|X1|P|2.5\rEVN|A01\rPID|1||ID1\r');
  });

  it('handles mixed separators, a BOM, MLLP bytes, empty segments and trailing garbage', () => {
    const text = '\ufeff\x0bMSH|^~\\&|A|B|C|D|2026||ADT^A01|X1|P|2.5\r\nEVN|A01\n\r\rPID|1||ID1\r\n\r\n\x1c\r\x00\x00\n';
    const m = parseMessage(text);
    expect(m.segments.map((s) => s.name)).toEqual(['MSH', 'EVN', 'PID']);
    expect(m.get('PID-3')).toBe('ID1');
    const again = parseMessage(m.toString());
    expect(again.segments.map((s) => s.toString())).toEqual(m.segments.map((s) => s.toString()));
  });

  it('re-attaches a line break inside a field to its segment instead of losing the text', () => {
    const m = parseMessage('MSH|^~\\&|A|B|C|D|2026||ORU^R01|X1|P|2.5\rOBX|1|TX|N||first line\nsecond line|F\rNTE|1\r');
    expect(m.segments.map((s) => s.name)).toEqual(['MSH', 'OBX', 'NTE']);
    expect(m.get('OBX-5')).toBe('first line\nsecond line');
    expect(m.get('OBX-6')).toBe('F');
  });

  it('normalises lowercase segment ids', () => {
    const m = parseMessage('MSH|^~\\&|A|B|C|D|2026||ADT^A01|X1|P|2.5\rpid|1||ID1\r');
    expect(m.get('PID-3')).toBe('ID1');
  });
});

describe('parseMessage: malformed input', () => {
  it.each([
    ['empty', '', 'CB_ERR_HL7_NO_MSH', 'MSH^1'],
    ['garbage', '\x00\x01garbage bytes', 'CB_ERR_HL7_NO_MSH', 'MSH^1'],
    ['no MSH', 'PID|1||ID1\rPV1|1\r', 'CB_ERR_HL7_NO_MSH', 'MSH^1'],
    ['truncated MSH-2', 'MSH|^~', 'CB_ERR_HL7_PARSE', 'MSH^1^2'],
    ['only MSH', 'MSH', 'CB_ERR_HL7_PARSE', 'MSH^1^1'],
    ['alphanumeric field separator', 'MSHA^~\\&A', 'CB_ERR_HL7_PARSE', 'MSH^1^1'],
    ['repeated encoding characters', 'MSH|^^\\&|A|B|C|D|2026||ADT^A01|X1|P|2.5', 'CB_ERR_HL7_PARSE', 'MSH^1^2'],
    ['empty MSH-9', 'MSH|^~\\&|A|B|C|D|2026|||X1|P|2.5\r', 'CB_ERR_HL7_REQUIRED_FIELD', 'MSH^1^9'],
    ['empty MSH-10', 'MSH|^~\\&|A|B|C|D|2026||ADT^A01||P|2.5\r', 'CB_ERR_HL7_REQUIRED_FIELD', 'MSH^1^10'],
    ['truncated after MSH-2', 'MSH|^~\\&|A|B', 'CB_ERR_HL7_REQUIRED_FIELD', 'MSH^1^9'],
    ['two messages', 'MSH|^~\\&|A|B|C|D|2026||ADT^A01|X1|P|2.5\rMSH|^~\\&|A|B|C|D|2026||ADT^A01|X2|P|2.5\r', 'CB_ERR_HL7_PARSE', 'MSH^2'],
    ['a batch', 'BHS|^~\\&|A\rMSH|^~\\&|A|B|C|D|2026||ADT^A01|X1|P|2.5\rBTS|1\r', 'CB_ERR_HL7_PARSE', 'BHS^1'],
  ])('%s → %s at %s', (_, input, code, location) => {
    const e = caught(() => parseMessage(input));
    expect(e.code).toBe(code);
    expect(e.details[0]?.location).toBe(location);
    expect(e.details[0]?.diagnostics).toBeTruthy();
  });

  it('reads an ACK leniently when asked (no MSH-10)', () => {
    const m = parseMessage('MSH|^~\\&|A|B|C|D|2026||ACK||P|2.5\rMSA|AA|X1\r', { requireHeaderFields: false });
    expect(m.get('MSA-2')).toBe('X1');
  });
});
