import { describe, expect, it } from 'vitest';
import { requirementFor } from './route-access.js';

describe('coarse route requirements', () => {
  it('maps FHIR REST paths to interactions', () => {
    expect(requirementFor('GET', '/fhir/Patient/1')).toEqual({ kind: 'fhir', interaction: 'read', resourceType: 'Patient' });
    expect(requirementFor('GET', '/fhir/Patient')).toEqual({ kind: 'fhir', interaction: 'search', resourceType: 'Patient' });
    expect(requirementFor('POST', '/fhir/Patient/_search')).toEqual({ kind: 'fhir', interaction: 'search', resourceType: 'Patient' });
    expect(requirementFor('POST', '/fhir/Patient')).toEqual({ kind: 'fhir', interaction: 'create', resourceType: 'Patient' });
    expect(requirementFor('PUT', '/fhir/Patient/1')).toEqual({ kind: 'fhir', interaction: 'update', resourceType: 'Patient' });
    expect(requirementFor('DELETE', '/fhir/Patient/1')).toEqual({ kind: 'fhir', interaction: 'delete', resourceType: 'Patient' });
    expect(requirementFor('GET', '/fhir/Patient/1/_history/2')).toEqual({ kind: 'fhir', interaction: 'vread', resourceType: 'Patient' });
    expect(requirementFor('GET', '/fhir/Patient/1/_history')).toEqual({ kind: 'fhir', interaction: 'history', resourceType: 'Patient' });
    expect(requirementFor('GET', '/fhir/Patient/1/$everything')).toEqual({ kind: 'fhir', interaction: 'operation', resourceType: 'Patient' });
    expect(requirementFor('POST', '/fhir')).toEqual({ kind: 'fhir-system' });
  });

  it('keeps $erase, /admin and unknown routes for admins, /hl7v2 for intake clients', () => {
    expect(requirementFor('POST', '/fhir/Patient/1/$erase')).toEqual({ kind: 'admin' });
    expect(requirementFor('GET', '/admin/api/messages')).toEqual({ kind: 'admin' });
    expect(requirementFor('GET', '/something-new')).toEqual({ kind: 'admin' });
    expect(requirementFor('POST', '/hl7v2/messages')).toEqual({ kind: 'hl7v2' });
  });

  it('judges the percent-decoded path', () => {
    expect(requirementFor('POST', '/fhir/Patient/1/%24erase')).toEqual({ kind: 'admin' });
    expect(requirementFor('GET', '/fhir/%50atient/1')).toEqual({ kind: 'fhir', interaction: 'read', resourceType: 'Patient' });
    expect(requirementFor('GET', '/fhir/Patient/%E0%A4%A')).toEqual({ kind: 'admin' });
  });
});
