import fhirpath from 'fhirpath';
import r4Model from 'fhirpath/fhir-context/r4/index.js';
import type { Patient, Practitioner } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { compileExpression } from './expression.js';

// The shapes evaluated without the engine must give what the engine gives, resource by resource.
const patients: Array<Patient | Practitioner> = [
  { resourceType: 'Patient' },
  { resourceType: 'Patient', deceasedBoolean: false },
  { resourceType: 'Patient', deceasedBoolean: true },
  { resourceType: 'Patient', deceasedDateTime: '2020-01-02' },
  { resourceType: 'Patient', telecom: [{ system: 'email', value: 'a@b.c' }, { system: 'phone', value: '555' }, { value: 'no-system' }, { system: 'email', value: 'x@y.z', use: 'work' }] },
  { resourceType: 'Patient', telecom: [{ system: 'fax', value: '1' }] },
  { resourceType: 'Practitioner', telecom: [{ system: 'phone', value: '+1 555' }, { system: 'email' }] },
];

describe('search expressions evaluated without the fhirpath engine', () => {
  for (const expression of [
    'Patient.deceased.exists() and Patient.deceased != false',
    "Patient.telecom.where(system='email')",
    "Patient.telecom.where(system='phone')",
    "Practitioner.telecom.where(system='phone')",
    "Practitioner.telecom.where(system='email')",
  ]) {
    it(`${expression} selects what the engine selects`, () => {
      const compiled = compileExpression(expression);
      for (const r of patients.filter((p) => expression.startsWith(p.resourceType))) {
        expect(compiled.evaluate(r), JSON.stringify(r)).toEqual(fhirpath.evaluate(r, expression, undefined, r4Model));
      }
    });
  }
});
