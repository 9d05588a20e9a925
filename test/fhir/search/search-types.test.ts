import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchResources } from '../../../src/fhir/search/index.js';
import { testDatabaseKinds, type TestDatabase } from '../../helpers/db.js';
import { allResources } from './fixtures.js';
import { BASE, markDeleted, matchIds, openSearchDatabase, params, seed } from './support.js';

describe.each(testDatabaseKinds())('search parameter types on %s', (kind) => {
  let t: TestDatabase;
  const ids = async (type: string, query: string) => matchIds(await searchResources(t.db, { resourceType: type, params: params(query), baseUrl: BASE })).sort();

  beforeAll(async () => {
    t = await openSearchDatabase(kind);
    await seed(t.db, allResources);
    await markDeleted(t.db, 'Patient', 'p4');
  });
  afterAll(() => t.close());

  describe('string', () => {
    it('matches by prefix, ignoring case and accents', async () => {
      expect(await ids('Patient', 'family=MUL')).toEqual(['Patient/p1']);
    });
    it(':exact matches the whole value, case-sensitively', async () => {
      expect(await ids('Patient', 'family:exact=Smith')).toEqual(['Patient/p2']);
      expect(await ids('Patient', 'family:exact=smith')).toEqual([]);
    });
    it(':contains matches inside the value', async () => {
      expect(await ids('Patient', 'name:contains=ithso')).toEqual(['Patient/p3']);
    });
    it('name searches every part of HumanName, and "given family"', async () => {
      expect(await ids('Patient', 'name=anna')).toEqual(['Patient/p2']);
      expect(await ids('Patient', 'name=hans mu')).toEqual(['Patient/p1']);
    });
    it('treats LIKE wildcards in the value literally', async () => {
      expect(await ids('Patient', 'family=%25')).toEqual([]);
      expect(await ids('Patient', 'family=_mith')).toEqual([]);
    });
  });

  describe('token', () => {
    it('system|code', async () => {
      expect(await ids('Patient', 'identifier=urn:mrn|1001')).toEqual(['Patient/p1']);
    });
    it('code alone matches any system', async () => {
      expect(await ids('Patient', 'identifier=1002')).toEqual(['Patient/p2']);
    });
    it('|code matches only values without a system', async () => {
      expect(await ids('Patient', 'identifier=|NOSYS')).toEqual(['Patient/p2']);
      expect(await ids('Patient', 'identifier=|1001')).toEqual([]);
    });
    it('system| matches any code in the system', async () => {
      expect(await ids('Patient', 'identifier=urn:mrn|')).toEqual(['Patient/p1', 'Patient/p2', 'Patient/p3', 'Patient/p5']);
    });
    it(':not excludes matches and keeps resources without the element', async () => {
      expect(await ids('Patient', 'gender:not=male')).toEqual(['Patient/p2', 'Patient/p3', 'Patient/p5']);
    });
    it(':text searches CodeableConcept text and Coding display', async () => {
      expect(await ids('Observation', 'code:text=hemoglobin')).toEqual(['Observation/o1', 'Observation/o2', 'Observation/o4', 'Observation/o5']);
    });
    it('evaluates FHIRPath filters from the definitions (email = telecom.where(system=email))', async () => {
      expect(await ids('Patient', 'email=hans@example.org')).toEqual(['Patient/p1']);
      expect(await ids('Patient', 'email=555-0100')).toEqual([]);
    });
    it('evaluates boolean expressions (deceased)', async () => {
      expect(await ids('Patient', 'deceased=true')).toEqual(['Patient/p3']);
    });
  });

  describe('date', () => {
    it('year precision: eq covers the whole year', async () => {
      expect(await ids('Patient', 'birthdate=1970')).toEqual(['Patient/p1']);
    });
    it('month precision', async () => {
      expect(await ids('Patient', 'birthdate=1980-02')).toEqual(['Patient/p2']);
    });
    it('lt, ge, sa, eb, ne', async () => {
      expect(await ids('Patient', 'birthdate=lt1976')).toEqual(['Patient/p1', 'Patient/p3', 'Patient/p5']);
      expect(await ids('Patient', 'birthdate=ge1975-12-31')).toEqual(['Patient/p2', 'Patient/p3']);
      expect(await ids('Patient', 'birthdate=sa1975')).toEqual(['Patient/p2']);
      expect(await ids('Patient', 'birthdate=eb1970')).toEqual(['Patient/p5']);
      expect(await ids('Patient', 'birthdate=ne1970')).toEqual(['Patient/p2', 'Patient/p3', 'Patient/p5']);
    });
    it('gt and le at day precision', async () => {
      expect(await ids('Patient', 'birthdate=gt1975-12-30')).toEqual(['Patient/p2', 'Patient/p3']);
      expect(await ids('Patient', 'birthdate=le1970-05-01')).toEqual(['Patient/p1', 'Patient/p5']);
    });
    it('ap includes nearby dates only', async () => {
      const found = await ids('Patient', 'birthdate=ap1970-06-01');
      expect(found).toContain('Patient/p1');
      expect(found).not.toContain('Patient/p2');
    });
    it('a Period matches eq only when inside the search range', async () => {
      expect(await ids('Encounter', 'date=2024-01')).toEqual(['Encounter/e1']);
      expect(await ids('Encounter', 'date=2024-01-03')).toEqual([]);
      expect(await ids('Encounter', 'date=ge2024-01-03')).toEqual(['Encounter/e1']);
    });
    it('seconds precision', async () => {
      expect(await ids('Observation', 'date=2024-03-10T10:00:00Z')).toEqual(['Observation/o1']);
      expect(await ids('Observation', 'date=2024-03-10T10:00:01Z')).toEqual([]);
      expect(await ids('Observation', 'date=2024-03-10T11:00:00%2B01:00')).toEqual(['Observation/o1']);
    });
    it('_lastUpdated searches the row timestamp', async () => {
      expect(await ids('Practitioner', '_lastUpdated=gt2000-01-01')).toEqual(['Practitioner/pr1']);
      expect(await ids('Practitioner', '_lastUpdated=lt2000-01-01')).toEqual([]);
    });
    it('rejects a value that is not a date with 400', async () => {
      await expect(ids('Patient', 'birthdate=yesterday')).rejects.toMatchObject({ code: 'CB_ERR_SEARCH_INVALID_PARAM' });
    });
  });

  describe('reference', () => {
    it('Type/id, bare id and absolute URL on this server', async () => {
      expect(await ids('Observation', 'subject=Patient/p1')).toEqual(['Observation/o1']);
      expect(await ids('Observation', 'subject=p1')).toEqual(['Observation/o1']);
      expect(await ids('Observation', `subject=${BASE}/Patient/p1`)).toEqual(['Observation/o1']);
    });
    it('patient parameter keeps only references to Patients (where(resolve() is Patient))', async () => {
      expect(await ids('Observation', 'patient=Patient/p2')).toEqual(['Observation/o2', 'Observation/o3']);
    });
    it('several values match what each matches alone (local ones are read as one array per type)', async () => {
      const values = ['Patient/p1', 'p3', `${BASE}/Patient/p5`, 'Patient/p2', 'Patient/nobody', 'Group/p1', 'http://elsewhere/Patient/p2'];
      const alone = new Set<string>();
      for (const v of values) for (const id of await ids('Observation', `subject=${encodeURIComponent(v)}`)) alone.add(id);
      expect(await ids('Observation', `subject=${values.map(encodeURIComponent).join(',')}`)).toEqual([...alone].sort());
      expect([...alone].sort()).toEqual(['Observation/o1', 'Observation/o2', 'Observation/o3', 'Observation/o4', 'Observation/o5', 'Observation/o6']);
      expect(await ids('Observation', 'patient=Patient/p1,Patient/p3')).toEqual(['Observation/o1', 'Observation/o4']);
      expect(await ids('Observation', 'subject:Patient=Patient/p1,Group/p3,p5')).toEqual(['Observation/o1', 'Observation/o5', 'Observation/o6']);
      expect(await ids('Observation', 'subject:Group=Patient/p1,Patient/p3')).toEqual([]);
    });
    it('type modifier', async () => {
      expect(await ids('Patient', 'general-practitioner:Practitioner=pr1')).toEqual(['Patient/p1']);
      expect(await ids('Patient', 'general-practitioner:Organization=pr1')).toEqual([]);
    });
  });

  describe('quantity and number', () => {
    it('prefixes', async () => {
      expect(await ids('Observation', 'value-quantity=gt9')).toEqual(['Observation/o1', 'Observation/o3', 'Observation/o6']);
      expect(await ids('Observation', 'value-quantity=le6')).toEqual(['Observation/o2', 'Observation/o5']);
    });
    it('eq uses the precision of the value', async () => {
      expect(await ids('Observation', 'value-quantity=9.1')).toEqual(['Observation/o1']);
      // 9 means [8.5, 9.5): 8.5 is in, 9.5 is out.
      expect(await ids('Observation', 'value-quantity=9')).toEqual(['Observation/o1', 'Observation/o4']);
    });
    it('number|system|code and number||code', async () => {
      expect(await ids('Observation', 'value-quantity=gt9|http://unitsofmeasure.org|%25')).toEqual(['Observation/o1', 'Observation/o6']);
      expect(await ids('Observation', 'value-quantity=gt9||mmol/L')).toEqual(['Observation/o3']);
    });
    it('number parameters with prefixes', async () => {
      expect(await ids('RiskAssessment', 'probability=gt0.2')).toEqual(['RiskAssessment/ra1']);
      expect(await ids('RiskAssessment', 'probability=lt0.2')).toEqual([]);
      expect(await ids('RiskAssessment', 'probability=0.25')).toEqual(['RiskAssessment/ra1']);
    });
  });

  describe('combining and common parameters', () => {
    it(':missing', async () => {
      expect(await ids('Patient', 'gender:missing=true')).toEqual(['Patient/p3']);
      expect(await ids('Patient', 'email:missing=false')).toEqual(['Patient/p1']);
    });
    it('comma is OR', async () => {
      expect(await ids('Patient', 'identifier=urn:mrn|1001,urn:mrn|1003')).toEqual(['Patient/p1', 'Patient/p3']);
    });
    it('repeated parameters are AND', async () => {
      expect(await ids('Patient', 'family=smith&given=anna')).toEqual(['Patient/p2']);
      expect(await ids('Patient', 'family=smith&given=hans')).toEqual([]);
    });
    it('an empty value is no criterion', async () => {
      expect(await ids('Patient', 'family=&gender=female')).toEqual(['Patient/p2', 'Patient/p5']);
    });
    it('deleted resources never appear', async () => {
      expect(await ids('Patient', 'identifier=urn:mrn|1004')).toEqual([]);
      expect(await ids('Patient', 'family=smith')).toEqual(['Patient/p2', 'Patient/p3']);
    });
    it('_id, _tag, _profile, _security', async () => {
      expect(await ids('Patient', '_id=p1,p3')).toEqual(['Patient/p1', 'Patient/p3']);
      expect(await ids('Patient', '_tag=http://cb/tags|vip')).toEqual(['Patient/p1']);
      expect(await ids('Patient', '_profile=http://cb/profile/patient')).toEqual(['Patient/p1']);
      expect(await ids('Patient', '_security=http://terminology.hl7.org/CodeSystem/v3-Confidentiality|R')).toEqual(['Patient/p2']);
    });
  });
});
