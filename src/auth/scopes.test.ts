import type { Observation, Patient } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { policyFromScopes } from './policy.js';
import { parseScope, parseScopes, scopeCovers } from './scopes.js';
import { grantScopes } from './token-routes.js';

describe('SMART scopes', () => {
  it('parses v1 and v2 syntax into permissions', () => {
    const perms = (s: string) => {
      const p = parseScope(s);
      return p?.kind === 'resource' ? [...p.permissions].sort().join('') : undefined;
    };
    expect(perms('system/Patient.read')).toBe('rs');
    expect(perms('system/Patient.write')).toBe('cdu');
    expect(perms('system/*.*')).toBe('cdrsu');
    expect(perms('system/*.cruds')).toBe('cdrsu');
    expect(perms('patient/Observation.rs')).toBe('rs');
    expect(perms('user/Encounter.cu')).toBe('cu');
  });

  it('rejects malformed scopes, out-of-order v2 letters and v1 with a query', () => {
    for (const s of ['system/Patient', 'system/patient.read', 'system/Patient.rr', 'system/Patient.sr', 'system/Patient.x', 'admin/Patient.read', 'system/Observation.read?category=lab', 'openid']) {
      expect(parseScope(s), s).toBeUndefined();
    }
    expect(parseScopes('system/Patient.read bogus').invalid).toEqual(['bogus']);
  });

  it('checks interaction and resource type', () => {
    const p = policyFromScopes('c1', 'system/Patient.read system/Observation.c');
    expect(p.can('read', 'Patient')).toBe(true);
    expect(p.can('vread', 'Patient')).toBe(true);
    expect(p.can('search', 'Patient')).toBe(true);
    expect(p.can('history', 'Patient')).toBe(true);
    expect(p.can('update', 'Patient')).toBe(false);
    expect(p.can('create', 'Observation')).toBe(true);
    expect(p.can('read', 'Observation')).toBe(false);
    expect(p.can('read', 'Encounter')).toBe(false);
    expect(p.isAdmin).toBe(false);
  });

  it('grants nothing for user/ and patient/ scopes (no user or patient context in backend tokens)', () => {
    const p = policyFromScopes('c1', 'patient/*.cruds user/*.cruds');
    expect(p.can('read', 'Patient')).toBe(false);
    expect(p.hasResourceAccess).toBe(false);
  });

  it('applies v2 granular restrictions to resources', () => {
    const p = policyFromScopes('c1', 'system/Observation.rs?category=laboratory');
    const lab: Observation = { resourceType: 'Observation', status: 'final', code: {}, category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }] };
    const vitals: Observation = { ...lab, category: [{ coding: [{ code: 'vital-signs' }] }] };
    const none: Observation = { resourceType: 'Observation', status: 'final', code: {} };
    expect(p.can('search', 'Observation')).toBe(true); // coarse gate; results are filtered per resource
    expect(p.can('read', 'Observation', lab)).toBe(true);
    expect(p.can('read', 'Observation', vitals)).toBe(false);
    expect(p.can('read', 'Observation', none)).toBe(false);
    const sys = policyFromScopes('c1', 'system/Observation.rs?category=http://other|laboratory');
    expect(sys.can('read', 'Observation', lab)).toBe(false);
  });

  it('keeps AuditEvent admin-only and read-only', () => {
    const admin = policyFromScopes('a', 'system/*.cruds carebridge/admin');
    const plain = policyFromScopes('p', 'system/*.cruds');
    expect(admin.can('search', 'AuditEvent')).toBe(true);
    expect(admin.can('create', 'AuditEvent')).toBe(false);
    expect(admin.can('delete', 'AuditEvent')).toBe(false);
    expect(plain.can('search', 'AuditEvent')).toBe(false);
    expect(plain.can('read', 'Patient', { resourceType: 'Patient' } as Patient)).toBe(true);
  });

  it('narrows requested token scopes to what the client holds', () => {
    expect(grantScopes('system/*.rs', 'system/Patient.r system/Observation.rs')).toBe('system/Patient.r system/Observation.rs');
    expect(grantScopes('system/Patient.rs', 'system/Patient.cruds')).toBe('');
    expect(grantScopes('system/Patient.rs carebridge/admin', undefined)).toBe('system/Patient.rs carebridge/admin');
    expect(grantScopes('system/Patient.rs', 'carebridge/admin')).toBe('');
    const g = parseScope('system/Observation.rs?category=laboratory')!;
    expect(scopeCovers(g, parseScope('system/Observation.rs')!)).toBe(false);
    expect(scopeCovers(g, parseScope('system/Observation.r?category=laboratory')!)).toBe(true);
  });
});
