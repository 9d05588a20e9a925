import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE, CarebridgeError, normalizeError, toOperationOutcome } from './index.js';

describe('error catalogue', () => {
  const codes = Object.keys(ERROR_CATALOGUE);

  it('names every code CB_ERR_AREA_WHAT', () => {
    for (const code of codes) expect(code).toMatch(/^CB_ERR_[A-Z0-9]+(_[A-Z0-9]+)*$/);
  });

  it('documents every code in docs/errors.md', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    const missing = codes.filter((c) => !doc.includes(`\`${c}\``));
    expect(missing).toEqual([]);
  });

  it('maps every code to an HTTP status, an issue code and an ACK code', () => {
    for (const code of codes) {
      const k = ERROR_CATALOGUE[code as keyof typeof ERROR_CATALOGUE];
      expect(k.http).toBeGreaterThanOrEqual(400);
      expect(['AE', 'AR']).toContain(k.ack);
      expect(k.hl7).toMatch(/^[12]0\d$/);
      const oo = toOperationOutcome(new CarebridgeError(code as keyof typeof ERROR_CATALOGUE));
      expect(oo.issue[0]?.code).toBe(k.issue);
    }
  });

  it('never leaks the message of an unknown error', () => {
    const e = normalizeError(new Error('password=hunter2 at /srv/x.ts:10'));
    expect(e.code).toBe('CB_ERR_INTERNAL');
    expect(JSON.stringify(toOperationOutcome(e))).not.toContain('hunter2');
  });

  it('names the element in issue.expression', () => {
    const oo = toOperationOutcome(new CarebridgeError('CB_ERR_FHIR_INVALID_RESOURCE', 'bad', { details: [{ expression: 'Patient.birthDate', diagnostics: 'not a date' }] }));
    expect(oo.issue[0]?.expression).toEqual(['Patient.birthDate']);
  });

  it('answers a malformed JSON body with 400, not 500', () => {
    const e = normalizeError(Object.assign(new SyntaxError('Unexpected token'), { code: 'FST_ERR_CTP_INVALID_JSON_BODY', statusCode: 400 }));
    expect(e.code).toBe('CB_ERR_BAD_REQUEST');
  });

  it('recognises an unreachable database as retryable', () => {
    const e = normalizeError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    expect(e.code).toBe('CB_ERR_DB_UNAVAILABLE');
    expect(e.kind.retryable).toBe(true);
    expect(e.kind.ack).toBe('AR');
  });
});
