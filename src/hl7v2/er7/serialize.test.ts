import { describe, expect, it } from 'vitest';
import { parseMessage } from './parse-message.js';
import { serializeMessage, serializeSegment } from './serialize.js';

describe('serializeSegment / serializeMessage', () => {
  it('escapes values and drops trailing undefined fields', () => {
    expect(serializeSegment('PID', [undefined, '1', '', [[['M1'], [''], [''], ['HOSP', '1.2.3', 'ISO']]], [[['a|b^c'], ['x&y~z']]], '', undefined, undefined])).toBe(
      'PID|1||M1^^^HOSP&1.2.3&ISO|a\\F\\b\\S\\c^x\\T\\y\\R\\z|',
    );
  });

  it('writes header segments from the delimiters', () => {
    const d = { field: '@', component: '!', repetition: '#', escape: '$', subcomponent: '%', truncation: '*' };
    const msh = serializeSegment('MSH', [undefined, 'ignored', 'ignored', 'APP', 'FAC', undefined, undefined, '2026', undefined, [[['ADT'], ['A01']]], 'C1', 'P', '2.7'], d);
    expect(msh).toBe('MSH@!#$%*@APP@FAC@@@2026@@ADT!A01@C1@P@2.7');
    const m = parseMessage(msh + '\rNTE@1@@a*b\r');
    expect(m.delimiters).toEqual(d);
    expect(m.get('MSH-9.2')).toBe('A01');
  });

  it('gives back the parsed structure (parse → fields → serialize → parse)', () => {
    const text = 'MSH|^~\\&|A|B|C|D|2026||ORU^R01|X1|P|2.5\rOBX|1|TX|N^Note||l1\\.br\\l2 \\T\\ \\X41\\ C:\\path~rep2|F\r';
    const m = parseMessage(text);
    const again = parseMessage(serializeMessage(m.segments, m.delimiters));
    expect(again.segments.map((s) => s.fields)).toEqual(m.segments.map((s) => s.fields));
    expect(again.get('OBX-5')).toBe('l1\nl2 & A C:\\path');
  });
});
