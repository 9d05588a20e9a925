/**
 * Compiled code maps remember each code's answer: the remembered answer must equal a fresh
 * lookup, codings handed out must stay separate objects, and the memo must start over past its
 * bound without changing answers.
 */
import { describe, expect, it } from 'vitest';
import { compileCodeMap, MEMO_LIMIT } from './codemaps.js';
import type { CodeMapSpec } from './types.js';

const spec: CodeMapSpec = {
  kind: 'codemap',
  id: 'systems',
  caseInsensitive: true,
  map: { LN: 'http://loinc.org', 'HL7*': 'http://terminology.hl7.org/CodeSystem/v2-{rest}', SCT: { code: 'http://snomed.info/sct', display: 'SNOMED CT' } },
  default: 'urn:x:{value}',
  source: { file: 'systems.yaml', line: 1 },
};
const compile = () => compileCodeMap(spec, () => 1).map;

describe('compiled code map', () => {
  it('answers a code the same the first and the second time, exact, prefix and default alike', () => {
    const m = compile();
    for (const v of ['ln', 'LN', 'HL70203', 'SCT', 'local code', '']) {
      const first = [m.code(v), m.coding(v), m.coding(v, 'shown')];
      const again = [m.code(v), m.coding(v), m.coding(v, 'shown')];
      expect(again).toEqual(first);
      expect(first).toEqual([compile().code(v), compile().coding(v), compile().coding(v, 'shown')]);
    }
    expect(m.code('ln')).toBe('http://loinc.org');
    expect(m.code('HL70203')).toBe('http://terminology.hl7.org/CodeSystem/v2-0203');
    expect(m.coding('local code')).toEqual({ code: 'urn:x:local%20code' });
    expect(m.coding('SCT', 'shown')).toEqual({ code: 'http://snomed.info/sct', display: 'SNOMED CT' });
  });

  it('hands out a separate Coding each time, so one resource cannot change another', () => {
    const m = compile();
    const a = m.coding('LN')!;
    a.code = 'changed';
    expect(m.coding('LN')).toEqual({ code: 'http://loinc.org' });
  });

  it('keeps answering right past the memo bound', () => {
    const m = compile();
    for (let i = 0; i < MEMO_LIMIT * 2 + 10; i++) expect(m.code(`c${i}`)).toBe(`urn:x:c${i}`);
    expect(m.code('LN')).toBe('http://loinc.org');
    expect(m.code('c1')).toBe('urn:x:c1');
  });
});
