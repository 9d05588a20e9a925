/**
 * What a rule writes when several rules target one element: the engine reads single-valued
 * targets without an array and skips the "already set?" check for the first rule of an element,
 * so these pin down that the first value still wins, that an empty or `when`-refused rule leaves
 * the element to the next one, and that repeating elements collect from every rule.
 */
import { rmSync } from 'node:fs';
import type { Patient } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MappingSet } from '../mapping-set.js';
import { adtWithPid, loadMappingSet, writeMappingFiles } from './test-support.js';

const files: Record<string, string> = {
  'messages/test-adt.yaml': `
kind: message
id: test-adt
match: { type: ADT, events: [A01] }
resources:
  - key: patient
    map: test-patient
`,
  'segments/test-patient.yaml': `
kind: segment
id: test-patient
segment: PID
resource: Patient
identity:
  identifier: { from: 3, datatype: test-cx }
rules:
  - to: gender
    from: 9
  - to: gender
    from: 8
    map: test-gender
  - to: gender
    const: other
  - to: birthDate
    when: { present: 30 }
    const: "1900-01-01"
  - to: birthDate
    from: 7
  - to: identifier
    from: 4
    datatype: test-cx
  - to: identifier
    from: 3
    datatype: test-cx
  - to: maritalStatus
    from: 16
    datatype: test-cwe
  - to: multipleBirthInteger
    from: [25, 1]
  - to: active
    cases:
      - when: { present: 29 }
        const: false
      - from: 30
    default: true
`,
  'datatypes/test-cx.yaml': `
kind: datatype
id: test-cx
v2: [CX]
fhir: Identifier
rules:
  - to: value
    from: 1
  - to: system
    from: 4.1
`,
  'datatypes/test-cwe.yaml': `
kind: datatype
id: test-cwe
v2: [CWE]
fhir: CodeableConcept
rules:
  - to: coding[0].code
    from: 1
  - to: coding[0].display
    from: 2
  - to: text
    from: [9, 2]
`,
  'codemaps/test-gender.yaml': `
kind: codemap
id: test-gender
map:
  F: female
  M: male
`,
};

let dir: string;
let set: MappingSet;

beforeAll(async () => {
  dir = writeMappingFiles('cb-rules-', files);
  set = await loadMappingSet(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The Patient mapped from an ADT^A01 whose PID has the given fields (1-based field number → text). */
function patientOf(pidFields: Record<number, string>): Patient {
  const { meta: _meta, ...patient } = set.mapMessage(adtWithPid(pidFields)).bundle.entry![0]!.resource as Patient;
  return patient;
}

describe('rules writing one element', () => {
  it('the first rule that yields a value wins; empty and when-refused rules leave the element to the next', () => {
    const p = patientOf({ 3: 'MRN1^^^HOSP', 7: '19800102', 8: 'F' });
    expect(p.gender).toBe('female'); // PID-9 empty, PID-8 mapped, the const after it ignored
    expect(p.birthDate).toBe('1980-01-02'); // the `when: present 30` rule is refused
    expect(p.active).toBe(true); // no case yields: the default
  });

  it('an earlier rule that yields keeps the element against later ones', () => {
    const p = patientOf({ 3: 'MRN1^^^HOSP', 7: '19800102', 8: 'F', 9: 'X', 29: '20200101', 30: 'Y' });
    expect(p.gender).toBe('X');
    expect(p.birthDate).toBe('1900-01-01');
    expect(p.active).toBe(false); // the `when` case wins over the `from: 30` case after it
  });

  it('repeating elements collect every rule and repetition, in rule order', () => {
    const p = patientOf({ 3: 'MRN1^^^HOSP~MRN2^^^OTHER', 4: 'ALT^^^X' });
    expect(p.identifier).toEqual([{ value: 'ALT', system: 'X' }, { value: 'MRN1', system: 'HOSP' }, { value: 'MRN2', system: 'OTHER' }]);
  });

  it('a single element from a repeating field takes the first repetition that builds a value', () => {
    const p = patientOf({ 3: 'MRN1', 16: '~M^Married^^^^^^^Wed~S^Single' });
    expect(p.maritalStatus).toEqual({ coding: [{ code: 'M', display: 'Married' }], text: 'Wed' });
  });

  it('`from` alternatives: the first path with a value', () => {
    expect(patientOf({ 1: '1', 3: 'MRN1' }).multipleBirthInteger).toBe(1);
    expect(patientOf({ 1: '1', 3: 'MRN1', 25: '2' }).multipleBirthInteger).toBe(2);
    expect(patientOf({ 3: 'MRN1', 30: 'N' }).active).toBe(false); // the second case
  });
});
