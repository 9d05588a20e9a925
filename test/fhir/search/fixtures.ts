/** A small clinical dataset shared by the search tests (seeded once per file). */
import type { Condition, Encounter, Observation, Organization, Patient, Practitioner, Resource, RiskAssessment } from 'fhir/r4.js';

const MRN = 'urn:mrn';
const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const UCUM = 'http://unitsofmeasure.org';

export const patients: Patient[] = [
  {
    resourceType: 'Patient', id: 'p1', active: true, gender: 'male', birthDate: '1970-05-01',
    meta: { tag: [{ system: 'http://cb/tags', code: 'vip' }], profile: ['http://cb/profile/patient'] },
    identifier: [{ system: MRN, value: '1001' }],
    name: [{ family: 'Müller', given: ['Hans'] }],
    telecom: [{ system: 'email', value: 'hans@example.org' }],
    address: [{ city: 'Berlin' }],
    generalPractitioner: [{ reference: 'Practitioner/pr1' }],
    managingOrganization: { reference: 'Organization/org1' },
  },
  {
    resourceType: 'Patient', id: 'p2', gender: 'female', birthDate: '1980-02-29', deceasedBoolean: false,
    meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }] },
    identifier: [{ system: MRN, value: '1002' }, { value: 'NOSYS' }],
    name: [{ family: 'Smith', given: ['Anna'] }],
    telecom: [{ system: 'phone', value: '555-0100' }],
  },
  {
    resourceType: 'Patient', id: 'p3', birthDate: '1975-12-31', deceasedDateTime: '2020-01-01',
    identifier: [{ system: MRN, value: '1003' }],
    name: [{ family: 'Smithson', given: ['John'] }],
  },
  {
    resourceType: 'Patient', id: 'p4', gender: 'male', birthDate: '1960-01-01',
    identifier: [{ system: MRN, value: '1004' }],
    name: [{ family: 'Smith', given: ['Deleted'] }],
  },
  {
    resourceType: 'Patient', id: 'p5', gender: 'female', birthDate: '1960-07-07',
    identifier: [{ system: MRN, value: '1005' }],
    name: [{ family: 'Jones', given: ['Mary'] }],
  },
];

const hba1c = { coding: [{ system: LOINC, code: '4548-4', display: 'Hemoglobin A1c' }], text: 'HbA1c' };
const glucose = { coding: [{ system: LOINC, code: '2345-7', display: 'Glucose' }] };
const percent = (value: number) => ({ value, unit: '%', system: UCUM, code: '%' });

function observation(id: string, patient: string, code: Observation['code'], value: number, effective: string, unit = percent(value)): Observation {
  return { resourceType: 'Observation', id, status: 'final', code, subject: { reference: `Patient/${patient}` }, effectiveDateTime: effective, valueQuantity: unit };
}

export const observations: Observation[] = [
  observation('o1', 'p1', hba1c, 9.1, '2024-03-10T10:00:00Z'),
  observation('o2', 'p2', hba1c, 6.0, '2024-03-11'),
  observation('o3', 'p2', glucose, 9.5, '2024-03-11', { value: 9.5, unit: 'mmol/L', system: UCUM, code: 'mmol/L' }),
  observation('o4', 'p3', hba1c, 8.5, '2024-04-01'),
  // p5: HbA1c normal, but another observation above 8 — must not satisfy "HbA1c above 8".
  observation('o5', 'p5', hba1c, 6.0, '2024-04-02'),
  observation('o6', 'p5', glucose, 9.9, '2024-04-02', { value: 9.9, unit: '%', system: UCUM, code: '%' }),
];

function diabetes(id: string, patient: string): Condition {
  return { resourceType: 'Condition', id, subject: { reference: `Patient/${patient}` }, code: { coding: [{ system: SNOMED, code: '44054006', display: 'Diabetes mellitus type 2' }] } };
}

export const conditions: Condition[] = [diabetes('c1', 'p1'), diabetes('c2', 'p2'), diabetes('c3', 'p3'), diabetes('c5', 'p5')];

const practitioner: Practitioner = { resourceType: 'Practitioner', id: 'pr1', name: [{ family: 'Doe', given: ['Jane'] }] };
const organization: Organization = { resourceType: 'Organization', id: 'org1', name: 'Charité Berlin' };
const encounter: Encounter = {
  resourceType: 'Encounter', id: 'e1', status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
  subject: { reference: 'Patient/p1' }, period: { start: '2024-01-01', end: '2024-01-05' }, serviceProvider: { reference: 'Organization/org1' },
};
const risk: RiskAssessment = { resourceType: 'RiskAssessment', id: 'ra1', status: 'final', subject: { reference: 'Patient/p1' }, prediction: [{ probabilityDecimal: 0.25 }] };

export const others: Resource[] = [practitioner, organization, encounter, risk];

export const allResources: Resource[] = [...patients, ...observations, ...conditions, ...others];
