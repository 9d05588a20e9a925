import { describe, expect, it } from 'vitest';
import { TEST_ADMIN_TOKEN, type TestServer } from '../helpers/server.js';

/** The shared server runs with BODY_LIMIT_BYTES=65536 (see server.test.ts). */
export function limitsSuite(server: () => TestServer): void {
  describe('request limits', () => {
    const big = JSON.stringify({ resourceType: 'Patient', identifier: [{ system: 's', value: 'x' }], text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${'a'.repeat(100_000)}</div>` } });

    it('refuses an oversized body with 413 OperationOutcome', async () => {
      const res = await fetch(`${server().httpUrl}/fhir/Patient`, { method: 'POST', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/fhir+json' }, body: big });
      expect(res.status).toBe(413);
      expect(((await res.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
    });

    it('answers 401 before reading the body of an anonymous request', async () => {
      const res = await fetch(`${server().httpUrl}/fhir/Patient`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: big });
      expect(res.status).toBe(401);
    });
  });
}
