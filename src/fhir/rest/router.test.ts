import { describe, expect, it } from 'vitest';
import { routeRequest } from './router.js';
import { parsePrefer } from './prefer.js';

describe('FHIR REST router', () => {
  const interaction = (method: Parameters<typeof routeRequest>[0], path: string, q = false) => routeRequest(method, path.split('/').filter(Boolean), q).interaction;

  it('maps the FHIR URL shapes to interactions', () => {
    expect(interaction('GET', 'Patient/1')).toBe('read');
    expect(interaction('GET', 'Patient/1/_history/2')).toBe('vread');
    expect(interaction('GET', 'Patient/1/_history')).toBe('history');
    expect(interaction('GET', 'Patient/_history')).toBe('history');
    expect(interaction('GET', '_history')).toBe('history');
    expect(interaction('POST', 'Patient')).toBe('create');
    expect(interaction('PUT', 'Patient', true)).toBe('update');
    expect(interaction('DELETE', 'Patient', true)).toBe('delete');
    expect(interaction('POST', 'Patient/_search')).toBe('search');
    expect(interaction('GET', 'Patient/1/$everything')).toBe('operation');
    expect(interaction('POST', '')).toBe('operation');
  });

  it('405 for a known path with the wrong method, 404 for an unknown path', () => {
    expect(() => routeRequest('PATCH', ['Patient', '1'], false)).toThrow(expect.objectContaining({ code: 'CB_ERR_METHOD_NOT_ALLOWED' }));
    expect(() => routeRequest('PUT', ['Patient'], false)).toThrow(expect.objectContaining({ code: 'CB_ERR_METHOD_NOT_ALLOWED' }));
    expect(() => routeRequest('GET', ['Observation', '1', '$everything'], false)).toThrow(expect.objectContaining({ code: 'CB_ERR_NOT_FOUND' }));
    expect(() => routeRequest('GET', ['a', 'b', 'c', 'd', 'e'], false)).toThrow(expect.objectContaining({ code: 'CB_ERR_NOT_FOUND' }));
  });

  it('parses Prefer', () => {
    expect(parsePrefer(undefined)).toEqual({ return: 'representation' });
    expect(parsePrefer('return=minimal')).toEqual({ return: 'minimal' });
    expect(parsePrefer('handling=strict, return=OperationOutcome')).toEqual({ return: 'OperationOutcome', handling: 'strict' });
    expect(parsePrefer('return=bogus')).toEqual({ return: 'representation' });
  });
});
