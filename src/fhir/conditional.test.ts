import type { Patient } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { parseConditional } from './conditional.js';
import { parseEntryRequest } from './bundle-request.js';
import { parseVersion, sameContent, sourceUri } from './resource-meta.js';
import { pointerToPath } from './validation/index.js';

describe('conditional criteria', () => {
  it('canonicalises the query so equal criteria take the same lock', () => {
    expect(parseConditional('Patient?identifier=s|1&active=true')).toEqual(parseConditional('Patient?active=true&identifier=s%7C1'));
    expect(parseConditional('identifier=s|1', 'Patient').type).toBe('Patient');
  });
  it('refuses criteria-less conditional operations', () => {
    expect(() => parseConditional('Patient?')).toThrow(expect.objectContaining({ code: 'CB_ERR_FHIR_UNPROCESSABLE' }));
  });
});

describe('bundle entry requests', () => {
  const entry = (method: string, url: string) => ({ request: { method: method as 'GET', url } });
  it('parses type, id, version and query; strips the server base', () => {
    expect(parseEntryRequest(entry('GET', 'Patient/1/_history/2'), 0, 'http://x/fhir')).toMatchObject({ type: 'Patient', id: '1', versionId: '2' });
    expect(parseEntryRequest(entry('PUT', 'http://x/fhir/Patient?identifier=a|b'), 0, 'http://x/fhir')).toMatchObject({ type: 'Patient', query: 'identifier=a|b' });
  });
  it('names the entry in errors', () => {
    expect(() => parseEntryRequest(entry('FETCH', 'Patient'), 3, '')).toThrow(expect.objectContaining({ message: expect.stringContaining('Bundle.entry[3].request') }));
  });
});

describe('meta helpers', () => {
  it('reads versions from ETags', () => {
    expect(parseVersion('W/"3"')).toBe('3');
    expect(parseVersion('"3"')).toBe('3');
    expect(parseVersion('3')).toBe('3');
  });
  it('compares content ignoring versionId/lastUpdated and key order', () => {
    const a: Patient = { resourceType: 'Patient', id: '1', meta: { versionId: '1', lastUpdated: 'a' }, active: true };
    const b: Patient = { active: true, id: '1', resourceType: 'Patient' };
    expect(sameContent(a, b)).toBe(true);
    const c: Patient = { ...b, active: false };
    expect(sameContent(a, c)).toBe(false);
  });
  it('encodes the write source without patient data', () => {
    expect(sourceUri({ kind: 'outbound', destination: 'crm' })).toBe('urn:carebridge:outbound:crm');
  });
  it('turns JSON pointers into FHIRPath-like element paths', () => {
    expect(pointerToPath('Patient', '/name/0/family')).toBe('Patient.name[0].family');
  });
});
