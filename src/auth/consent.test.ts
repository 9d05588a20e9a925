import type { Consent } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { decide } from './consent.js';

const CP = 'http://hl7.org/fhir/contact-point-system';
const base = (o: Partial<Consent> = {}): Consent => ({
  resourceType: 'Consent',
  id: 'c1',
  status: 'active',
  scope: { coding: [{ code: 'patient-privacy' }] },
  category: [{ coding: [{ code: '59284-0' }] }],
  patient: { reference: 'Patient/p1' },
  dateTime: '2026-01-01T00:00:00Z',
  ...o,
});
const at = new Date('2026-06-01T00:00:00Z');
const ctx = (purpose: string, channel: string, when = at) => ({ purpose, channel, at: when });

describe('consent decisions', () => {
  it('permits when a permit provision matches purpose and channel', () => {
    const c = base({ provision: { type: 'permit', purpose: [{ code: 'appointment-reminder' }], code: [{ coding: [{ system: CP, code: 'sms' }] }] } });
    expect(decide([c], ctx('appointment-reminder', 'sms'), 'deny')).toEqual({ allowed: true, reason: 'permit', consentId: 'c1' });
    // Another channel or purpose is not covered → the default.
    expect(decide([c], ctx('appointment-reminder', 'email'), 'deny')).toMatchObject({ allowed: false, reason: 'no-consent' });
    expect(decide([c], ctx('marketing', 'sms'), 'deny')).toMatchObject({ allowed: false, reason: 'no-consent' });
  });

  it('denies with a deny consent, and nested exceptions override the base', () => {
    const c = base({ provision: { type: 'deny', provision: [{ type: 'permit', purpose: [{ code: 'appointment-reminder' }] }] } });
    expect(decide([c], ctx('marketing', 'email'), 'permit')).toMatchObject({ allowed: false, reason: 'deny' });
    expect(decide([c], ctx('appointment-reminder', 'email'), 'deny')).toMatchObject({ allowed: true, reason: 'permit' });
  });

  it('ignores an expired or not-yet-valid consent (the default applies)', () => {
    const expired = base({ provision: { type: 'permit', period: { start: '2025-01-01', end: '2026-03-01' } } });
    expect(decide([expired], ctx('x', 'sms'), 'deny')).toMatchObject({ allowed: false, reason: 'no-consent' });
    expect(decide([expired], ctx('x', 'sms', new Date('2026-02-01T00:00:00Z')), 'deny')).toMatchObject({ allowed: true, reason: 'permit' });
    const future = base({ dateTime: '2027-01-01T00:00:00Z', provision: { type: 'permit' } });
    expect(decide([future], ctx('x', 'sms'), 'deny').reason).toBe('no-consent');
  });

  it('ignores inactive consents and lets the newest applicable consent win', () => {
    const oldPermit = base({ id: 'old', dateTime: '2026-01-01T00:00:00Z', provision: { type: 'permit' } });
    const newDeny = base({ id: 'new', dateTime: '2026-05-01T00:00:00Z', provision: { type: 'deny' } });
    const withdrawn = base({ id: 'w', status: 'inactive', dateTime: '2026-05-15T00:00:00Z', provision: { type: 'permit' } });
    expect(decide([oldPermit, newDeny, withdrawn], ctx('x', 'sms'), 'permit')).toEqual({ allowed: false, reason: 'deny', consentId: 'new' });
  });

  it('absent consent → the default (deny unless configured)', () => {
    expect(decide([], ctx('x', 'sms'), 'deny')).toEqual({ allowed: false, reason: 'no-consent' });
    expect(decide([], ctx('x', 'sms'), 'permit')).toEqual({ allowed: true, reason: 'no-consent' });
  });

  it('matches system|code when a system is given', () => {
    const c = base({ provision: { type: 'permit', code: [{ coding: [{ system: CP, code: 'email' }] }] } });
    expect(decide([c], ctx('x', `${CP}|email`), 'deny').allowed).toBe(true);
    expect(decide([c], ctx('x', 'http://other|email'), 'deny').allowed).toBe(false);
  });
});
