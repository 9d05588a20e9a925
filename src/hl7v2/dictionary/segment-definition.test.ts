import { beforeAll, describe, expect, it } from 'vitest';
import { checkPath } from './check-path.js';
import { dataTypeComponents, dictionaryVersion, loadHl7Dictionary, segmentDefinition } from './segment-definition.js';

describe('HL7 v2 dictionary (hl7v2-dictionary)', () => {
  beforeAll(async () => {
    await loadHl7Dictionary();
  });

  it('maps message versions to the nearest published dictionary', () => {
    expect(dictionaryVersion('2.5.1')).toBe('2.5.1');
    expect(dictionaryVersion('2.3.z')).toBe('2.3');
    expect(dictionaryVersion('2.9')).toBe('2.8');
    expect(dictionaryVersion('')).toBe('2.5');
  });

  it('gives field positions, names, data types, repetition and table ids', () => {
    const pid = segmentDefinition('2.5.1', 'PID')!;
    expect(pid.version).toBe('2.5.1');
    expect(pid.field(3)).toMatchObject({ position: 3, name: 'Patient Identifier List', dataType: 'CX', maxRepetitions: Infinity });
    expect(pid.field(8)).toMatchObject({ dataType: 'IS', table: '0001' });
    expect(pid.fields.map((f) => f.position)).toEqual(Array.from({ length: pid.fields.length }, (_, i) => i + 1));
    expect(segmentDefinition('2.8', 'ERR')!.field(3)).toMatchObject({ dataType: 'CWE', table: '0357' });
    expect(segmentDefinition('2.5', 'ZPI')).toBeUndefined();
  });

  it('differs between versions where HL7 changed the segment', () => {
    expect(segmentDefinition('2.3', 'ERR')!.fields).toHaveLength(1);
    expect(segmentDefinition('2.5', 'ERR')!.fields.length).toBeGreaterThan(1);
    expect(dataTypeComponents('2.5', 'CX')?.[3]).toMatchObject({ position: 4, dataType: 'HD' });
  });

  it('checks mapping paths against the definitions', () => {
    expect(checkPath('2.5.1', 'PID-3[2].4.1')).toMatchObject({ ok: true, field: { dataType: 'CX' }, component: { dataType: 'HD' } });
    expect(checkPath('2.5.1', 'PID-5.1.1')).toMatchObject({ ok: true });
    expect(checkPath('2.5.1', 'ZPI-7.2')).toEqual({ ok: true });
    expect(checkPath('2.5.1', 'PID-99')).toMatchObject({ ok: false, reason: expect.stringContaining('PID-99 does not exist') });
    expect(checkPath('2.5.1', 'PID-7[2]')).toMatchObject({ ok: false, reason: expect.stringContaining('does not repeat') });
    expect(checkPath('2.5.1', 'PID-3.42')).toMatchObject({ ok: false, reason: expect.stringContaining('CX has') });
    expect(checkPath('2.5.1', 'PID-1.2')).toMatchObject({ ok: false, reason: expect.stringContaining('primitive') });
    expect(checkPath('2.5.1', 'XYZ-1')).toMatchObject({ ok: false, reason: expect.stringContaining('not defined') });
    expect(checkPath('2.5.1', 'PID 3')).toMatchObject({ ok: false });
  });
});
