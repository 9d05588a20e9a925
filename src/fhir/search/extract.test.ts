import type { Observation, Patient } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { indexDocument, indexRowsOf } from './index-writer.js';
import { compileExpression } from './expression.js';
import { allResourceTypes, parameterOf, parametersOf } from './parameters.js';

describe('search parameters as data', () => {
  it('are read from the official bundle with this type’s branch of the expression', () => {
    expect(parameterOf('Patient', 'family')?.expressions).toEqual(['Patient.name.family']);
    expect(parameterOf('Observation', 'patient')?.expressions).toEqual(['Observation.subject.where(resolve() is Patient)']);
    expect(parameterOf('Task', '_tag')?.expressions).toEqual(['Task.meta.tag']);
    expect(parameterOf('Patient', 'no-such-param')).toBeUndefined();
  });

  it('every expression of every resource type compiles and evaluates (resolve/as/ofType forms included)', () => {
    const failures: string[] = [];
    let count = 0;
    for (const type of allResourceTypes()) {
      for (const def of parametersOf(type).values()) {
        for (const expression of def.expressions) {
          count++;
          try {
            compileExpression(expression).evaluate({ resourceType: type });
          } catch (err) {
            failures.push(`${type}.${def.code}: ${(err as Error).message}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(count).toBeGreaterThan(2000);
  });
});

describe('indexRowsOf', () => {
  const patient: Patient = {
    resourceType: 'Patient', id: 'x', birthDate: '1970-05-01',
    identifier: [{ system: 'urn:mrn', value: 'A1', type: { text: 'Medical record' } }],
    name: [{ family: 'Müller', given: ['Hans', 'Peter'] }],
  };

  it('normalises strings (lower case, accents folded) and keeps the exact text', () => {
    const family = indexRowsOf(patient).string.filter((r) => r.param === 'family');
    expect(family).toEqual([{ param: 'family', value: 'muller', exact: 'Müller' }]);
  });

  it('indexes identifiers as system|value tokens with the type text', () => {
    const identifier = indexRowsOf(patient).token.filter((r) => r.param === 'identifier');
    expect(identifier).toEqual([{ param: 'identifier', system: 'urn:mrn', value: 'A1', text: 'medical record' }]);
  });

  it('indexes dates as low/high ranges', () => {
    const birth = indexRowsOf(patient).date.filter((r) => r.param === 'birthdate');
    expect(birth).toEqual([{ param: 'birthdate', low: '1970-05-01T00:00:00.000Z', high: '1970-05-01T23:59:59.999Z' }]);
  });

  it('resolves choice types (value[x] as Quantity) and typed references', () => {
    const obs: Observation = {
      resourceType: 'Observation', id: 'o', status: 'final', code: { text: 'x' },
      subject: { reference: 'Group/g1' }, valueQuantity: { value: 8.2, system: 'http://unitsofmeasure.org', code: '%' },
    };
    const rows = indexRowsOf(obs);
    expect(rows.quantity.find((r) => r.param === 'value-quantity')).toMatchObject({ low: '8.2', high: '8.2', code: '%' });
    expect(rows.reference.find((r) => r.param === 'subject')).toMatchObject({ target_type: 'Group', target_id: 'g1' });
    // `patient` is subject.where(resolve() is Patient): a Group subject is not a patient.
    expect(rows.reference.find((r) => r.param === 'patient')).toBeUndefined();
  });

  it('indexDocument is the JSON of the non-empty tables of indexRowsOf, each row once', () => {
    // Repeated identifiers and names make duplicate rows; the document must hold each row once.
    const twice: Patient = { ...patient, identifier: [...patient.identifier!, ...patient.identifier!], name: [...patient.name!, ...patient.name!] };
    const rows = indexRowsOf(twice);
    const tables = Object.fromEntries(Object.entries(rows).filter(([, list]) => list.length > 0));
    expect(indexDocument(twice)).toBe(JSON.stringify(tables));
    expect(JSON.parse(indexDocument(twice)).token.filter((r: { param: string }) => r.param === 'identifier')).toHaveLength(1);
    expect(indexDocument({ resourceType: 'Basic', code: {} } as never)).toBe('{}');
  });
});
